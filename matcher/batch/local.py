"""Every organisation's top partners at once: the library behind ``matcher batch``.

Three exact strategies give the same partners as ``match`` for every organisation:

- with the compiled kernel (numba, a dependency where it has wheels), chunks of organisations run the
  reciprocal top-k of ``match`` in one compiled loop each (pruned on large indexes), on threads that share the index;
- without it, up to ``BLOCK_MAX`` organisations, one sparse product scores every pair (needs x
  capabilities: the forward side of a pair is the backward side of its mirror), then blocks of seekers
  are ranked at once;
- and above that, each organisation's ``score.reciprocal_top`` runs on worker processes that share the
  memory-mapped index.

In a store with a ranking model (``matcher import-cordis``), an organisation that lists no needs is ranked
for its newest records (``Ranking.recent_scores``, as ``match`` ranks it), on the worker processes.

Either way, the organisations that may be returned are ``Ranking.allowed``'s, as for ``match``.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from ..index.vectors import CAPABILITY, NEED
from ..ranking import score
from ..ranking.ranker import Ranking
from ..ranking.score import combine, kernel_for, reciprocal_top, top_k_rows

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
    # what ``match`` says of each (``annotate.annotated``): its rank in the full list, strength, relation, reason
    rank: np.ndarray | None = None
    strength: list[str] | None = None
    relation: list[str] | None = None
    reason: list[str] | None = None


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def all_top_partners(
    ranking: Ranking,
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
    n = ranking.index.n_orgs
    orgs = np.arange(n) if orgs is None else np.asarray(orgs, dtype=np.int64)
    workers = workers or default_workers()
    by_record = ranking.index.model is not None  # a store: who lists no needs is ranked for its newest records
    if ranking.semantic is not None and not by_record:  # the multilingual signal: dense scores per organisation
        yield from _with_semantic(ranking, orgs, top, new_only, progress)
        return
    small = n <= BLOCK_MAX
    # the compiled loop is the fastest at every size, but importing numba costs about 0.4 s: more than a
    # small set's whole batch takes without it, so a small set uses it only where it is loaded already
    wanted = ranking.compiled or (ranking.compiled is None and (not small or "matcher.ranking.kernels" in sys.modules))
    kernel = kernel_for(ranking.compiled) if wanted and not by_record else None
    if kernel is not None:
        yield from _threaded(ranking, kernel, orgs, top, new_only, workers, progress)
        return
    if small and not by_record:
        yield from _blockwise(ranking, orgs, top, new_only, progress)
        return
    if len(orgs) and not by_record:  # build the index's tables once here, not in every worker
        reciprocal_top(ranking.index, int(orgs[0]), top, compiled=ranking.compiled)
    chunks = [(orgs[lo : lo + CHUNK], top, new_only) for lo in range(0, len(orgs), CHUNK)]
    if workers <= 1 or "fork" not in _start_methods():
        for chunk in chunks:
            yield from _chunk(chunk, ranking)
            if progress:
                progress(len(chunk[0]))
        return
    global _WORKER_RANKING
    _WORKER_RANKING = ranking  # inherited by the forked workers, with the index's memory-mapped arrays
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
        _WORKER_RANKING = None


_WORKER_RANKING: Ranking | None = None


def _threaded(ranking: Ranking, kernel, orgs: np.ndarray, top: int, new_only: bool, workers: int, progress):
    """Chunks of organisations through the compiled loop (``ranking.compiled.top_of_each``) on ``workers`` threads,
    yielded in order. At most two chunks per thread are queued: an interrupted or abandoned batch stops
    after the chunks under way (a fraction of a second each)."""
    index = ranking.index
    n = index.n_orgs
    # each thread's queries leave hints for its later ones; only valid while no organisation comes twice
    own = threading.local() if len(np.unique(orgs)) == len(orgs) else None

    query = functools.partial(
        kernel.top_of_each,
        index,
        k=top,
        mutuality=score.MUTUALITY,
        prune=n >= score.COMPILED_PRUNE_MIN,
        budget=score.prune_budget(n),
        step=score.STEP,
    )

    def run(chunk: np.ndarray):
        hints = None
        if own is not None:
            if not hasattr(own, "hints"):
                own.hints = np.zeros((n, top))
            hints = own.hints
        return query(chunk, exclude=index.links if new_only else None, hints=hints)

    if len(orgs):  # compile (or load) the kernel and build the index's tables here, before the threads
        query(orgs[:1], exclude=None)
    has_needs = index.has_needs
    pending: deque = deque()
    chunks = (orgs[lo : lo + CHUNK] for lo in range(0, len(orgs), CHUNK))
    with ThreadPoolExecutor(max(1, workers)) as pool:
        try:
            for chunk in chunks:
                pending.append((chunk, pool.submit(run, chunk)))
                while len(pending) > 2 * workers or (pending and pending[0][1].done()):
                    yield from _emit(*pending.popleft(), has_needs, progress)
            while pending:
                yield from _emit(*pending.popleft(), has_needs, progress)
        finally:
            for _, future in pending:
                future.cancel()


def _emit(chunk, future, has_needs, progress) -> Iterator[Partners]:
    rows, best, f, b, count = future.result()
    for i, a in enumerate(chunk.tolist()):
        c = count[i]
        yield _partners(a, rows[i, :c], best[i, :c], f[i, :c], b[i, :c], has_needs)
    if progress:
        progress(len(chunk))


def _start_methods() -> list[str]:
    return multiprocessing.get_all_start_methods()


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the pool


def _chunk(task, ranking: Ranking | None = None) -> list[Partners]:
    seekers, top, new_only = task
    ranking = ranking or _WORKER_RANKING
    index = ranking.index
    has_needs = index.has_needs
    out = []
    for a in seekers.tolist():
        allowed = ranking.allowed(a, new_only=new_only)
        if ranking.seeks_by_record(a):  # a need query: its score is the need side; no need of theirs is met
            rows, score = ranking.ranked_top(a, top, allowed)
            out.append(Partners(a, rows, score, score.copy(), np.full(len(rows), np.nan)))
            continue
        rows, score, f, b = reciprocal_top(index, a, top, allowed, compiled=ranking.compiled)
        out.append(_partners(a, rows, score, f, b, has_needs))
    return out


def _with_semantic(ranking: Ranking, orgs: np.ndarray, top: int, new_only: bool, progress) -> Iterator[Partners]:
    """Each organisation's ``Ranking.top_of``, the ranking ``match`` gives with the multilingual signal."""
    has_needs = ranking.index.has_needs
    for a in orgs.tolist():
        yield _partners(a, *ranking.top_of(a, top, ranking.allowed(a, new_only=new_only)), has_needs)
        if progress:
            progress(1)


def _partners(a, rows, score, f, b, has_needs) -> Partners:
    return Partners(
        a, rows, score, f if has_needs[a] else None, np.where(has_needs[rows], b, np.nan).astype(np.float64)
    )


def _blockwise(ranking: Ranking, orgs: np.ndarray, top: int, new_only: bool, progress) -> Iterator[Partners]:
    index = ranking.index
    has_needs = index.has_needs
    cap = index.org_vectors[CAPABILITY].to_scipy().astype(np.float64)
    need = index.org_vectors[NEED].to_scipy().astype(np.float64)
    everyone = (need @ cap.T).toarray()  # everyone[a, b]: b's capabilities against a's needs
    for lo in range(0, len(orgs), BLOCK):
        seekers = orgs[lo : lo + BLOCK]
        forward, backward = everyone[seekers], everyone[:, seekers].T  # backward[a, b] = forward[b, a]
        score, _, _ = combine(forward, backward, has_needs[seekers, None], has_needs[None, :], weights=False)
        score[~ranking.allowed_rows(seekers, new_only)] = 0.0  # top_k_rows never returns a 0
        i, j, ends = top_k_rows(score, top)
        best, f, b = score[i, j], forward[i, j], np.where(has_needs[j], backward[i, j], np.nan)
        for r, a in enumerate(seekers.tolist()):
            e0, e1 = ends[r], ends[r + 1]
            yield Partners(a, j[e0:e1], best[e0:e1], f[e0:e1] if has_needs[a] else None, b[e0:e1])
        if progress:
            progress(len(seekers))
