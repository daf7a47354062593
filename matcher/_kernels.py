"""The reciprocal top-k of ``score.reciprocal_top``, compiled with numba (the optional ``fast`` extra).

Same bounds, same arithmetic in the same order, so the same rows and bit-identical scores as the numpy
code. Compiled, a query no longer passes over the whole index:

- the postings of the query's rare terms give an exact rare part to the organisations they touch, and
  only those get a bound of their own (rare part plus common norms, as in the numpy code);
- every other organisation's score is bounded by its common norms alone. Organisations are kept in
  blocks sorted by common norm (``Index.norm_blocks``), and a block whose largest norms cannot reach the
  level is skipped whole. On the benchmark's synthetic profiles no block reaches the final level;
- the organisations whose bound reaches a falling level are scored in full from their own rows, until
  the k-th best score reaches the level.

Importing this module imports numba (about 0.4 s): the one-shot ``match`` command does without it.
"""

from __future__ import annotations

import threading

import numba
import numpy as np

from .index import CAPABILITY, NEED

_SAFETY = 1 + 1e-9  # bounds are widened by this factor against rounding (block bounds twice)
_TINY = float(np.finfo(np.float64).smallest_subnormal)

jit = numba.njit(cache=True, nogil=True)


@jit
def _combine(f, b, fdef, bdef, m):
    """``score.combine`` of one pair, with the same operations in the same order."""
    if fdef and bdef:
        total = f + b
        s = 0.0
        if total > 0:
            s = f * b / total
        s *= 2 * m
        s += (1 - m) / 2 * total
        return s
    if fdef:
        return f
    if bdef:
        return b
    return 0.0


@jit
def _upper(f, b, fdef, some_needs, some_without, m):
    """Upper bound of ``_combine`` over partners whose sides are at most ``f`` and ``b``, some of them
    listing needs (``some_needs``), some not (``some_without``): ``_combine`` grows with each side."""
    u = 0.0
    if some_needs:
        u = _combine(f, b, fdef, True, m)
    if some_without and fdef and f > u:
        u = f
    return u


@jit
def _scatter(terms, weights, ptr, idx, dat, common_df, acc, side, touched, n_touched):
    """Add the postings of the query's terms held by at most ``common_df`` organisations into column
    ``side`` of ``acc``, in term order, listing each organisation they reach once in ``touched`` (as every
    posting value is positive, an organisation is reached before when its row of ``acc`` is not 0).
    Returns the squared norm of the query over its other (common) terms and the new length of ``touched``.
    Both sides share one row per organisation: one cache line, where separate arrays would cost two."""
    common = 0.0
    for i in range(len(terms)):
        t = terms[i]
        w = np.float64(weights[i])
        lo, hi = ptr[t], ptr[t + 1]
        if hi - lo > common_df:
            common += w * w
            continue
        for p in range(lo, hi):
            o = idx[p]
            if acc[o, 0] == 0 and acc[o, 1] == 0:
                touched[n_touched] = o
                n_touched += 1
            acc[o, side] += np.float64(dat[p]) * w
    return common, n_touched


@jit
def _row_dot(o, ptr, idx, dat, slots, weights):
    """Dot product of row ``o`` with the query whose term positions are in ``slots`` (``index.dot_rows``)."""
    s = 0.0
    for p in range(ptr[o], ptr[o + 1]):
        j = slots[idx[p]]
        if j >= 0:
            s += np.float64(dat[p]) * np.float64(weights[j])
    return s


@jit
def _insert(kth, s):
    """Keep ``kth`` the ascending k best scores seen, given one more score ``s``."""
    if s > kth[0]:
        j = 0
        while j + 1 < len(kth) and kth[j + 1] < s:
            kth[j] = kth[j + 1]
            j += 1
        kth[j] = s


@jit
def _best(rows, score, kth):
    """Positions of the ``len(kth)`` best positive scores, best first, ties by row (``score.top_k``).
    ``kth`` holds the k best scores (``_insert``): only the few rows at or above the k-th are sorted."""
    keep = np.empty(len(rows), np.int64)
    n = 0
    for i in range(len(rows)):
        if score[i] > 0 and score[i] >= kth[0]:
            j = n  # insertion sort by (-score, row): few rows, most already in place
            while j > 0 and (
                score[keep[j - 1]] < score[i] or (score[keep[j - 1]] == score[i] and rows[keep[j - 1]] > rows[i])
            ):
                keep[j] = keep[j - 1]
                j -= 1
            keep[j] = i
            n += 1
    return keep[: min(n, len(kth))]


@jit
def _score(o, q, ix, fdef, m, slots_f, slots_b, out, count):
    """Score ``o`` in full from its own rows into ``out`` at ``count``; returns its score."""
    qf_t, qf_w, qb_t, qb_w = q
    cvp, cvi, cvd, nvp, nvi, nvd, has_needs = ix[6], ix[7], ix[8], ix[9], ix[10], ix[11], ix[15]
    rows, f, b, score = out
    fo = _row_dot(o, cvp, cvi, cvd, slots_f, qf_w)
    bo = _row_dot(o, nvp, nvi, nvd, slots_b, qb_w)
    rows[count], f[count], b[count] = o, fo, bo
    score[count] = _combine(fo, bo, fdef, has_needs[o], m)
    return score[count]


@jit
def _query(q, ix, blocks, fdef, allowed, k, m, budget, step, prune, s):
    """One seeker's exact reciprocal top ``k``: ``(rows, score, forward, backward, ok)``.

    ``q``: the seeker's need and capability vectors; ``ix``: the index's arrays; ``s``: scratch arrays,
    left as found. ``prune=False`` reads every postings list (exact sums, no bounds). ``ok`` is False when
    more than ``budget`` organisations would need scoring in full (the caller then reads every list).
    """
    qf_t, qf_w, qb_t, qb_w = q
    cpp, cpi, cpd, npp, npi, npd = ix[0], ix[1], ix[2], ix[3], ix[4], ix[5]
    common_df, cn, has_needs = ix[12], ix[13], ix[15]
    order, bmax_cap, bmax_need, b_needs, b_without, size = blocks
    acc, touched, tbound, bbound, slots_f, slots_b = s
    df = common_df if prune else np.iinfo(np.int64).max
    cf, nt = _scatter(qf_t, qf_w, cpp, cpi, cpd, df, acc, 0, touched, 0)
    cb, nt = _scatter(qb_t, qb_w, npp, npi, npd, df, acc, 1, touched, nt)
    cf, cb = np.sqrt(cf), np.sqrt(cb)
    kth = np.zeros(k)  # the k best scores so far, ascending; 0 until k positive scores are seen
    size_out = nt if not prune else budget
    out = (np.empty(size_out, np.int64), np.empty(size_out), np.empty(size_out), np.empty(size_out))
    rows, f, b, score = out
    count = 0
    ok = True
    if not prune:  # the sums are exact: rank every allowed organisation that shares a term
        for i in range(nt):
            o = touched[i]
            if allowed[o]:
                rows[count], f[count], b[count] = o, acc[o, 0], acc[o, 1]
                score[count] = _combine(acc[o, 0], acc[o, 1], fdef, has_needs[o], m)
                _insert(kth, score[count])
                count += 1
    else:
        top = 0.0
        for i in range(nt):  # the touched: rare part plus common norms
            o = touched[i]
            u = -1.0
            if allowed[o]:
                u = _combine(acc[o, 0] + cf * cn[o, 0], acc[o, 1] + cb * cn[o, 1], fdef, has_needs[o], m)
                u *= _SAFETY
                top = max(top, u)
            tbound[i] = u
        n_blocks = len(bmax_cap)
        for j in range(n_blocks):  # everyone else, a block at a time: common norms alone
            u = _upper(cf * bmax_cap[j], cb * bmax_need[j], fdef, b_needs[j], b_without[j], m)
            bbound[j] = u * (_SAFETY * _SAFETY)
            top = max(top, bbound[j])
        for i in range(len(qf_t)):
            slots_f[qf_t[i]] = i
        for i in range(len(qb_t)):
            slots_b[qb_t[i]] = i
        level, above = top * step, np.inf
        while top > 0:  # else nobody can score above 0, so nobody is ranked
            for i in range(nt):
                u = tbound[i]
                if u >= level and u < above:
                    if count == budget:
                        ok = False
                        break
                    _insert(kth, _score(touched[i], q, ix, fdef, m, slots_f, slots_b, out, count))
                    count += 1
            for j in range(n_blocks):
                if not ok or bbound[j] < level:
                    continue
                for i in range(j * size, (j + 1) * size):
                    o = order[i]
                    if o < 0 or acc[o, 0] != 0 or acc[o, 1] != 0 or not allowed[o]:
                        continue  # padding, touched (scored above), or not to be recommended
                    u = _combine(cf * cn[o, 0], cb * cn[o, 1], fdef, has_needs[o], m) * _SAFETY
                    if u >= level and u < above:
                        if count == budget:
                            ok = False
                            break
                        _insert(kth, _score(o, q, ix, fdef, m, slots_f, slots_b, out, count))
                        count += 1
            if not ok or kth[0] >= level or level == _TINY:
                break
            above, level = level, max(kth[0], level * step)
            if level < top * 1e-6:
                level = _TINY  # at _TINY, all that can score above 0 are scored
        for i in range(len(qf_t)):
            slots_f[qf_t[i]] = -1
        for i in range(len(qb_t)):
            slots_b[qb_t[i]] = -1
    for i in range(nt):
        o = touched[i]
        acc[o, 0], acc[o, 1] = 0.0, 0.0
    if not ok:
        count = 0
    best = _best(rows[:count], score[:count], kth)
    return rows[best], score[best], f[best], b[best], ok


class Scratch(threading.local):
    """Per-thread working arrays of ``_query``, kept between calls (each call leaves them as it found them)."""

    arrays: tuple = ()

    def get(self, n_orgs: int, n_terms: int, n_blocks: int) -> tuple:
        a = self.arrays
        if not a or len(a[0]) < n_orgs or len(a[3]) < n_blocks or len(a[4]) < n_terms:
            n_orgs, n_blocks = max(n_orgs, len(a[0]) if a else 0), max(n_blocks, len(a[3]) if a else 0)
            n_terms = max(n_terms, len(a[4]) if a else 0)
            self.arrays = (
                np.zeros((n_orgs, 2)),  # forward and backward sums
                np.empty(n_orgs, dtype=np.int64),  # the organisations touched, in order
                np.empty(n_orgs),  # their bounds
                np.empty(n_blocks),  # block bounds
                np.full(n_terms, -1, dtype=np.int32),  # position of each term in the need query
                np.full(n_terms, -1, dtype=np.int32),  # ... in the capability query
            )
        return self.arrays


_scratch = Scratch()
_NO_BLOCKS = (np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros(0, np.bool_), np.zeros(0, np.bool_), 1)


def index_arrays(index) -> tuple:
    """The arrays ``_query`` reads, as one tuple."""
    cp, npo = index.postings[CAPABILITY], index.postings[NEED]
    cv, nv = index.org_vectors[CAPABILITY], index.org_vectors[NEED]
    cn = index.norms_by_org if index.common_norms is not None else np.zeros((index.n_orgs, 2))
    return (
        cp.indptr, cp.indices, cp.data, npo.indptr, npo.indices, npo.data,
        cv.indptr, cv.indices, cv.data, nv.indptr, nv.indices, nv.data,
        int(index.common_df), cn, None, index.has_needs,
    )  # fmt: skip


def reciprocal_top(index, org, k, allowed, *, mutuality, prune, budget, step):
    """``score.reciprocal_top`` through the compiled kernel: ``(rows, score, forward, backward)``, or
    None when the bounds cannot prune (``prune=False`` reads every postings list)."""
    prune = prune and index.common_norms is not None
    blocks = index.norm_blocks if prune else _NO_BLOCKS
    scratch = _scratch.get(index.n_orgs, len(index.idf), len(blocks[1]))
    (qf_t, qf_w), (qb_t, qb_w) = index.vector(org, NEED), index.vector(org, CAPABILITY)
    if allowed is None:
        allowed = np.ones(index.n_orgs, dtype=bool)
    rows, score, f, b, ok = _query(
        (qf_t, qf_w, qb_t, qb_w), index_arrays(index), blocks, bool(index.has_needs[org]), allowed,
        k, mutuality, budget, step, prune, scratch,
    )  # fmt: skip
    return (rows, score, f, b) if ok else None
