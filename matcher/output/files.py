"""Write results to files, whole or not at all: every organisation's partners (CSV, JSON lines, Parquet)
and an event's agenda (CSV, JSON, printable HTML)."""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import NothingRanked
from ..paths import replacing, write_text_atomic
from .html import agenda_html, report_html
from .tables import AGENDA_COLUMNS, AGENDA_HEADERS, PARTICIPANT_COLUMNS, agenda_cells, agenda_rows, by_participant
from .text import reason_line

BATCH_COLUMNS = ("org", "rank", "partner", "score", "forward", "backward")


_CSV_SPECIAL = re.compile('[,"\r\n]')


def _csv_field(text: str) -> str:
    """``text`` as the csv module's default dialect writes it: quoted where it holds a comma, a quote or a
    line break, with its quotes doubled."""
    if _CSV_SPECIAL.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_lines(p, names: Sequence[str]) -> str:
    """One organisation's rows (``batch.Partners``) as CSV lines, ``names`` already quoted.

    ``_json_lines`` is its twin on purpose: one function with a row template per format (``str.format``)
    wrote a million rows 10-40% slower than these f-strings. They write the rows of small sets, and of every
    set where pyarrow is not installed; ``_CSV_PIECES`` and ``_JSON_PIECES`` are the same layouts for
    ``_arrow_block``, and a test holds both writers to the csv and json modules' bytes."""
    org = names[p.org]
    forward = map(repr, p.forward.tolist()) if p.forward is not None else itertools.repeat("")
    backward = ("" if b != b else repr(b) for b in p.backward.tolist())  # NaN: the partner lists no needs
    rows = zip(p.rows.tolist(), p.score.tolist(), forward, backward)
    return "".join(f"{org},{r},{names[b]},{s!r},{f},{bk}\r\n" for r, (b, s, f, bk) in enumerate(rows, 1))


def _json_lines(p, names: Sequence[str]) -> str:
    """One organisation's rows as JSON lines, ``names`` already JSON-encoded; a missing side is null."""
    org = names[p.org]
    forward = map(repr, p.forward.tolist()) if p.forward is not None else itertools.repeat("null")
    backward = ("null" if b != b else repr(b) for b in p.backward.tolist())
    rows = zip(p.rows.tolist(), p.score.tolist(), forward, backward)
    return "".join(
        f'{{"org": {org}, "rank": {r}, "partner": {names[b]}, "score": {s!r}, "forward": {f}, "backward": {bk}}}\n'
        for r, (b, s, f, bk) in enumerate(rows, 1)
    )


def _batch_columns(partners) -> tuple:
    """The rows of ``partners`` (``batch.Partners``) as arrays in BATCH_COLUMNS order, organisations and
    partners by row number (NaN where a side is missing)."""
    counts = np.array([len(p.rows) for p in partners], dtype=np.int64)
    org = np.repeat(np.array([p.org for p in partners], dtype=np.int64), counts)
    rank = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts) + 1

    def column(values, dtype) -> np.ndarray:
        return np.concatenate(list(values)).astype(dtype) if partners else np.zeros(0, dtype)

    forward = (p.forward if p.forward is not None else np.full(len(p.rows), np.nan) for p in partners)
    return (
        org,
        rank,
        column((p.rows for p in partners), np.int64),
        column((p.score for p in partners), float),
        column(forward, float),
        column((p.backward for p in partners), float),
    )


def _batch_frame(partners, names: Sequence[str]):
    """Every organisation's rows as one DataFrame in BATCH_COLUMNS order (NaN where a side is missing)."""
    import pandas as pd

    org, rank, partner, *values = _batch_columns(list(partners))
    label = np.asarray(list(names), dtype=object)
    return pd.DataFrame(dict(zip(BATCH_COLUMNS, [label[org], rank, label[partner], *values])))


def _pyarrow():
    """``(pyarrow, pyarrow.compute)`` to write batch rows with, or None where pyarrow is not installed or
    its version writes floats otherwise than ``repr`` (checked on a few values, see ``_float_texts``)."""
    try:
        import pyarrow
        import pyarrow.compute
    except ImportError:
        return None
    probe = np.array([0.1, 1 / 3, 0.5, 2 / 3, 0.123456789012345, 1e-4, 0.999999999999])
    if pyarrow.compute.cast(pyarrow.array(probe), pyarrow.string()).to_pylist() != list(map(repr, probe.tolist())):
        return None
    return pyarrow, pyarrow.compute


BLOCK_ORGS = 2048
"""Organisations whose rows ``write_batch`` formats at a time."""
ARROW_MIN = 20_000
"""Organisations from which ``write_batch`` formats rows with pyarrow: importing it (and pandas, which it
loads) takes about 0.4 s, more than Python takes to format the rows of a smaller set."""


def _float_texts(x, missing: str, pa, pc):
    """``repr`` of each float of ``x`` as an Arrow string array, ``missing`` for NaN.

    Arrow's text of a float is its shortest round-trip form, as ``repr``'s; the two differ only in when
    they use an exponent (``1e-05`` against ``0.00001``) and in integral values (``1.0`` against ``1``).
    From 1e-4 up to 1 (scores' range) they agreed on 40 million random floats, and a test checks a
    spread of them; every other value, rare in a batch but for 0, goes through ``repr`` itself."""
    text = pc.cast(pa.array(x), pa.string())
    odd = ~((x >= 1e-4) & (x < 1.0))  # NaN included
    if odd.any():
        fixed = [missing if v != v else repr(v) for v in x[odd].tolist()]
        text = pc.replace_with_mask(text, pa.array(odd), pa.array(fixed, pa.string()))
    return text


def _arrow_block(partners, names, missing: str, pieces, arrow) -> bytes:
    """Rows of ``partners`` as text, assembled by Arrow: ``names`` (an Arrow array) already quoted or
    JSON-encoded, each row the values of BATCH_COLUMNS between the ``pieces`` of text around them."""
    pa, pc = arrow
    org, rank, partner, score, forward, backward = _batch_columns(partners)
    if not len(org):
        return b""
    values = [
        names.take(pa.array(org)),
        pc.cast(pa.array(rank), pa.string()),
        names.take(pa.array(partner)),
        _float_texts(score, missing, pa, pc),
        _float_texts(forward, missing, pa, pc),
        _float_texts(backward, missing, pa, pc),
    ]
    args = [pa.scalar(pieces[0])]
    for value, piece in zip(values, pieces[1:]):
        args += [value, pa.scalar(piece)]
    lines = pc.binary_join_element_wise(*args, "")
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32, count=len(lines) + 1, offset=4 * lines.offset)
    return memoryview(lines.buffers()[2])[offsets[0] : offsets[-1]].tobytes()


_CSV_PIECES = ("", ",", ",", ",", ",", ",", "\r\n")
_JSON_PIECES = ('{"org": ', ', "rank": ', ', "partner": ', ', "score": ', ', "forward": ', ', "backward": ', "}\n")


def write_batch(partners, names: Sequence[str], path, fmt: str, *, empty_ok: bool = True) -> int:
    """Write every organisation's top partners (``batch.Partners``, one per organisation) to ``path`` in
    ``fmt`` ("csv", "jsonl" or "parquet"), one row per (organisation, partner) in BATCH_COLUMNS order;
    ``names`` are the organisations' names, by row.

    The file is written under a temporary name and renamed into place when complete: an error or Ctrl-C
    while writing leaves no file at ``path`` (and removes the temporary file). Returns the number of rows.
    Without ``empty_ok``, no row at all raises ``NothingRanked`` and leaves ``path`` as it was. The file
    gets the permissions of the umask, like any file the user creates.
    """
    n = 0
    with replacing(path) as tmp:
        if fmt == "parquet":
            frame = _batch_frame(partners, names)
            n = len(frame)
            frame.to_parquet(tmp, index=False)
        else:
            with open(tmp, "wb") as f:
                for text, rows in _text_blocks(partners, names, fmt):
                    f.write(text)
                    n += rows
        if n == 0 and not empty_ok:
            raise NothingRanked(f"No organisation could be ranked, so {path} was not written.")
    return n


def _text_blocks(partners, names: Sequence[str], fmt: str):
    """``(bytes, rows)`` of the CSV (with its header) or JSON lines of ``partners``, ``BLOCK_ORGS``
    organisations at a time: assembled by Arrow for a large set where pyarrow is installed (about three
    times faster at a million rows), else by ``_csv_lines`` or ``_json_lines``, to the same bytes."""
    # names are quoted once, not once per row: at 100,000 organisations that is a million rows
    if fmt == "csv":
        lines, encoded, missing, pieces = _csv_lines, [_csv_field(x) for x in names], "", _CSV_PIECES
        yield (",".join(BATCH_COLUMNS) + "\r\n").encode("utf-8"), 0
    else:
        encoded = [json.dumps(x, ensure_ascii=False) for x in names]
        lines, missing, pieces = _json_lines, "null", _JSON_PIECES
    arrow = _pyarrow() if len(names) >= ARROW_MIN else None
    encoded_array = arrow[0].array(encoded, arrow[0].string()) if arrow else None
    partners = iter(partners)
    while block := list(itertools.islice(partners, BLOCK_ORGS)):
        rows = sum(len(p.rows) for p in block)
        if arrow:
            yield _arrow_block(block, encoded_array, missing, pieces, arrow), rows
        else:
            yield "".join(lines(p, encoded) for p in block).encode("utf-8"), rows


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
        writer.writerows(agenda_cells(rows))
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
