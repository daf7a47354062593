"""Render lists as tables: aligned text for a terminal (clipped to fit), CSV or JSON records (pandas)."""

from __future__ import annotations

import json

from ..text.cells import escape_cell
from ..text.layout import clip, display_width


def organisations_frame(profiles):
    """One row per organisation (name, country, kind, city, capabilities, needs, sectors), by name."""
    import pandas as pd

    rows = [
        {
            "name": p.name,
            "country": p.country,
            "kind": p.kind,
            "city": p.city or "",
            "capabilities": len(p.capabilities),
            "needs": len(p.needs),
            "sectors": ", ".join(p.sectors),
        }
        for p in profiles
    ]
    columns = ["name", "country", "kind", "city", "capabilities", "needs", "sectors"]
    return pd.DataFrame(rows, columns=columns).sort_values("name", key=lambda c: c.str.casefold(), ignore_index=True)


def _aligned(frame) -> str:
    """A DataFrame as text, its text columns left-aligned (pandas right-aligns them)."""
    import pandas as pd

    text_columns = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]

    def left(column):  # padded to the column's widest cell as a terminal shows it (Chinese characters take two)
        widest = max(display_width(str(v)) for v in frame[column]) if len(frame) else 0
        return lambda v: str(v) + " " * (widest - display_width(str(v)))

    formatters = {c: left(c) for c in text_columns}
    with pd.option_context("display.unicode.east_asian_width", True):
        return frame.to_string(index=False, formatters=formatters, justify="left")


SHRINK_ORDER = ("sectors", "city", "name")
"""Which text columns a table gives up room in first, to fit the terminal."""


def _fit(frame, width: int, render):
    """``frame`` with text columns clipped (``…``), in SHRINK_ORDER, until ``render(frame)`` fits ``width``;
    city, then sectors, left out where clipping is not enough."""
    frame = frame.copy()
    for column in SHRINK_ORDER:
        if column not in frame.columns:
            continue
        excess = max(map(len, render(frame).splitlines())) - width
        if excess <= 0:
            break
        longest = int(frame[column].astype(str).str.len().max())
        room = max(len(column) + 2, 12, longest - excess)
        frame[column] = frame[column].astype(str).map(lambda v, room=room: clip(v, room))
    for column in ("city", "sectors"):  # still too wide (a narrow terminal): leave these out
        if column in frame.columns and max(map(len, render(frame).splitlines())) > width:
            frame = frame.drop(columns=column)
    return frame


def _records(frame, fmt: str) -> str | None:
    """``frame`` as CSV or JSON records, or None for a table (which its caller lays out)."""
    if fmt == "csv":  # names and notes like =HYPERLINK(...) are text to a spreadsheet, not formulas (OWASP)
        import pandas as pd

        text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
        return frame.assign(**{c: frame[c].map(escape_cell) for c in text}).to_csv(index=False)
    if fmt == "json":
        return json.dumps(frame.to_dict(orient="records"), indent=2, ensure_ascii=False) + "\n"
    return None


def render_frame(frame, fmt: str, width: int | None = None) -> str:
    """A table as aligned text (its widest text columns clipped to fit ``width``), CSV or JSON records."""
    if fmt != "table":
        return _records(frame, fmt)
    if frame.empty:
        return "No organisations match.\n"

    render = _aligned
    frame = frame.rename(columns={"capabilities": "offers", "needs": "seeks"})  # narrower headers on a screen
    if width:
        frame = _fit(frame, width, render)
    return render(frame) + f"\n{len(frame)} organisation{'' if len(frame) == 1 else 's'}\n"


EVENT_COLUMNS = ("when", "org_a", "org_b", "stage", "reason", "note", "recorded_by", "recorded_at", "id")


def events_frame(events):
    """Ledger events (``ledger.Event``) as a DataFrame in EVENT_COLUMNS order, newest first as given."""
    import pandas as pd

    return pd.DataFrame([{c: getattr(e, c) for c in EVENT_COLUMNS} for e in events], columns=list(EVENT_COLUMNS))


def render_events(frame, fmt: str) -> str:
    """Events as an aligned table, CSV or JSON records."""
    if fmt != "table":
        return _records(frame, fmt)
    if frame.empty:
        return "No events.\n"
    shown = frame.drop(columns=["recorded_at", "id"]).fillna("")
    return _aligned(shown) + f"\n{len(frame)} event{'' if len(frame) == 1 else 's'}\n"


AGENDA_COLUMNS = ("slot", "start", "table", "organisation", "meets", "strength", "score", "why")
"""The agenda's columns by slot, as JSON keys; ``AGENDA_HEADERS`` names them for people (CSV, HTML)."""
PARTICIPANT_COLUMNS = ("organisation", "slot", "start", "table", "meets", "strength", "score", "why")
"""The columns of each participant's own day (``by_participant``)."""
AGENDA_HEADERS = {
    "slot": "Slot",
    "start": "Start",
    "table": "Table",
    "organisation": "Organisation",
    "meets": "Meets",
    "strength": "Strength",
    "score": "Score",
    "why": "Why",
}
FREE, AWAY = "free", "not attending"
"""What a participant's day says in a slot without a meeting: free, or a slot they said they cannot attend."""


def strength_label(m) -> str:
    """A meeting's strength as its agenda shows it: "strong", "moderate", "weak (filler)", with "requested"."""
    label = m.strength or ""
    if m.filler:
        label += " (filler)"
    if m.requested:
        label = f"{label}, requested" if label else "requested"
    return label


def agenda_rows(plan, names, starts, reasons) -> list[dict]:
    """The plan's meetings by slot and table (AGENDA_COLUMNS): ``names`` of the participants, ``starts``
    per slot, and ``reasons`` (the line on why each pair meets) keyed by the pair's indexes."""
    return [
        {
            "slot": m.slot,
            "start": starts[m.slot - 1],
            "table": m.table,
            "organisation": names[m.a],
            "meets": names[m.b],
            "strength": strength_label(m),
            "score": m.score,
            "why": reasons.get((m.a, m.b), ""),
        }
        for m in plan.meetings
    ]


def by_participant(rows: list[dict], participants, starts) -> list[dict]:
    """Each participant's own day (PARTICIPANT_COLUMNS), by name: a row for every slot, its meeting or
    ``FREE`` (``AWAY`` in a slot they cannot attend). ``participants`` are ``agenda.Participant`` records."""
    held: dict[tuple[str, int], dict] = {}
    for r in rows:
        for me, other in (("organisation", "meets"), ("meets", "organisation")):
            held[(r[me], r["slot"])] = {**r, "organisation": r[me], "meets": r[other]}
    out = []
    for p in sorted(participants, key=lambda p: p.name.casefold()):
        for slot, start in enumerate(starts, 1):
            empty = {"table": "", "meets": AWAY if slot in p.unavailable else FREE, "strength": "", "score": None}
            row = held.get((p.name, slot)) or {"slot": slot, "start": start, "why": "", **empty}
            out.append({c: (p.name if c == "organisation" else row[c]) for c in PARTICIPANT_COLUMNS})
    return out


def agenda_cells(rows: list[dict]) -> list[dict]:
    """Agenda rows as people read them: headers from AGENDA_HEADERS, scores to 3 decimals, blanks for none."""
    return [
        {AGENDA_HEADERS[k]: ("" if v is None else f"{v:.3f}" if k == "score" else v) for k, v in r.items()}
        for r in rows
    ]


MATCH_COLUMNS = ("rank", "name", "country", "kind", "score", "strength", "mutual", "stage", "stage_date", "why")


def matches_frame(result):
    """A match list (``MatchList``) as a DataFrame in MATCH_COLUMNS order: one row per partner, with the line
    on why they should meet (``text.reason_line``)."""
    import pandas as pd

    from .text import reason_line

    rows = [
        {
            "rank": m.rank,
            "name": m.name,
            "country": m.country,
            "kind": m.kind,
            "score": round(m.score, 6),
            "strength": m.strength,
            "mutual": "" if m.explanation.signals else ("yes" if m.explanation.mutual else "no"),
            "stage": m.stage or "",
            "stage_date": m.stage_date or "",
            "why": reason_line(m),
        }
        for m in result.matches
    ]
    return pd.DataFrame(rows, columns=list(MATCH_COLUMNS))


USER_COLUMNS = ("name", "role", "last_login_at", "failed_logins", "failed_total", "created_at")


def render_users(users, fmt: str) -> str:
    """The desk's accounts (``office.accounts.User``) as an aligned table, CSV or JSON records."""
    import pandas as pd

    frame = pd.DataFrame([{c: getattr(u, c) for c in USER_COLUMNS} for u in users], columns=list(USER_COLUMNS))
    if fmt != "table":
        return _records(frame, fmt)
    if frame.empty:
        return "No accounts.\n"
    shown = frame.fillna("").rename(columns={"last_login_at": "last login", "failed_logins": "failed in a row"})
    count = f"{len(frame)} account{'' if len(frame) == 1 else 's'}"
    return _aligned(shown.drop(columns=["created_at", "failed_total"])) + f"\n{count}\n"
