"""Every organisation's top partners at once: on this machine (``local``) or on a Dask cluster (``cluster``).

``rank_all`` is the library behind ``matcher batch``: it reads the ledger's exclusions once, asks either
engine for as many more partners as an organisation loses to them, and drops those, so that each list is
exactly the ``top`` of what is left (the ranking ``match`` gives).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import numpy as np

from ..workspace import Workspace
from . import cluster
from .annotate import annotated
from .local import Partners, all_top_partners


@contextlib.contextmanager
def rank_all(
    workspace: Workspace,
    *,
    top: int = 10,
    new_only: bool = False,
    workers: int | None = None,
    dask: str | None = None,
    progress: Callable[[int], None] | None = None,
    include_weak: bool = False,
) -> Iterator[Iterator[Partners]]:
    """Every organisation's ``top`` best partners (``local.Partners``, in organisation order), the pairs the
    ledger left out (and with ``new_only`` those already partners) dropped.

    ``workers`` run them on this machine (``local.all_top_partners``); ``dask`` names a cluster
    (``tcp://HOST:8786``, or ``local:N`` to start N worker processes here), each worker opening the profiles
    at the same path. The cluster's client is closed when the block ends. Each list is then what ``match``
    shows (``annotate.annotated``): every partner with its strength, relation and reason, weak ones left out
    unless ``include_weak``.
    """
    top = max(1, min(top, workspace.matcher.index.n_orgs - 1))  # a partner is another organisation
    excluded = workspace.exclusions().by_row(new_only)
    extra = max(map(len, excluded.values()), default=0)
    with contextlib.ExitStack() as stack:
        if dask:
            partners = _on_cluster(stack, dask, workspace, top + extra, new_only, progress)
        else:
            ranking = workspace.matcher.ranking
            partners = all_top_partners(ranking, top=top + extra, new_only=new_only, workers=workers, progress=progress)
        partners = _without(partners, excluded, top) if excluded else partners
        yield annotated(workspace.matcher, partners, include_weak=include_weak)


def _on_cluster(stack: contextlib.ExitStack, address: str, workspace: Workspace, top: int, new_only: bool, progress):
    """``cluster.top_partners`` on the Dask cluster at ``address``, its client closed by ``stack``."""
    client, local = cluster.connect(address)
    stack.callback(client.close)
    if local is not None:
        stack.callback(local.close)
    matcher = workspace.matcher
    semantic = matcher.ranking.semantic is not None
    location = str(Path(workspace.location).resolve())
    job = cluster.Job(location, top, new_only, workspace.strict, semantic, workspace.popular)
    return cluster.top_partners(job, matcher.index.n_orgs, client, progress=progress)


def _without(partners: Iterator[Partners], excluded: Mapping[int, frozenset[int]], top: int) -> Iterator[Partners]:
    """Each organisation's partners less its ``excluded`` rows, cut to ``top``. Asked for ``top`` plus the
    most rows any organisation excludes, this is exactly the ``top`` best of the rest."""
    for p in partners:
        gone = excluded.get(p.org)
        keep = np.flatnonzero(~np.isin(p.rows, list(gone)))[:top] if gone else slice(0, top)
        yield Partners(
            p.org, p.rows[keep], p.score[keep], None if p.forward is None else p.forward[keep], p.backward[keep]
        )


def nothing_ranked(workspace: Workspace) -> str:
    """Why a batch ranked no organisation: none lists needs, or none shares a term with another."""
    index = workspace.matcher.index
    why = "lists needs" if not index.has_needs.any() else "shares a term with another"
    return f"None of the {index.n_orgs} organisations {why}."
