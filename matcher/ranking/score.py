"""Reciprocal match scores: how well B meets A's needs, how well A meets B's, and their combination."""

from __future__ import annotations

import numpy as np

from ..index.model import Index
from ..index.vectors import CAPABILITY, NEED, dot_all, dot_rows

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
    fdef, bdef = np.broadcast_to(fdef, score.shape), np.broadcast_to(bdef, score.shape)
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


PRUNE_MIN = 20_000
"""Below this many organisations a query reads every postings list: pruning would not pay for itself."""
COMPILED_PRUNE_MIN = 2_000
"""The same for the compiled query, which prunes at less cost (at 10,000 organisations, 0.15 ms a query
pruned against 0.33 ms reading everything; at 1,000, 0.06 against 0.04)."""
_SAFETY = 1 + 1e-9  # upper bounds are widened by this factor against rounding
_TINY = float(np.finfo(np.float64).smallest_subnormal)
PRUNE_BUDGET_MIN, PRUNE_BUDGET_SHARE = 512, 64  # a pruned query scores at most max(512, n / 64) in full
STEP = 0.7  # each round of a pruned query lowers the level of bounds scored in full by this factor


def prune_budget(n_orgs: int) -> int:
    """How many organisations a pruned query may score in full before it reads every postings list."""
    return max(PRUNE_BUDGET_MIN, n_orgs // PRUNE_BUDGET_SHARE)


def kernel_for(compiled: bool | None):
    """The compiled kernel for ``compiled`` (None: where numba is installed; True: required; False: no)."""
    kernel = None if compiled is False else compiled_kernel()
    if compiled and kernel is None:
        raise ImportError("The compiled query needs numba: pip install numba (no wheel for this platform or Python).")
    return kernel


def compiled_kernel():
    """The numba-compiled query (``ranking.compiled`` over ``ranking.kernels``), or None where numba is not installed.

    ``pip install matcher`` installs numba wherever it has wheels. Its first use compiles the kernel (about 10 s, once:
    the machine code is cached on disk); importing numba costs about 0.4 s per process after that.
    """
    try:
        from . import compiled as _kernels
    except ImportError:
        return None
    except RuntimeError as exc:  # numba installed but unusable, e.g. no writable folder for its cache
        import warnings

        warnings.warn(f"compiled queries unavailable ({exc}); using numpy", RuntimeWarning, stacklevel=2)
        return None
    return _kernels


def reciprocal_top(index: Index, org: int, k: int, allowed: np.ndarray | None = None, *, compiled: bool | None = None):
    """The ``k`` best partners of ``org``: ``(rows, score, forward, backward)``, best first, ties by row.

    Exactly ``top_k(pair_scores(index, org)[0], k, candidates)`` (tested against a dense brute force).
    ``allowed`` is a boolean mask of the organisations that may be returned (the caller leaves ``org``
    itself out).

    On a large index the postings of *common* terms (held by more than ``Index.common_df``
    organisations) are never read, as they hold most postings entries and add little to any score.
    The rare terms give each organisation its exact rare part; Cauchy-Schwarz bounds the common part
    by the query's norm over common terms times the organisation's own (``Index.common_norms``). Then
    only the organisations whose bound reaches the k-th best score are scored in full, from their own
    rows (``dot_rows``, bit-identical to the postings sums). When the bounds prune too little, the query
    reads every postings list instead, so the result is the same either way.

    ``compiled``: run the same algorithm compiled (``compiled_kernel``; same rows, bit-identical
    scores, 2.5-4.5 times faster). None uses it where numba is installed; True requires it.
    """
    kernel = kernel_for(compiled)
    if k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0), np.zeros(0)
    prune = index.n_orgs >= (PRUNE_MIN if kernel is None else COMPILED_PRUNE_MIN) and index.common_norms is not None
    if kernel is not None:
        budget = prune_budget(index.n_orgs)
        for pruned in (True, False) if prune else (False,):
            found = kernel.reciprocal_top(
                index, org, k, allowed, mutuality=MUTUALITY, prune=pruned, budget=budget, step=STEP
            )
            if found is not None:
                return found
    if not prune:
        return _exhaustive_top(index, org, k, allowed)
    found = _pruned_top(index, org, k, allowed)
    return _exhaustive_top(index, org, k, allowed) if found is None else found


def _exhaustive_top(index: Index, org: int, k: int, allowed: np.ndarray | None):
    """Every organisation that shares a term with ``org``, scored from the postings of all its terms."""
    has_needs = index.has_needs
    forward = dot_all(index.vector(org, NEED), index.postings[CAPABILITY])
    backward = dot_all(index.vector(org, CAPABILITY), index.postings[NEED])
    rows = np.flatnonzero(forward + backward)  # both are >= 0: a sum of 0 means no shared term
    if allowed is not None:
        rows = rows[allowed[rows]]
    return _rank(rows, forward[rows], backward[rows], bool(has_needs[org]), has_needs, k)


def _rank(rows, f, b, fdef, has_needs, k):
    score, _, _ = combine(f, b, fdef, has_needs[rows], weights=False)
    best = top_k(score, k, tiebreak=rows)
    return rows[best], score[best], f[best], b[best]


def _pruned_top(index: Index, org: int, k: int, allowed: np.ndarray | None):
    """``reciprocal_top`` without reading common terms' postings; None when the bounds cannot prune."""
    n = index.n_orgs
    has_needs = index.has_needs
    fdef = bool(has_needs[org])
    queries = (index.vector(org, NEED), index.vector(org, CAPABILITY))  # forward, backward
    high = []
    for (terms, weights), side in zip(queries, (CAPABILITY, NEED)):
        postings = index.postings[side]
        rare = postings.indptr[terms + 1] - postings.indptr[terms] <= index.common_df
        part = dot_all((terms[rare], weights[rare]), postings)  # exact over rare terms: a lower bound
        common = float(np.sqrt(np.square(weights[~rare], dtype=np.float64).sum()))
        if common:  # Cauchy-Schwarz: common terms add at most the product of the two common norms
            part += common * index.common_norms[side]
        high.append(part)
    bound = _upper_combine(high[0], high[1], fdef, index.no_needs)
    bound *= _SAFETY
    # Score in full the organisations whose bound reaches a level, lowering the level step by step until
    # the k-th best score so far reaches it: whoever lies below the level can then not make the top k.
    budget = prune_budget(n)
    top = float(bound.max())
    if top <= 0:  # nobody can score above 0, so nobody is ranked
        return _rank(np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0), fdef, has_needs, k)
    level, above = top * STEP, np.inf
    candidates, f, b = np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0)
    while True:
        band = bound >= level
        if above < np.inf:
            band &= bound < above
        new = np.flatnonzero(band)
        if allowed is not None:
            new = new[allowed[new]]
        if len(candidates) + len(new) > budget:
            return None  # the bounds are too loose for this query: reading every postings list is faster
        candidates = np.concatenate([candidates, new])
        f = np.concatenate([f, dot_rows(queries[0], index.org_vectors[CAPABILITY], new)])
        b = np.concatenate([b, dot_rows(queries[1], index.org_vectors[NEED], new)])
        score, _, _ = combine(f, b, fdef, has_needs[candidates], weights=False)
        positive = score[score > 0]
        threshold = np.partition(positive, len(positive) - k)[len(positive) - k] if len(positive) >= k else 0.0
        if threshold >= level or level == _TINY:  # at _TINY, all that can score above 0 are scored
            return _rank(candidates, f, b, fdef, has_needs, k)
        above, level = level, max(float(threshold), level * STEP)
        if level < top * 1e-6:
            level = _TINY


def _upper_combine(f: np.ndarray, b: np.ndarray, fdef: bool, no_needs: np.ndarray) -> np.ndarray:
    """``combine`` of upper bounds of both sides, an upper bound of the score as ``combine`` grows with
    each side, over every organisation (``f`` and ``b`` are overwritten). ``no_needs`` is 1.0 where an
    organisation lists no needs (its ``b`` is 0 and its score is ``f``), else 0.0. Plain arithmetic,
    no masks: a masked numpy operation costs several times more over a whole index."""
    if not fdef:
        return b  # the score is the backward side alone (0 where the organisation lists no needs)
    out = f * b
    b += f
    b += 1e-300  # so that 0 / 0 is 0; a bound may be that much higher
    out /= b  # half the harmonic mean
    out *= 2 * MUTUALITY
    b *= (1 - MUTUALITY) / 2
    out += b  # the score where both sides are defined; (1 - MUTUALITY) / 2 * f where b is 0
    f *= no_needs
    f *= (1 + MUTUALITY) / 2
    out += f
    return out


def top_k(scores: np.ndarray, k: int, candidates: np.ndarray | None = None, tiebreak=None) -> np.ndarray:
    """Row numbers of the k best positive scores, best first; ties go to the lower ``tiebreak`` key.

    Only the top slice is sorted: ``argpartition`` finds it in linear time.
    """
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
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
