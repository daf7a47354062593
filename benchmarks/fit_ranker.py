"""Does a learned ranker beat the linear weights? LambdaMART (LightGBM) over the signals, out of sample.

Trained on one period (history before --train-cutoff, grant queries in [--train-cutoff, --train-until)) and
measured on the next (history before --cutoff, queries in [--cutoff, --until)), exactly as the linear weights
are measured out of sample. The linear model (--linear, fitted on the training period by fit_weights.py)
picks each query's --head best candidates; the ranker reorders them (the rest keep their linear order below).
Features: the signals ``matcher.rank.signals`` gives (the code the CLI ranks with), plus the seeker's size
and kind, so that trees can find interactions the linear sum cannot. Prints both methods on the harness's
metrics, for both query modes' grant variant (all partners, new partners).

    python benchmarks/fit_ranker.py --data ../shared/benchmark --train-cutoff 2023-01-01 \\
        --train-until 2023-07-01 --cutoff 2023-07-01 --until 2024-01-01 --linear oos_model.json

Needs lightgbm (pip install lightgbm); fixed seeds and one thread per tree build for a reproducible model.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cordis_eval import prepare  # noqa: E402
from fit_weights import SIGNALS, features  # noqa: E402

from matcher.ranking.evaluation import evaluate, format_table  # noqa: E402

EXTRA = ("seeker_size", "seeker_kind", "kind")


def query_features(index, q, j) -> np.ndarray:
    """``SIGNALS`` of every organisation for one query, then the seeker's size and kind and each one's kind."""
    X = features(index, q, j)
    n = index.n_orgs
    size = np.log1p(float(index.n_capabilities[j.seeker])) if j.seeker is not None else 0.0
    kind = float(index.kind[j.seeker]) if j.seeker is not None else -1.0
    return np.column_stack([X, np.full(n, size), np.full(n, kind), index.kind.astype(np.float64)])


def heads(index, queries, judged, w: np.ndarray, head: int):
    """Per query: all features, the linear score (seeker at -inf) and the rows of its ``head`` best."""
    out = []
    for q, j in zip(queries, judged):
        X = query_features(index, q, j)
        lin = X[:, : len(SIGNALS)] @ w
        if j.seeker is not None:
            lin[j.seeker] = -np.inf
        top = np.argsort(-lin, kind="stable")[:head]
        out.append((X, lin, top))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--train-cutoff", required=True)
    ap.add_argument("--train-until", required=True)
    ap.add_argument("--cutoff", required=True)
    ap.add_argument("--until", required=True)
    ap.add_argument("--linear", type=Path, required=True, help="model JSON whose 'weights' were fitted on training")
    ap.add_argument("--train-store", type=Path)
    ap.add_argument("--store", type=Path)
    ap.add_argument("--head", type=int, default=300)
    ap.add_argument("--trees", type=int, default=300)
    ap.add_argument("--leaves", type=int, default=15)
    ap.add_argument("--rate", type=float, default=0.05)
    ap.add_argument("--min-child", type=int, default=50)
    ap.add_argument("--residual", action="store_true", help="boost from the linear score (trees learn corrections)")
    ap.add_argument(
        "--algo", choices=("lambdamart", "hgb"), default="lambdamart", help="hgb: scikit-learn's pointwise classifier"
    )
    args = ap.parse_args(argv)
    import lightgbm as lgb

    weights = json.loads(args.linear.read_text())["weights"]
    w = np.array([weights.get(s, 0.0) for s in SIGNALS])
    t0 = time.perf_counter()
    _, cat_t, q_t, j_t, _ = prepare(args.data, args.train_cutoff, args.train_until, args.train_store)
    train = heads(cat_t.matcher.index, q_t, j_t, w, args.head)
    Xs, ys, groups, inits = [], [], [], []
    for (X, lin, top), j in zip(train, j_t):
        y = np.isin(top, j.relevant).astype(int)
        if y.any():
            Xs.append(X[top])
            ys.append(y)
            groups.append(len(top))
            inits.append(lin[top])
    took = time.perf_counter() - t0
    print(f"training: {len(groups)} of {len(q_t)} queries with a partner in the head ({took:.0f} s)")
    model = lgb.LGBMRanker(
        objective="lambdarank",
        n_estimators=args.trees,
        learning_rate=args.rate,
        num_leaves=args.leaves,
        min_child_samples=args.min_child,
        subsample=1.0,
        colsample_bytree=1.0,
        lambdarank_truncation_level=20,
        random_state=0,
        deterministic=True,
        force_row_wise=True,
        n_jobs=2,
        verbose=-1,
    )
    if args.algo == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier

        model = HistGradientBoostingClassifier(
            max_iter=args.trees,
            learning_rate=args.rate,
            max_leaf_nodes=args.leaves,
            min_samples_leaf=args.min_child,
            random_state=0,
        )
        model.fit(np.vstack(Xs), np.concatenate(ys))
        model.predict = lambda X, _m=model: _m.decision_function(X)
    else:
        init = np.concatenate(inits) if args.residual else None
        model.fit(np.vstack(Xs), np.concatenate(ys), group=groups, init_score=init)
    del train, Xs

    _, cat_v, q_v, j_v, _ = prepare(args.data, args.cutoff, args.until, args.store)
    val = heads(cat_v.matcher.index, q_v, j_v, w, args.head)

    def reranked(i):
        X, lin, top = val[i]
        out = np.where(np.isfinite(lin), lin, -1.0) - 1e6  # the tail in linear order, below the head
        pred = model.predict(X[top]) + (lin[top] if args.residual else 0.0)
        out[top] = 1e6 + pred - pred.min()
        return out

    methods = {"linear": lambda i: np.where(np.isfinite(val[i][1]), val[i][1], 0.0), args.algo: reranked}
    print(format_table(evaluate(j_v, methods)))
    if args.algo == "lambdamart":
        names = [*SIGNALS, *EXTRA]
        gain = model.booster_.feature_importance("gain")
        print("gain:", ", ".join(f"{names[k]} {gain[k]:.0f}" for k in np.argsort(-gain)[:10]))
    print(f"total {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
