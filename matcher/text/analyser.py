"""Turn statements into terms: tokens, stop words, stemming per language, Chinese segmentation, word n-grams."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from .languages import CYRILLIC, HAN, detect

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


class Text(str):
    """A statement whose language is declared (a profile's ``language:`` key) rather than detected."""

    language: str

    def __new__(cls, text: str, language: str):
        out = super().__new__(cls, text)
        out.language = language
        return out

    def __getnewargs__(self):  # pickled with its language (a parallel build sends statements to workers)
        return str(self), self.language


OTHER_STOP_WORDS = {
    "ru": """технология технологии технологический сотрудничество сотрудничать партнер партнёр партнерство
        компания предприятие проект решение продукт продукция область сфера новый различный""",
    "hu": """technológia technológiai együttműködés partner partnerség vállalat cég vállalkozás projekt
        megoldás termék terület új különböző""",
    "zh": "技术 科技 合作 伙伴 合作伙伴 公司 企业 项目 解决方案 方案 产品 领域 相关 各种 提供 需要 寻求",
}
"""DOMAIN_STOP_WORDS in the other languages: compared by stem in Russian and Hungarian, whose words inflect."""

_SNOWBALL = {"en": "english", "ru": "russian", "hu": "hungarian"}


class Analyzer:
    """Splits text into stemmed unigrams and the bigrams of adjacent kept words.

    ``modelling`` and ``modeling`` both become ``model``; ``laser mapping and modelling``
    gives ``laser``, ``map``, ``model``, ``laser map`` and ``map model``. It is a plain
    callable, so it serves as scikit-learn's ``analyzer`` when fitting and as the query
    analyser without importing scikit-learn.

    ``multilingual`` analysers read every word in its own script: Chinese is segmented into words
    (jieba), Cyrillic words get the Russian stemmer, and the Latin words of a Hungarian statement
    (``language.detect``, or a ``Text`` whose language is declared) the Hungarian one, each with that
    language's stop words. Plain ASCII text takes the English path either way, unchanged.
    """

    def __init__(self, *, stop_words: Iterable[str] = (), ngram_max: int = 2, stem: bool = True, multilingual=False):
        self.stop_words = frozenset(stop_words)
        self.ngram_max = ngram_max
        self.stem = stem
        self.multilingual = multilingual
        self._stemmer = None
        self._cache: dict[str, str | None] = {}
        self._other: dict[str, dict[str, str | None]] = {}  # language -> word -> term, for ru, hu, zh
        self._other_stops: dict[str, tuple[frozenset[str], frozenset[str]]] = {}

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

    def _stops(self, language: str) -> tuple[frozenset[str], frozenset[str]]:
        """(stop words, stop stems) of ``ru``, ``hu`` or ``zh``: stopwords-iso's list and OTHER_STOP_WORDS."""
        if language not in self._other_stops:
            import snowballstemmer
            import stopwordsiso

            words = frozenset(w.lower() for w in stopwordsiso.stopwords(language))
            domain = OTHER_STOP_WORDS[language].split()
            if language in _SNOWBALL:
                stems = frozenset(snowballstemmer.stemmer(_SNOWBALL[language]).stemWords(domain))
            else:
                words, stems = words | frozenset(domain), frozenset()
            self._other_stops[language] = (words, stems)
        return self._other_stops[language]

    def _other_term(self, word: str, language: str) -> str | None:
        """The term of a word in Russian, Hungarian or Chinese (segmented already), None for a stop word."""
        cache = self._other.setdefault(language, {})
        if word in cache:
            return cache[word]
        lower = word.lower()
        words, stems = self._stops(language)
        out = None
        if lower not in words:
            if language in _SNOWBALL and self.stem:
                import snowballstemmer

                if ("stemmer", language) not in self._other:
                    self._other[("stemmer", language)] = snowballstemmer.stemmer(_SNOWBALL[language])
                out = self._other[("stemmer", language)].stemWord(lower)
                out = None if out in stems else out
            else:
                out = lower
        if len(cache) < 500_000:
            cache[word] = out
        return out

    def _tokens(self, text: str) -> list[tuple[str, str]]:
        """(word, language its term is made in) for every word of a text that is not plain ASCII."""
        latin = getattr(text, "language", None) or detect(text)
        latin = "hu" if latin == "hu" else "en"
        out = []
        for token in TOKEN.findall(text):
            if HAN.search(token):
                import jieba  # loads its dictionary once (about 1 s), only for Chinese text

                jieba.setLogLevel(60)
                for word in jieba.lcut(token):
                    if len(word) >= 2 and TOKEN.fullmatch(word):
                        out.append((word, "zh" if HAN.search(word) else latin))
            elif CYRILLIC.search(token):
                out.append((token, "ru"))
            else:
                out.append((token, latin))
        return out

    def words(self, text: str) -> list[tuple[str, str]]:
        """(term, surface word) for every kept word, in order."""
        if not self.multilingual or (text.isascii() and getattr(text, "language", "en") == "en"):
            pairs = ((self.term(w), w) for w in TOKEN.findall(text))
        else:
            pairs = ((self.term(w) if lang == "en" else self._other_term(w, lang), w) for w, lang in self._tokens(text))
        return [(s, w.lower()) for s, w in pairs if s is not None]

    def stems(self, text: str) -> list[str]:
        """The term of every kept word, in order."""
        return self._stems(text)[0]

    def _stems(self, text: str) -> tuple[list[str], list]:
        """``stems``, and what ``DisplayForms`` counts of the text: its tokens where it is read the plain
        English way, else its (term, surface word) pairs (``words``)."""
        if self.multilingual and not (text.isascii() and getattr(text, "language", "en") == "en"):
            pairs = self.words(text)
            return [s for s, _ in pairs], pairs
        cache, stem = self._cache, self._stem  # ``term`` inlined: this runs once per token of a build
        tokens = TOKEN.findall(text)
        out = [cache[w] if w in cache else stem(w) for w in tokens]
        return [s for s in out if s is not None], tokens

    def __call__(self, text: str) -> list[str]:
        return self.analyse(text)[0]

    def analyse(self, text: str) -> tuple[list[str], list]:
        """The terms of a text, and what ``DisplayForms.add_analysed`` counts of it (see ``_stems``), so
        that a build reads each text once."""
        stems, surface = self._stems(text)
        return self._grams(stems), surface

    def _grams(self, stems: list[str]) -> list[str]:
        if self.ngram_max >= 2:
            terms = stems + [a + " " + b for a, b in zip(stems, stems[1:])]
            for n in range(3, self.ngram_max + 1):
                terms += [" ".join(stems[i : i + n]) for i in range(len(stems) - n + 1)]
            return terms
        return stems

    def display_forms(self, texts: Iterable[str]) -> dict[str, str]:
        """The most common surface word for every stem, so terms read as words: ``model`` -> ``modelling``."""
        forms = DisplayForms(self)
        forms.add(texts)
        return forms.result()

    def config(self) -> dict:
        """What is needed to rebuild this analyser next to a stored index."""
        return {
            "stop_words": sorted(self.stop_words),
            "ngram_max": self.ngram_max,
            "stem": self.stem,
            "multilingual": self.multilingual,
        }

    @classmethod
    def from_config(cls, config: dict) -> Analyzer:
        return cls(
            stop_words=config["stop_words"],
            ngram_max=config["ngram_max"],
            stem=config["stem"],
            multilingual=config.get("multilingual", False),
        )


class DisplayForms:
    """``Analyzer.display_forms`` counted a batch of texts at a time: the same result, however split."""

    def __init__(self, analyzer: Analyzer):
        self.analyzer = analyzer
        self.seen: dict[str, Counter] = defaultdict(Counter)
        self.ascii_tokens: Counter = Counter()

    def add(self, texts: Iterable[str]) -> None:
        a = self.analyzer
        for text in texts:
            if not a.multilingual or (text.isascii() and getattr(text, "language", "en") == "en"):
                self.ascii_tokens.update(TOKEN.findall(text))
            else:
                self.add_analysed(a.words(text))

    def add_analysed(self, surface: list) -> None:
        """One text, given what ``Analyzer.analyse`` found in it: tokens, or (term, word) pairs."""
        if surface and isinstance(surface[0], tuple):
            for stem, word in surface:
                self.seen[stem][word] += 1
        else:
            self.ascii_tokens.update(surface)

    def counts(self) -> tuple[dict[str, Counter], Counter]:
        """What has been counted, as plain data (to send from one process to another)."""
        return dict(self.seen), self.ascii_tokens

    def merge(self, counts: tuple[dict[str, Counter], Counter]) -> None:
        """Add the ``counts()`` of another, which counted the texts that come after these ones."""
        seen, ascii_tokens = counts
        for stem, c in seen.items():
            self.seen[stem].update(c)
        self.ascii_tokens.update(ascii_tokens)

    def result(self) -> dict[str, str]:
        seen = defaultdict(Counter, {stem: Counter(c) for stem, c in self.seen.items()})
        for word, n in self.ascii_tokens.items():
            stem = self.analyzer.term(word)
            if stem is not None:
                seen[stem][word.lower()] += n
        return {stem: counts.most_common(1)[0][0] for stem, counts in seen.items()}


def display_term(term: str, forms: dict[str, str]) -> str:
    """A stemmed (possibly multi-word) term written with the words people used."""
    return " ".join(forms.get(part, part) for part in term.split(" "))
