"""Synthetic profile sets with a realistic vocabulary, for measuring speed at any size.

Each statement has 30–60 tokens drawn from three pools, as in real capability texts: English stop words
(about 40% of the tokens, which the analyser drops), a general vocabulary of 20,000 words with a Zipfian
frequency (a few words are everywhere, most are rare), and the terms of the organisation's one or two
sectors (60 sectors of 150 terms each, also Zipfian). Words are made of syllables, so they stem like words.
The same seed always gives the same profiles.
"""

from __future__ import annotations

import numpy as np

from matcher.profiles.model import Profile

SYLLABLES = "ba be bi bo bu da de di do du fa fe fi fo ka ke ki ko ku la le li lo lu ma me mi mo mu na ne ni no".split()
SYLLABLES += "nu pa pe pi po ra re ri ro ru sa se si so ta te ti to tu va ve vi vo za ze zi zo".split()
ENDINGS = ["", "n", "r", "l", "x", "m", "t"]
COUNTRIES = "CN RU HU DE FR IT ES PL CZ KZ BY UZ GB US JP KR IN BR TR NL".split()
KINDS = ("company", "university", "research-institute", "public-body", "other")
KIND_P = (0.6, 0.15, 0.15, 0.05, 0.05)
N_GENERAL, N_SECTORS, SECTOR_TERMS = 20_000, 60, 150
P_STOP, P_SECTOR = 0.40, 0.20


def _words(n: int, rng: np.random.Generator, taken: set[str]) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        k = rng.integers(2, 5, 2 * n)
        syl = rng.choice(SYLLABLES, (2 * n, 4))
        end = rng.choice(ENDINGS, 2 * n)
        for i in range(2 * n):
            w = "".join(syl[i, : k[i]]) + end[i]
            if w not in taken:
                taken.add(w)
                out.append(w)
                if len(out) == n:
                    break
    return out


def _zipf(n: int, s: float = 1.07) -> np.ndarray:
    p = 1.0 / np.arange(1, n + 1) ** s
    return np.cumsum(p / p.sum())


class Vocabulary:
    def __init__(self, seed: int = 0):
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        rng = np.random.default_rng(seed)
        self.stop = np.array(sorted(ENGLISH_STOP_WORDS))
        taken = set(self.stop)
        self.general = np.array(_words(N_GENERAL, rng, taken))
        self.sectors = np.array(_words(N_SECTORS * SECTOR_TERMS, rng, taken)).reshape(N_SECTORS, SECTOR_TERMS)
        self.words = [*self.stop.tolist(), *self.general.tolist(), *self.sectors.ravel().tolist()]
        self.cdf_stop, self.cdf_general, self.cdf_sector = _zipf(len(self.stop), 1.0), _zipf(N_GENERAL), _zipf(150)


def statements(vocab: Vocabulary, sectors: np.ndarray, rng: np.random.Generator) -> list[str]:
    """One statement per entry of ``sectors`` (the sector each statement draws its sector terms from)."""
    lengths = rng.integers(30, 61, len(sectors))
    total = int(lengths.sum())
    pool = rng.random(total)
    u = rng.random(total)
    stmt_sector = np.repeat(sectors, lengths)
    # word codes into one list (stop words, general words, sector terms): the same words as indexing the
    # string arrays, without string arrays the size of every token
    n_stop, n_general = len(vocab.stop), len(vocab.general)
    code = np.where(
        pool < P_STOP,
        np.minimum(np.searchsorted(vocab.cdf_stop, u), n_stop - 1),
        np.where(
            pool < P_STOP + P_SECTOR,
            n_stop
            + n_general
            + stmt_sector * SECTOR_TERMS
            + np.minimum(np.searchsorted(vocab.cdf_sector, u), SECTOR_TERMS - 1),
            n_stop + np.minimum(np.searchsorted(vocab.cdf_general, u), N_GENERAL - 1),
        ),
    )
    words = vocab.words
    ends = np.cumsum(lengths)
    return [" ".join([words[c] for c in code[a:b].tolist()]) for a, b in zip(ends - lengths, ends)]


def profiles(n: int, seed: int = 0, chunk: int = 20_000) -> list[Profile]:
    """``n`` profiles: 1–3 capabilities and 0–2 needs each (one in eight lists no need)."""
    return list(iter_profiles(n, seed, chunk))


def iter_profiles(n: int, seed: int = 0, chunk: int = 20_000):
    """``profiles(n, seed)`` one at a time, ``chunk`` made at once (the same profiles, in bounded memory)."""
    vocab = Vocabulary(seed)
    rng = np.random.default_rng(seed + 1)
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        n_cap = rng.integers(1, 4, m)
        n_need = np.where(rng.random(m) < 0.125, 0, rng.integers(1, 3, m))
        main = rng.integers(0, N_SECTORS, m)
        second = np.where(rng.random(m) < 0.5, main, rng.integers(0, N_SECTORS, m))
        per = n_cap + n_need
        org = np.repeat(np.arange(m), per)
        sector = np.where(rng.random(len(org)) < 0.7, main[org], second[org])
        texts = statements(vocab, sector, rng)
        country = rng.choice(COUNTRIES, m)
        kind = rng.choice(len(KINDS), m, p=KIND_P)
        pos = 0
        for i in range(m):
            c, k = int(n_cap[i]), int(n_need[i])
            yield (
                Profile(
                    name=f"Org {start + i:07d}",
                    country=str(country[i]),
                    kind=KINDS[kind[i]],
                    capabilities=tuple(texts[pos : pos + c]),
                    needs=tuple(texts[pos + c : pos + c + k]),
                )
            )
            pos += c + k
