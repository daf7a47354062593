"""Ranking metrics: Hits@k, MRR, nDCG and recall, by hand and against the full ranking."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.ranking.evaluation import Judged, evaluate, query_metrics, ranking, score_metrics


def test_metrics_by_hand():
    order = np.array([3, 1, 2, 0])
    m = query_metrics(order, {1, 0})
    assert m["hits@10"] == 1.0 and m["mrr"] == 0.5 and m["recall@50"] == 1.0
    ideal = 1 + 1 / np.log2(3)
    assert m["ndcg@10"] == pytest.approx((1 / np.log2(3) + 1 / np.log2(5)) / ideal)
    assert query_metrics(np.array([2, 3]), {1})["mrr"] == 0.0


def test_ties_are_broken_by_row_and_exclusions_drop_rows():
    assert ranking(np.array([1.0, 2.0, 2.0, 0.0])).tolist() == [1, 2, 0, 3]
    assert ranking(np.array([1.0, 2.0, 2.0, 0.0]), [1]).tolist() == [2, 0, 3]


def test_score_metrics_equal_the_metrics_of_the_full_ranking():
    rng = np.random.default_rng(7)
    for trial in range(400):
        n = int(rng.integers(1, 90))
        scores = rng.integers(0, 4, n).astype(float) if trial % 2 else rng.random(n)
        relevant = rng.choice(n, int(rng.integers(1, min(n, 12) + 1)), replace=False)
        exclude = rng.choice(n, int(rng.integers(0, n)), replace=False)
        want = query_metrics(ranking(scores, exclude), relevant)
        assert score_metrics(scores, relevant, exclude) == pytest.approx(want)


def test_evaluate_runs_both_variants():
    q = Judged(seeker=0, relevant=(1, 2), new_relevant=(2,), past=(1,))
    scores = np.array([9.0, 5.0, 1.0, 3.0])  # after the seeker: 1, 3, 2
    out = evaluate([q], {"m": lambda i: scores})["m"]
    assert out["all"]["mrr"] == 1.0
    assert out["new"]["mrr"] == 0.5  # 1 (a past partner) is left out: 3, then 2
