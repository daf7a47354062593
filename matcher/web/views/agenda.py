"""An event's agenda in the browser (``/agenda``): ``matcher schedule``'s options in a form, the plan on the
page, and the agenda to download as CSV, JSON or printable HTML (``format=``), through the same library call
(``workspace.plan_event``) and file writer (``output.files.write_agenda``) as the command: the page shows
the meetings of the JSON agenda, column for column."""

from __future__ import annotations

import json
import tempfile
from datetime import datetime
from pathlib import Path

from flask import Flask, abort, request

from ...errors import MatcherError
from ...office.agenda import slot_start
from ...output.files import write_agenda
from ...workspace import plan_event
from ..common import download, int_arg, page, workspace

DOWNLOADS = {"csv": "text/csv", "json": "application/json", "html": "text/html"}
MAX_SECONDS = 60
"""The longest the solver may take for a page (the command's default is 60 s too)."""


def register(app: Flask) -> None:
    app.add_url_rule("/agenda", "agenda", agenda_page)


def _options() -> dict:
    """The form's options, checked (a bad one is a 400 naming it), with the command's defaults."""
    args = request.args
    start = (args.get("start") or "").strip().replace("T", " ")
    try:
        first = datetime.strptime(start, "%Y-%m-%d %H:%M") if start else None
    except ValueError:
        abort(400, f"start: {start!r} is not a time: write it as YYYY-MM-DD HH:MM, e.g. 2026-05-12 09:00.")
    by = args.get("by", "slot")
    if by not in ("slot", "participant"):
        abort(400, f"by: {by!r}: use slot or participant.")
    return {
        "slots": int_arg("slots", 6, hi=200),
        "tables": int_arg("tables", 4, hi=1000),
        "max_per_org": int_arg("max_per_org", 0, lo=0, hi=200) or None,
        "candidates": int_arg("candidates", 10, hi=100),
        "time_limit": int_arg("time_limit", 10, hi=MAX_SECONDS),
        "slot_minutes": int_arg("slot_minutes", 20, hi=24 * 60),
        "first": first or datetime.now().replace(hour=9, minute=0, second=0, microsecond=0),
        "by": by,
        "participants": (args.get("participants") or "").strip(),
        "requests": (args.get("requests") or "").strip(),
    }


def _file(folder: Path, name: str, text: str) -> Path | None:
    """A form's list as the file ``plan_event`` reads (None where the list is empty)."""
    if not text:
        return None
    path = folder / name
    path.write_text(text + "\n", encoding="utf-8")
    return path


def _start(o: dict, slot: int) -> str:
    return slot_start(o["first"], slot, o["slot_minutes"]).strftime("%Y-%m-%d %H:%M")


def agenda_page():
    if not request.args.get("slots"):
        return page("event.html", event=None, agenda=None, o=_options(), warnings=[], query={})
    o, fmt = _options(), request.args.get("format", "")
    if fmt and fmt not in DOWNLOADS:
        abort(400, f"format={fmt!r}: use one of {', '.join(DOWNLOADS)}.")
    ws, warnings = workspace(), []
    with tempfile.TemporaryDirectory(prefix="matcher-agenda-") as tmp:
        folder = Path(tmp)
        files = {"participants": _file(folder, "participants", o["participants"])}
        files["requests"] = _file(folder, "requests", o["requests"])
        try:
            event = plan_event(
                ws,
                slots=o["slots"],
                tables=o["tables"],
                max_per_org=o["max_per_org"],
                candidates=o["candidates"],
                time_limit=o["time_limit"],
                warn=warnings.append,
                **files,
            )
        except MatcherError as exc:
            abort(400, str(exc).replace(f"{folder}/", "the list of "))
        starts = [_start(o, s) for s in range(1, o["slots"] + 1)]
        path = folder / f"agenda.{fmt or 'json'}"  # the page shows what the JSON agenda holds
        write_agenda(path, event, starts, minutes=o["slot_minutes"], by=o["by"])
        text = path.read_text(encoding="utf-8")
    if fmt:
        return download(text, f"agenda.{fmt}", DOWNLOADS[fmt])
    agenda = json.loads(text)
    query = {k: v for k, v in request.args.items() if k != "format"}
    return page("event.html", event=event, agenda=agenda, o=o, warnings=warnings, query=query)
