"""Reciprocal match scores: how well B meets A's needs, how well A meets B's, and their combination."""

from __future__ import annotations

import numpy as np

from .index import CAPABILITY, NEED, Index, dot_all

MUTUALITY = 0.5
"""Weight of the harmonic mean in the combined score: 0 = plain average, 1 = harmonic mean only.

The harmonic mean is what reciprocal recommenders use (RECON): it is high only when both sides are served.
Blending it with the average keeps one-sided matches in the ranking, below mutual matches of the same
total strength, instead of tying them all at zero.
"""


def combine(forward, backward, forward_defined, backward_defined, mutuality: float = MUTUALITY):
    """Final score from the two directions; a direction is undefined when its seeking side lists no needs.

    Returns ``(score, forward_weight, backward_weight)`` with ``score == forward * fw + backward * bw``,
    so each direction's share of the score can be reported exactly.
    """
    f = np.asarray(forward, dtype=np.float64)
    b = np.asarray(backward, dtype=np.float64)
    fdef = np.broadcast_to(np.asarray(forward_defined, dtype=bool), np.broadcast(f, b).shape)
    bdef = np.broadcast_to(np.asarray(backward_defined, dtype=bool), fdef.shape)
    total = f + b
    with np.errstate(invalid="ignore", divide="ignore"):
        hm_f = np.where(total > 0, b / total, 0.5)  # harmonic mean = f * hm_f + b * hm_b
        hm_b = np.where(total > 0, f / total, 0.5)
    both = fdef & bdef
    fw = np.where(both, (1 - mutuality) / 2 + mutuality * hm_f, np.where(fdef, 1.0, 0.0))
    bw = np.where(both, (1 - mutuality) / 2 + mutuality * hm_b, np.where(~fdef & bdef, 1.0, 0.0))
    return f * fw + b * bw, fw, bw


def pair_scores(index: Index, org: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Forward, backward and combined scores of ``org`` against every organisation (itself included).

    Returns ``(score, forward, backward, backward_defined)``. Each direction is a sparse dot product
    computed by walking the postings of the seeker's terms only.
    """
    has_needs = index.has_needs
    forward_defined = bool(has_needs[org])
    forward = dot_all(index.vector(org, NEED), index.postings[CAPABILITY])
    backward = dot_all(index.vector(org, CAPABILITY), index.postings[NEED])
    score, _, _ = combine(forward, backward, forward_defined, has_needs)
    return score, forward, backward, has_needs


def need_scores(index: Index, vector: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """How well every organisation's capabilities meet a need given as a vector (no profile needed)."""
    return dot_all(vector, index.postings[CAPABILITY])


def reciprocal_top(index: Index, org: int, k: int, allowed: np.ndarray | None = None):
    """The ``k`` best partners of ``org``: ``(rows, score, forward, backward)``, best first, ties by row.

    Exactly ``top_k(pair_scores(index, org)[0], k, candidates)`` (tested against a dense brute force),
    but the combination and the ranking run only over the organisations that share a term with ``org``
    in either direction. ``allowed`` is a boolean mask of the organisations that may be returned (the
    caller leaves ``org`` itself out).
    """
    has_needs = index.has_needs
    forward = dot_all(index.vector(org, NEED), index.postings[CAPABILITY])
    backward = dot_all(index.vector(org, CAPABILITY), index.postings[NEED])
    rows = np.flatnonzero(forward + backward)  # both are >= 0: a sum of 0 means no shared term
    if allowed is not None:
        rows = rows[allowed[rows]]
    f, b = forward[rows], backward[rows]
    score, _, _ = combine(f, b, bool(has_needs[org]), has_needs[rows])
    best = top_k(score, k, tiebreak=rows)
    return rows[best], score[best], f[best], b[best]


def top_k(scores: np.ndarray, k: int, candidates: np.ndarray | None = None, tiebreak=None) -> np.ndarray:
    """Row numbers of the k best positive scores, best first; ties go to the lower ``tiebreak`` key.

    Only the top slice is sorted: ``argpartition`` finds it in linear time.
    """
    rows = np.flatnonzero(scores > 0) if candidates is None else candidates[scores[candidates] > 0]
    if len(rows) > k:
        vals = scores[rows]
        kth = np.partition(vals, len(vals) - k)[len(vals) - k]
        rows = rows[vals >= kth]  # keep every row tied with the k-th so the tie order is exact
    keys = rows if tiebreak is None else tiebreak[rows]
    order = np.lexsort((keys, -scores[rows]))
    return rows[order][:k]
