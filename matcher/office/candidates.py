"""Who may meet at an event, and how well: each participant's best partners among the others (as ``match``
ranks them), plus the requested meetings, less the pairs that may not meet, each with its strength.

The rules live here (``barred``, ``why_barred``). Two participants may not meet when

- the ledger ended their pair: declined or not relevant (``ledger.LEFT_OUT``), always;
- they already work together, unless ``include_partners`` (a networking event): ``match`` marks them
  already partners (a listed partner or past joint work, ``Directory.links_of``) or related (one's name
  holds the other's: a joint venture, a subsidiary, ``Directory.tied``), or the ledger has them at signed,
  implemented or already-partners (``ledger.PARTNERS``).

A weak candidate (nothing specific in common, ``Explainer.strength_of``) that nobody asked for is a filler:
the program holds it only where no good candidate could take the seat.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from ..explanations.matching import Matcher
from ..ranking.ranker import NO_EXCLUSIONS, Exclusions
from .agenda import Candidate


def barred(matcher: Matcher, row: int, exclusions: Exclusions, include_partners: bool = False) -> set[int]:
    """The rows ``row`` may not meet at an event (the module's rules)."""
    out = set(exclusions.left_out.get(row, ()))
    if not include_partners:
        out |= set(exclusions.partners.get(row, ()))
        out |= set(matcher.names.links_of(row).tolist())
        out |= matcher.names.tied(row)
    return out


def why_barred(matcher: Matcher, a: int, b: int, exclusions: Exclusions, include_partners: bool = False) -> str | None:
    """Why ``a`` and ``b`` may not meet, in words ("already partners"), or None where they may."""
    stage = exclusions.stages.get((a, b), ("",))[0]
    if b in exclusions.left_out.get(a, ()):
        return f"the ledger has them at {stage}"
    if include_partners:
        return None
    if b in exclusions.partners.get(a, ()):
        return f"the ledger has them at {stage}: they already work together"
    if matcher.names.linked(a, b):
        return "they are already partners"
    if b in matcher.names.tied(a):
        return "they are related (one's name holds the other's)"
    return None


def candidates_from(
    matcher: Matcher,
    rows: Sequence[int],
    *,
    top: int,
    requests=(),
    exclusions: Exclusions = NO_EXCLUSIONS,
    include_partners: bool = False,
    reserve: int = 0,
) -> list[Candidate]:
    """Candidate meetings among ``rows`` (participants, as index rows), indexes into ``rows``: each one's
    ``top`` best partners among the others it may meet (``Ranking.ranked_top``, the ``match`` ranking),
    pairs with a score, plus ``requests`` ((row, row, priority)) that the rules allow; each with its strength.
    With ``reserve``, each one's next ``reserve`` best partners too, marked ``reserve`` and not yet rated
    (``rate``): ``plan_event`` uses them for participants who could not be met among their best (in a
    store a few large organisations are everyone's best partners, and they have only so many seats).

    A pair's score is the one ``match`` gives it: reciprocal, so the same from either side, in a profile
    folder; in a store, where each organisation is ranked for its own newest projects, the higher of the
    two sides' scores.
    """
    ranking = matcher.ranking
    position = {r: i for i, r in enumerate(rows)}
    allowed = np.zeros(ranking.index.n_orgs, dtype=bool)
    allowed[list(rows)] = True
    scores: dict[tuple[int, int], float] = {}
    first: set[tuple[int, int]] = set()
    for r in rows:
        mask = allowed.copy()
        mask[r] = False
        mask[list(barred(matcher, r, exclusions, include_partners))] = False
        found, score = ranking.ranked_top(r, top + reserve, mask)
        for rank, (b, s) in enumerate(zip(found.tolist(), score.tolist())):
            if s > 0:
                key = tuple(sorted((position[r], position[b])))
                scores[key] = max(scores.get(key, 0.0), float(s))
                if rank < top:
                    first.add(key)
    asked = _requested(matcher, rows, position, requests, exclusions, include_partners, scores)
    unit = max(1.0, max(scores.values(), default=1.0))
    out = []
    for (a, b), s in sorted(scores.items()):
        spare = (a, b) not in first and (a, b) not in asked
        out.append(Candidate(a, b, s, (a, b) in asked, asked.get((a, b), 0.0), unit, "", spare))
    return rate(matcher, rows, out, reserve=False)


def rate(
    matcher: Matcher, rows: Sequence[int], candidates: list[Candidate], *, reserve: bool = True
) -> list[Candidate]:
    """``candidates`` with their strength (``Explainer.strength_of``), those in reserve too where ``reserve``
    (they are many, and most are never used: ``candidates_from`` leaves theirs to be found when needed)."""
    explainer = matcher.explainer
    return [
        c
        if c.strength or (c.reserve and not reserve)
        else dataclasses.replace(c, strength=explainer.strength_of(rows[c.a], rows[c.b]))
        for c in candidates
    ]


def _requested(matcher: Matcher, rows, position, requests, exclusions, include_partners, scores) -> dict:
    """The requests the rules allow, by pair (indexes), with their priority; their scores put in ``scores``."""
    ranking = matcher.ranking
    full: dict[int, np.ndarray] = {}  # a participant's scores against everyone, where a request needs them
    asked: dict[tuple[int, int], float] = {}
    for ra, rb, priority in requests:
        if why_barred(matcher, ra, rb, exclusions, include_partners) is not None:
            continue
        key = tuple(sorted((position[ra], position[rb])))
        for r in (ra, rb):
            if r not in full:
                full[r] = ranking.ranked_scores(r)
        scores[key] = max(float(full[ra][rb]), float(full[rb][ra]))
        asked[key] = max(asked.get(key, 0.0), float(priority))
    return asked
