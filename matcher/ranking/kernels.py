"""The reciprocal top-k of ``score.reciprocal_top``, compiled with numba (the optional ``fast`` extra).

The same algorithm as the numpy code, and the same rows with bit-identical scores: every score returned
is summed in float64 in the same order. What changes is what a pruned query reads:

- the postings of the query's rare terms are added, in float32 (they only bound), into one accumulator
  row per organisation, one segment of 32k organisations at a time so that the segment's rows stay in
  the core's cache; a bit set marks the organisations reached, and only those get a bound of their own
  (rare part, widened by its rounding margin, plus common norms);
- the rare parts alone, rounded down, are lower bounds of the scores (every weight is positive): the
  k-th best of those met so far is a floor under the k-th best score. An organisation whose sides add up
  to less (an upper bound with no division, ``_sum_share``) is dropped there, before its own bound. At
  100k organisations this made a query 1.35 times faster;
- every other organisation's score is bounded by its common norms alone, a block at a time: blocks of
  organisations sorted by common norm (``Index.norm_blocks``), skipped whole when their largest norms
  cannot reach the level. On the benchmark's synthetic profiles no block reaches the final level;
- the organisations whose bound reaches a falling level have it tightened by the norms of 32 groups of
  common terms (``Index.group_norms``), then are scored in full from their own rows, best bound first,
  until the k-th best score is above every bound left.

``top_of_each`` runs the queries of many organisations in one compiled loop, without the GIL: ``batch``
runs it on threads. No temporary array of the index's size is allocated per query: per-thread scratch
arrays are reused (``Scratch``), and each query leaves them as it found them. Importing this module
imports numba (about 0.4 s): the one-shot ``match`` command does without it.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np

# score.py's constants, repeated here on purpose: numba compiles globals in as constants and its disk cache
# only notices changes to this file (a test checks that the two agree).
_SAFETY = 1 + 1e-9  # float64 bounds are widened by this factor against rounding (block bounds twice)
_TINY = float(np.finfo(np.float64).smallest_subnormal)

jit = numba.njit(cache=True, nogil=True)

SEGMENT = 32_768
"""Organisations whose rare parts a pruned query sums at a time: 256 KB of float32 pairs, which stay in a
core's cache (half of this machine's 512 KB L2) where the whole index's would not (800 KB at 100k)."""


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
def _scatter(terms, weights, postings, acc, side):
    """Add, in term order, the postings of the query's terms into column ``side`` of ``acc`` (float64:
    the same sums as ``index.dot_all``). Both sides share one row per organisation: one cache line."""
    ptr, idx, dat = postings
    for i in range(len(terms)):
        t = terms[i]
        w = np.float64(weights[i])
        for p in range(ptr[t], ptr[t + 1]):
            acc[idx[p], side] += np.float64(dat[p]) * w


@jit
def _rare_terms(terms, weights, postings, common_df, term_group, group_sq):
    """The query's rare terms (held by at most ``common_df`` organisations), their weights (float32) and
    their first postings entry; the squared norm of the query over its other (common) terms, returned,
    and over each group of them (``term_group``), added into ``group_sq``."""
    ptr = postings[0]
    rare = np.empty(len(terms), np.int64)
    w = np.empty(len(terms), np.float32)
    cursor = np.empty(len(terms), np.int64)
    count = 0
    common = 0.0
    for i in range(len(terms)):
        t = terms[i]
        if ptr[t + 1] - ptr[t] > common_df:
            sq = np.float64(weights[i]) * np.float64(weights[i])
            common += sq
            group_sq[term_group[t]] += sq
            continue
        rare[count], w[count], cursor[count] = t, np.float32(weights[i]), ptr[t]
        count += 1
    return rare[:count], w[:count], cursor[:count], common


@jit
def _group_bound(o, fr, br, qg_f, qg_b, gn, fdef, bdef, m):
    """Upper bound of ``o``'s score from its rare parts ``fr`` and ``br`` plus, per group of common terms,
    the query's norm times ``o``'s (``index.group_norms``): Cauchy-Schwarz within each group."""
    fo, bo = fr, br
    for g in range(len(qg_f)):
        fo += qg_f[g] * np.float64(gn[o, 0, g])
        bo += qg_b[g] * np.float64(gn[o, 1, g])
    return _combine(fo, bo, fdef, bdef, m) * _SAFETY


@jit
def _scatter_segment(rare, w, cursor, postings, end, acc, side, seen):
    """Add, in term order, the postings of the rare terms that fall below organisation ``end`` into
    column ``side`` of ``acc`` (float32: half the memory traffic of float64, for a bound), setting each
    organisation's bit in ``seen``; ``cursor`` moves on to each term's first entry at or past ``end``.
    Postings are sorted by organisation, so a query walks the index one segment at a time, and the
    segment's part of ``acc`` stays in the core's cache."""
    ptr, idx, dat = postings
    for i in range(len(rare)):
        p, hi, wi = cursor[i], ptr[rare[i] + 1], w[i]
        while p < hi:
            o = idx[p]
            if o >= end:
                break
            acc[o, side] += np.float32(dat[p]) * wi
            seen[o >> 6] |= np.uint64(1) << np.uint64(o & 63)
            p += 1
        cursor[i] = p


_DEBRUIJN = 0x03F79D71B4CB0A89  # a de Bruijn sequence: the top 6 bits of (1 << i) * it differ for each i
_DEBRUIJN_POS = np.zeros(64, dtype=np.int64)
_DEBRUIJN_POS[[((_DEBRUIJN << i) & (2**64 - 1)) >> 58 for i in range(64)]] = np.arange(64)


@jit
def _lowest_bit(word):
    """Position of the lowest set bit of a nonzero uint64 (de Bruijn multiplication)."""
    low = word & (~word + np.uint64(1))
    return _DEBRUIJN_POS[(low * np.uint64(_DEBRUIJN)) >> np.uint64(58)]


@jit
def _widen(n_terms):
    """Factor that lifts a float32 sum of products of float32 values, over ``n_terms`` terms per
    organisation, back above the exact sum: each product and each addition rounds by at most 2^-24, so
    the sum is at most (n_terms + 1) such roundings low; twice that is a safe margin."""
    return 1 + 2 * (n_terms + 1) * 2.0**-24


@jit
def _reached(acc, touched, n):
    """Lists in ``touched`` the organisations with a nonzero row of ``acc``, in order; returns how many.
    One pass in memory order, without a branch (it would be mispredicted at random)."""
    count = 0
    for o in range(n):
        touched[count] = o
        count += (acc[o, 0] != 0) | (acc[o, 1] != 0)
    return count


@jit
def _row_dot(o, matrix, slots, bits, weights):
    """Dot product of row ``o`` with the query whose term positions are in ``slots`` (``index.dot_rows``).
    ``bits`` has a bit set for each query term: it fits in a core's cache where ``slots`` does not."""
    ptr, idx, dat = matrix
    s = 0.0
    for p in range(ptr[o], ptr[o + 1]):
        t = idx[p]
        if bits[t >> 6] & (np.uint64(1) << np.uint64(t & 63)):
            j = slots[t]
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
def _score(o, q, ix, fdef, m, s, out, count):
    """Score ``o`` in full from its own rows into ``out`` at ``count``; returns its score."""
    rows, f, b, score = out
    fo = _row_dot(o, ix.cap_vectors, s.slots_f, s.bits_f, q.need_w)
    bo = _row_dot(o, ix.need_vectors, s.slots_b, s.bits_b, q.cap_w)
    rows[count], f[count], b[count] = o, fo, bo
    score[count] = _combine(fo, bo, fdef, ix.has_needs[o], m)
    return score[count]


@jit
def exhaustive_top(q, ix, fdef, allowed, k, m, s):
    """Every allowed organisation that shares a term with the seeker, from the postings of all its terms
    (``score._exhaustive_top``): ``(rows, score, forward, backward)``."""
    acc, touched = s.acc64, s.touched
    _scatter(q.need_t, q.need_w, ix.cap_postings, acc, 0)
    _scatter(q.cap_t, q.cap_w, ix.need_postings, acc, 1)
    nt = _reached(acc, touched, len(ix.has_needs))
    kth = np.zeros(k)  # the k best scores so far, ascending (0 until k positive ones are seen)
    rows, f, b, score = np.empty(nt, np.int64), np.empty(nt), np.empty(nt), np.empty(nt)
    count = 0
    for i in range(nt):
        o = touched[i]
        if allowed[o]:
            rows[count], f[count], b[count] = o, acc[o, 0], acc[o, 1]
            score[count] = _combine(acc[o, 0], acc[o, 1], fdef, ix.has_needs[o], m)
            _insert(kth, score[count])
            count += 1
        acc[o, 0], acc[o, 1] = 0.0, 0.0
    best = _best(rows[:count], score[:count], kth)
    return rows[best], score[best], f[best], b[best]


@jit
def _sum_share(fdef, bdef, m):
    """A factor that bounds ``_combine(f, b, fdef, bdef, m)`` by ``f + b`` times it, with no division: the
    harmonic mean of two sides is at most their average, so with both sides the score is at most
    (f + b) / 2 whatever the mutuality ``m`` (at least 0); with one, it is that side, at most f + b."""
    return 0.5 if fdef and bdef else 1.0


@jit
def pruned_top(q, ix, blocks, fdef, allowed, k, m, budget, step, segment, s, floor=0.0):
    """The pruned query: ``(rows, score, forward, backward, ok, scored, scores)``; ``ok`` is False (and the
    rest empty) when more than ``budget`` organisations would need scoring in full. ``scored`` and
    ``scores`` are every organisation scored in full and its score.

    ``floor``, when positive, is known to be at most the k-th best score (the k-th best of exact scores of
    k allowed partners): organisations whose bound is below it are dropped at once, and the first level
    is at least the floor. The query raises it as it goes, with the k best lower bounds it meets."""
    gn, n = ix.group_norms, len(ix.has_needs)
    qg_f, qg_b = np.zeros(gn.shape[2]), np.zeros(gn.shape[2])
    rare_f = _rare_terms(q.need_t, q.need_w, ix.cap_postings, ix.common_df, ix.term_group[0], qg_f)
    rare_b = _rare_terms(q.cap_t, q.cap_w, ix.need_postings, ix.common_df, ix.term_group[1], qg_b)
    cf, cb, qg_f, qg_b = np.sqrt(rare_f[3]), np.sqrt(rare_b[3]), np.sqrt(qg_f), np.sqrt(qg_b)
    nt, floor, top = _reach(rare_f, rare_b, cf, cb, ix, s, allowed, fdef, k, m, segment, floor)
    top = max(top, _block_bounds(blocks, cf, cb, fdef, m, s.bbound))
    _mark_query(q, s, True)
    out = np.empty(budget, np.int64), np.empty(budget), np.empty(budget), np.empty(budget)
    norms = (cf, cb, qg_f, qg_b)
    count, ok, kth = _rounds(q, ix, blocks, fdef, allowed, k, m, budget, step, s, nt, top, floor, norms, out)
    _mark_query(q, s, False)
    s.seen[: (n + 63) >> 6] = 0
    s.tight[:nt] = False
    rows, f, b, score = out
    best = _best(rows[:count], score[:count], kth)
    if not ok:
        best, count = best[:0], 0
    return rows[best], score[best], f[best], b[best], ok, rows[:count], score[:count]


@jit
def _reach(rare_f, rare_b, cf, cb, ix, s, allowed, fdef, k, m, segment, floor):
    """The organisations a rare term of the query reaches, segment by segment, each with a bound (rare part
    plus common norms) in ``s.touched`` and ``s.tbound``: ``(how many, the floor, the highest bound)``. The
    k best lower bounds met (the rare parts alone: every weight is positive) raise the floor."""
    acc, touched, tbound, seen = s.acc32, s.touched, s.tbound, s.seen
    cn, has_needs = ix.common_norms, ix.has_needs
    n = len(has_needs)
    widen_f, widen_b = _widen(len(rare_f[0])), _widen(len(rare_b[0]))
    half = np.array([_sum_share(fdef, False, m), _sum_share(fdef, True, m)]) * _SAFETY
    lows = np.zeros(k)
    nt = 0
    top = 0.0
    for start in range(0, n, segment):
        end = min(start + segment, n)
        _scatter_segment(rare_f[0], rare_f[1], rare_f[2], ix.cap_postings, end, acc, 0, seen)
        _scatter_segment(rare_b[0], rare_b[1], rare_b[2], ix.need_postings, end, acc, 1, seen)
        for j in range(start >> 6, (end + 63) >> 6):
            word = seen[j]
            while word:
                o = (j << 6) + _lowest_bit(word)
                word &= word - np.uint64(1)
                a0, a1 = np.float64(acc[o, 0]), np.float64(acc[o, 1])
                acc[o, 0], acc[o, 1] = 0.0, 0.0
                if not allowed[o]:
                    continue
                fr, br = a0 * widen_f, a1 * widen_b
                fo, bo = fr + cf * cn[o, 0], br + cb * cn[o, 1]
                h = half[np.int64(has_needs[o])]
                if (fo + bo) * h < floor:  # no need for a bound of its own (``_sum_share``)
                    continue
                if (a0 + a1) * h > lows[0]:  # the rare parts alone may make a better lower bound
                    low = _combine(a0 / widen_f, a1 / widen_b, fdef, has_needs[o], m) / _SAFETY
                    if low > lows[0]:
                        _insert(lows, low)
                        floor = max(floor, lows[0])
                u = _combine(fo, bo, fdef, has_needs[o], m) * _SAFETY
                top = max(top, u)
                touched[nt], tbound[nt], s.rare_f[nt], s.rare_b[nt] = o, u, fr, br
                nt += 1
    return nt, floor, top


@jit
def _block_bounds(blocks, cf, cb, fdef, m, bbound):
    """Every block's bound from its members' largest common norms (into ``bbound``), and the highest."""
    top = 0.0
    for j in range(len(blocks.max_cap)):
        u = _upper(cf * blocks.max_cap[j], cb * blocks.max_need[j], fdef, blocks.needs[j], blocks.without[j], m)
        bbound[j] = u * (_SAFETY * _SAFETY)
        top = max(top, bbound[j])
    return top


@jit
def _rounds(q, ix, blocks, fdef, allowed, k, m, budget, step, s, nt, top, floor, norms, out):
    """Score in full, round by round, the organisations whose bound lies in a falling band ``[level,
    above)``, best bound first, into ``out``: ``(how many, ok, the k best scores ascending)``. The first
    time a bound reaches a level it is tightened by the group norms (``tight``), and the tighter bound
    decides from then on. ``ok`` is False when more than ``budget`` would need scoring. ``norms``: the
    query's common norms on each side, and per group."""
    kth = np.zeros(k)  # the k best scores so far, ascending (0 until k positive ones are seen)
    count = 0
    ok = True
    level, above = max(top * step, floor), np.inf
    while top > 0:  # else nobody can score above 0, so nobody is ranked
        nb = _band(ix, blocks, fdef, allowed, m, s, nt, level, above, norms)
        # the band, best bound first, until the k-th best score so far is above the bounds left: those
        # left cannot make the top k, and the k-th best is then above the level too, so this is the end
        for i in np.argsort(-s.band_u[:nb]):
            if s.band_u[i] < kth[0]:
                break
            if count == budget:
                ok = False
                break
            _insert(kth, _score(s.band_o[i], q, ix, fdef, m, s, out, count))
            count += 1
        if not ok or kth[0] >= level or level == _TINY or level <= floor:
            break  # at the floor, everyone who might make the top k has been scored
        above, level = level, max(kth[0], level * step, floor)
        if level < top * 1e-6:
            level = _TINY  # at _TINY, all that can score above 0 are scored
    return count, ok, kth


@jit
def _band(ix, blocks, fdef, allowed, m, s, nt, level, above, norms):
    """The organisations whose bound lies in ``[level, above)``, with their bounds, into ``s.band_o`` and
    ``s.band_u``: those a rare term reached, then the members of blocks whose bound reaches the level."""
    tbound, tight, touched, band_o, band_u = s.tbound, s.tight, s.touched, s.band_o, s.band_u
    cn, gn, has_needs, seen = ix.common_norms, ix.group_norms, ix.has_needs, s.seen
    cf, cb, qg_f, qg_b = norms
    nb = 0
    for i in range(nt):
        u = tbound[i]
        if u >= level and not tight[i]:
            tight[i] = True
            o = touched[i]
            u = tbound[i] = min(u, _group_bound(o, s.rare_f[i], s.rare_b[i], qg_f, qg_b, gn, fdef, has_needs[o], m))
        if u >= level and u < above:
            band_o[nb], band_u[nb] = touched[i], u
            nb += 1
    order, size = blocks.order, blocks.size
    for j in range(len(blocks.max_cap)):
        if s.bbound[j] < level:
            continue
        for i in range(j * size, (j + 1) * size):
            o = order[i]
            if o < 0 or seen[o >> 6] & (np.uint64(1) << np.uint64(o & 63)) or not allowed[o]:
                continue  # padding, reached by a rare term (in the band above), or not to be recommended
            u = _combine(cf * cn[o, 0], cb * cn[o, 1], fdef, has_needs[o], m) * _SAFETY
            if u >= level:  # tightened on every round: these are few, and a block rarely passes
                u = min(u, _group_bound(o, 0.0, 0.0, qg_f, qg_b, gn, fdef, has_needs[o], m))
            if u >= level and u < above:
                band_o[nb], band_u[nb] = o, u
                nb += 1
    return nb


@jit
def top_of_each_loop(seekers, ix, blocks, prune, exclude, k, m, budget, step, segment, s, out, hints):
    """``reciprocal_top`` for each organisation of ``seekers``, leaving out itself and the organisations of
    its row of ``exclude`` (a CSR matrix; with no rows, none): its ``out_len[i]`` best partners go to row
    ``i`` of ``out_rows``, ``out_score``, ``out_f`` and ``out_b``.

    ``hints`` (one row of k scores per organisation, ascending, or no rows) carries what the queries learn
    for later ones: a score is the same both ways, so each score computed in full is also a score of the
    partner's with the seeker, and the k best of those bound the partner's own k-th best from below (its
    query's floor). Valid only while no organisation is a seeker twice."""
    out_rows, out_score, out_f, out_b, out_len = out
    allowed = np.ones(len(ix.has_needs), np.bool_)
    cap, need = ix.cap_vectors, ix.need_vectors
    for i in range(len(seekers)):
        a = seekers[i]
        lo, hi = 0, 0
        if a + 1 < len(exclude.ptr):
            lo, hi = exclude.ptr[a], exclude.ptr[a + 1]
        allowed[a] = False
        for p in range(lo, hi):
            allowed[exclude.idx[p]] = False
        n0, n1, c0, c1 = need.ptr[a], need.ptr[a + 1], cap.ptr[a], cap.ptr[a + 1]
        q = Query(need.idx[n0:n1], need.dat[n0:n1], cap.idx[c0:c1], cap.dat[c0:c1])
        fdef = ix.has_needs[a]
        ok = False
        if prune:
            floor = hints[a, 0] if len(hints) else 0.0
            rows, score, f, b, ok, scored, scores = pruned_top(
                q, ix, blocks, fdef, allowed, k, m, budget, step, segment, s, floor
            )
            if len(hints):
                _hint(a, scored, scores, exclude, hints)
        if not ok:
            rows, score, f, b = exhaustive_top(q, ix, fdef, allowed, k, m, s)
        c = len(rows)
        out_rows[i, :c], out_score[i, :c], out_f[i, :c], out_b[i, :c], out_len[i] = rows, score, f, b, c
        allowed[a] = True
        for p in range(lo, hi):
            allowed[exclude.idx[p]] = True


@jit
def _hint(a, scored, scores, exclude, hints):
    """Each score of ``a`` with an organisation, into that organisation's ``hints`` where ``a`` may be
    recommended to it (not in its row of ``exclude``)."""
    for j in range(len(scored)):
        o = scored[j]
        if scores[j] <= hints[o, 0]:
            continue
        excluded = False
        if o + 1 < len(exclude.ptr):
            for p in range(exclude.ptr[o], exclude.ptr[o + 1]):
                excluded |= exclude.idx[p] == a
        if not excluded:
            _insert(hints[o], scores[j])


@jit
def _mark_query(q, s, on):
    """Set (or clear) the position and the bit of each query term, which ``_row_dot`` looks up."""
    for t_, slots, bits in ((q.need_t, s.slots_f, s.bits_f), (q.cap_t, s.slots_b, s.bits_b)):
        for i in range(len(t_)):
            t = t_[i]
            if on:
                slots[t] = i
                bits[t >> 6] |= np.uint64(1) << np.uint64(t & 63)
            else:  # (not a conditional expression: numba would type its two sides' union as a float)
                slots[t] = -1
                bits[t >> 6] = np.uint64(0)


@jit
def group_sums(indptr, indices, data, term_group, groups):
    """``index.group_sums``, compiled: the same sums in the same order."""
    n = len(indptr) - 1
    out = np.zeros((n, groups))
    for o in range(n):
        for p in range(indptr[o], indptr[o + 1]):
            g = term_group[indices[p]]
            if g >= 0:
                w = np.float64(data[p])
                out[o, g] += w * w
    return out


class Query(NamedTuple):
    need_t: np.ndarray  # the seeker's need vector: terms (sorted) and weights
    need_w: np.ndarray
    cap_t: np.ndarray  # its capability vector
    cap_w: np.ndarray


class Sparse(NamedTuple):
    """An ``index.Csr``'s arrays, in a form numba reads."""

    ptr: np.ndarray
    idx: np.ndarray
    dat: np.ndarray


class IndexArrays(NamedTuple):
    """The arrays of an ``Index`` that the kernel reads."""

    cap_postings: Sparse  # terms x organisations
    need_postings: Sparse
    cap_vectors: Sparse  # organisations x terms
    need_vectors: Sparse
    common_df: int
    common_norms: np.ndarray  # (n_orgs, 2), float32 rounded up
    term_group: np.ndarray  # (2, n_terms): group of each common term per side, -1 for rare terms
    group_norms: np.ndarray  # (n_orgs, 2, groups), float32 rounded up
    has_needs: np.ndarray


class Blocks(NamedTuple):
    """``index.norm_blocks``."""

    order: np.ndarray
    max_cap: np.ndarray
    max_need: np.ndarray
    needs: np.ndarray
    without: np.ndarray
    size: int


class ScratchArrays(NamedTuple):
    """Working arrays of one thread; every query leaves them as it found them (zeros, -1s)."""

    acc64: np.ndarray  # (n_orgs, 2) exact sums of the exhaustive query
    acc32: np.ndarray  # (n_orgs, 2) rare parts of the pruned query
    seen: np.ndarray  # a bit per organisation: reached by a rare term of the pruned query
    touched: np.ndarray  # the organisations reached, in order
    tbound: np.ndarray  # their bounds
    rare_f: np.ndarray  # their rare parts, widened
    rare_b: np.ndarray
    tight: np.ndarray  # whether their bound has been tightened by the group norms
    band_o: np.ndarray  # the organisations whose bounds lie in a round's band, and their bounds
    band_u: np.ndarray
    bbound: np.ndarray  # block bounds
    slots_f: np.ndarray  # position of each term in the need query, or -1
    slots_b: np.ndarray  # ... in the capability query
    bits_f: np.ndarray  # a bit per term of the need query
    bits_b: np.ndarray  # ... of the capability query
