"""The Python side of the compiled query (``kernels``): the index's arrays in the form numba reads, per-thread
scratch arrays, and the two entry points ``score.reciprocal_top`` and ``batch`` call. ``score.compiled_kernel``
returns this module (importing it imports numba)."""

from __future__ import annotations

import threading

import numpy as np

from ..index.vectors import CAPABILITY, NEED
from .kernels import (
    SEGMENT,
    Blocks,
    IndexArrays,
    Query,
    ScratchArrays,
    Sparse,
    exhaustive_top,
    group_sums,
    pruned_top,
    top_of_each_loop,
)

__all__ = ["group_sums", "reciprocal_top", "top_of_each"]


class Scratch(threading.local):
    arrays: ScratchArrays | None = None

    def get(self, n_orgs: int, n_terms: int, n_blocks: int) -> ScratchArrays:
        a = self.arrays
        if a is None or len(a.touched) < n_orgs or len(a.bbound) < n_blocks or len(a.slots_f) < n_terms:
            if a is not None:
                n_orgs, n_blocks = max(n_orgs, len(a.touched)), max(n_blocks, len(a.bbound))
                n_terms = max(n_terms, len(a.slots_f))
            self.arrays = ScratchArrays(
                np.zeros((n_orgs, 2)),
                np.zeros((n_orgs, 2), dtype=np.float32),
                np.zeros(n_orgs // 64 + 1, dtype=np.uint64),
                np.empty(n_orgs, dtype=np.int64),
                np.empty(n_orgs),
                np.empty(n_orgs),
                np.empty(n_orgs),
                np.zeros(n_orgs, dtype=np.bool_),
                np.empty(n_orgs, dtype=np.int64),
                np.empty(n_orgs),
                np.empty(max(n_blocks, 1)),
                np.full(n_terms, -1, dtype=np.int32),
                np.full(n_terms, -1, dtype=np.int32),
                np.zeros(n_terms // 64 + 1, dtype=np.uint64),
                np.zeros(n_terms // 64 + 1, dtype=np.uint64),
            )
        return self.arrays


_scratch = Scratch()


def _sparse(m) -> Sparse:
    return Sparse(m.indptr, m.indices, m.data)


def index_arrays(index) -> IndexArrays:
    if index.common_norms is not None:
        cn, (term_group, gn) = index.norms_by_org, index.group_norms
    else:  # only the exhaustive query runs
        cn, term_group, gn = np.zeros((index.n_orgs, 2), np.float32), np.zeros((2, 0), np.int16), np.zeros((0, 2, 1))
    return IndexArrays(
        _sparse(index.postings[CAPABILITY]),
        _sparse(index.postings[NEED]),
        _sparse(index.org_vectors[CAPABILITY]),
        _sparse(index.org_vectors[NEED]),
        int(index.common_df),
        cn,
        term_group,
        gn.astype(np.float32, copy=False),
        index.has_needs,
    )


def _segment() -> int:
    return max(64, SEGMENT // 64 * 64)  # whole words of the bit set


def top_of_each(index, seekers, k, exclude, *, mutuality, prune, budget, step, hints=None):
    """The ``k`` best partners of each row of ``seekers`` (``reciprocal_top`` of each, in one compiled loop),
    each leaving out itself and, where ``exclude`` (an ``index.Csr``, organisations x organisations) is
    given, its row there. Returns ``(rows, score, forward, backward, count)``: row ``i`` holds the
    ``count[i]`` partners of ``seekers[i]``, best first. Runs without the GIL: threads run in parallel.

    ``hints``: an (n_orgs, k) array of zeros, handed to every call of one batch (one per thread), in which
    queries leave what they learn for later ones (``_top_of_each``). No organisation may be a seeker twice
    with the same hints."""
    prune = prune and index.common_norms is not None
    blocks = Blocks(*index.norm_blocks) if prune else _NO_BLOCKS
    scratch = _scratch.get(index.n_orgs, len(index.idf), len(blocks.max_cap))
    seekers = np.asarray(seekers, dtype=np.int64)
    m = len(seekers)
    out = (np.zeros((m, k), np.int64), np.zeros((m, k)), np.zeros((m, k)), np.zeros((m, k)), np.zeros(m, np.int64))
    exclude = _NO_ROWS if exclude is None else _sparse(exclude)
    ix = index_arrays(index)
    hints = np.zeros((0, k)) if hints is None else hints
    top_of_each_loop(seekers, ix, blocks, prune, exclude, k, mutuality, budget, step, _segment(), scratch, out, hints)
    return out


_NO_BLOCKS = Blocks(np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros(0, bool), np.zeros(0, bool), 1)
_NO_ROWS = Sparse(np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32))


def reciprocal_top(index, org, k, allowed, *, mutuality, prune, budget, step):
    """``score.reciprocal_top`` through the compiled kernel: ``(rows, score, forward, backward)``, or
    None when the bounds cannot prune (``prune=False`` reads every postings list)."""
    prune = prune and index.common_norms is not None
    blocks = Blocks(*index.norm_blocks) if prune else None
    scratch = _scratch.get(index.n_orgs, len(index.idf), len(blocks.max_cap) if prune else 0)
    q = Query(*index.vector(org, NEED), *index.vector(org, CAPABILITY))
    if allowed is None:
        allowed = np.ones(index.n_orgs, dtype=bool)
    fdef = bool(index.has_needs[org])
    if not prune:
        return exhaustive_top(q, index_arrays(index), fdef, allowed, k, mutuality, scratch)
    rows, score, f, b, ok, _, _ = pruned_top(
        q, index_arrays(index), blocks, fdef, allowed, k, mutuality, budget, step, _segment(), scratch
    )
    return (rows, score, f, b) if ok else None
