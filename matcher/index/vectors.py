"""Sparse vectors and the arithmetic every build and every query share: rows, dot products, weights, norms.

``Csr`` holds a compressed sparse row matrix as three numpy arrays, readable without scipy (a stored index is
memory-mapped and queried with numpy alone). ``dot_all`` walks a query's postings lists, ``dot_rows`` reads
given rows; both sum in the same order, so a score never depends on which computed it. The norms over
*common* terms bound what a pruned query leaves unread (``ranking.score.reciprocal_top``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

CAPABILITY, NEED = 0, 1
COMMON_SHARE = 32
"""A term is *common* when more than 1/COMMON_SHARE of the organisations hold it (see ``score.reciprocal_top``)."""


NORM_BLOCK = 64  # organisations per block of ``Index.norm_blocks``
COMMON_GROUPS = 32
"""Common terms are dealt into this many groups, by document frequency, for ``Index.group_norms``."""


def common_cutoff(n_orgs: int) -> int:
    """Document frequency above which a term's postings are too long to read on every query."""
    return max(16, n_orgs // COMMON_SHARE)


@dataclass(frozen=True)
class Csr:
    """A compressed sparse row matrix as three numpy arrays, readable without scipy."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    shape: tuple[int, int]

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Column indices (sorted) and values of row ``i``."""
        lo, hi = self.indptr[i], self.indptr[i + 1]
        return self.indices[lo:hi], self.data[lo:hi]

    @classmethod
    def from_scipy(cls, m) -> Csr:
        m = m.tocsr()
        m.sort_indices()
        return cls(
            m.indptr.astype(np.int64),
            m.indices.astype(np.int32),
            m.data.astype(np.float32),
            (int(m.shape[0]), int(m.shape[1])),
        )

    def to_scipy(self):
        from scipy.sparse import csr_matrix

        return csr_matrix((self.data, self.indices, self.indptr), shape=self.shape)


def concat_ranges(lo: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Positions ``lo[i], ..., lo[i] + lens[i] - 1`` for every i, concatenated: the entries of several
    rows of a compressed sparse matrix, read in one vectorised gather."""
    ends = np.cumsum(lens)
    return np.arange(int(ends[-1]) if len(ends) else 0, dtype=np.int64) + np.repeat(lo - (ends - lens), lens)


def gather(query: tuple[np.ndarray, np.ndarray], postings: Csr) -> tuple[np.ndarray, np.ndarray]:
    """The postings of a sparse query's terms: (row, query weight x posting value) for every entry.

    One vectorised gather over all the terms' postings lists, however many terms the query has.
    """
    terms, weights = query
    lo = postings.indptr[terms]
    lens = postings.indptr[terms + 1] - lo
    if int(lens.sum()) == 0:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float64)
    pos = concat_ranges(lo, lens)
    return postings.indices[pos], postings.data[pos] * np.repeat(np.asarray(weights, dtype=np.float64), lens)


_scratch = threading.local()


def _term_slots(n_terms: int) -> np.ndarray:
    """A per-thread array of -1s, one per term, that ``dot_rows`` fills and clears again on every call."""
    slots = getattr(_scratch, "slots", None)
    if slots is None or len(slots) < n_terms:
        slots = _scratch.slots = np.full(n_terms, -1, dtype=np.int32)
    return slots


def dot_rows(query: tuple[np.ndarray, np.ndarray], matrix: Csr, rows: np.ndarray) -> np.ndarray:
    """Dot product of one sparse query vector with the given rows of ``matrix`` (terms sorted on both sides).

    Sums the same products in the same order as ``dot_all`` (term order), so the result is bit-identical:
    a score does not depend on which of the two computed it.
    """
    terms, weights = query
    out = np.zeros(len(rows))
    if len(terms) == 0 or len(rows) == 0:
        return out
    lo = matrix.indptr[rows]
    lens = matrix.indptr[rows + 1] - lo
    pos = concat_ranges(lo, lens)
    cols = matrix.indices[pos]
    slots = _term_slots(matrix.shape[1])
    slots[terms] = np.arange(len(terms), dtype=np.int32)
    try:
        j = slots[cols]
    finally:
        slots[terms] = -1
    hit = j >= 0
    owner = np.repeat(np.arange(len(rows)), lens)[hit]
    w = np.asarray(weights, dtype=np.float64)[j[hit]]
    return np.bincount(owner, weights=matrix.data[pos[hit]] * w, minlength=len(rows))


def dot_all(query: tuple[np.ndarray, np.ndarray], postings: Csr) -> np.ndarray:
    """Dot product of one sparse query vector with every row of the matrix whose transpose is ``postings``.

    Only the postings lists of the query's terms are read (an inverted-index traversal), not every row.
    """
    rows, vals = gather(query, postings)
    return np.bincount(rows, weights=vals, minlength=postings.shape[1]).astype(np.float64, copy=False)


def smoothed_idf(df: np.ndarray, n_docs: int) -> np.ndarray:
    """scikit-learn's smoothed IDF, ln((1 + n) / (1 + df)) + 1, and 0 for a term no document holds."""
    return np.where(df > 0, np.log((1 + n_docs) / (1 + df)) + 1, 0.0)


def sublinear_rows(counts, idf: np.ndarray):
    """(1 + log tf) * idf of every entry of a count matrix, rows L2-normalised (an empty row stays empty)."""
    from scipy import sparse

    W = counts.astype(np.float64).tocsr()
    W.data = (1.0 + np.log(W.data)) * idf[W.indices]
    length = np.sqrt(np.asarray(W.multiply(W).sum(axis=1)).ravel())
    return (sparse.diags(1 / np.where(length > 0, length, 1.0)) @ W).astype(np.float32).tocsr()


def sublinear_tfidf(ids: np.ndarray, tf: np.ndarray, idf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(1 + log tf) * idf, L2-normalised, as a sparse vector (no terms: an empty one)."""
    if len(ids) == 0:
        return np.zeros(0, np.int32), np.zeros(0, np.float32)
    w = (1.0 + np.log(tf.astype(np.float64))) * idf[ids]
    return ids, (w / np.linalg.norm(w)).astype(np.float32)


def common_norms(vectors: tuple[Csr, Csr], postings: tuple[Csr, Csr], cutoff: int) -> np.ndarray:
    """Each organisation's vector norm on each side over that side's common terms (held by > ``cutoff``)."""
    return common_norms_df(vectors, [np.diff(p.indptr) for p in postings], cutoff)


def common_norms_df(vectors: tuple[Csr, Csr], dfs, cutoff: int) -> np.ndarray:
    """``common_norms`` given each side's document frequencies (``dfs``) rather than its postings."""
    out = np.zeros((2, vectors[0].shape[0]))
    for side in (CAPABILITY, NEED):
        v = vectors[side]
        common = dfs[side][v.indices] > cutoff
        rows = np.repeat(np.arange(v.shape[0]), np.diff(v.indptr))
        sq = np.square(v.data, dtype=np.float64)
        out[side] = np.sqrt(np.bincount(rows[common], weights=sq[common], minlength=v.shape[0]))
    return out


def group_norms(
    vectors: tuple[Csr, Csr], postings: tuple[Csr, Csr], cutoff: int, groups: int = COMMON_GROUPS, sums=None
) -> tuple[np.ndarray, np.ndarray]:
    """The common terms of each side (held by more than ``cutoff``), dealt into ``groups`` groups in order
    of document frequency, and each organisation's norm over each group, per side.

    Returns ``(term_group, norms)``: ``term_group[side, term]`` is the term's group, or -1 for a rare term;
    ``norms[org, side, group]`` is float32, rounded up. By Cauchy-Schwarz within each group, a query's
    common part on a side is at most the sum over groups of its norm there times the organisation's: a
    much tighter bound than one norm over all common terms (``common_norms``), as a query and a partner
    rarely weigh the same groups alike.

    ``sums(indptr, indices, data, term_group, groups)`` gives each organisation's sum of squared weights
    per group (float64, ``(n_orgs, groups)``); by default ``group_sums``, in numpy.
    """
    term_group = term_groups([np.diff(p.indptr) for p in postings], cutoff, groups)
    return term_group, norms_by_group(vectors, term_group, groups, sums)


def term_groups(dfs, cutoff: int, groups: int = COMMON_GROUPS) -> np.ndarray:
    """``term_group`` of ``group_norms`` from each side's document frequencies."""
    term_group = np.full((2, len(dfs[0])), -1, dtype=np.int16)
    for side in (CAPABILITY, NEED):
        df = np.asarray(dfs[side])
        common = np.flatnonzero(df > cutoff)
        common = common[np.argsort(-df[common], kind="stable")]
        term_group[side, common] = np.arange(len(common)) % groups
    return term_group


def norms_by_group(vectors: tuple[Csr, Csr], term_group: np.ndarray, groups: int = COMMON_GROUPS, sums=None):
    """The ``norms`` of ``group_norms`` for these rows, given each term's group."""
    sums = sums or group_sums
    norms = np.zeros((vectors[0].shape[0], 2, groups), dtype=np.float32)
    for side in (CAPABILITY, NEED):
        v = vectors[side]
        exact = np.sqrt(sums(v.indptr, v.indices, v.data, term_group[side], groups))
        up = exact.astype(np.float32)
        norms[:, side] = np.where(up < exact, np.nextafter(up, np.float32(np.inf)), up)
    return norms


def group_sums(indptr, indices, data, term_group, groups: int, chunk: int = 65_536) -> np.ndarray:
    """Each row's sum of squared values per group of its columns (``term_group``, -1 for none), in row
    order; ``chunk`` rows at a time, so no temporary array is the size of the whole matrix."""
    n = len(indptr) - 1
    out = np.zeros((n, groups))
    for lo in range(0, n, chunk):
        hi = min(lo + chunk, n)
        a, b = indptr[lo], indptr[hi]
        g = term_group[indices[a:b]].astype(np.int64)
        keep = g >= 0
        rows = np.repeat(np.arange(hi - lo), np.diff(indptr[lo : hi + 1]))[keep]
        sq = np.square(data[a:b][keep], dtype=np.float64)
        out[lo:hi] = np.bincount(rows * groups + g[keep], weights=sq, minlength=(hi - lo) * groups).reshape(-1, groups)
    return out


def norm_blocks(common_norms: np.ndarray, has_needs: np.ndarray, size: int = NORM_BLOCK) -> tuple:
    """Organisations in blocks of ``size``, sorted by the sum of their common norms, and per block:
    ``(order, max capability norm, max need norm, some list needs, some list none, size)``. ``order``
    holds the organisations of block ``j`` at ``j * size`` and after, padded with -1 to whole blocks."""
    n = len(has_needs)
    n_blocks = -(-n // size)
    order = np.full(n_blocks * size, -1, dtype=np.int64)
    order[:n] = np.argsort(-(common_norms[CAPABILITY] + common_norms[NEED]), kind="stable")
    blocks = order.reshape(n_blocks, size)
    real = blocks >= 0
    needs = np.where(real, has_needs[blocks], False)
    return (
        order,
        np.where(real, common_norms[CAPABILITY][blocks], 0.0).max(axis=1, initial=0.0),
        np.where(real, common_norms[NEED][blocks], 0.0).max(axis=1, initial=0.0),
        needs.any(axis=1),
        (real & ~needs).any(axis=1),
        size,
    )
