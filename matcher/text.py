"""Turn statements into terms: tokens, stop words, English stemming and word n-grams."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

TOKEN = re.compile(r"(?u)\b\w\w+\b")


DOMAIN_STOP_WORDS = frozenset(
    """
    technology technologies technological tech partner partners partnership partnerships cooperation
    cooperate cooperating cooperative collaboration collaborate collaborating company companies enterprise
    enterprises project projects solution solutions product products organisation organization field fields
    area areas various related new
    """.split()
)
"""Words that every transfer-office profile uses ("cooperation with partners on new technology projects"):
they would link any two profiles and explain nothing, so they are not terms."""


def default_stop_words() -> frozenset[str]:
    """scikit-learn's English stop words plus DOMAIN_STOP_WORDS (only called when an index is built)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | DOMAIN_STOP_WORDS


class Analyzer:
    """Splits text into stemmed unigrams and the bigrams of adjacent kept words.

    ``modelling`` and ``modeling`` both become ``model``; ``laser mapping and modelling``
    gives ``laser``, ``map``, ``model``, ``laser map`` and ``map model``. It is a plain
    callable, so it serves as scikit-learn's ``analyzer`` when fitting and as the query
    analyser without importing scikit-learn.
    """

    def __init__(self, *, stop_words: Iterable[str] = (), ngram_max: int = 2, stem: bool = True):
        self.stop_words = frozenset(stop_words)
        self.ngram_max = ngram_max
        self.stem = stem
        self._stemmer = None
        self._cache: dict[str, str | None] = {}

    def _stem(self, word: str) -> str | None:
        """The term of one token (None for a stop word), cached: a corpus has far fewer words than tokens."""
        lower = word.lower()
        if lower in self.stop_words:
            out = None
        elif self.stem:
            if self._stemmer is None:
                import snowballstemmer  # uses PyStemmer's C implementation when it is installed

                self._stemmer = snowballstemmer.stemmer("english")
            out = self._stemmer.stemWord(lower)
        else:
            out = lower
        if len(self._cache) < 500_000:
            self._cache[word] = out
        return out

    def term(self, word: str) -> str | None:
        """The term of one token, None for a stop word."""
        return self._cache[word] if word in self._cache else self._stem(word)

    def stems(self, text: str) -> list[str]:
        """The term of every kept word, in order."""
        cache, stem = self._cache, self._stem  # ``term`` inlined: this runs once per token of a build
        out = [cache[w] if w in cache else stem(w) for w in TOKEN.findall(text)]
        return [s for s in out if s is not None]

    def words(self, text: str) -> list[tuple[str, str]]:
        """(term, surface word) for every kept word, in order."""
        out = []
        for w in TOKEN.findall(text):
            s = self.term(w)
            if s is not None:
                out.append((s, w.lower()))
        return out

    def __call__(self, text: str) -> list[str]:
        stems = self.stems(text)
        if self.ngram_max >= 2:
            terms = stems + [a + " " + b for a, b in zip(stems, stems[1:])]
            for n in range(3, self.ngram_max + 1):
                terms += [" ".join(stems[i : i + n]) for i in range(len(stems) - n + 1)]
            return terms
        return stems

    def display_forms(self, texts: Iterable[str]) -> dict[str, str]:
        """The most common surface word for every stem, so terms read as words: ``model`` -> ``modelling``."""
        tokens: Counter = Counter()
        for text in texts:
            tokens.update(TOKEN.findall(text))
        seen: dict[str, Counter] = defaultdict(Counter)
        for word, n in tokens.items():
            stem = self.term(word)
            if stem is not None:
                seen[stem][word.lower()] += n
        return {stem: counts.most_common(1)[0][0] for stem, counts in seen.items()}

    def config(self) -> dict:
        """What is needed to rebuild this analyser next to a stored index."""
        return {"stop_words": sorted(self.stop_words), "ngram_max": self.ngram_max, "stem": self.stem}

    @classmethod
    def from_config(cls, config: dict) -> Analyzer:
        return cls(stop_words=config["stop_words"], ngram_max=config["ngram_max"], stem=config["stem"])


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, the cut marked with an ellipsis."""
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def display_term(term: str, forms: dict[str, str]) -> str:
    """A stemmed (possibly multi-word) term written with the words people used."""
    return " ".join(forms.get(part, part) for part in term.split(" "))
