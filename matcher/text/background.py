"""How common a term is in general text: background statistics that steady the IDF of small profile sets.

With a few dozen profiles, inverse document frequency is counted over a few dozen documents, and any word
that few of them happen to use ("built", "maker", "russian") weighs as much as "laser" or "pipeline".
``idf`` counts each term's documents as the profiles' own plus those of a background corpus of
``BACKGROUND_DOCS`` documents, where a term occurs as often as in general text (``data/background.tsv.gz``,
from wordfreq's lists for English, Russian, Hungarian and Chinese: ``tools/build_background.py``). On a
small set the background decides which words are generic; on a large one the set's own counts do.
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

TABLE = Path(__file__).resolve().parent.parent / "data" / "background.tsv.gz"
BACKGROUND_DOCS = 10_000
"""Documents the background corpus counts as: 26 profiles' own counts barely move a weight, 100,000's rule."""
DOC_WORDS = 200
"""Words of running text per background document (a page): a word of frequency p is in 1 - exp(-200 p) of them.
On the bundled profiles 50, 200 and 500 gave MRR 0.715, 0.730 and 0.730 in ``matcher evaluate``."""


@lru_cache(maxsize=1)
def table() -> dict[str, float]:
    """Term -> frequency per word of running text (its most common language's)."""
    out = {}
    with gzip.open(TABLE, "rt", encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            term, zipf = line.rstrip("\n").split("\t")
            out[term] = 10 ** (int(zipf) / 100 - 9)
    return out


def background_df(terms: Sequence[str]) -> np.ndarray:
    """The share of background documents holding each term; a word pair's is its rarer word's."""
    freq = table()
    word = np.zeros(len(terms))
    for i, term in enumerate(terms):
        word[i] = min((freq.get(part, 0.0) for part in term.split(" ")), default=0.0)
    return -np.expm1(-DOC_WORDS * word)


def idf(terms: Sequence[str], df: np.ndarray, n_docs: int) -> np.ndarray:
    """Smoothed IDF over the profiles' ``n_docs`` documents and the background's, terms held by ``df``.

    Without the background it is scikit-learn's ``ln((1 + n) / (1 + df)) + 1``.
    """
    bg = BACKGROUND_DOCS * background_df(terms)
    return np.log((1 + n_docs + BACKGROUND_DOCS) / (1 + np.asarray(df, dtype=np.float64) + bg)) + 1


PLUS = 0


GENERIC_FREQUENCY = 10 ** (4.5 - 9)
"""Words more common than this in general text (Zipf 4.5: "maker", "built", "industry", "research",
"russian") are *generic*: a match that rests on them alone is marked weak. "laser" (4.28), "pipeline"
(4.04) and "UAV" (2.93) are specific."""


def generic(terms: Sequence[str]) -> np.ndarray:
    """For each term (a stem, or stems joined by spaces), whether even its rarest word is generic."""
    freq = table()
    return np.array(
        [min((freq.get(part, 0.0) for part in t.split(" ")), default=0.0) >= GENERIC_FREQUENCY for t in terms],
        dtype=bool,
    )
