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
from ..index.vectors import CAPABILITY
from ..ranking.signals import seeker_documents
from .directions import evidence_for

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


def closest_projects(index: Index, doc_cos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every organisation, its capability statement closest to a need and that cosine (-1 and 0 where none
    shares a term), from the need's cosine with every document (``doc_cos``)."""
    cos = doc_cos[index.docs.of_statement].astype(np.float64)
    cos[np.asarray(index.stmt_side) != CAPABILITY] = 0.0
    org = np.asarray(index.stmt_org)
    hit = np.flatnonzero(cos > 0)
    hit = hit[np.lexsort((-cos[hit], org[hit]))]  # by organisation, best first
    first = hit[np.r_[True, org[hit][1:] != org[hit][:-1]]] if len(hit) else hit
    row = np.full(index.n_orgs, -1, dtype=np.int64)
    best = np.zeros(index.n_orgs)
    row[org[first]] = first
    best[org[first]] = cos[first]
    return row, best


def store_strength(cosine: float) -> str:
    """``strong``, ``moderate`` or ``weak`` from the candidate's closest project (see the module's docstring)."""
    if cosine >= STRONG_COSINE:
        return "strong"
    return "moderate" if cosine >= MODERATE_COSINE else "weak"
