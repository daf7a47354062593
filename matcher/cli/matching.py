"""The matching commands: match, explain, report and evaluate."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import UnreadableFile
from ..explanations.results import MatchList
from ..output.files import write_report
from ..output.html import query_note
from ..output.text import match_list_json, render_evaluation, render_explanation, render_matches, to_json
from ..paths import read_limited
from ..ranking.ranker import Filters
from ..workspace import Workspace, evaluate, explain, match, match_need
from .options import (
    FORMATS,
    MAX_TOP,
    country_option,
    exclude_country_option,
    kind_option,
    ledger_option,
    library_errors,
    min_score_option,
    opened,
    popular_option,
    profiles_option,
    resolve,
    semantic_option,
    strict_option,
    top_option,
    width,
    workspace,
)

MAX_NEED_BYTES = 1024 * 1024


def read_need(need: str | None, need_file: Path | None) -> str | None:
    """The need of --need TEXT or --need-file FILE ('-': standard input), checked to be text."""
    if need is not None and need_file is not None:
        raise click.UsageError("Give --need TEXT or --need-file FILE, not both.")
    if need_file is None:
        if need is not None and not need.strip():
            raise click.BadParameter("the need is empty; describe what is sought.", param_hint="--need")
        return need
    try:
        if str(need_file) == "-":
            raw = sys.stdin.buffer.read(MAX_NEED_BYTES + 1)
        else:
            raw = read_limited(need_file, MAX_NEED_BYTES, what="need file")
    except UnreadableFile as exc:
        raise click.BadParameter(f"{exc}.", param_hint="--need-file") from None
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


def ranked(ws: Workspace, org: str | None, need: str | None, tags, **query) -> MatchList:
    """The one library call behind match and report: ``org``'s partners (the ledger's decisions applied),
    or the organisations for ``need``."""
    if org is not None:
        resolve(ws, org, "--org")
    with library_errors():
        if need is None:
            return match(ws, org, **query)
        del query["include_weak"], query["show_declined"]
        return match_need(ws, need, org=org, tags=tags, **query)


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
@top_option
@country_option
@exclude_country_option
@kind_option
@min_score_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@semantic_option
@popular_option
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
    popular,
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
    need = read_need(need, need_file)
    if org is None and need is None:
        raise click.UsageError("Give --org NAME, --need TEXT or --need-file FILE.")
    if tags and need is None:
        raise click.UsageError("--tag goes with --need or --need-file.")
    ws = workspace(profiles, ledger=ledger_path, strict=strict, semantic=semantic, compiled=False, popular=popular)
    opened(ws)
    filters = Filters.make(country, exclude_country, kind, min_score)
    query = dict(top=top, filters=filters, new_only=new_only, include_weak=show_all, show_declined=show_declined)
    result = ranked(ws, org, need, tags, **query)
    if fmt == "json":
        click.echo(match_list_json(result))
    else:
        click.echo(render_matches(result, detail=detail, width=width()), nl=False)
    note = ws.matcher.names.alias_note(org) if org is not None else None
    if note:
        click.echo(f"Note: {note}", err=True)
    if need is None and not result.matches and not ws.matcher.index.has_needs.any():
        click.echo(
            "Hint: no profile here lists needs (a store of past projects lists capabilities only);"
            " say what is sought with --need TEXT.",
            err=True,
        )


@click.command(name="explain")
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
    ws = workspace(profiles, strict=strict, semantic=semantic)
    opened(ws)
    resolve(ws, org_a, "ORG_A")
    resolve(ws, org_b, "ORG_B")
    with library_errors(param="ORG_B"):
        result = explain(ws, org_a, org_b)
    click.echo(to_json(result) if fmt == "json" else render_explanation(result), nl=fmt == "json")


@click.command(name="report")
@click.option("--org", metavar="NAME", help="The organisation to find partners for (name or alias).")
@click.option("--need", metavar="TEXT", help="Rank organisations for this need instead.")
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@top_option
@click.option("--new-only", is_flag=True, help="Leave out organisations ORG has already worked with.")
@click.option("--all", "show_all", is_flag=True, help="List weak matches too.")
@click.option("--show-declined", is_flag=True, help="Keep pairs the ledger marks declined or not relevant.")
@country_option
@exclude_country_option
@kind_option
@min_score_option
@semantic_option
@popular_option
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
    popular,
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
    if (org is None) == (need is None) and need is None:
        raise click.UsageError("Give --org NAME (or --need TEXT).")
    if out.suffix.lower() not in (".html", ".htm"):
        raise click.BadParameter(f"{out.name}: the report is an HTML file; name it .html.", param_hint="--output")
    if not out.parent.is_dir():
        raise click.BadParameter(f"folder {out.parent} does not exist.", param_hint="--output")
    ws = workspace(profiles, ledger=ledger_path, semantic=semantic, compiled=False, popular=popular)
    opened(ws)
    filters = Filters.make(country, exclude_country, kind, min_score)
    query = dict(top=top, filters=filters, new_only=new_only, include_weak=show_all, show_declined=show_declined)
    result = ranked(ws, org, need, (), **query)
    write_report(out, result, filters=query_note(country, exclude_country, kind, min_score, new_only, show_all))
    n = len(result.matches)
    click.echo(f"Wrote {out}: {n} match{'' if n == 1 else 'es'} for {result.org}.")


@click.command(name="evaluate")
@click.option(
    "--partnerships",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML of known partnerships. Default: seeds/partnerships.yaml beside the profiles.",
)
@click.option("--k", default=3, show_default=True, type=click.IntRange(1, MAX_TOP), help="Cut-off for Hits@k.")
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
    ws = workspace(profiles, semantic=semantic)
    if partnerships is None and ws.is_store:
        raise click.UsageError(
            f"{ws.location} is a store: give --partnerships FILE naming its organisations, or measure a CORDIS store"
            " with benchmarks/cordis_eval.py."
        )
    opened(ws)
    with library_errors():
        result = evaluate(ws, partnerships, k=k)
    click.echo(render_evaluation(result), nl=False)
