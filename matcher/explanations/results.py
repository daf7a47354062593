"""Results as data: a match and its explanation, a ranked list, a profile as the matcher reads it.

Renderers (``output/``) turn them into text, JSON or HTML; nothing here is formatted for a reader.
"""

from __future__ import annotations

from dataclasses import dataclass

from .directions import Evidence, Explanation


@dataclass(frozen=True)
class Match:
    """One recommended partner."""

    rank: int
    name: str
    country: str
    kind: str
    score: float
    forward: float | None  # how well it offers what the organisation needs (None: nothing needed)
    backward: float | None  # how well the organisation offers what it needs (None: it lists no needs)
    explanation: Explanation
    strength: str = ""  # strong | moderate | weak (``strength.py``); "" for need queries
    relation: str | None = None  # "partner": they already work together (listed partners, past joint work)
    stage: str | None = None  # the pair's current stage in the ledger ("met"), if it has one
    stage_date: str | None = None  # when it reached it (YYYY-MM-DD)
    relation_note: str | None = None  # in a store, the past joint work: "36 joint grants, latest 2023"
    closest: str | None = None  # in a store, the candidate's project closest to the need
    closest_cosine: float = 0.0  # and that project's cosine with it (the strength label's measure)


@dataclass(frozen=True)
class MatchList:
    """The ranked partners of one organisation (or of a need)."""

    org: str
    country: str
    kind: str
    candidates: int  # organisations that passed the filters
    matches: list[Match]
    need: str | None = None  # the need text, for a need query
    weak_left_out: int = 0  # weak matches among the top that were not listed (``include_weak=False``)
    declined_left_out: int = 0  # candidates left out because the ledger says declined or not relevant
    needs_from: tuple[str, ...] = ()  # the records that stood for the needs of an organisation listing none


@dataclass(frozen=True)
class Statement:
    """A capability or need as the matcher reads it: its terms and the quote that backs it."""

    text: str
    terms: list[str]
    evidence: Evidence | None


@dataclass(frozen=True)
class ProfileView:
    """A profile as the matcher sees it."""

    name: str
    aliases: list[str]
    country: str
    city: str | None
    kind: str
    sectors: list[str]
    summary: str | None
    capabilities: list[Statement]
    needs: list[Statement]
    partners: list[str]
    sources: list[Evidence]
    path: str | None
