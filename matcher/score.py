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


def combine(forward, backward, forward_defined, backward_defined, mutuality: float = MUTUALITY, *, weights=True):
    """Final score from the two directions; a direction is undefined when its seeking side lists no needs.

    Returns ``(score, forward_weight, backward_weight)`` with ``score == forward * fw + backward * bw``,
    so each direction's share of the score can be reported exactly. Ranking needs the score alone:
    ``weights=False`` skips the weights (returned as None), which makes it about half as costly.
    """
    f = np.asarray(forward, dtype=np.float64)
    b = np.asarray(backward, dtype=np.float64)
    fdef = np.asarray(forward_defined, dtype=bool)
    bdef = np.asarray(backward_defined, dtype=bool)
    total = f + b
    with np.errstate(invalid="ignore", divide="ignore"):
        # both defined: (1 - m) / 2 * (f + b) + m * harmonic mean, the harmonic mean being 2fb / (f + b)
        score = np.divide(f * b, total, out=np.zeros(np.broadcast(f, b).shape), where=total > 0)
        score *= 2 * mutuality
        score += (1 - mutuality) / 2 * total
    if not (fdef.all() and bdef.all()):  # one side undefined: the other side alone, or 0
        np.copyto(score, np.broadcast_to(f, score.shape), where=fdef & ~bdef)
        np.copyto(score, np.broadcast_to(b, score.shape), where=~fdef & bdef)
        np.copyto(score, 0.0, where=~fdef & ~bdef)
    if not weights:
        return score, None, None
    fdef, bdef = np.broadcast_arrays(fdef, bdef, np.empty(score.shape))[:2]
    with np.errstate(invalid="ignore", divide="ignore"):
        hm_f = np.where(total > 0, b / total, 0.5)  # harmonic mean = f * hm_f + b * hm_b
        hm_b = np.where(total > 0, f / total, 0.5)
    both = fdef & bdef
    fw = np.where(both, (1 - mutuality) / 2 + mutuality * hm_f, np.where(fdef, 1.0, 0.0))
    bw = np.where(both, (1 - mutuality) / 2 + mutuality * hm_b, np.where(~fdef & bdef, 1.0, 0.0))
    return score, fw, bw


def pair_scores(index: Index, org: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Forward, backward and combined scores of ``org`` against every organisation (itself included).

    Returns ``(score, forward, backward, backward_defined)``. Each direction is a sparse dot product
    computed by walking the postings of the seeker's terms only.
    """
    has_needs = index.has_needs
    forward_defined = bool(has_needs[org])
    forward = dot_all(index.vector(org, NEED), index.postings[CAPABILITY])
    backward = dot_all(index.vector(org, CAPABILITY), index.postings[NEED])
    score, _, _ = combine(forward, backward, forward_defined, has_needs, weights=False)
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


def top_k_rows(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``top_k`` of every row of a dense score matrix at once, as ``(rows, columns, ends)``: row ``r``'s
    best columns, best first and ties by column, are ``columns[ends[r]:ends[r + 1]]``."""
    m, n = scores.shape
    kth = np.partition(scores, n - k, axis=1)[:, n - k] if n > k else scores.min(axis=1, initial=0.0)
    i, j = np.nonzero((scores >= kth[:, None]) & (scores > 0))  # the top slice of each row, ties included
    order = np.lexsort((j, -scores[i, j], i))
    i, j = i[order], j[order]
    keep = np.arange(len(i)) - np.searchsorted(i, i) < k  # position within its row
    i, j = i[keep], j[keep]
    return i, j, np.searchsorted(i, np.arange(m + 1))
