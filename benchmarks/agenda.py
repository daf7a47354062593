"""Event planning quality and speed: the integer program against best-pair-first, with its bound.

For each event (the bundled profiles; synthetic sets of N participants with needs, standing in for a
registry: 12 slots, tables = participants / 4, at most 6 meetings each) prints the total score of the
meetings each method holds, the LP bound, the gap, the idle slots left in participants' days (the milp plan
after ``agenda.compact``) and the seconds taken (the milp's include the compaction).

    python benchmarks/agenda.py --sizes 300,700 --store cordis-store

With --store (a store from matcher import-cordis), events of the same sizes are also drawn from its
organisations with at least --min-grants grants (a fixed seed), each ranked for its newest grants as
``match --org`` ranks it there.
"""

from __future__ import annotations

import argparse
import time

import synthetic

from matcher.explanations.matching import Matcher
from matcher.office import agenda
from matcher.paths import bundled
from matcher.workspace import open_workspace


def measure(matcher: Matcher, label: str, slots: int, tables: int, cap: int, top: int, rows=None) -> None:
    rows = list(range(matcher.index.n_orgs)) if rows is None else [int(r) for r in rows]
    people = [agenda.Participant(matcher.index.names[r]) for r in rows]
    t = time.perf_counter()
    pairs = agenda.candidates_from(matcher.ranking, rows, top=top)
    t_pairs = time.perf_counter() - t
    t = time.perf_counter()
    plan = agenda.solve(pairs, people, slots=slots, tables=tables, cap=cap)
    t_milp = time.perf_counter() - t
    t = time.perf_counter()
    base = agenda.greedy(pairs, people, slots=slots, tables=tables, cap=cap)
    t_greedy = time.perf_counter() - t
    assert not agenda.check(plan, people, slots=slots, tables=tables, cap=cap)
    print(
        f"| {label} | {len(people)} | {slots} | {tables} | {len(pairs)} | {plan.score:.3f} | {base.score:.3f} |"
        f" {plan.bound:.3f} | {plan.gap:.2%} | {agenda.idle_gaps(plan.meetings)} | {agenda.idle_gaps(base.meetings)} |"
        f" {t_pairs:.1f} | {t_milp:.1f} | {t_greedy:.2f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="300,700")
    parser.add_argument("--slots", type=int, default=12)
    parser.add_argument("--cap", type=int, default=6)
    parser.add_argument("--candidates", type=int, default=10)
    parser.add_argument("--store", help="also plan events among the organisations of this store")
    parser.add_argument("--min-grants", type=int, default=3)
    args = parser.parse_args()
    print(
        "| event | participants | slots | tables | candidate pairs | milp score | greedy score | bound | gap |"
        " milp idle | greedy idle | candidates s | milp s | greedy s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    bundled_matcher = open_workspace(bundled("profiles")).matcher
    measure(bundled_matcher, "bundled", 6, 4, 6, args.candidates)
    for n in map(int, args.sizes.split(",")):
        matcher = Matcher.from_profiles(synthetic.profiles(n, seed=1))
        matcher.ranking.compiled = False
        measure(matcher, f"synthetic {n}", args.slots, n // 4, args.cap, args.candidates)
    if args.store:
        import numpy as np

        store = open_workspace(args.store).matcher
        active = np.flatnonzero(store.index.n_capabilities >= args.min_grants)
        for n in map(int, args.sizes.split(",")):
            rows = np.sort(np.random.default_rng(1).choice(active, n, replace=False))
            measure(store, f"store {n}", args.slots, n // 4, args.cap, args.candidates, rows)


if __name__ == "__main__":
    main()
