"""How concentrated a store's partner lists are: does every organisation get the same giants?

For the organisations of a store (all, or a random sample), ranks each one's partners as ``match --org`` does,
once as shipped (the popularity discount, ``ranking.signals.POPULARITY_DISCOUNT``) and once as the model was
fitted (``--popular``), and prints for each: the share of organisations whose top K holds the single most
frequent partner (and who that is), the Gini coefficient of partner appearances across all organisations
(0: everyone appears equally often, 1: one organisation takes every place), and the five most frequent.

    python benchmarks/concentration.py --store cordis-store [--sample 2000] [--top 5] [--workers 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from matcher.batch.local import all_top_partners
from matcher.workspace import open_workspace


def gini(counts: np.ndarray) -> float:
    """The Gini coefficient of ``counts`` (appearances per organisation, zeros included)."""
    c = np.sort(np.asarray(counts, dtype=np.float64))
    n = len(c)
    if n == 0 or c.sum() == 0:
        return 0.0
    return float(1 - 2 * np.sum(np.cumsum(c) / c.sum()) / n + 1 / n)


def concentration(store: Path, orgs: np.ndarray, top: int, popular: bool, workers: int) -> dict:
    """Appearances of every organisation in the top ``top`` of ``orgs``' lists, and what they add up to."""
    matcher = open_workspace(store, popular=popular).matcher
    n = matcher.index.n_orgs
    counts = np.zeros(n, dtype=np.int64)
    t0 = time.perf_counter()
    for p in all_top_partners(matcher.ranking, top=top, orgs=orgs, workers=workers):
        counts[p.rows] += 1
    seconds = time.perf_counter() - t0
    order = np.argsort(-counts, kind="stable")[:5]
    names = matcher.index.names
    return {
        "lists": len(orgs),
        "most_frequent": names[order[0]],
        "share": float(counts[order[0]] / len(orgs)),
        "gini": gini(counts),
        "five": [(names[r], float(counts[r] / len(orgs))) for r in order],
        "seconds": seconds,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, required=True, help="a store from matcher import-cordis")
    ap.add_argument("--sample", type=int, default=2000, help="organisations drawn at random (0: every one)")
    ap.add_argument("--top", type=int, default=5, help="the length of the lists that are counted")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=None, help="worker processes (default: one per core)")
    args = ap.parse_args(argv)
    if not (args.store / "meta.json").is_file():
        sys.exit(f"{args.store} is not a store: build one with matcher import-cordis.")
    n = open_workspace(args.store).matcher.index.n_orgs
    rng = np.random.default_rng(args.seed)
    orgs = np.arange(n) if not args.sample or args.sample >= n else np.sort(rng.choice(n, args.sample, replace=False))
    print(f"{len(orgs)} of {n} organisations, top {args.top} each")
    print("| ranking | most frequent partner | share of lists | gini | seconds |")
    print("|---|---|---:|---:|---:|")
    for label, popular in (("as shipped (discount)", False), ("--popular (as fitted)", True)):
        r = concentration(args.store, orgs, args.top, popular, args.workers)
        print(f"| {label} | {r['most_frequent'][:50]} | {r['share']:.1%} | {r['gini']:.3f} | {r['seconds']:.0f} |")
        print("   five most frequent: " + "; ".join(f"{name[:40]} {share:.1%}" for name, share in r["five"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
