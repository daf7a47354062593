"""Fit the multilingual signal's FLOOR and WEIGHT on the bundled partnerships (matcher evaluate's MRR).

For each (floor, weight) on a grid, ranks each side of every partnership in seeds/partnerships.yaml
against the other (as ``matcher evaluate`` does) with the semantic part added to each direction's score,
and prints MRR and Hits@3 next to the share of held-out different-topic pairs the floor lets through
(benchmarks/data/crosslingual_topics.tsv). Weight 0 is the words-only ranking.

    pip install '.[multilingual]' && python benchmarks/fit_semantic.py [--profiles DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from semantic_calibration import TOPICS, groups, read_topics

from matcher.paths import bundled, seeds_for
from matcher.ranking import meaning as semantic
from matcher.ranking.evaluation import evaluate_partnerships
from matcher.workspace import open_workspace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profiles", type=Path, default=bundled("profiles"))
    parser.add_argument("--floors", default="0.1,0.15,0.2,0.25,0.3,0.35")
    parser.add_argument("--weights", default="0,0.05,0.1,0.2,0.3,0.5,1")
    args = parser.parse_args()
    catalog = open_workspace(args.profiles, semantic=True)
    matcher, sem = catalog.matcher, catalog.matcher.ranking.semantic
    partnerships = seeds_for(args.profiles) / "partnerships.yaml"
    langs, topics = read_topics(TOPICS)
    cache = semantic.EmbeddingCache(None)
    centre = semantic.centroids(cache)
    held_out = np.stack([semantic.calibrate(cache.embed(row), langs, centre) for row in topics])
    same, different = groups(held_out)
    print("| floor | weight | MRR | Hits@3 | same-topic pairs above floor | different-topic pairs above |")
    print("|---:|---:|---:|---:|---:|---:|")
    for floor in map(float, args.floors.split(",")):
        semantic.FLOOR = floor
        for weight in map(float, args.weights.split(",")):
            sem.weight = weight
            report = evaluate_partnerships(matcher.names, matcher.ranking, partnerships, k=3)
            print(
                f"| {floor} | {weight} | {report.mrr:.3f} | {report.hits:.3f} | {np.mean(same > floor):.1%} |"
                f" {np.mean(different > floor):.1%} |"
            )


if __name__ == "__main__":
    main()
