"""Measure ranking quality: metrics over real partnerships, and the CORDIS temporal benchmark.

Ranks use a fixed tie order (the organisation's row, which follows its id), the same for every method,
so a method that gives many candidates the same score gains nothing from ties.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import MatcherError, ProfileError, UnreadableFile
from ..paths import read_limited
from ..profiles.load import compose
from .ranker import Ranking

MAX_PARTNERSHIPS_BYTES = 4 * 1024 * 1024
"""A partnerships file lists pairs of names: a few kilobytes."""
METRICS = ("hits@10", "mrr", "ndcg@10", "recall@50")


def ranking(scores: np.ndarray, exclude: Iterable[int] = ()) -> np.ndarray:
    """Rows best first, ties broken by row number, without the excluded rows."""
    s = np.asarray(scores, dtype=np.float64).copy()
    order = np.lexsort((np.arange(len(s)), -s))
    excluded = np.zeros(len(s), dtype=bool)
    excluded[list(exclude)] = True
    return order[~excluded[order]]


def query_metrics(order: np.ndarray, relevant: Iterable[int]) -> dict[str, float]:
    """Hits@10, reciprocal rank, nDCG@10 and recall@50 of one ranking (binary relevance)."""
    rel = set(int(r) for r in relevant)
    if not rel:
        raise ValueError("a query needs at least one relevant organisation")
    hit = np.fromiter((int(r) in rel for r in order), dtype=bool, count=len(order))
    first = int(np.argmax(hit)) if hit.any() else None
    return _metrics(hit[:50], len(rel), 1.0 / (first + 1) if first is not None else 0.0)


def _metrics(head: np.ndarray, n_relevant: int, mrr: float) -> dict[str, float]:
    """The metrics from ``head`` (whether each of the first 50 ranked rows is relevant) and the MRR."""
    gains = head[:10] / np.log2(np.arange(2, 2 + min(10, len(head))))
    ideal = sum(1 / math.log2(i + 2) for i in range(min(n_relevant, 10)))
    return {
        "hits@10": float(head[:10].any()),
        "mrr": mrr,
        "ndcg@10": float(gains.sum() / ideal),
        "recall@50": float(head.sum() / n_relevant),
    }


def score_metrics(scores: np.ndarray, relevant: Iterable[int], exclude: Iterable[int] = ()) -> dict[str, float]:
    """``query_metrics(ranking(scores, exclude), relevant)`` without sorting every row: only the rows that
    can reach the first 50 are ordered, and the first relevant row's rank is counted."""
    s = np.asarray(scores, dtype=np.float64).copy()
    n = len(s)
    excluded = np.zeros(n, dtype=bool)
    excluded[list(exclude)] = True
    rel = np.unique(np.fromiter((int(r) for r in relevant), dtype=np.int64))
    if not len(rel):
        raise ValueError("a query needs at least one relevant organisation")
    s[excluded] = -np.inf
    live = n - int(excluded.sum())
    k = min(50, live)
    if k:
        floor = np.partition(s, n - k)[n - k]  # the k-th highest score: every row above it, ties included
        head = np.flatnonzero(s >= floor)
        head = head[np.lexsort((head, -s[head]))][:k]
    else:
        head = np.zeros(0, dtype=np.int64)
    rel_live = rel[~excluded[rel]]
    mrr = 0.0
    if len(rel_live):
        best = rel_live[np.lexsort((rel_live, -s[rel_live]))[0]]
        ahead = int(np.count_nonzero(s > s[best])) + int(np.count_nonzero(s[:best] == s[best]))
        mrr = 1.0 / (ahead + 1)
    return _metrics(np.isin(head, rel), len(rel), mrr)


def mean_metrics(rows: Sequence[dict[str, float]]) -> dict[str, float]:
    """Macro average over queries (zeros when there is none)."""
    return {m: (float(np.mean([r[m] for r in rows])) if rows else 0.0) for m in METRICS}


@dataclass
class MethodResult:
    all: list[dict] = field(default_factory=list)
    new: list[dict] = field(default_factory=list)

    def summary(self) -> dict:
        return {"all": mean_metrics(self.all), "new": mean_metrics(self.new), "queries_new": len(self.new)}


@dataclass(frozen=True)
class Judged:
    """A query, as rows of the index: who seeks, who it really chose, and whom it had worked with."""

    seeker: int | None
    relevant: tuple[int, ...]
    new_relevant: tuple[int, ...]
    past: tuple[int, ...]


def evaluate(
    queries: Sequence[Judged], methods: dict[str, Callable[[int], np.ndarray]], progress=None
) -> dict[str, dict]:
    """Run every method on every query, in the all-partners and the new-partners variants.

    ``methods`` maps a name to ``f(query_number) -> scores over all rows``. The new-partners variant
    leaves the seeker's past partners out of the ranking and counts only partners it had not worked with.
    """
    results = {name: MethodResult() for name in methods}
    for i, q in enumerate(queries):
        own = [q.seeker] if q.seeker is not None else []
        for name, method in methods.items():
            scores = method(i)
            results[name].all.append(score_metrics(scores, q.relevant, own))
            if q.new_relevant:
                results[name].new.append(score_metrics(scores, q.new_relevant, own + list(q.past)))
        if progress is not None:
            progress(1)
    return {name: r.summary() for name, r in results.items()}


def format_table(methods: dict[str, dict]) -> str:
    """The results as a Markdown table, one row per method."""
    head = "| method | " + " | ".join(METRICS) + " | " + " | ".join(f"new {m}" for m in METRICS) + " |"
    lines = [head, "|---|" + "---:|" * (2 * len(METRICS))]
    for name, r in methods.items():
        cells = [f"{r['all'][m]:.3f}" for m in METRICS] + [f"{r['new'][m]:.3f}" for m in METRICS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


@dataclass(frozen=True)
class PairRank:
    seeker: str
    partner: str
    rank: int  # 1 = first among the seeker's candidates
    candidates: int


@dataclass(frozen=True)
class PartnershipReport:
    pairs: int
    rows: list[PairRank]
    k: int

    @property
    def hits(self) -> float:
        return float(np.mean([r.rank <= self.k for r in self.rows])) if self.rows else 0.0

    @property
    def mrr(self) -> float:
        return float(np.mean([1 / r.rank for r in self.rows])) if self.rows else 0.0


def read_partnerships(path) -> list[tuple[str, str]]:
    """The ``between: [A, B]`` pairs of a partnerships YAML file, with errors that name the entry."""
    path = Path(path)
    try:
        _, data = compose(read_limited(path, MAX_PARTNERSHIPS_BYTES, what="partnerships file").decode("utf-8"), path)
    except UnreadableFile as exc:
        raise MatcherError(f"{exc}.") from None
    except UnicodeDecodeError:
        raise MatcherError(f"{path}: is not UTF-8 text — save it with UTF-8 encoding.") from None
    except ProfileError as exc:
        raise MatcherError(f"{exc.problems[0]}.") from None
    items = data.get("partnerships") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise MatcherError(f"{path}: expected a top-level 'partnerships:' list of entries with 'between: [A, B]'.")
    pairs = []
    for i, item in enumerate(items):
        between = item.get("between") if isinstance(item, dict) else None
        if not (isinstance(between, list) and len(between) == 2 and all(isinstance(x, str) for x in between)):
            raise MatcherError(f"{path}: partnerships[{i}].between must name two organisations, e.g. [Huawei, MTS].")
        pairs.append((between[0], between[1]))
    return pairs


def evaluate_partnerships(names, scores: Ranking, path, *, k: int = 3) -> PartnershipReport:
    """Rank of each known partner in the other's full ranking, both ways (listed partners play no part):
    ``names`` finds each organisation (``index.directory.Directory``), ``scores`` ranks (``Ranking``)."""
    pairs = read_partnerships(path)
    both = [(s, t) for a, b in pairs for s, t in ((a, b), (b, a))]
    return PartnershipReport(len(pairs), pair_ranks(names, scores, both), k)


def pair_ranks(names, scores: Ranking, pairs: Iterable[tuple[str, str]]) -> list[PairRank]:
    """For each ``(seeker, partner)``, the partner's rank in the seeker's full ranking (``Ranking.scores``)."""
    rows = []
    profiles = scores.index.profiles
    for seeker, partner in pairs:
        s, t = names.find(seeker), names.find(partner)
        order = ranking(scores.scores(s)[0], [s])
        rows.append(PairRank(profiles[s].name, profiles[t].name, int(np.flatnonzero(order == t)[0]) + 1, len(order)))
    return rows
