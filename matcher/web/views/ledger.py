"""The ledger in the browser: a decision on a pair (``POST /decide``), the events (``/history``, also as CSV)
and the funnel (``/funnel``). Every event is recorded under the logged-in account's name."""

from __future__ import annotations

from flask import Flask, abort, flash, redirect, request, url_for

from ...office.ledger import STAGES, reason_for
from ...output.tables import events_frame, render_events
from .. import auth
from ..common import PER_PAGE, download, find, int_arg, library, page, workspace


def register(app: Flask) -> None:
    app.add_url_rule("/decide", "decide", decide, methods=["POST"])
    app.add_url_rule("/history", "history", history_page)
    app.add_url_rule("/funnel", "funnel", funnel_page)


@auth.requires("editor")
def decide():
    form = request.form
    ws = workspace()
    a, b = find(ws, form.get("a", "")), find(ws, form.get("b", ""))
    stage = form.get("stage", "")
    if stage not in STAGES:
        abort(400, f"stage: {stage!r} is not a stage; use one of {', '.join(STAGES)}.")
    reason = reason_for(stage, form.get("reason") or None)
    note = (form.get("note") or "").strip() or None
    when = (form.get("when") or "").strip() or None
    event = library(ws.record, a, b, stage, reason=reason, note=note, when=when, by=auth.user().name)
    flash(f"Recorded {a} – {b}: {stage}" + (f" ({reason})" if reason else "") + f" on {event.when}.")
    if form.get("back") == "pair":
        return redirect(url_for("pair", a=a, b=b), code=303)
    return redirect(url_for("organisation", name=a), code=303)


def history_page():
    ws = workspace()
    org, since = request.args.get("org", "").strip(), request.args.get("since", "").strip() or None
    names = [find(ws, org)] if org else []
    events = library(ws.history, *names, since=since) or []
    if request.args.get("format") == "csv":
        return download(render_events(events_frame(events), "csv"), "ledger events.csv", "text/csv")
    number = int_arg("page", 1)
    shown = events[(number - 1) * PER_PAGE : number * PER_PAGE]
    pages = max(1, -(-len(events) // PER_PAGE))
    return page(
        "history.html",
        events=shown,
        total=len(events),
        org=names[0] if names else "",
        since=since or "",
        number=number,
        pages=pages,
    )


def funnel_page():
    ws = workspace()
    org = request.args.get("org", "").strip()
    name = find(ws, org) if org else None
    result = library(ws.funnel, name, request.args.get("since", "").strip() or None)
    return page("funnel.html", funnel=result, org=name or "")
