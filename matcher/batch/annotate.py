"""What ``match`` says of each partner, for every organisation's list at once: its strength, whether the two
already work together, and the reason to meet — so that ``matcher batch`` writes the list ``match`` shows.

A profile folder's rows are explained as ``match`` explains them (``Explainer.pair``). A store's are read from
the ranking's own measures, without explaining each row signal by signal: the candidate's project closest to
the seeker's newest work (``explanations.stores``) gives the strength and the reason, and the projects the two
shared give the relation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import numpy as np

from ..explanations.matching import Matcher
from ..explanations.stores import brief_matches
from ..output.text import reason_line
from .local import Partners


def annotated(matcher: Matcher, partners: Iterator[Partners], *, include_weak: bool = False) -> Iterator[Partners]:
    """Each organisation's ``partners`` with their strength, relation and reason, weak ones left out unless
    ``include_weak`` (their ranks keep their place in the full list, as in ``match``)."""
    for p in partners:
        if matcher.ranking.seeks_by_record(p.org):
            notes = _store_notes(matcher, p)
        else:
            notes = _folder_notes(matcher, p)
        strength, relation, reason = notes
        rank = np.arange(1, len(p.rows) + 1)
        keep = np.array([include_weak or s != "weak" for s in strength], dtype=bool)
        yield replace(
            p,
            rows=p.rows[keep],
            score=p.score[keep],
            forward=None if p.forward is None else p.forward[keep],
            backward=p.backward[keep],
            rank=rank[keep],
            strength=[s for s, k in zip(strength, keep) if k],
            relation=[r for r, k in zip(relation, keep) if k],
            reason=[r for r, k in zip(reason, keep) if k],
        )


def _folder_notes(matcher: Matcher, p: Partners) -> tuple[list[str], list[str], list[str]]:
    """Strength, relation and reason of each partner of a profile folder's organisation, as ``match`` says them."""
    matches = [matcher.explainer.pair(p.org, int(b)) for b in p.rows.tolist()]
    relation = [{"partner": "already partners", "related": "related organisation"}.get(m.relation, "") for m in matches]
    return [m.strength for m in matches], relation, [reason_line(m) for m in matches]


def _store_notes(matcher: Matcher, p: Partners) -> tuple[list[str], list[str], list[str]]:
    """Strength, relation and reason of each partner of a store's organisation, ranked for its newest records."""
    matches = brief_matches(matcher.index, p.org, p.rows, p.score.tolist())
    relation = [f"already partners ({m.relation_note})" if m.relation_note else "" for m in matches]
    return [m.strength for m in matches], relation, [reason_line(m) for m in matches]
