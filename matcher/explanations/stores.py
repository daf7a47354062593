"""What a store's match rests on, in words an office can act on: past joint work with its count and year, the
candidate's project closest to the seeker's need, and a strength label defined for stores.

A store's profiles list past projects, not needs, so the strength of a match there cannot be read from shared
specific terms both ways as in a profile folder. It is read from the candidate's own work instead: the cosine
between the need (for ``match --org``, the seeker's newest projects) and the candidate's closest project:

- **strong**: at least ``STRONG_COSINE`` — a project of theirs is close to the seeker's work;
- **moderate**: at least ``MODERATE_COSINE``;
- **weak**: below — the match rests on size, network or programme, not on the work itself.

Thresholds set on the CORDIS store: among the top 10 of 150 organisations drawn at random, 20% of candidates
that never worked with the seeker were under 0.2 and half over 0.4.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..index.model import Index
from ..index.vectors import CAPABILITY, dot_rows
from ..profiles.model import KINDS
from ..ranking.signals import recent_need, seeker_documents
from ..text.layout import clip
from .directions import Direction, Explanation, evidence_for
from .results import Match

STRONG_COSINE = 0.35
MODERATE_COSINE = 0.2
_SIGNED = re.compile(r"\(signed (\d{4})-\d\d-\d\d\)")


@dataclass(frozen=True)
class JointWork:
    """Projects two organisations of a store took part in together."""

    count: int
    latest: str | None  # the year the latest of them was signed

    def describe(self) -> str:
        """``36 joint grants, latest 2023``."""
        what = f"{self.count} joint grant{'' if self.count == 1 else 's'}"
        return what + (f", latest {self.latest}" if self.latest else "")


def joint_work(index: Index, a: int, b: int) -> JointWork | None:
    """The projects ``a`` and ``b`` shared, where the index keeps projects (a store); None where they shared none."""
    if index.docs is None:
        return None
    if index.links is not None:  # every pair that shared a project is linked: most pairs stop here
        cols, _ = index.links.row(a)
        at = np.searchsorted(cols, b)
        if at == len(cols) or cols[at] != b:
            return None
    shared = np.intersect1d(seeker_documents(index, a), seeker_documents(index, b))
    if not len(shared):
        return None
    rows = index.statement_rows(a, CAPABILITY)
    years = []
    for row in rows:
        if index.docs.of_statement[row] in shared:
            evidence = evidence_for(index, row)
            found = _SIGNED.search(evidence.article) if evidence is not None else None
            if found:
                years.append(found.group(1))
    return JointWork(len(shared), max(years) if years else None)


def store_strength(cosine: float) -> str:
    """``strong``, ``moderate`` or ``weak`` from the candidate's closest project (see the module's docstring)."""
    if cosine >= STRONG_COSINE:
        return "strong"
    return "moderate" if cosine >= MODERATE_COSINE else "weak"


def closest_of(index: Index, orgs: np.ndarray, doc_vector) -> tuple[list[int], list[float]]:
    """For each of ``orgs``, its capability statement closest to a need (``doc_vector``) and that cosine (-1, 0
    where none shares a term): one sparse product over their statements only."""
    spans = [index.statement_rows(int(b), CAPABILITY) for b in orgs]
    stmt = np.concatenate([np.arange(s.start, s.stop) for s in spans] or [np.zeros(0, np.int64)]).astype(np.int64)
    if doc_vector is None or not len(stmt):
        return [-1] * len(orgs), [0.0] * len(orgs)
    cos = dot_rows(doc_vector, index.docs.vectors, index.docs.of_statement[stmt])
    rows, best, at = [], [], 0
    for span in spans:
        n = span.stop - span.start
        part = cos[at : at + n]
        k = int(np.argmax(part)) if n else -1
        rows.append(int(stmt[at + k]) if n and part[k] > 0 else -1)
        best.append(float(part[k]) if n and part[k] > 0 else 0.0)
        at += n
    return rows, best


def brief_matches(index: Index, a: int, rows, scores) -> list[Match]:
    """``a``'s partners ``rows`` (with their ``scores``) as a store's list gives them, without the signal by
    signal detail: strength, past joint work and the closest project, from one product over their projects.
    For the lists of every organisation at once (``matcher batch``) and an event's reasons."""
    rows = np.asarray(rows, dtype=np.int64)
    closest, cosines = closest_of(index, rows, recent_need(index, a).doc_vector)
    names = index.names  # the name table, the country and kind arrays: no organisation's record is decoded
    seeker = names[a]
    out = []
    for rank, (b, score, row, cos) in enumerate(zip(rows.tolist(), scores, closest, cosines), start=1):
        name = names[b]
        joint = joint_work(index, a, b)
        forward = Direction(seeker, name, True, float(score), 1.0, 1.0, [], [])
        backward = Direction(name, seeker, False, 0.0, 0.0, 0.0, [], [])
        out.append(
            Match(
                rank=rank,
                name=name,
                country=str(index.country[b]),
                kind=KINDS[int(index.kind[b])],
                score=float(score),
                forward=float(score),
                backward=None,
                explanation=Explanation(forward, backward, mutual=False),
                strength=store_strength(cos),
                relation="partner" if joint is not None else None,
                relation_note=joint.describe() if joint is not None else None,
                closest=clip(index.statement_text(row), 90) if row >= 0 else None,
                closest_cosine=cos,
            )
        )
    return out
