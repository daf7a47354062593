"""Write results to files, whole or not at all: every organisation's partners (CSV, JSON lines, Parquet)
and an event's agenda (CSV, JSON, printable HTML)."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from pathlib import Path

from ..errors import NothingRanked
from ..paths import replacing, write_text_atomic
from ..text.cells import escape_cell, escape_row
from .html import agenda_html, report_html
from .tables import AGENDA_COLUMNS, AGENDA_HEADERS, PARTICIPANT_COLUMNS, agenda_cells, agenda_rows, by_participant
from .text import reason_line

BATCH_COLUMNS = ("org", "rank", "partner", "score", "strength", "relation", "reason")
"""A row of ``matcher batch``: what ``match`` lists, with its rank in the full list, the score to 4 decimals,
the strength, the relation ("already partners", ...) and the reason to meet."""


def batch_rows(partners, names: Sequence[str]):
    """The rows of ``partners`` (``batch.Partners``) as tuples in BATCH_COLUMNS order."""
    for p in partners:
        n = len(p.rows)
        rank = p.rank.tolist() if p.rank is not None else range(1, n + 1)
        strength = p.strength if p.strength is not None else [""] * n
        relation = p.relation if p.relation is not None else [""] * n
        reason = p.reason if p.reason is not None else [""] * n
        org = names[p.org]
        for r, b, s, st, rel, why in zip(rank, p.rows.tolist(), p.score.tolist(), strength, relation, reason):
            yield org, r, names[b], round(s, 4), st, rel, why


def write_batch(partners, names: Sequence[str], path, fmt: str, *, empty_ok: bool = True) -> int:
    """Write every organisation's partners (``batch.Partners``, one per organisation) to ``path`` in ``fmt``
    ("csv", "jsonl" or "parquet"), one row per (organisation, partner) in BATCH_COLUMNS order; ``names`` are
    the organisations' names, by row. Text cells that a spreadsheet would read as a formula are escaped.

    The file is written under a temporary name and renamed into place when complete: an error or Ctrl-C
    while writing leaves no file at ``path`` (and removes the temporary file). Returns the number of rows.
    Without ``empty_ok``, no row at all raises ``NothingRanked`` and leaves ``path`` as it was. The file
    gets the permissions of the umask, like any file the user creates.
    """
    n = 0
    with replacing(path) as tmp:
        rows = batch_rows(partners, names)
        if fmt == "parquet":
            import pandas as pd

            frame = pd.DataFrame(list(rows), columns=list(BATCH_COLUMNS))
            n = len(frame)
            frame.to_parquet(tmp, index=False)
        else:
            with open(tmp, "w", encoding="utf-8", newline="") as f:
                n = _write_rows(f, rows, fmt)
        if n == 0 and not empty_ok:
            raise NothingRanked(f"No organisation could be ranked, so {path} was not written.")
    return n


def _write_rows(f, rows, fmt: str) -> int:
    """CSV (with its header) or JSON lines of ``rows`` to the open file ``f``; the number of rows."""
    n = 0
    if fmt == "csv":
        writer = csv.writer(f)
        writer.writerow(BATCH_COLUMNS)
        for row in rows:
            writer.writerow([escape_cell(v) for v in row])
            n += 1
        return n
    for row in rows:
        f.write(json.dumps(dict(zip(BATCH_COLUMNS, row)), ensure_ascii=False) + "\n")
        n += 1
    return n


AGENDA_FORMATS = {".csv": "csv", ".json": "json", ".html": "html", ".htm": "html"}
"""The agenda's format, by the file's suffix."""


def write_agenda(path, event, starts: Sequence[str], *, minutes: int, by: str = "slot") -> None:
    """Write a planned event (``office.event.EventPlan``) to ``path``, whole or not at all: CSV, JSON or
    printable HTML by its suffix (``AGENDA_FORMATS``).

    ``starts`` are the slots' start times as text (``office.agenda.slot_starts``), ``minutes`` a slot's
    length. With ``by="slot"`` a row per meeting, by slot and table (``tables.AGENDA_COLUMNS``); with
    ``by="participant"`` each participant's own day, every slot listed, "free" where they have no meeting
    (``tables.PARTICIPANT_COLUMNS``). CSV and HTML name the columns for people (Organisation, Meets, Why)
    and give scores to 3 decimals; JSON keeps the keys and full scores, with each level's figure and bound.
    """
    if by not in ("slot", "participant"):
        raise ValueError(f"by={by!r}: an agenda is written by slot or by participant")
    plan = event.plan
    reasons = {pair: reason_line(m) for pair, m in event.explanations.items()}
    rows = agenda_rows(plan, event.names, starts, reasons)
    columns = AGENDA_COLUMNS
    if by == "participant":
        rows, columns = by_participant(rows, event.participants, starts), PARTICIPANT_COLUMNS
    fmt = AGENDA_FORMATS[Path(path).suffix.lower()]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=[AGENDA_HEADERS[c] for c in columns])
        writer.writeheader()
        writer.writerows(escape_row(row) for row in agenda_cells(rows))
        text = buffer.getvalue()
    elif fmt == "json":
        text = json.dumps(_agenda_summary(event) | {"meetings": rows}, indent=2, ensure_ascii=False) + "\n"
    else:
        text = agenda_html(event, agenda_cells(rows), minutes=minutes, by=by)
    write_text_atomic(path, text)


def _agenda_summary(event) -> dict:
    """An event's figures for its JSON agenda: the size, each level's figure and bound, the old totals."""
    plan = event.plan
    levels = [{"level": lv.name, "value": lv.value, "bound": lv.bound, "of": lv.of} for lv in plan.levels]
    return {
        "slots": event.slots,
        "tables": event.tables,
        "partners_included": event.include_partners,
        "levels": levels,
        "score": plan.score,
        "bound": plan.bound if math.isfinite(plan.bound) else None,
        "gap": plan.gap,
        "idle_gaps": event.idle,
        "fillers": plan.fillers,
        "requests_met": plan.requests_met,
        "requests": plan.requests,
    }


def write_report(path, result, *, filters: str = "") -> None:
    """A ``MatchList`` as one self-contained HTML file (``html.report_html``), written whole or not at all."""
    write_text_atomic(path, report_html(result, filters=filters))
