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


def main() -> None:  # pragma: no cover - console script wrapper
    cli(prog_name="matcher")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(cli())
