"""Suggestions for a name nobody has: "Did you mean ...?" that works on long legal names.

Organisation names are long and multilingual ("TECHNISCHE UNIVERSITEIT DELFT" for "Delft University of
Technology"), and most of their words are common ("university", "research", "of"). A name is scored by the
query's words it holds, each weighted by how rare it is among all names (its IDF, squared), a word counting where
rapidfuzz finds it spelled alike (``fuzz.ratio`` of at least ``SPELLED_ALIKE``: "universiteit" for
"university", "siemns" for "siemens"); whole-string ratios (``WRatio``) would rather pick a two-letter alias.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence

WORD = re.compile(r"\w+")
SPELLED_ALIKE = 80
MIN_SCORE = 0.3
"""A name must hold at least this share of the query's (IDF-weighted) words to be suggested."""


def words(text: str) -> list[str]:
    return WORD.findall(text.casefold())


def suggest(query: str, names: Sequence[tuple[str, str]], n: int = 3, weight: Sequence[float] = ()) -> list[str]:
    """Up to ``n`` organisations (their names) whose names or aliases best hold the words of ``query``.

    ``names`` are ``(name or alias, organisation name)`` pairs; ``weight`` (per pair, optional) breaks ties,
    larger first (e.g. how many records the organisation has).
    """
    from rapidfuzz import fuzz, process

    asked = list(dict.fromkeys(words(query)))
    if not asked:
        return []
    holders: dict[str, set[int]] = defaultdict(set)
    for i, (text, _) in enumerate(names):
        for w in set(words(text)):
            holders[w].add(i)
    total = len({org for _, org in names}) or 1
    vocabulary = list(holders)
    # squared, as in a TF-IDF dot product: one rare word ("delft") outweighs three common ones ("university of
    # technology"), which every other technical university's English alias holds too
    idf = {w: math.log(1 + total / len(holders[w])) ** 2 for w in vocabulary}
    score: dict[int, float] = defaultdict(float)
    asked_weight = 0.0
    for q in asked:
        alike = process.extract(q, vocabulary, scorer=fuzz.ratio, score_cutoff=SPELLED_ALIKE, limit=20)
        q_idf = idf[alike[0][0]] if alike else math.log(1 + total) ** 2  # the closest spelling's rarity
        asked_weight += q_idf
        best: dict[int, float] = {}
        for w, similarity, _ in alike:
            for i in holders[w]:
                best[i] = max(best.get(i, 0.0), q_idf * similarity / 100)
        for i, s in best.items():
            score[i] += s
    ranked = sorted(score, key=lambda i: (-score[i], -(weight[i] if weight else 0.0), names[i][0]))
    out: list[str] = []
    for i in ranked:
        if score[i] / asked_weight < MIN_SCORE:
            break
        if names[i][1] not in out:
            out.append(names[i][1])
        if len(out) == n:
            break
    return out
