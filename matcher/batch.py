"""Every organisation's top partners at once: the library behind ``matcher batch``.

Two exact strategies, chosen by size, give the same partners as ``match`` for every organisation:

- up to ``BLOCK_MAX`` organisations, one sparse product scores every pair (needs x capabilities: the
  forward side of a pair is the backward side of its mirror), then blocks of seekers are ranked at once;
- above it, each organisation runs the reciprocal top-k of ``match`` (``score.reciprocal_top``, pruned on
  large indexes), spread over worker processes that share the memory-mapped index.

Either way, the organisations that may be returned are ``Matcher.allowed``'s, as for ``match``.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from .index import CAPABILITY, NEED
from .matching import Matcher
from .score import combine, reciprocal_top, top_k_rows

BLOCK_MAX = 4_096  # up to this many organisations, all forward scores are held at once (128 MB)
BLOCK = 256  # seekers ranked at once: BLOCK x n float64 scores
CHUNK = 256  # organisations per task sent to a worker process


@dataclass(frozen=True)
class Partners:
    """One organisation's best partners, best first (arrays of equal length)."""

    org: int
    rows: np.ndarray
    score: np.ndarray
    forward: np.ndarray | None  # None when the organisation lists no needs
    backward: np.ndarray  # NaN where the partner lists no needs


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def all_top_partners(
    matcher: Matcher,
    *,
    top: int = 10,
    new_only: bool = False,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
    orgs: Sequence[int] | None = None,
) -> Iterator[Partners]:
    """The ``top`` best partners of every organisation, in organisation order, or of the rows ``orgs``
    only, in the order given.

    ``progress`` is called with the number of organisations done since the last call.
    """
    n = matcher.index.n_orgs
    orgs = np.arange(n) if orgs is None else np.asarray(orgs, dtype=np.int64)
    if n <= BLOCK_MAX:
        yield from _blockwise(matcher, orgs, top, new_only, progress)
        return
    workers = workers or default_workers()
    if len(orgs):  # compile (or load) the kernel and build its tables once here, not in every worker
        reciprocal_top(matcher.index, int(orgs[0]), top, compiled=matcher.compiled)
    chunks = [(orgs[lo : lo + CHUNK], top, new_only) for lo in range(0, len(orgs), CHUNK)]
    if workers <= 1 or "fork" not in _start_methods():
        for chunk in chunks:
            yield from _chunk(chunk, matcher)
            if progress:
                progress(len(chunk[0]))
        return
    import multiprocessing

    global _WORKER_MATCHER
    _WORKER_MATCHER = matcher  # inherited by the forked workers, with the index's memory-mapped arrays
    pool = multiprocessing.get_context("fork").Pool(workers, initializer=_ignore_interrupts)
    try:
        for done in pool.imap(_chunk, chunks):
            yield from done
            if progress:
                progress(len(done))
        pool.close()
    finally:
        pool.terminate()
        pool.join()
        _WORKER_MATCHER = None


_WORKER_MATCHER: Matcher | None = None


def _start_methods() -> list[str]:
    import multiprocessing

    return multiprocessing.get_all_start_methods()


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the pool


def _chunk(task, matcher: Matcher | None = None) -> list[Partners]:
    seekers, top, new_only = task
    matcher = matcher or _WORKER_MATCHER
    index = matcher.index
    has_needs = index.has_needs
    out = []
    for a in seekers.tolist():
        rows, score, f, b = reciprocal_top(
            index, a, top, matcher.allowed(a, new_only=new_only), compiled=matcher.compiled
        )
        out.append(_partners(a, rows, score, f, b, has_needs))
    return out


def _partners(a, rows, score, f, b, has_needs) -> Partners:
    return Partners(
        a, rows, score, f if has_needs[a] else None, np.where(has_needs[rows], b, np.nan).astype(np.float64)
    )


def _blockwise(matcher: Matcher, orgs: np.ndarray, top: int, new_only: bool, progress) -> Iterator[Partners]:
    index = matcher.index
    has_needs = index.has_needs
    cap = index.org_vectors[CAPABILITY].to_scipy().astype(np.float64)
    need = index.org_vectors[NEED].to_scipy().astype(np.float64)
    everyone = (need @ cap.T).toarray()  # everyone[a, b]: b's capabilities against a's needs
    for lo in range(0, len(orgs), BLOCK):
        seekers = orgs[lo : lo + BLOCK]
        forward, backward = everyone[seekers], everyone[:, seekers].T  # backward[a, b] = forward[b, a]
        score, _, _ = combine(forward, backward, has_needs[seekers, None], has_needs[None, :], weights=False)
        score[~matcher.allowed_rows(seekers, new_only)] = 0.0  # top_k_rows never returns a 0
        i, j, ends = top_k_rows(score, top)
        best, f, b = score[i, j], forward[i, j], np.where(has_needs[j], backward[i, j], np.nan)
        for r, a in enumerate(seekers.tolist()):
            e0, e1 = ends[r], ends[r + 1]
            yield Partners(a, j[e0:e1], best[e0:e1], f[e0:e1] if has_needs[a] else None, b[e0:e1])
        if progress:
            progress(len(seekers))
