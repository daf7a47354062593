"""Vectorise every capability and need statement on one TF-IDF vocabulary, per statement and per organisation.

An organisation's capability vector is the L2-normalised sum of its (L2-normalised) capability statement
vectors, and likewise for needs. The dot product of A's need vector with B's capability vector is therefore
an exact sum over (need, capability) statement pairs, which is what makes explanations add up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .profiles import KINDS, Profile
from .text import Analyzer, default_stop_words

CAPABILITY, NEED = 0, 1


def name_key(name: str) -> int:
    """A stable 64-bit key of a name, ignoring case and surrounding space (for the sorted name table)."""
    import hashlib

    digest = hashlib.blake2b(name.strip().casefold().encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


@dataclass(frozen=True)
class Csr:
    """A compressed sparse row matrix as three numpy arrays, readable without scipy."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    shape: tuple[int, int]

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Column indices (sorted) and values of row ``i``."""
        lo, hi = self.indptr[i], self.indptr[i + 1]
        return self.indices[lo:hi], self.data[lo:hi]

    @classmethod
    def from_scipy(cls, m) -> Csr:
        m = m.tocsr()
        m.sort_indices()
        return cls(
            m.indptr.astype(np.int64),
            m.indices.astype(np.int32),
            m.data.astype(np.float32),
            (int(m.shape[0]), int(m.shape[1])),
        )

    def to_scipy(self):
        from scipy.sparse import csr_matrix

        return csr_matrix((self.data, self.indices, self.indptr), shape=self.shape)


def dot_all(query: tuple[np.ndarray, np.ndarray], postings: Csr) -> np.ndarray:
    """Dot product of one sparse query vector with every row of the matrix whose transpose is ``postings``.

    Only the postings lists of the query's terms are read (an inverted-index traversal), not every row.
    """
    terms, weights = query
    n = postings.shape[1]
    if len(terms) == 0:
        return np.zeros(n, dtype=np.float64)
    lo, hi = postings.indptr[terms], postings.indptr[terms + 1]
    rows = np.concatenate([postings.indices[a:b] for a, b in zip(lo, hi)])
    vals = np.concatenate([postings.data[a:b] * w for a, b, w in zip(lo, hi, weights)])
    return np.bincount(rows, weights=vals, minlength=n)


@dataclass
class Index:
    """Everything the matcher needs to score and explain: vocabulary, statement and organisation vectors."""

    profiles: Sequence[Profile]  # a list, or records decoded on demand from a stored index
    analyzer: Analyzer
    terms: Sequence[str]
    display: Sequence[str]
    idf: np.ndarray
    stmt_org: np.ndarray  # statement -> organisation row
    stmt_side: np.ndarray  # CAPABILITY or NEED
    stmt_first: np.ndarray  # shape (n_orgs, 2, 2): [org, side] -> (first statement row, end)
    stmt_evidence: np.ndarray  # statement -> index into its profile's sources, or -1
    statements: Csr  # statements x terms, rows L2-normalised
    org_vectors: tuple[Csr, Csr]  # (capabilities, needs): orgs x terms, rows L2-normalised
    org_norms: np.ndarray  # (n_orgs, 2): norm of the summed statement vectors before normalising
    postings: tuple[Csr, Csr] = field(repr=False)  # transposes of org_vectors: terms x orgs
    country: np.ndarray = field(repr=False, default=None)  # ISO code per organisation
    kind: np.ndarray = field(repr=False, default=None)  # index into KINDS per organisation
    name_keys: np.ndarray = field(repr=False, default=None)  # sorted name_key() of every name and alias
    name_rows: np.ndarray = field(repr=False, default=None)  # the organisation of each name_keys entry

    def find_row(self, name: str) -> int | None:
        """The organisation with this name or alias (ignoring case), without a dictionary of all names."""
        key = np.uint64(name_key(name))
        wanted = name.strip().casefold()
        i = int(np.searchsorted(self.name_keys, key))
        while i < len(self.name_keys) and self.name_keys[i] == key:
            row = int(self.name_rows[i])
            if any(n.casefold() == wanted for n in self.profiles[row].names):
                return row
            i += 1
        return None

    @property
    def n_orgs(self) -> int:
        return len(self.profiles)

    def statement_rows(self, org: int, side: int) -> range:
        lo, hi = self.stmt_first[org, side]
        return range(int(lo), int(hi))

    @cached_property
    def has_needs(self) -> np.ndarray:
        """Boolean mask of organisations that list at least one need (computed once per index)."""
        return self.stmt_first[:, NEED, 1] > self.stmt_first[:, NEED, 0]

    def vector(self, org: int, side: int) -> tuple[np.ndarray, np.ndarray]:
        return self.org_vectors[side].row(org)

    def statement_text(self, row: int) -> str:
        profile = self.profiles[int(self.stmt_org[row])]
        side = int(self.stmt_side[row])
        pos = row - int(self.stmt_first[self.stmt_org[row], side, 0])
        return (profile.capabilities if side == CAPABILITY else profile.needs)[pos]

    def transform(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """TF-IDF vector of a new text on this index's vocabulary (terms sorted, L2-normalised)."""
        lookup = self.term_ids
        counts: dict[int, int] = {}
        for term in self.analyzer(text):
            t = lookup.get(term)
            if t is not None:
                counts[t] = counts.get(t, 0) + 1
        if not counts:
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        ids = np.array(sorted(counts), dtype=np.int32)
        tf = np.array([counts[i] for i in ids], dtype=np.float64)
        w = (1.0 + np.log(tf)) * self.idf[ids]
        return ids, (w / np.linalg.norm(w)).astype(np.float32)

    @cached_property
    def term_ids(self) -> dict[str, int]:
        """Column of every term (built on first use: only free-text queries and index builds need it)."""
        return {t: i for i, t in enumerate(self.terms)}

    @classmethod
    def build(cls, profiles: Sequence[Profile], *, min_df: int | None = None) -> Index:
        """Fit the vocabulary and vectorise every statement and organisation."""
        from scipy import sparse
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.preprocessing import normalize

        profiles = list(profiles)
        analyzer = Analyzer(stop_words=default_stop_words())
        texts: list[str] = []
        org_of: list[int] = []
        side_of: list[int] = []
        first = np.zeros((len(profiles), 2, 2), dtype=np.int64)
        for o, p in enumerate(profiles):
            for side, stmts in ((CAPABILITY, p.capabilities), (NEED, p.needs)):
                first[o, side, 0] = len(texts)
                texts += stmts
                org_of += [o] * len(stmts)
                side_of += [side] * len(stmts)
                first[o, side, 1] = len(texts)
        if min_df is None:  # terms seen once cannot link two profiles; on big sets they only cost memory
            min_df = 1 if len(texts) < 50_000 else 2
        vectorizer = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, min_df=min_df, dtype=np.float32)
        try:
            S = vectorizer.fit_transform(texts)
        except ValueError:  # no statement has a single content word: an empty vocabulary
            S = sparse.csr_matrix((len(texts), 0), dtype=np.float32)
            vectorizer.vocabulary_, vectorizer.idf_ = {}, np.zeros(0)
        terms = [""] * len(vectorizer.vocabulary_)
        for t, i in vectorizer.vocabulary_.items():
            terms[i] = t
        forms = analyzer.display_forms(texts)
        display = [" ".join(forms.get(w, w) for w in t.split(" ")) for t in terms]

        org_of_arr = np.asarray(org_of, dtype=np.int32)
        side_arr = np.asarray(side_of, dtype=np.int8)
        vectors, postings, norms = [], [], np.zeros((len(profiles), 2))
        for side in (CAPABILITY, NEED):
            mask = (side_arr == side).astype(np.float32)
            member = sparse.csr_matrix((mask, (org_of_arr, np.arange(len(texts)))), shape=(len(profiles), len(texts)))
            summed = (member @ S).tocsr()
            summed.eliminate_zeros()
            norms[:, side] = np.sqrt(np.asarray(summed.multiply(summed).sum(axis=1)).ravel())
            org_m = normalize(summed)
            vectors.append(Csr.from_scipy(org_m))
            postings.append(Csr.from_scipy(org_m.T.tocsr()))

        index = cls(
            profiles=profiles,
            analyzer=analyzer,
            terms=terms,
            display=display,
            idf=np.asarray(vectorizer.idf_, dtype=np.float64),
            stmt_org=org_of_arr,
            stmt_side=side_arr,
            stmt_first=first,
            stmt_evidence=np.full(len(texts), -1, dtype=np.int32),
            statements=Csr.from_scipy(S),
            org_vectors=(vectors[0], vectors[1]),
            org_norms=norms,
            postings=(postings[0], postings[1]),
        )
        index.stmt_evidence = _evidence(index)
        index.country = np.array([p.country for p in profiles], dtype="<U2")
        index.kind = np.array([KINDS.index(p.kind) for p in profiles], dtype=np.uint8)
        keys = [(name_key(n), o) for o, p in enumerate(profiles) for n in dict.fromkeys(p.names)]
        keys.sort()
        index.name_keys = np.array([k for k, _ in keys], dtype=np.uint64)
        index.name_rows = np.array([o for _, o in keys], dtype=np.int32)
        return index


def _evidence(index: Index) -> np.ndarray:
    """For each statement, the source quote of its profile that best shares its rare terms (or -1).

    Overlap is weighted by IDF, so a quote sharing "pipeline inspection" beats one sharing only "integrate".
    """
    out = np.full(len(index.stmt_org), -1, dtype=np.int32)
    lookup = index.term_ids
    idf = index.idf

    def weights(text: str) -> dict[str, float]:
        return {t: float(idf[lookup[t]]) for t in set(index.analyzer(text)) if t in lookup}

    for o, profile in enumerate(index.profiles):
        if not profile.sources:
            continue
        quotes = [weights(src.quote) for src in profile.sources]
        for side in (CAPABILITY, NEED):
            for row in index.statement_rows(o, side):
                mine = weights(index.statement_text(row))
                overlap = [sum(w for t, w in mine.items() if t in q) for q in quotes]
                best = int(np.argmax(overlap))
                if overlap[best] > 0:
                    out[row] = best
    return out
