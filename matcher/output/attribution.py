"""Evidence in words: whose remark a quote is, about what, and where it was published.

One place for the text renderers and the HTML templates (``html.environment``) alike, so that a statement resting on
somebody else's remark reads "reported by NAME, about X" everywhere and never as the organisation's own
offer or need, and a quote that is not in its article is never shown.
"""

from __future__ import annotations

import datetime as dt

from ..explanations.directions import Evidence


def published(date: str | None) -> str | None:
    """``2018-09-15`` as ``15 Sep 2018`` (a date that is not ISO is shown as written)."""
    if not date:
        return None
    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        return date
    return f"{day.day} {day:%b %Y}"


def citation(ev: Evidence, *, title: bool = False, outlet: bool = True) -> str:
    """Where the quote was published: ``CGTN, 15 Sep 2018`` (``title``: the title first, in quotes); the
    title alone where outlet and date are unknown, and the file name only where nothing else is known."""
    parts = [p for p in (ev.outlet if outlet else None, published(ev.date)) if p]
    if ev.title and (title or not parts):
        parts.insert(0, f"“{ev.title}”")
    return ", ".join(parts) or ev.article


def credit(ev: Evidence) -> str | None:
    """Whose words a quote is, where not the organisation's own: ``reported by Hunter Zhang (vice president,
    Ehang), about Russia``; None for the organisation's own words or the article's report of what it does."""
    if ev.own:
        return None
    who = ev.speaker or ev.outlet or "the article"
    return f"reported by {who}" + (f", about {ev.about}" if ev.about else "")


def attribution(ev: Evidence) -> str:
    """Credit and citation in one: ``reported by Hunter Zhang (vice president, Ehang), about Russia — CGTN,
    15 Sep 2018``, or for the organisation's own words just ``CGTN, 15 Sep 2018`` (an outlet credited as the
    reporter is not named twice)."""
    named = credit(ev)
    return " — ".join(p for p in (named, citation(ev, outlet=not named or ev.speaker is not None)) if p)


def unshown(ev: Evidence | None) -> str | None:
    """Why a statement's quote is not shown, where it is not in its article (None where it may be shown)."""
    if ev is None or ev.in_article is not False:
        return None
    return f"its quote is not in {ev.article}, so it is not shown (run matcher validate)"


def claim(org: str | None, verb: str, ev: Evidence | None) -> str:
    """How to introduce a statement of ``org``: ``Ehang offers`` for its own words (``verb``: offers, needs),
    ``Russian Academy of Sciences, reported by Hunter Zhang (vice president, Ehang), about Russia:`` where the
    statement rests on somebody else's remark (credited even where its quote is not shown: who said it is the
    profile's word, not the article's). Without ``org``: ``offers``, or ``reported by ...:``."""
    who = credit(ev) if ev is not None else None
    if who:
        return f"{org}, {who}:" if org else f"{who}:"
    return f"{org} {verb}" if org else verb


def evidence_line(label: str, ev: Evidence, quote: str | None = None) -> str:
    """One line of evidence for the text renderers: ``offer, reported by ..., about Russia: “...” — CGTN, 15
    Sep 2018``; ``quote`` is the text to show (e.g. cut around the matched terms), the whole quote by default."""
    flag = unshown(ev)
    if flag:
        return f"{label}: {flag}"
    who = credit(ev)
    where = citation(ev, outlet=not who or ev.speaker is not None)
    return f"{label}, {who or 'as reported'}: “{ev.quote if quote is None else quote}” — {where}"
