"""Fit the signal weights of need ranking on one period of a CORDIS data folder (use the validation period).

For each query, a pool of candidates (the best by text and by closest statements, the largest, the seeker's
past partners, the real partners and a random sample) is scored with ``matcher.rank.signals`` (the code
the CLI ranks with), and the weights maximise the softmax likelihood of the real partners within each pool
(a listwise loss), kept non-negative so that each signal's share of a score stays meaningful. A second fit
then looks only at each query's 1,000 best candidates under the first weights (the head of the ranking, where
Hits@10 is decided; queries with no real partner there are left out). Both query modes are fitted, each
with weights of its own: grants (a need query for a grant) and organisations (``match --org`` on a store,
an organisation's newest grants as its need). Prints the weights and, with --out, writes them as the model a
store carries; the fit is deterministic, so a re-run writes the same file:

    python benchmarks/fit_weights.py --data ../shared/benchmark --cutoff 2023-07-01 --until 2024-01-01 \\
        --out matcher/cordis_model.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cordis_eval import org_judged, prepare  # noqa: E402

from matcher.profiles.model import KINDS  # noqa: E402
from matcher.ranking.signals import Need, recent_need, signals  # noqa: E402

USED_KINDS = ("university", "research-institute", "company", "public-body", "other")
COMMON = [
    "text",
    "closest",
    "together",
    "size",
    "past",
    "past_any",
    "programme",
    "programme_share",
    "call",
    "field",
    "scheme",
    "same_country",
    "country_affinity",
    *(f"kind:{k}" for k in USED_KINDS),
    *(f"same_kind:{k}" for k in USED_KINDS),
]
assert all(k in KINDS for k in USED_KINDS)
SIGNALS = [*COMMON, "past_close", "same_city"]
"""A grant query adds past joint work on a project close to the need, and the same city: measured out of
sample, Hits@10 0.606 / 0.380 -> 0.625 / 0.383 (MRR 0.317 / 0.201 -> 0.325 / 0.202; docs/quality.md).
The organisations mode does without them: its need is the seeker's own newest grants, which it shares with
their co-members by construction."""
ORG_SIGNALS = [*COMMON, "network"]
"""An organisation query (``match --org`` on a store) adds its partners' partners: measured out of sample, it
lifts every metric of that mode a little (new Hits@10 0.595 -> 0.604), and mixes the grants mode's."""


def features(index, q, j) -> np.ndarray:
    """Every organisation's ``SIGNALS`` (``ORG_SIGNALS`` for an organisation query) for one query, one column
    per signal.

    ``q`` is a grant query (``cordis.Query``), or None for an organisation query: the seeker's newest
    grants stand for its need, as ``match --org`` ranks on a store.
    """
    if q is None or not hasattr(q, "text"):
        recent = recent_need(index, j.seeker)
        names = ORG_SIGNALS
        sig, _ = signals(index, recent.need, recent.vector, names, doc_vector=recent.doc_vector)
    else:
        names = SIGNALS
        sig, _ = signals(index, Need(q.text, j.seeker, q.tags), index.transform(q.text), names)
    return np.column_stack([sig[s] for s in names])


def pools(index, queries, judged, *, text_n=800, closest_n=300, size_n=200, random_n=300, seed=0):
    rng = np.random.default_rng(seed)
    largest = np.argsort(-index.n_capabilities, kind="stable")[:size_n]
    out = []
    for q, j in zip(queries, judged):
        X = features(index, q, j)
        parts = [
            np.argsort(-X[:, SIGNALS.index("text")])[:text_n],
            np.argsort(-X[:, SIGNALS.index("closest")])[:closest_n],
            largest,
            np.array(j.relevant),
            np.array(j.past, dtype=np.int64),
        ]
        parts.append(rng.choice(index.n_orgs, min(random_n, index.n_orgs), replace=False))
        cand = np.unique(np.concatenate(parts).astype(np.int64))
        if j.seeker is not None:
            cand = cand[cand != j.seeker]
        out.append((X[cand], np.isin(cand, j.relevant)))
    return out


def head_pools(index, queries, judged, weights: np.ndarray, *, k: int = 1000):
    """Each query's ``k`` best candidates under ``weights`` (the seeker left out), with its real partners marked."""
    out = []
    for q, j in zip(queries, judged):
        X = features(index, q, j)
        score = X @ weights
        if j.seeker is not None:
            score[j.seeker] = -np.inf
        top = np.argsort(-score, kind="stable")[:k]
        y = np.isin(top, j.relevant)
        if y.any():
            out.append((X[top], y))
    return out


def fit(data, l2=1e-3):
    from scipy.optimize import minimize

    sd = np.maximum(np.vstack([X for X, _ in data]).std(axis=0), 1e-6)
    scaled = [(X / sd, y) for X, y in data]

    def loss(w):
        total, grad = 0.0, np.zeros_like(w)
        for X, y in scaled:
            s = X @ w
            e = np.exp(s - s.max())
            p = e / e.sum()
            py = e[y] / e[y].sum()
            total += np.log(e.sum()) - np.log(e[y].sum())
            grad += p @ X - py @ X[y]
        return total / len(scaled) + l2 * w @ w, grad / len(scaled) + 2 * l2 * w

    res = minimize(loss, np.zeros(len(sd)), jac=True, method="L-BFGS-B", bounds=[(0, None)] * len(sd))
    return res.x / sd * (sd > 1e-6), float(res.fun)


def fit_mode(index, queries, judged, mode: str) -> dict[str, float]:
    """The two-stage fit of one query mode's weights (``SIGNALS``, or ``ORG_SIGNALS`` for organisations)."""
    first, loss = fit(pools(index, queries, judged))
    print(f"{mode}: first fit: loss {loss:.4f} over {len(queries)} queries")
    head = head_pools(index, queries, judged, first)
    w, loss = fit(head)
    names = ORG_SIGNALS if mode == "organisations" else SIGNALS
    weights = {s: round(float(x), 4) for s, x in zip(names, w)}
    for s, x in weights.items():
        print(f"{s:32s} {x:8.4f}")
    print(f"{mode}: loss {loss:.4f} over the heads of {len(head)} queries")
    return weights


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--cutoff", required=True)
    ap.add_argument("--until", required=True)
    ap.add_argument("--store", type=Path, help="reuse (or keep) the imported store in this folder")
    ap.add_argument(
        "--mode",
        choices=("grants", "organisations", "both"),
        default="both",
        help="fit need queries (grants: the model's 'weights'), match --org on a store ('recent_weights'), or both",
    )
    ap.add_argument("--out", type=Path, help="write the model JSON here (a mode not fitted keeps its weights)")
    args = ap.parse_args(argv)
    tables, catalog, queries, judged, _ = prepare(args.data, args.cutoff, args.until, args.store)
    index = catalog.matcher.index
    model = json.loads(args.out.read_text()) if args.out and args.out.exists() else {}
    for mode in ("grants", "organisations") if args.mode == "both" else (args.mode,):
        if mode == "organisations":
            queries, judged = org_judged(index, tables, args.cutoff, args.until)
        key = "weights" if mode == "grants" else "recent_weights"
        model[key] = fit_mode(index, queries, judged, mode)
        fitted = {"data": args.data.name, "cutoff": args.cutoff, "until": args.until, "queries": len(queries)}
        model["fitted" if mode == "grants" else "recent_fitted"] = fitted
    if args.out:
        args.out.write_text(json.dumps(model, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
