"""Command-line interface: parse options, make one library call, render the result."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .errors import InvalidProfiles, MatcherError, UnknownOrganisation
from .profiles import KINDS

FORMATS = ("table", "json")


def _split_codes(ctx, param, values) -> tuple[str, ...]:
    """Accept ``--country CN --country RU`` and ``--country CN,RU``; validate them as ISO codes."""
    import pycountry

    out = []
    for value in values or ():
        for code in filter(None, (v.strip() for v in value.split(","))):
            if len(code) != 2 or pycountry.countries.get(alpha_2=code.upper()) is None:
                raise click.BadParameter(f"{code!r} is not an ISO 3166-1 alpha-2 country code, e.g. CN, RU, HU.")
            out.append(code.upper())
    return tuple(out)


profiles_option = click.option(
    "--profiles",
    "profiles",
    type=click.Path(path_type=Path),
    help="Profiles folder. Default: $MATCHER_PROFILES, else ./profiles if it exists, else the bundled profiles.",
)
strict_option = click.option(
    "--strict", is_flag=True, help="Exit with status 1 if any profile cannot be loaded, instead of skipping it."
)


def _open(profiles: Path | None, strict: bool):
    from .catalog import open_catalog
    from .paths import profiles_location

    location, _ = profiles_location(profiles)
    try:
        catalog = open_catalog(location, strict=strict)
    except InvalidProfiles as exc:
        for problem in exc.problems:
            click.echo(f"Error: {problem}", err=True)
        raise click.ClickException(f"{exc} (--strict). Fix them, or run without --strict to skip them.") from None
    except MatcherError as exc:
        raise click.ClickException(str(exc)) from None
    for path, problems in catalog.bad_files().items():
        more = f" (+{len(problems) - 1} more: run 'matcher validate {path}')" if len(problems) > 1 else ""
        click.echo(f"Warning: skipped {problems[0]}{more}", err=True)
    return catalog


def _find(matcher, name: str, param: str) -> None:
    try:
        matcher.find(name)
    except UnknownOrganisation as exc:
        raise click.BadParameter(str(exc), param_hint=param) from None


@click.command(name="match")
@click.option("--org", required=True, metavar="NAME", help="The organisation to find partners for (name or alias).")
@click.option("--top", default=10, show_default=True, type=click.IntRange(min=1), help="How many partners to list.")
@click.option("--country", multiple=True, callback=_split_codes, help="Only partners in these countries (CN,RU).")
@click.option("--exclude-country", multiple=True, callback=_split_codes, help="No partners in these countries.")
@click.option("--kind", multiple=True, type=click.Choice(KINDS), help="Only partners of this kind (repeatable).")
@click.option("--min-score", default=0.0, show_default=True, type=click.FloatRange(0, 1), help="Hide weaker matches.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@profiles_option
@strict_option
def match_command(org, top, country, exclude_country, kind, min_score, fmt, profiles, strict):
    """Rank the partners ORG should meet, and explain each match.

    A match is scored both ways: how well the partner offers what ORG needs, and how
    well ORG offers what the partner needs; mutual matches rank above one-sided ones.

    \b
    Example:
        match --org Ehang
        match --org "CASIC" --country RU --top 5 --format json
    """
    from .matching import Filters
    from .report import match_list_json, render_matches

    catalog = _open(profiles, strict)
    _find(catalog.matcher, org, "--org")
    filters = Filters.make(country, exclude_country, kind, min_score)
    result = catalog.matcher.match(org, top=top, filters=filters)
    click.echo(match_list_json(result) if fmt == "json" else render_matches(result), nl=fmt == "json")


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
@profiles_option
@strict_option
def explain_command(org_a, org_b, fmt, profiles, strict):
    """Explain everything behind the match of ORG_A with ORG_B.

    Both directions, every need–capability pair that contributed, each term's
    share and the quotes that back the statements — whether or not ORG_B is in
    ORG_A's top list.

    \b
    Example:
        matcher explain Ehang "Russian Academy of Sciences"
    """
    from .report import render_explanation, to_json

    catalog = _open(profiles, strict)
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
    report = validate(paths)
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
    click.echo(render_frame(frame, fmt), nl=False)


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


def _collect(label: str, given: tuple[str, ...], interactive: bool) -> list[str]:
    items = [g for g in given if g.strip()]
    if interactive and not items:
        click.echo(f"{label} — one per line; an empty line ends the list:")
        while True:
            line = click.prompt(f"  {label[:-1].lower()}", default="", show_default=False)
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

    Refuses to overwrite a file or to reuse an existing name or alias. Give
    every field as an option to use it from scripts.

    \b
    Example:
        matcher new
        matcher new --name "Volga Lasers" --country RU --kind company \\
            --capability "airborne laser scanning" --need "drone makers in China"
    """
    import os

    from .errors import ProfileError
    from .paths import ENV_PROFILES
    from .scaffold import ProfileExists, create_profile

    folder = profiles or Path(os.environ.get(ENV_PROFILES) or "profiles")
    name = name or click.prompt("Name")
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
    try:
        path = create_profile(folder, fields)
    except ProfileError as exc:
        raise click.ClickException(
            "the profile was not written:\n"
            + "\n".join(f"  {p.field}: {p.message}" + (f" — {p.hint}" if p.hint else "") for p in exc.problems)
        ) from None
    except ProfileExists as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Wrote {path}. Check it with: matcher validate {path}")


def main() -> None:  # pragma: no cover - console script wrapper
    cli(prog_name="matcher")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(cli())
