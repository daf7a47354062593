"""How well the semantic signal tells topic from language, on topics it was not calibrated on.

For held-out topics written in English, Russian, Chinese and Hungarian (benchmarks/data/crosslingual_topics.tsv),
compares every same-topic pair across two languages with every different-topic pair within one language,
on raw embeddings and on matcher's calibrated ones (language centroid subtracted): the share of
(same topic, different topic) comparisons ordered right (AUC), and the two groups' ranges against FLOOR.

    pip install '.[multilingual]' && python benchmarks/semantic_calibration.py
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from matcher.ranking import meaning as semantic

TOPICS = Path(__file__).resolve().parent / "data" / "crosslingual_topics.tsv"


def read_topics(path: Path) -> tuple[list[str], list[list[str]]]:
    rows = [r.split("\t") for r in path.read_text(encoding="utf-8").splitlines() if r and not r.startswith("#")]
    return rows[0], rows[1:]


def groups(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cosines of same-topic pairs across languages, and of different-topic pairs within a language."""
    t, n_lang, _ = vectors.shape
    same, different = [], []
    for i in range(t):
        for j in range(t):
            for a in range(n_lang):
                for b in range(n_lang):
                    c = float(vectors[i, a] @ vectors[j, b])
                    if i == j and a != b:
                        same.append(c)
                    elif i != j and a == b:
                        different.append(c)
    return np.array(same), np.array(different)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--topics", type=Path, default=TOPICS)
    args = parser.parse_args()
    langs, topics = read_topics(args.topics)
    cache = semantic.EmbeddingCache(None)
    raw = np.stack([cache.embed(row) for row in topics])  # topics x languages x dim
    centre = semantic.centroids(cache)
    calibrated = np.stack([semantic.calibrate(raw[i], langs, centre) for i in range(len(topics))])
    print(f"{len(topics)} held-out topics in {', '.join(langs)}; FLOOR = {semantic.FLOOR}")
    print("| vectors | same topic, other language: min / mean | other topic, same language: mean / max | AUC |")
    print("|---|---:|---:|---:|")
    for label, v in (("raw", raw), ("calibrated", calibrated)):
        same, different = groups(v)
        auc = float((same[:, None] > different[None, :]).mean())
        spread = f"{same.min():.3f} / {same.mean():.3f} | {different.mean():.3f} / {different.max():.3f}"
        print(f"| {label} | {spread} | {auc:.4f} |")
    same, different = groups(calibrated)
    print(
        f"calibrated: {np.mean(same > semantic.FLOOR):.1%} of same-topic pairs above FLOOR, "
        f"{np.mean(different > semantic.FLOOR):.1%} of different-topic pairs"
    )


if __name__ == "__main__":
    main()
