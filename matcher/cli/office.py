"""The office commands: record, history and funnel (the outcome ledger), and schedule (an event's agenda)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from ..errors import MatcherError
from ..office.agenda import MAX_CANDIDATES, MAX_SLOT_MINUTES, MAX_SLOTS, MAX_TABLES, MAX_TIME_LIMIT, slot_starts
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
@click.option("--slots", required=True, type=click.IntRange(1, MAX_SLOTS), help="Meeting slots in the event.")
@click.option("--tables", required=True, type=click.IntRange(1, MAX_TABLES), help="Meetings that can run at once.")
@click.option(
    "--participants",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Who takes part: one name a line, or a CSV with name, unavailable (slots, e.g. 1;3) and cap. Default:"
    " every profile.",
)
@click.option(
    "--requests",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Meetings asked for: a CSV with org_a, org_b and optionally priority (0 or more); met first.",
)
@click.option(
    "--max-per-org", type=click.IntRange(1, MAX_SLOTS), help="Meetings per participant at most. Default: --slots."
)
@click.option(
    "--min-per-org",
    default=1,
    show_default=True,
    type=click.IntRange(1, MAX_SLOTS),
    help="Meetings that count a participant as met: as many as possible get this many first.",
)
@click.option(
    "--include-partners",
    is_flag=True,
    help="Let organisations that already work together (listed partners, related, signed in the ledger) meet:"
    " a networking event.",
)
@click.option("--slot-minutes", default=20, show_default=True, type=click.IntRange(1, MAX_SLOT_MINUTES))
@click.option(
    "--start",
    metavar="'[YYYY-MM-DD] HH:MM'",
    help="When the first slot starts: a time today, or a date and time. Default: today 09:00.",
)
@click.option(
    "--candidates",
    default=10,
    show_default=True,
    type=click.IntRange(1, MAX_CANDIDATES),
    help="Each participant's best partners considered.",
)
@click.option(
    "--by",
    "by",
    type=click.Choice(("slot", "participant")),
    default="slot",
    show_default=True,
    help="A row per meeting by slot, or each participant's own day (every slot, 'free' where none).",
)
@click.option(
    "-o",
    "--output",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The agenda: .csv, .json or .html (printable).",
)
@click.option("--record", is_flag=True, help="Record every scheduled meeting as 'proposed' in the ledger.")
@click.option(
    "--time-limit",
    default=60.0,
    show_default=True,
    type=click.FloatRange(1, MAX_TIME_LIMIT),
    callback=lambda ctx, param, value: _finite(value, param),
    help="Solver seconds, all levels together.",
)
@semantic_option
@ledger_option
@profiles_option
def schedule_command(
    slots,
    tables,
    participants,
    requests,
    max_per_org,
    min_per_org,
    include_partners,
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
    (the scores match gives), plus --requests. Organisations that already work
    together never meet (match marks them already partners or related, or the
    ledger has them signed, implemented or already-partners; --include-partners
    lets them), nor do pairs the ledger declined or found not relevant. Weak
    matches only fill seats no better match can take, marked "weak (filler)".

    An integer program (scipy's milp, HiGHS) decides, level by level: the
    requests met; the participants with at least --min-per-org meetings, among
    those with a good candidate; the total score; weak fillers; fewer idle gaps
    in each one's day. Nobody is in two meetings at once, a slot holds at most
    --tables meetings, a participant at most --max-per-org. It prints each
    level's figure and bound (what no plan can beat), best pair first's figures,
    and who has no meeting and why.

    \b
    Example:
        matcher schedule --slots 6 --tables 4 -o agenda.csv
        matcher schedule --slots 6 --tables 4 --start 13:30 --by participant -o days.html
        matcher schedule --slots 12 --tables 10 --participants who.csv --requests asked.csv -o agenda.html
    """
    if AGENDA_FORMATS.get(out.suffix.lower()) is None:
        raise click.BadParameter(f"{out.name}: the agenda is written as .csv, .json or .html.", param_hint="--output")
    if not out.parent.is_dir():
        raise click.BadParameter(f"folder {out.parent} does not exist.", param_hint="--output")
    if max_per_org is not None and max_per_org > slots:
        raise click.BadParameter(f"{max_per_org} is more than the {slots} slots.", param_hint="--max-per-org")
    if min_per_org > (max_per_org or slots):
        most = f"--max-per-org {max_per_org}" if max_per_org else f"the {slots} slots"
        raise click.BadParameter(f"{min_per_org} is more than {most}.", param_hint="--min-per-org")
    starts = _slot_starts(start, slots, slot_minutes)
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
            min_per_org=min_per_org,
            include_partners=include_partners,
            candidates=candidates,
            time_limit=time_limit,
            warn=lambda message: click.echo(f"Warning: {message}", err=True),
        )
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


def _finite(value: float, param) -> float:
    """``value``, where it is a number (``FloatRange`` lets NaN through)."""
    if value != value:
        raise click.BadParameter(f"{value} is not a number of seconds.", param=param)
    return value


def _slot_starts(start: str | None, slots: int, minutes: int) -> list[str]:
    """Each slot's start: from --start (a time today, or a date and time), else today at 09:00."""
    today = datetime.now().replace(second=0, microsecond=0)
    first = today.replace(hour=9, minute=0)
    if start:
        text = " ".join(start.replace("T", " ").split())
        for layout, on_day in (("%Y-%m-%d %H:%M", False), ("%H:%M", True)):
            try:
                parsed = datetime.strptime(text, layout)
            except ValueError:
                continue
            first = today.replace(hour=parsed.hour, minute=parsed.minute) if on_day else parsed
            break
        else:
            raise click.BadParameter(
                f"{start!r}: write a time, e.g. 09:00, or a date and time, e.g. '2026-05-20 09:00'.",
                param_hint="--start",
            )
    try:
        return slot_starts(first, slots, minutes)
    except MatcherError as exc:
        raise click.BadParameter(str(exc), param_hint="--start") from None
