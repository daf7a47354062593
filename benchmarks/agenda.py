"""Brokerage events judged as participants judge them: who meets someone new and relevant, at what cost.

For each event prints the meetings held, those between organisations that already work together (``match``
marks them already partners or related: must be 0), the participants who have a good candidate (a match
that is not weak among their --candidates best partners they may meet) and no meeting (must be 0 where
the seats allow it), the share of meetings that are strong or moderate, the total score against its bound,
the idle gaps, and the seconds taken (candidates: ranking, rules, strengths; solve: every level and best
pair first; explanations: each meeting's "Why").

Events: the bundled profiles (6 slots x 4 tables); the bundled profiles with the fourteen of
benchmarks/data/water, as a new office would add them (6 x 10); and with --store (a store from
``matcher import-cordis``), events of --sizes organisations drawn from those with at least --min-grants
grants (seed 1), 12 slots, tables = participants / 4, at most 6 meetings each.

    python benchmarks/agenda.py --store /tmp/cordis-store --sizes 300,700

--judge PLANS.json judges plans made elsewhere (by an earlier version: ``{"event": [[a, b], ...]}``, names)
on the same events, instead of planning them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from matcher.office.candidates import candidates_from
from matcher.office.event import plan_event
from matcher.paths import bundled
from matcher.ranking.ranker import NO_EXCLUSIONS
from matcher.workspace import open_workspace

WATER = Path(__file__).resolve().parent / "data" / "water"


def events(args, folder: Path):
    """(label, matcher, participant rows, slots, tables, cap) of each event."""
    matcher = open_workspace(bundled("profiles")).matcher
    yield "bundled profiles", matcher, list(range(matcher.index.n_orgs)), 6, 4, 6
    for source in (bundled("profiles"), WATER):
        for path in Path(source).glob("*.yaml"):
            shutil.copy(path, folder / path.name)
    matcher = open_workspace(folder).matcher
    yield "bundled + 14 water profiles", matcher, list(range(matcher.index.n_orgs)), 6, 10, 6
    if args.store:
        store = open_workspace(args.store).matcher
        active = np.flatnonzero(store.index.n_capabilities >= args.min_grants)
        for n in map(int, args.sizes.split(",")):
            rows = np.sort(np.random.default_rng(1).choice(active, n, replace=False)).tolist()
            yield f"CORDIS store {n}", store, rows, 12, n // 4, 6


def figures(matcher, rows, meetings: list[tuple[int, int]], top: int) -> dict:
    """What participants see in a plan's ``meetings`` (pairs of index rows)."""
    names = matcher.names
    partners = sum(1 for a, b in meetings if names.linked(a, b) or b in names.tied(a))
    good = candidates_from(matcher, rows, top=top)
    position_met = {rows.index(p) for pair in meetings for p in pair}
    with_good = {p for c in good if c.strength != "weak" for p in (c.a, c.b)}
    strengths = [matcher.explainer.strength_of(a, b) for a, b in meetings]
    return {
        "meetings": len(meetings),
        "partners": partners,
        "good_unmet": len(with_good - position_met),
        "with_good": len(with_good),
        "strong_share": sum(1 for s in strengths if s != "weak") / max(1, len(strengths)),
    }


def plan(matcher, rows, slots, tables, cap, top) -> tuple[dict, list[tuple[int, int]]]:
    people = [matcher.index.names[r] for r in rows]
    event = plan_event(
        matcher, lambda: NO_EXCLUSIONS, slots=slots, tables=tables, participants=people, max_per_org=cap, candidates=top
    )
    p = event.plan
    held = [(rows[m.a], rows[m.b]) for m in p.meetings]
    score = p.level("score")
    return {
        "score": p.score,
        "bound": score.bound + p.level("filler score").bound,
        "idle": int(p.level("idle gaps").value),
        "fillers": p.fillers,
        "method": p.method,
        **{f"{k} s": v for k, v in event.seconds.items()},
    }, held


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", help="also plan events among the organisations of this store")
    parser.add_argument("--sizes", default="300,700")
    parser.add_argument("--min-grants", type=int, default=3)
    parser.add_argument("--candidates", type=int, default=10)
    parser.add_argument("--judge", type=Path, help="judge these plans (names) instead of planning")
    args = parser.parse_args()
    judged = json.loads(args.judge.read_text()) if args.judge else None
    print(
        "| event | participants | slots × tables | meetings | between partners | good candidate, no meeting |"
        " strong or moderate | total score (bound) | idle gaps | candidates s | solve s | explanations s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        for label, matcher, rows, slots, tables, cap in events(args, Path(folder)):
            if judged is not None:
                find = matcher.index.find_row
                held = [(find(a), find(b)) for a, b, *_ in judged[label]["meetings"]]
                info = {k: v for k, v in judged[label].items() if k != "meetings"}
            else:
                clock = time.perf_counter()
                info, held = plan(matcher, rows, slots, tables, cap, args.candidates)
                info["total s"] = time.perf_counter() - clock
            f = figures(matcher, rows, held, args.candidates)
            bound = f" ({info['bound']:,.3f})" if info.get("bound") is not None else ""
            steps = ("candidates s", "solve s", "explanations s")
            seconds = " | ".join(f"{info[k]:.1f}" if k in info else "" for k in steps)
            print(
                f"| {label} | {len(rows)} | {slots} × {tables} | {f['meetings']} | {f['partners']} |"
                f" {f['good_unmet']} of {f['with_good']} | {f['strong_share']:.0%} |"
                f" {info.get('score', 0):,.3f}{bound} | {info.get('idle', '')} | {seconds} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
