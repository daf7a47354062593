"""An event's files: who takes part (``--participants``) and which meetings were asked for (``--requests``).

Both are small text files a person writes or exports. They are read in bounded memory (at most
``MAX_FILE_BYTES``), and anything else — a binary file, a huge one, a stray column, a bad number — stops
with one line naming the file, the line where there is one, and what to write instead.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable

from ..errors import MatcherError
from .agenda import MAX_PARTICIPANTS, AgendaError, Participant

MAX_FILE_BYTES = 1024 * 1024
"""The largest participants or requests file read: 1,500 names with their slots take a tenth of it."""
PARTICIPANT_COLUMNS = ("name", "unavailable", "cap")
REQUEST_COLUMNS = ("org_a", "org_b", "priority")
PARTICIPANTS_FIX = "list one name a line, or write a CSV with the columns name,unavailable,cap"
REQUESTS_FIX = "write a CSV with the columns org_a,org_b and optionally priority"


def read_small_text(path, fix: str) -> str:
    """The text of a small UTF-8 file; an AgendaError naming the file and ``fix`` where it is not one."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise AgendaError(f"{path}: cannot be read ({exc.strerror or exc}).") from None
    if len(data) > MAX_FILE_BYTES:
        raise AgendaError(f"{path} is larger than {MAX_FILE_BYTES // 1024 // 1024} MiB, too large to be a list: {fix}.")
    if b"\0" in data:
        raise AgendaError(f"{path} is not a text file: {fix}.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise AgendaError(f"{path}:{line}: not UTF-8 text: save it as UTF-8 ({fix}).") from None


def _rows(path, lines: list[str], columns: tuple[str, ...], fix: str) -> list[tuple[int, dict]]:
    """(line number, row) of a CSV whose header is its first line; unknown or missing columns stopped."""
    try:
        reader = csv.DictReader(lines)
        header = [(h or "").strip().lower() for h in reader.fieldnames or []]
        unknown = [h for h in header if h not in columns]
        if unknown:
            raise AgendaError(f"{path}:1: unknown column {unknown[0]!r}: {fix}.")
        reader.fieldnames = header
        rows = []
        for row in reader:
            if None in row:
                raise AgendaError(f"{path}:{reader.line_num}: more fields than columns: {fix}.")
            rows.append((reader.line_num, row))
        return rows
    except csv.Error as exc:
        raise AgendaError(f"{path}: not a CSV it can read ({exc}): {fix}.") from None


def _found(find: Callable[[str], str], name: str, path, line: int) -> str:
    if not name:
        raise AgendaError(f"{path}:{line}: no organisation named on this line.")
    try:
        return find(name)
    except MatcherError as exc:
        raise AgendaError(f"{path}:{line}: {exc}") from None


def read_participants(path, find, slots: int | None = None) -> list[Participant]:
    """Participants from a file: one name a line, or a CSV (its first line naming a column) with ``name`` and optional
    ``unavailable`` (slot numbers, separated by ';' or spaces; each from 1 to ``slots`` where given) and
    ``cap`` (meetings at most, 0 or more) columns. ``find(name)`` returns the profile's name or raises."""
    text = read_small_text(path, PARTICIPANTS_FIX)
    numbered = [(i, line) for i, line in enumerate(text.splitlines(), 1)]
    kept = [(i, line) for i, line in numbered if line.strip() and not line.lstrip().startswith("#")]
    out: list[Participant] = []
    if kept and {f.strip().lower() for f in kept[0][1].split(",")} & set(PARTICIPANT_COLUMNS):
        renumber = [i for i, _ in kept]
        for n, row in _rows(path, [line for _, line in kept], PARTICIPANT_COLUMNS, PARTICIPANTS_FIX):
            out.append(_participant(row, renumber[n - 1], path, find, slots))
    else:
        out = [Participant(_found(find, line.strip(), path, i)) for i, line in kept]
    if len(out) > MAX_PARTICIPANTS:
        raise AgendaError(
            f"{path}: {len(out):,} participants, more than an event's {MAX_PARTICIPANTS:,}: plan it as several events."
        )
    names = [p.name for p in out]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise AgendaError(f"{path}: {', '.join(twice)} listed twice: list each participant once.")
    return out


def _participant(row: dict, line: int, path, find, slots: int | None) -> Participant:
    name = _found(find, (row.get("name") or "").strip(), path, line)
    text = (row.get("unavailable") or "").replace(";", " ").split()
    try:
        unavailable = frozenset(int(s) for s in text)
        cap = int(row["cap"]) if (row.get("cap") or "").strip() else None
    except ValueError:
        raise AgendaError(f"{path}:{line}: unavailable takes slot numbers (e.g. 1;3) and cap a whole number.") from None
    outside = sorted(s for s in unavailable if s < 1 or (slots is not None and s > slots))
    if outside:
        which = f"1 to {slots}" if slots is not None else "numbered from 1"
        raise AgendaError(f"{path}:{line}: slot {outside[0]} is not one of the event's slots ({which}).")
    if cap is not None and cap < 0:
        raise AgendaError(f"{path}:{line}: cap is {cap}: write 0 or more meetings, or leave it empty.")
    return Participant(name, unavailable, cap)


def read_requests(path, find) -> list[tuple[str, str, float]]:
    """Requested meetings: a CSV with ``org_a,org_b`` and an optional ``priority`` (a number, 0 or more,
    higher first)."""
    lines = read_small_text(path, REQUESTS_FIX).splitlines()
    rows = _rows(path, lines, REQUEST_COLUMNS, REQUESTS_FIX)
    if lines and lines[0].strip() and not {"org_a", "org_b"} <= {h.strip().lower() for h in lines[0].split(",")}:
        raise AgendaError(f"{path}:1: the requests need the columns org_a,org_b: {REQUESTS_FIX}.")
    out = []
    for i, row in rows:
        a = _found(find, (row.get("org_a") or "").strip(), path, i)
        b = _found(find, (row.get("org_b") or "").strip(), path, i)
        if a == b:
            raise AgendaError(f"{path}:{i}: asks {a} to meet itself: name two organisations.")
        text = (row.get("priority") or "").strip()
        try:
            priority = float(text or 0)
        except ValueError:
            priority = math.nan
        if not (math.isfinite(priority) and priority >= 0):
            raise AgendaError(f"{path}:{i}: priority must be a number of 0 or more, not {text!r}.")
        out.append((a, b, priority))
    return out
