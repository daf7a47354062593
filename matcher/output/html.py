"""Render results as HTML with Jinja2 (autoescaping on): the self-contained report and the desk's pages."""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from .. import __version__
from ..text.layout import count
from .attribution import citation, claim, credit, unshown

HERE = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def environment():
    """The Jinja2 environment of matcher's templates; every value is HTML-escaped unless marked safe."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["pct"] = lambda x: f"{x:.0%}"
    env.globals["count"] = count  # "1 candidate", "2 candidates"
    env.globals.update(claim=claim, credit=credit, citation=citation, unshown=unshown)  # whose words (attribution)
    return env


def stylesheet() -> str:
    return (HERE / "static" / "style.css").read_text(encoding="utf-8")


def render(template: str, **values) -> str:
    return environment().get_template(template).render(**values)


def report_html(result, *, filters: str = "", made: str | None = None) -> str:
    """A ``MatchList`` as one self-contained HTML page: CSS inline, no script, nothing fetched."""
    made = made or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return render("report.html", result=result, filters=filters, made=made, css=stylesheet(), version=__version__)


def agenda_html(event, rows: list[dict], *, minutes: int, by: str = "slot") -> str:
    """A planned event's agenda as one printable page: each level's figure and bound, then its ``rows``
    (``tables.agenda_cells``: headers for people) grouped by slot, or by participant (their own day)."""
    from .text import UNMET, level_figures

    key = "Organisation" if by == "participant" else "Start"
    groups: dict = {}
    for r in rows:
        title = r[key] if by == "participant" else f"Slot {r['Slot']}, {r['Start']}"
        groups.setdefault(title, []).append(r)
    hidden = {key, "Slot"} if by == "slot" else {key}
    columns = [c for c in (rows[0] if rows else {}) if c not in hidden]
    return render(
        "agenda.html",
        css=stylesheet(),
        plan=event.plan,
        figures=level_figures(event),
        unmet=[(name, UNMET[why]) for name, why in event.unmet()],
        partners=event.include_partners,
        slots=event.slots,
        tables=event.tables,
        minutes=minutes,
        groups=list(groups.items()),
        columns=columns,
    )


def query_note(countries, exclude_countries, kinds, min_score: float, new_only: bool, show_all: bool) -> str:
    """The filters of a report's query, in words, for its header ("country RU,CN, new partners only")."""
    shown = [
        f"country {','.join(countries)}" if countries else "",
        f"not {','.join(exclude_countries)}" if exclude_countries else "",
        f"kind {','.join(kinds)}" if kinds else "",
        f"score ≥ {min_score}" if min_score else "",
        "new partners only" if new_only else "",
        "weak matches too" if show_all else "",
    ]
    return ", ".join(x for x in shown if x)
