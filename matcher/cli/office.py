"""The office commands: record, history and funnel (the outcome ledger), and schedule (an event's agenda)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from ..office.agenda import slot_start
from ..office.ledger import REASONS, STAGES
from ..output.files import AGENDA_FORMATS, write_agenda
from ..output.plot import PlotUnavailable, plot_funnel
from ..output.tables import events_frame, render_events
from ..output.text import event_summary, render_funnel
from ..workspace import plan_event
from .options import (
    TABLE_FORMATS,
    ledger_option,
    library_errors,
    opened,
    profiles_option,
    resolve,
    semantic_option,
    workspace,
)


@click.command(name="record")
@click.argument("org_a")
@click.argument("org_b")
@click.option("--stage", required=True, type=click.Choice(STAGES), help="What the pair reached.")
@click.option("--reason", type=click.Choice(REASONS), help="Why, with declined or not-relevant.")
@click.option("--note", help="Free text (kept as written).")
@click.option("--when", metavar="DATE", help="When it happened (YYYY-MM-DD). Default: today.")
@click.option("--by", "by", metavar="NAME", help="Who records it. Default: the login name.")
@click.option(
    "--force",
    is_flag=True,
    help="Record it even where the stage goes back in the pipeline or the date is in the future.",
)
@ledger_option
@profiles_option
def record_command(org_a, org_b, stage, reason, note, when, by, force, ledger_path, profiles):
    """Record what became of the match of ORG_A with ORG_B, in the outcome ledger.

    Stages, in order: proposed, contacted, accepted, met, negotiating, signed,
    implemented; or declined / not-relevant (with --reason), already-partners.
    Events are appended, never changed: a pair's stage is its latest event.
    A stage that goes back (met after negotiating) or a date in the future
    is refused unless --force.
    match leaves out declined and not-relevant pairs, marks every listed
    match with its stage, and counts signed, implemented and already-partners
    pairs as partners (--new-only leaves them out).

    \b
    Example:
        matcher record Ehang "Russian Academy of Sciences" --stage met --when 2026-05-12
        matcher record Ehang MTS --stage declined --reason no-fit --note "telecoms only"
    """
    ws = workspace(profiles, ledger=ledger_path)
    opened(ws)
    a, b = resolve(ws, org_a, "ORG_A"), resolve(ws, org_b, "ORG_B")
    with library_errors():
        event = ws.record(a, b, stage, reason=reason, note=note, when=when, by=by, force=force)
    why = f" ({event.reason})" if event.reason else ""
    click.echo(f"Recorded {a} – {b}: {stage}{why} on {event.when}, by {event.recorded_by}, in {ws.ledger_path}.")


@click.command(name="history")
@click.argument("org_a", required=False)
@click.argument("org_b", required=False)
@click.option("--since", metavar="DATE", help="Only events from this date (YYYY-MM-DD).")
@click.option("--format", "fmt", type=click.Choice(TABLE_FORMATS), default="table", show_default=True)
@ledger_option
@profiles_option
def history_command(org_a, org_b, since, fmt, ledger_path, profiles):
    """The ledger's events, newest first: all, ORG_A's, or the pair ORG_A, ORG_B's.

    \b
    Example:
        matcher history Ehang
        matcher history --since 2026-01-01 --format csv > events.csv
    """
    ws = workspace(profiles, ledger=ledger_path)
    named = [(n, p) for n, p in ((org_a, "ORG_A"), (org_b, "ORG_B")) if n]
    if named:
        opened(ws)
    resolved = [resolve(ws, n, p) for n, p in named]
    with library_errors():
        events = ws.history(*resolved, since=since)
    if events is None:
        click.echo("No events recorded yet (matcher record A B --stage ...).", err=True)
        return
    click.echo(render_events(events_frame(events), fmt), nl=False)


@click.command(name="funnel")
@click.option("--org", metavar="NAME", help="Only the pairs of this organisation.")
@click.option("--since", metavar="DATE", help="Only events from this date (YYYY-MM-DD).")
@click.option("--format", "fmt", type=click.Choice(TABLE_FORMATS), default="table", show_default=True)
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
    if plot is not None and plot.suffix.lower() not in (".png", ".svg"):
        raise click.BadParameter(f"{plot.name}: the chart is written as .png or .svg.", param_hint="--plot")
    if plot is not None and not plot.parent.is_dir():
        raise click.BadParameter(f"folder {plot.parent} does not exist: create it first.", param_hint="--plot")
    ws = workspace(profiles, ledger=ledger_path)
    if org:
        opened(ws)
    name = resolve(ws, org, "--org") if org else None
    with library_errors():
        result = ws.funnel(name, since)
    click.echo(render_funnel(result, fmt), nl=False)
    if plot is not None:
        try:
            plot_funnel(result, plot)
        except PlotUnavailable as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            raise click.ClickException(f"cannot write {plot}: {exc.strerror or exc}; give another --plot.") from None
        click.echo(f"Wrote {plot}.", err=True)


@click.command(name="schedule")
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
    if AGENDA_FORMATS.get(out.suffix.lower()) is None:
        raise click.BadParameter(f"{out.name}: the agenda is written as .csv, .json or .html.", param_hint="--output")
    if not out.parent.is_dir():
        raise click.BadParameter(f"folder {out.parent} does not exist.", param_hint="--output")
    first = _first_slot(start)
    ws = workspace(profiles, ledger=ledger_path, semantic=semantic, compiled=False)
    opened(ws)
    with library_errors():
        event = plan_event(
            ws,
            record=record,
            slots=slots,
            tables=tables,
            participants=participants,
            requests=requests,
            max_per_org=max_per_org,
            candidates=candidates,
            time_limit=time_limit,
            warn=lambda message: click.echo(f"Warning: {message}", err=True),
        )
    starts = [slot_start(first, s, slot_minutes).strftime("%Y-%m-%d %H:%M") for s in range(1, slots + 1)]
    write_agenda(out, event, starts, minutes=slot_minutes, by=by)
    click.echo(event_summary(out, event))
    for a, b in event.plan.unmet_requests:
        click.echo(
            f"Not met: the request {event.names[a]} – {event.names[b]} (no slot both can attend within the limits).",
            err=True,
        )
    if record:
        with library_errors():
            n = ws.record_plan(event)
        click.echo(f"Recorded {n} meetings as proposed in {ws.ledger_path}.")


def _first_slot(start: str | None) -> datetime:
    """When the first slot starts: --start, else today at 09:00."""
    try:
        if start:
            return datetime.strptime(start, "%Y-%m-%d %H:%M")
        return datetime.now().replace(hour=9, minute=0, second=0, microsecond=0)
    except ValueError:
        raise click.BadParameter(f"{start!r}: write it as 'YYYY-MM-DD HH:MM'.", param_hint="--start") from None
