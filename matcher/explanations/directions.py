"""Explain a match: which need met which capability, through which terms, backed by which quote.

Every number here is a part of a score, never a separate estimate: the term contributions of a
statement pair add up to the pair's contribution, and the pairs of a direction add up to that direction's
score (``Index`` builds organisation vectors so that this holds exactly).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from ..index.model import Index
from ..index.vectors import CAPABILITY, NEED
from ..profiles.articles import articles_in, seeds_of
from ..profiles.model import Source
from ..text.background import generic as background_generic


@dataclass(frozen=True)
class TermShare:
    """One term's part of a score."""

    term: str
    contribution: float
    share: float  # fraction of the enclosing score (pair or direction)
    generic: bool = False  # common in general text ("built", "industry"): says little about a fit


@dataclass(frozen=True)
class Evidence:
    """The verbatim quote from a seed article that backs a statement: whose words, about what, and where
    they were published. ``own`` is False where the statement rests on somebody else's remark (a speaker
    from elsewhere, or a remark about something other than the organisation): renderers then say "reported
    by ..., about ..." (``output/attribution.py``), never that the organisation offers or needs it."""

    article: str  # the article's file name in the seeds folder: the link target, not for display
    quote: str
    speaker: str | None = None  # who said it, where the profile names someone else
    about: str | None = None  # what the remark is about, where not the organisation itself ("Russia")
    title: str | None = None
    outlet: str | None = None
    date: str | None = None  # YYYY-MM-DD, as published
    url: str | None = None
    in_article: bool | None = None  # False: the quote is not in its article, so never show it; None: not checked

    @property
    def own(self) -> bool:
        """The organisation's own words, or the article's report of what it does."""
        return self.speaker is None and self.about is None


@dataclass(frozen=True)
class StatementMatch:
    """One need statement met by one capability statement."""

    need: str
    capability: str
    contribution: float
    share: float  # fraction of the direction's score
    terms: list[TermShare]
    need_evidence: Evidence | None = None
    capability_evidence: Evidence | None = None


@dataclass(frozen=True)
class SemanticPair:
    """One need and the capability closest to it in meaning (the multilingual signal), in their languages."""

    need: str
    capability: str
    need_language: str
    capability_language: str
    similarity: float  # in [0, 1]: how far the capability stands out for this need (``semantic.py``)
    contribution: float  # its part of the direction's score
    share: float  # fraction of the direction's score
    percentile: float = 0.0  # share of the folder's need ↔ capability pairs that are less alike
    close: bool = False  # above the need's noise level: specific evidence (``strength.py``)
    need_evidence: Evidence | None = None
    capability_evidence: Evidence | None = None


@dataclass(frozen=True)
class Direction:
    """How well ``provider`` offers what ``seeker`` needs."""

    seeker: str
    provider: str
    defined: bool  # False when the seeker lists no needs: the direction then plays no part
    score: float  # shared terms' part plus, with the multilingual signal, the meaning part
    weight: float  # the direction's weight in the final score
    share: float  # fraction of the final score that comes from this direction
    pairs: list[StatementMatch]  # shared terms; shares are of the whole direction's score
    terms: list[TermShare]
    semantic: float = 0.0  # the meaning part of ``score`` (0 without the multilingual signal)
    semantic_pairs: list[SemanticPair] = field(default_factory=list)  # adding up to ``semantic``


@dataclass(frozen=True)
class SignalShare:
    """One signal's part of a need query's score: its value for the candidate, weight and share."""

    signal: str
    label: str
    value: float
    weight: float
    contribution: float
    share: float
    detail: str | None = None  # e.g. which past partners
    terms: list[TermShare] = field(default_factory=list)  # for text signals: parts adding up to contribution


@dataclass(frozen=True)
class Explanation:
    """Both directions of a match (and, for a need query, the part of each signal)."""

    forward: Direction  # the candidate offers what the organisation needs
    backward: Direction  # the organisation offers what the candidate needs
    mutual: bool  # both directions contribute
    signals: list[SignalShare] = field(default_factory=list)


def term_shares(parts: dict[str, float], total: float, generic: frozenset[str] = frozenset()) -> list[TermShare]:
    """Terms with their contributions as shares of ``total``, largest first; ``generic`` are marked."""
    items = sorted(parts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [TermShare(t, float(c), float(c / total) if total > 0 else 0.0, t in generic) for t, c in items]


def cite(source: Source, profile_path: str | None) -> Evidence:
    """``source`` as evidence: with its article's title, outlet and date, and whether the quote is in the
    article (checked against the seeds beside the profile's folder; not checked for a store's records)."""
    seeds = seeds_of(profile_path)
    articles = articles_in(seeds)
    info = articles.info(source.article)
    found = bool(articles.holds(source.article, source.quote)) if seeds is not None else None
    return Evidence(
        source.article,
        source.quote,
        source.speaker,
        source.about,
        info.title,
        info.outlet,
        info.date,
        info.url,
        found,
    )


def evidence_for(index: Index, row: int) -> Evidence | None:
    """The quote that backs statement ``row`` of the index, if its profile has one that fits."""
    k = int(index.stmt_evidence[row]) if row >= 0 else -1
    if k < 0:
        return None
    profile = index.profiles[int(index.stmt_org[row])]
    return cite(profile.sources[k], profile.path)


Statements = list[tuple[str, tuple[np.ndarray, np.ndarray], int]]
"""A side's statements: (text, sparse vector, statement row; -1 for a query's text)."""


def explain_direction(
    index: Index,
    seeker: int | None,
    provider: int,
    *,
    defined: bool,
    weight: float,
    final_score: float,
    query: tuple[str, tuple[np.ndarray, np.ndarray]] | None = None,
    seeker_name: str | None = None,
    scale: float = 1.0,
    semantic: list[SemanticPair] = (),
) -> Direction:
    """Decompose ``provider``'s capabilities against ``seeker``'s needs (or a free-text ``query``).

    Contributions are divided by ``scale`` (the text score a need query is measured against).
    ``semantic`` are the meaning part's pairs (their contributions added to the direction's score).
    """
    if query is not None:
        text, vec = query
        needs: Statements = [(text, vec, -1)]
        need_norm = 1.0
    else:
        needs = _statements(index, seeker, NEED)
        need_norm = float(index.org_norms[seeker, NEED])
    caps = _statements(index, provider, CAPABILITY)
    denom = need_norm * float(index.org_norms[provider, CAPABILITY]) * scale
    pairs, totals, generic = _shared_terms(index, needs, caps, denom) if defined and denom > 0 else ([], {}, set())
    lexical = float(sum(p[2] for p in pairs))
    meaning = float(sum(p.contribution for p in semantic))
    score = lexical + meaning
    return Direction(
        seeker=seeker_name if seeker_name is not None else index.profiles[seeker].name,
        provider=index.profiles[provider].name,
        defined=defined,
        score=score,
        weight=weight,
        share=(score * weight / final_score) if final_score > 0 else 0.0,
        pairs=[
            StatementMatch(
                need=n,
                capability=c,
                contribution=total,
                share=total / score if score > 0 else 0.0,
                terms=term_shares(terms, total, frozenset(generic)),
                need_evidence=evidence_for(index, n_row),
                capability_evidence=evidence_for(index, c_row),
            )
            for n, c, total, terms, n_row, c_row in pairs
        ],
        terms=term_shares(totals, score, frozenset(generic)),
        semantic=meaning,
        semantic_pairs=[
            dataclasses.replace(p, share=p.contribution / score if score > 0 else 0.0)
            for p in sorted(semantic, key=lambda p: -p.contribution)
        ],
    )


def _statements(index: Index, org: int, side: int) -> Statements:
    return [(index.statement_text(r), index.statements.row(r), r) for r in index.statement_rows(org, side)]


def _shared_terms(index: Index, needs: Statements, caps: Statements, denom: float):
    """Every need ↔ capability pair that shares terms, largest first, as (need, capability, contribution,
    {term: contribution}, need row, capability row); each term's total over the pairs; the generic terms."""
    pairs: list[tuple[str, str, float, dict[str, float], int, int]] = []
    totals: dict[str, float] = {}
    generic: set[str] = set()
    for need_text, (n_idx, n_val), n_row in needs:
        for cap_text, (c_idx, c_val), c_row in caps:
            common, ia, ib = np.intersect1d(n_idx, c_idx, assume_unique=True, return_indices=True)
            if len(common) == 0:
                continue
            contrib = n_val[ia].astype(np.float64) * c_val[ib] / denom
            terms = {index.display[t]: float(c) for t, c in zip(common, contrib)}
            generic.update(
                index.display[t] for t, g in zip(common, background_generic([index.terms[t] for t in common])) if g
            )
            for t, c in terms.items():
                totals[t] = totals.get(t, 0.0) + c
            pairs.append((need_text, cap_text, float(contrib.sum()), terms, n_row, c_row))
    pairs.sort(key=lambda p: -p[2])
    return pairs, totals, generic


def strongest_pair(forward: Direction, backward: Direction):
    """``(direction, pair)`` of the need ↔ capability pair (shared terms or meaning) that carries most of
    the final score, either way; None where nothing is in common."""
    best = None
    for d in (forward, backward):
        for pair in [*d.pairs, *d.semantic_pairs]:
            part = pair.share * d.share
            if best is None or part > best[0]:
                best = (part, d, pair)
    return None if best is None else best[1:]
