"""The commands for many profiles at once: import-cordis (a store from CORDIS grants) and batch."""

from __future__ import annotations

import contextlib
import importlib.util
from pathlib import Path

import click

from ..batch import nothing_ranked, rank_all
from ..errors import MatcherError
from ..index.store import is_store
from ..output.files import write_batch
from ..sources.cordis import IMPORT_STEPS, import_cordis
from .options import (
    MAX_TOP,
    MAX_WORKERS,
    ledger_option,
    library_errors,
    opened,
    popular_option,
    profiles_option,
    progressbar,
    semantic_option,
    strict_option,
    workspace,
)

BATCH_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".parquet": "parquet"}


@click.command(name="batch")
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--top",
    default=10,
    show_default=True,
    type=click.IntRange(1, MAX_TOP),
    help=f"Partners per organisation (at most {MAX_TOP:,}).",
)
@click.option("--format", "fmt", type=click.Choice(("csv", "jsonl", "parquet")), help="Default: from the suffix.")
@click.option("--new-only", is_flag=True, help="Leave out organisations each has already worked with.")
@click.option(
    "--workers",
    type=click.IntRange(1, MAX_WORKERS),
    help="Workers for large sets (default: one per core): threads with the compiled engine, else processes."
    " Sets up to 4,096 organisations use one.",
)
@click.option(
    "--dask",
    metavar="ADDRESS",
    help="Run on the Dask cluster at ADDRESS (tcp://HOST:8786), or local:N to start N worker processes here"
    " (pip install 'matcher[dask]'). Every worker reads --profiles at the same path.",
)
@click.option("--all", "show_all", is_flag=True, help="List weak matches too, as match --all does.")
@semantic_option
@popular_option
@ledger_option
@profiles_option
@strict_option
def batch_command(out, top, fmt, new_only, workers, dask, show_all, semantic, popular, ledger_path, profiles, strict):
    """Write the top partners of every organisation to one file (CSV, JSON lines or Parquet).

    One row per (organisation, partner): org, rank, partner, score (4
    decimals), strength, relation, reason: the list `match` shows, weak
    matches left out unless --all (ranks keep their place). The file is written
    under a temporary name and renamed when complete, so an interrupted run
    leaves no partial file.

    Where numba is installed (a dependency wherever it has wheels), the
    queries run compiled, on one thread per core: the same partners, several
    times faster on large sets. The first run compiles them (about 10 s,
    once). Elsewhere the numpy engine runs them on worker processes.
    Engine here: {engine}.

    \b
    Example:
        matcher batch -o partners.csv --top 5
    """
    fmt = fmt or _batch_format(out)
    if fmt == "parquet" and importlib.util.find_spec("pyarrow") is None:
        raise click.ClickException("Parquet needs pyarrow: pip install 'matcher[parquet]', or use .csv.")
    if not out.parent.is_dir():
        raise click.BadParameter(f"folder {out.parent} does not exist.", param_hint="--output")
    if dask and workers:
        raise click.UsageError("--workers is for this machine; with --dask each Dask worker runs its own threads.")
    ws = workspace(profiles, ledger=ledger_path, strict=strict, semantic=semantic, popular=popular)
    names = opened(ws).index.names
    with progressbar(len(names), "Ranking") as bar, contextlib.ExitStack() as stack:
        with library_errors():
            ranked = rank_all(
                ws, top=top, new_only=new_only, workers=workers, dask=dask, progress=bar.update, include_weak=show_all
            )
            partners = stack.enter_context(ranked)
        try:
            n = write_batch(partners, names, out, fmt, empty_ok=False)
        except MatcherError as exc:
            raise click.ClickException(f"{exc} {nothing_ranked(ws)}") from None
    click.echo(f"Wrote {out}: {n} rows for {len(names)} organisations.")


def _batch_format(out: Path) -> str:
    """The format of ``out``, by its suffix."""
    fmt = BATCH_FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise click.BadParameter(
            f"cannot tell the format of {out.name}: name it .csv, .jsonl or .parquet, or give --format.",
            param_hint="--output",
        )
    return fmt


def _engine_name() -> str:
    """The batch engine this installation runs, for ``matcher batch --help`` (numba found, not imported)."""
    return "compiled (numba)" if importlib.util.find_spec("numba") else "numpy (numba is not installed here)"


batch_command.help = batch_command.help.replace("{engine}", _engine_name())


@click.command(name="import-cordis")
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--before", required=True, metavar="DATE", help="Use the grants signed before this date (YYYY-MM-DD).")
@click.option("-o", "--output", "out", required=True, type=click.Path(path_type=Path), help="Store folder to write.")
@click.option("--force", is_flag=True, help="Replace an existing store at OUTPUT.")
def import_cordis_command(data_dir, before, out, force):
    """Build a profile store from CORDIS grants: one profile per organisation.

    DATA_DIR holds projects.csv.gz, participations.csv.gz and organisations.csv.gz.
    Each organisation's capabilities are its grants signed before DATE (title,
    keywords, objective); its partners are those it shared a grant with. Use
    the store with --profiles; it is written whole or not at all.

    \b
    Example:
        matcher import-cordis ../shared/benchmark --before 2024-01-01 -o cordis-store
        match --profiles cordis-store --need "hydrogen storage in salt caverns"
    """
    if out.exists() and not is_store(out):
        raise click.ClickException(f"{out} exists and is not a matcher store; refusing to replace it. Give another -o.")
    if out.exists() and not force:
        raise click.ClickException(f"{out} is already a store; give --force to replace it, or another -o.")
    # a bar of the steps, on a terminal only (indexing is most of the 30-60 s, and says how far it is)
    with progressbar(len(IMPORT_STEPS), "Importing", item_show_func=lambda s: s) as bar:
        done: list[str] = []

        def step(name: str) -> None:
            bar.update(1 if done else 0, name)
            done.append(name)

        def advance(fraction: float) -> None:
            bar.update(0, f"{IMPORT_STEPS[-1]} ({fraction:.0%})")

        with library_errors():
            index = import_cordis(data_dir, before, out, progress=step, advance=advance)
        bar.update(1)
    grants = int(index.n_capabilities.sum())
    click.echo(f"Wrote {out}: {index.n_orgs} organisations, {grants} organisation-grant records before {before}.")
