"""The batch on a Dask cluster: ``matcher batch --dask ADDRESS``, for registries that outgrow one machine.

The organisations are split into partitions of consecutive rows. Each partition is one Dask task: the
worker opens the profiles itself, from the path the client was given (a store, or a profiles folder, that
every worker reads at the same path: a shared filesystem), keeps it open for its later tasks, and runs
``batch.all_top_partners`` on its rows, the same exact code as the single-process batch, with its own
threads. The client takes the partitions back in order, so the file written is byte for byte the one the
single-process batch writes. A task whose worker dies is run again (``RETRIES``); a run that fails leaves
no output file, since the file is written whole by the caller.

``local:N`` starts a ``LocalCluster`` of N single-threaded worker processes on this machine instead.
Needs the ``[dask]`` extra (``dask[distributed]``).
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import MatcherError
from ..workspace import Workspace
from .local import Partners, all_top_partners

MAX_LOCAL = 256
"""Worker processes ``local:N`` may start: more than any machine has cores only exhausts it."""
RETRIES = 2
"""Times a partition is run again where its worker dies or its task fails."""
CONNECT_TIMEOUT = "10s"
"""How long to wait for a remote scheduler before giving up."""
PER_THREAD = 4
"""Partitions per worker thread (at least): enough for the cluster to balance uneven partitions."""


class ClusterError(MatcherError):
    """The Dask cluster cannot be reached or started, or the extra is missing."""


@dataclass(frozen=True)
class Job:
    """What every partition task needs: where the profiles are and how to rank them."""

    location: str
    top: int
    new_only: bool
    strict: bool
    semantic: bool
    popular: bool = False  # a store's match --org as fitted, without the popularity discount


def parse_address(address: str) -> tuple[str, int | str]:
    """``("local", N)`` for ``local:N``, else ``("remote", address)`` (e.g. ``tcp://10.0.0.5:8786``)."""
    if address.startswith("local"):
        _, _, count = address.partition(":")
        if not count:
            return "local", os.cpu_count() or 1
        if not count.isdigit() or not 1 <= int(count) <= MAX_LOCAL:
            raise ClusterError(
                f"--dask {address!r}: write local:N with N a number of workers from 1 to {MAX_LOCAL}, e.g. local:2."
            )
        return "local", int(count)
    if "://" not in address and ":" not in address:
        raise ClusterError(
            f"--dask {address!r}: give the scheduler's address (tcp://HOST:8786) or local:N to start N workers here."
        )
    return "remote", address


def connect(address: str):
    """A ``distributed.Client`` for ``address`` (``parse_address``), and the cluster it started (or None)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ClusterError("--dask needs Dask: pip install 'matcher[dask]'.") from None
    kind, where = parse_address(address)
    try:
        if kind == "local":
            cluster = LocalCluster(
                n_workers=int(where),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            return Client(cluster), cluster
        return Client(where, timeout=CONNECT_TIMEOUT), None
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"Cannot reach the Dask scheduler at {address}: {exc}.") from None


def partitions(n: int, parts: int) -> list[np.ndarray]:
    """``n`` rows in ``parts`` runs of consecutive rows, of sizes that differ by one at most."""
    parts = max(1, min(n, parts))
    return [chunk for chunk in np.array_split(np.arange(n, dtype=np.int64), parts) if len(chunk)]


@functools.lru_cache(maxsize=4)
def _ranking(location: str, strict: bool, semantic: bool, popular: bool = False):
    """The worker's open profiles' ranking, kept for its later tasks (a store's arrays stay memory-mapped)."""
    return Workspace(Path(location), strict=strict, semantic=semantic, popular=popular).matcher.ranking


def run_partition(job: Job, rows: np.ndarray, threads: int) -> dict[str, np.ndarray]:
    """One partition's ``batch.Partners``, on the worker: the single-process batch's code on its rows,
    sent back as a few flat arrays (``unpack`` makes them ``Partners`` again), not one object each."""
    ranking = _ranking(job.location, job.strict, job.semantic, job.popular)
    found = list(all_top_partners(ranking, top=job.top, new_only=job.new_only, workers=threads, orgs=rows))
    nan = np.full(0, np.nan)
    return {
        "org": np.array([p.org for p in found], dtype=np.int64),
        "count": np.array([len(p.rows) for p in found], dtype=np.int64),
        "has_forward": np.array([p.forward is not None for p in found], dtype=bool),
        "rows": np.concatenate([p.rows for p in found] or [np.zeros(0, np.int64)]).astype(np.int64),
        "score": np.concatenate([p.score for p in found] or [nan]),
        "forward": np.concatenate(
            [p.forward if p.forward is not None else np.full(len(p.rows), np.nan) for p in found] or [nan]
        ),
        "backward": np.concatenate([p.backward for p in found] or [nan]),
    }


def unpack(part: dict[str, np.ndarray]) -> Iterator:
    """The ``batch.Partners`` of one partition, from ``run_partition``'s arrays, in its order."""
    ends = np.cumsum(part["count"])
    for i, org in enumerate(part["org"].tolist()):
        at = slice(int(ends[i] - part["count"][i]), int(ends[i]))
        forward = part["forward"][at] if part["has_forward"][i] else None
        yield Partners(org, part["rows"][at], part["score"][at], forward, part["backward"][at])


def top_partners(
    job: Job,
    n_orgs: int,
    client,
    *,
    parts: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator:
    """Every organisation's ``batch.Partners`` from the cluster behind ``client``, in organisation order.

    ``progress`` is called with a partition's size as each one comes back (in any order).
    """
    from distributed import as_completed

    threads = client.nthreads() or {"": 1}
    per_worker = min(threads.values())
    chunks = partitions(n_orgs, parts or PER_THREAD * sum(threads.values()))
    futures = [client.submit(run_partition, job, rows, per_worker, retries=RETRIES) for rows in chunks]
    order = {f.key: i for i, f in enumerate(futures)}
    done: dict[int, dict] = {}
    following = 0
    try:
        for future in as_completed(futures):
            i = order[future.key]
            done[i] = future.result()
            future.release()  # the worker may drop it now
            if progress:
                progress(len(chunks[i]))
            while following in done:
                yield from unpack(done.pop(following))
                following += 1
    finally:
        for future in futures:
            future.cancel()
