"""The import-table and export-table commands: parse the options, make one library call (``sources.tables``),
render the result."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from ..errors import BadMapping, InvalidProfiles, MatcherError, TableError
from ..paths import new_profiles_folder, profiles_location
from ..sources.tables import export_folder, import_table, parse_mapping

PROGRESS_AFTER = 2.0
"""Seconds an import runs before it shows a progress bar (a table of a few rows never shows one)."""


def delayed_bar(label: str, after: float = PROGRESS_AFTER, file=None):
    """A ``progress(total) -> tick(n)`` factory whose bar appears only once the work has run ``after``
    seconds, and only on a terminal."""
    file = file or sys.stderr

    def start(total: int):
        began, done, bar = time.monotonic(), 0, None

        def tick(n: int) -> None:
            nonlocal done, bar
            done += n
            if bar is None and file.isatty() and time.monotonic() - began > after:
                bar = click.progressbar(length=total, label=label, file=file)
                bar.__enter__()
                bar.update(done - n)
            if bar is not None:
                bar.update(n)
                if done >= total:
                    bar.__exit__(None, None, None)

        return tick

    return start


@click.command(name="import-table")
@click.argument("table", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--map",
    "mapping",
    multiple=True,
    metavar="HEADER=FIELD,...",
    help="Read a column as a profile field: --map 'Company=name,Offers=capabilities'; 'Notes=' leaves a column out.",
)
@click.option("--sheet", metavar="NAME", help="The sheet of an .xlsx workbook to read. Default: the first.")
@click.option(
    "--update",
    is_flag=True,
    help="Rewrite the profile of a name already in the folder (the old file kept as FILE.bak).",
)
@click.option(
    "--skip-invalid", is_flag=True, help="Write the valid rows and list the others, instead of writing nothing."
)
@click.option("--dry-run", is_flag=True, help="Check every row and say what would be written; write nothing.")
@click.option(
    "--profiles",
    "profiles",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write to. Default: $MATCHER_PROFILES, else ./profiles.",
)
def import_table_command(table, mapping, sheet, update, skip_invalid, dry_run, profiles):
    """Create profiles from a spreadsheet: one row an organisation, CSV, TSV or XLSX.

    Columns are found by their headers: name, aliases, country, city, kind,
    sectors, capabilities, needs, partners, language, summary (any case;
    'capability' for 'capabilities' too); --map reads other headers. A cell
    of a list column holds one item a line, or items separated by ';'.
    Country is a code (RU) or a name (Russia). Every row is checked as
    'matcher validate' checks a file; with any problem nothing is written
    and each is listed as FILE:row N: column: what — fix. One YAML file is
    written a row, named from the name in Latin letters.

    \b
    Example:
        matcher import-table partners.xlsx
        matcher import-table crm.csv --map 'Company=name,Offers=capabilities,Notes='
    """
    try:
        columns = parse_mapping(mapping)
    except BadMapping as exc:
        raise click.BadParameter(str(exc), param_hint="--map") from None
    folder = new_profiles_folder(profiles)
    try:
        result = import_table(
            table,
            folder,
            mapping=columns,
            sheet=sheet,
            update=update,
            skip_invalid=skip_invalid,
            dry_run=dry_run,
            progress=delayed_bar("Importing"),
        )
    except TableError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        errors = len(exc.errors)
        text = f"{errors} problem{'' if errors == 1 else 's'} in {table}: nothing was written."
        raise click.ClickException(
            text + (" Fix them, or give --skip-invalid to write the valid rows." if exc.rows else "")
        ) from None
    except MatcherError as exc:
        raise click.ClickException(str(exc)) from None
    for problem in [*result.warnings, *result.invalid]:
        click.echo(str(problem), err=True)
    for plan in sorted([*result.written, *result.unchanged], key=lambda p: p.row):
        action = {"create": "new", "update": "updated"}.get(plan.action, plan.action)
        kept = f" (old file kept as {plan.backup.name})" if plan.backup else ""
        click.echo(f"row {plan.row}: {plan.path} ({action}){kept}")
    click.echo(result.summary())
    if not dry_run and result.written:
        click.echo(f"Check them with: matcher validate {folder}")


@click.command(name="export-table")
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(("csv", "tsv", "xlsx")), help="Default: from the suffix.")
@click.option("--profiles", "profiles", type=click.Path(path_type=Path), help="Profiles folder. Default: as for match.")
@click.option(
    "--force", is_flag=True, help="Replace OUTPUT where it exists (it may be the table the profiles came from)."
)
def export_table_command(out, fmt, profiles, force):
    """Write the profiles as a table that import-table reads back unchanged.

    One row a profile, sorted by name, with the columns import-table reads
    (lists one item a line). Sources stay in the YAML files: import-table
    --update keeps them. Cells that a spreadsheet would run as formulas are
    written as text.

    \b
    Example:
        matcher export-table -o profiles.xlsx
        matcher export-table -o profiles.csv --profiles my-profiles
    """
    if out.exists() and not force:
        raise click.ClickException(f"{out} exists: give --force to replace it, or another -o.")
    location, _ = profiles_location(profiles)
    try:
        n = export_folder(location, out, fmt)
    except InvalidProfiles as exc:
        for problem in exc.problems:
            click.echo(f"Error: {problem}", err=True)
        raise click.ClickException(
            f"{exc}, so they would be missing from the table. Fix them (matcher validate {location}) first."
        ) from None
    except TableError as exc:
        raise click.BadParameter(
            str(exc.problems[0].message) + " — " + str(exc.problems[0].hint), param_hint="-o"
        ) from None
    except MatcherError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Wrote {n} profile{'' if n == 1 else 's'} to {out}.")
