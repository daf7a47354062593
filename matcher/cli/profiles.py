"""The profile commands: new, validate, list and show."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import ProfileError
from ..index.store import is_store
from ..output.tables import organisations_frame, render_frame
from ..output.text import render_profile, to_json
from ..paths import new_profiles_folder
from ..profiles.model import KINDS
from ..profiles.scaffold import ProfileExists, name_holder, new_profile
from ..profiles.schema import valid_country
from ..profiles.select import select
from ..profiles.validate import validate
from ..workspace import Workspace
from .options import (
    FORMATS,
    TABLE_FORMATS,
    opened,
    profiles_option,
    resolve,
    split_codes,
    strict_option,
    width,
    workspace,
)


@click.command(name="validate")
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
    if not paths:
        location = Workspace(profiles).location
        if not location.is_dir():
            raise click.ClickException(f"Profiles folder '{location}' does not exist. Give PATHS or --profiles DIR.")
        paths = (location,)
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


@click.command(name="list")
@click.option("--country", multiple=True, callback=split_codes, help="Only these countries (CN,RU).")
@click.option("--kind", multiple=True, type=click.Choice(KINDS), help="Only this kind (repeatable).")
@click.option("--sector", multiple=True, help="Only organisations with this sector (ignoring case; repeatable).")
@click.option("--format", "fmt", type=click.Choice(TABLE_FORMATS), default="table", show_default=True)
@profiles_option
@strict_option
def list_command(country, kind, sector, fmt, profiles, strict):
    """List the organisations: name, country, kind, number of capabilities and needs.

    \b
    Example:
        matcher list --country RU
        matcher list --kind company --format csv > companies.csv
    """
    matcher = opened(workspace(profiles, strict=strict))
    chosen = select(matcher.profiles, countries=country, kinds=kind, sectors=sector)
    click.echo(render_frame(organisations_frame(chosen), fmt, width=width() if fmt == "table" else None), nl=False)


@click.command(name="show")
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
    ws = workspace(profiles, strict=strict)
    matcher = opened(ws)
    resolve(ws, org, "ORG")
    view = matcher.explainer.profile_view(org)
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


def _country(value: str) -> str:
    try:
        return valid_country(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _ask(value, prompt: str, check, param: str):
    """``value`` checked (an option's error names ``param``), or asked for where it was not given."""
    if not value:
        return click.prompt(prompt, value_proc=check)
    try:
        return check(value)
    except click.BadParameter as exc:
        raise click.BadParameter(exc.message, param_hint=param) from None


@click.command(name="new")
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
    folder = new_profiles_folder(profiles)
    in_use = Workspace(profiles).location
    sets = list(dict.fromkeys([in_use, folder]))

    def unused(value: str) -> str:
        taken = name_holder(value, sets)
        if taken:
            raise click.BadParameter(f"{taken} Edit that file instead, or choose another name.")
        return value

    name = _ask(name, "Name", unused, "--name")
    country = _ask(country, "Country code", _country, "--country")
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
        path, copied = new_profile(folder, fields, in_use)
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
