"""The command-line interface: each command parses its options, makes one library call and renders the result.

Commands live in one module per group (``matching``, ``profiles``, ``tables``, ``office``, ``data``, ``desk``,
``accounts``), with the options and helpers they share in ``options``. A command's module is imported only
when it runs (or when ``--help`` lists it), so that ``match`` starts without loading what ``schedule`` or
``serve`` need.
"""

from __future__ import annotations

import errno
import importlib

import click

from .. import __version__

COMMANDS = {
    "batch": "data:batch_command",
    "evaluate": "matching:evaluate_command",
    "explain": "matching:explain_command",
    "export-table": "tables:export_table_command",
    "funnel": "office:funnel_command",
    "history": "office:history_command",
    "import-cordis": "data:import_cordis_command",
    "import-table": "tables:import_table_command",
    "list": "profiles:list_command",
    "match": "matching:match_command",
    "new": "profiles:new_command",
    "record": "office:record_command",
    "report": "matching:report_command",
    "schedule": "office:schedule_command",
    "serve": "desk:serve_command",
    "show": "profiles:show_command",
    "users": "accounts:users_group",
    "validate": "profiles:validate_command",
}
"""Each command and where it is defined (module:function in this package)."""


class LazyGroup(click.Group):
    """A group whose commands are imported when asked for (click's documented lazy loading)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute = COMMANDS[name].split(":")
        return getattr(importlib.import_module(f"{__name__}.{module}"), attribute)

    def invoke(self, ctx: click.Context):
        """The command, with what the system refused (a full disk, a permission, memory) said in one line: the
        commands turn the errors a user can expect into messages; this is the net under them."""
        try:
            return super().invoke(ctx)
        except OSError as exc:
            if exc.errno == errno.EPIPE:  # a closed pipe (matcher list | head): click ends quietly
                raise
            where = f"{exc.filename}: " if exc.filename else ""
            raise click.ClickException(
                f"{where}{exc.strerror or exc} — check the path, its permissions and the free space, then run again."
            ) from None
        except MemoryError:
            raise click.ClickException(
                "out of memory: close other programs, or ask for less (a smaller --top, fewer --workers)."
            ) from None


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="matcher")
def cli():
    """Partner matchmaking for technology-transfer offices.

    Profiles (one YAML file per organisation) say what each organisation offers
    and seeks; matcher ranks whom each should meet, and says why.

    \b
    Example:
        matcher match --org Ehang
    """


def main() -> None:  # pragma: no cover - console script wrapper
    cli(prog_name="matcher")
