"""Fit the meaning signal's constants and write them to matcher/data/semantic.json.

1. Priors, for folders too small to calibrate themselves: the mean and spread of raw need ↔ capability
   cosines for each pair of languages, and of a need's best z-score per organisation, pooled over the
   folders given (the cross-lingual set and the bundled profiles).
2. Weights, on a grid: the meaning part's weight in a direction's score (shared terms get the rest), the
   standard deviations (``floor``, ``top``) over which a capability's standing out for a need becomes a
   similarity from 0 to 1, and the ``gate``, the z-score within its language pair below which a pair counts
   for nothing. The objective is the mean of three MRRs, so that neither data set outweighs the other: every
   pair of DATA/pairs.csv in the full ranking and in the list ``match`` shows by default (weak matches left
   out), and every partnership of the bundled seeds/partnerships.yaml, both ways (``matcher evaluate``).
3. The close level (a need ↔ capability pair is specific evidence, so a match it carries is not weak) stays
   at 1.28 deviations, further out than nine in ten unrelated candidates stand by chance; the default
   list's figures are printed for other levels.

    python benchmarks/fit_semantic.py --data ../shared/benchmark/multilingual [--out matcher/data/semantic.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
from pathlib import Path

import numpy as np
from multilingual_eval import KINDS, full_ranks, listed_ranks, metrics, open_matcher, read_pairs

from matcher.index.vectors import CAPABILITY, NEED
from matcher.paths import bundled, seeds_for
from matcher.ranking import meaning as semantic
from matcher.ranking.evaluation import evaluate_partnerships

SHRINK_PAIRS = 100.0  # the language-pair prior counts as many pairs as this
SHRINK_CANDIDATES = 3.0  # the need prior counts as many candidate organisations as this


def pooled_priors(semantics: list[semantic.Semantic]) -> dict:
    """Mean and spread of raw cosines per language pair, and of a need's best z per organisation."""
    values: dict[str, list[np.ndarray]] = {}
    for sem in semantics:
        caps, needs, org = _rows(sem)
        cos = sem.vectors[needs] @ sem.vectors[caps].T
        valid = org[needs][:, None] != org[caps][None, :]
        for ln in np.unique(sem.languages[needs]):
            for lc in np.unique(sem.languages[caps]):
                block = valid & (sem.languages[needs][:, None] == ln) & (sem.languages[caps][None, :] == lc)
                values.setdefault(semantic.pair_key(str(ln), str(lc)), []).append(cos[block])
    pair_prior = {k: _mean_sd(np.concatenate(v)) for k, v in sorted(values.items())}
    default = _mean_sd(np.concatenate([x for v in values.values() for x in v]))
    means, sds = [], []
    for sem in semantics:
        caps, needs, org = _rows(sem)
        z = semantic.standardise(
            sem.vectors[needs] @ sem.vectors[caps].T,
            sem.languages[needs],
            sem.languages[caps],
            {**{k: tuple(v) for k, v in pair_prior.items()}},
        )
        best = semantic.best_by_owner(z, org[caps], sem.index.n_orgs)
        best[np.arange(len(needs)), org[needs]] = -np.inf
        for row in best:
            finite = row[np.isfinite(row)]
            if len(finite) > 1:
                means.append(finite.mean())
                sds.append(finite.std())
    return {
        "pair_prior": pair_prior,
        "default_pair": default,
        "need_prior": [round(float(np.mean(means)), 4), round(float(np.mean(sds)), 4)],
    }


def _rows(sem):
    side, org = np.asarray(sem.index.stmt_side), np.asarray(sem.index.stmt_org)
    return np.flatnonzero(side == CAPABILITY), np.flatnonzero(side == NEED), org


def _mean_sd(v: np.ndarray) -> list[float]:
    return [round(float(v.mean()), 4), round(float(v.std()), 4)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="a cross-lingual set: profiles/ and pairs.csv")
    parser.add_argument("--profiles", type=Path, default=bundled("profiles"), help="profiles with partnerships")
    parser.add_argument("--weights", default="0.6,0.8,0.9,0.95")
    parser.add_argument("--floors", default="0,0.5,1")
    parser.add_argument("--tops", default="4,5,6")
    parser.add_argument("--gates", default="-inf,1,1.5,2")
    parser.add_argument("--closes", default="1,1.28,1.64,2")
    parser.add_argument("--out", type=Path, help="write the fitted settings here (e.g. matcher/data/semantic.json)")
    args = parser.parse_args()
    pairs = read_pairs(args.data / "pairs.csv")
    partnerships = seeds_for(args.profiles) / "partnerships.yaml"
    ml = open_matcher(args.data / "profiles", None)
    own = open_matcher(args.profiles, None)
    base = dataclasses.replace(semantic.settings(), **pooled_priors([ml.ranking.semantic, own.ranking.semantic]))
    base = dataclasses.replace(
        base, shrink_pairs=SHRINK_PAIRS, shrink_candidates=SHRINK_CANDIDATES,
        pair_prior={k: tuple(v) for k, v in base.pair_prior.items()},
        default_pair=tuple(base.default_pair), need_prior=tuple(base.need_prior),
    )  # fmt: skip
    sems = (ml.ranking.semantic, own.ranking.semantic)
    columns = "weight floor top gate cross-lingual_mrr synonym_mrr pairs_mrr listed_mrr bundled_mrr objective"
    print("| " + " | ".join(c.replace("_", " ") for c in columns.split()) + " |")
    print("|" + "---:|" * len(columns.split()))
    best = None
    axes = (args.weights, args.floors, args.tops, args.gates)
    for weight, floor, top, gate in itertools.product(*(map(float, a.split(",")) for a in axes)):
        config = dataclasses.replace(base, weight=weight, floor=floor, top=top, gate=gate)
        ml.ranking.semantic, own.ranking.semantic = (s.recalibrated(config) for s in sems)
        ranks = full_ranks(ml, pairs)
        kinds = {k: metrics([r for (*_, kk), r in zip(pairs, ranks) if kk == k])["mrr"] for k in KINDS}
        pairs_mrr, listed_mrr = metrics(ranks)["mrr"], metrics(listed_ranks(ml, pairs))["mrr"]
        bundled_mrr = evaluate_partnerships(own.names, own.ranking, partnerships).mrr
        objective = (pairs_mrr + listed_mrr + bundled_mrr) / 3
        print(
            f"| {weight} | {floor} | {top} | {gate} | {kinds['cross-lingual']:.3f} | {kinds['synonym']:.3f} |"
            f" {pairs_mrr:.3f} | {listed_mrr:.3f} | {bundled_mrr:.3f} | {objective:.3f} |"
        )
        if best is None or objective > best[0] + 1e-9:
            best = (objective, config)
    config = best[1]
    ml.ranking.semantic = sems[0].recalibrated(config)
    print(f"\nbest: weight {config.weight}, floor {config.floor}, top {config.top}, gate {config.gate}")
    print(f"close level fixed at {config.close} deviations; others, for comparison:")
    for close in map(float, args.closes.split(",")):
        ml.ranking.semantic = ml.ranking.semantic.recalibrated(dataclasses.replace(config, close=close))
        listed = metrics(listed_ranks(ml, pairs))
        print(f"close {close}: default list hits@3 {listed['hits@3']:.3f}, mrr {listed['mrr']:.3f}")
    fitted = dataclasses.asdict(config)
    fitted["gate"] = None if config.gate == -np.inf else config.gate  # JSON has no infinity
    print(f"chosen: {json.dumps(fitted, ensure_ascii=False)}")
    if args.out:
        args.out.write_text(json.dumps(fitted, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
