"""Vectorise every capability and need statement on one TF-IDF vocabulary, per statement and per organisation.

Two weightings share one layout:

- ``tfidf`` (hand-written profiles): an organisation's capability vector is the L2-normalised sum of its
  (L2-normalised) capability statement vectors, and likewise for needs; A's need vector times B's capability
  vector is a cosine.
- ``bm25`` (bulk stores built from many past projects): an organisation's vector holds BM25 term weights of all
  its statements together (IDF times a saturated, length-normalised term frequency), and a need is the set of
  its terms. Cosine favours organisations with one short record; BM25 does not. Each term's weight is split
  over the organisation's statements in proportion to their term counts.

Either way the score of a need against an organisation is an exact sum over (need, capability) statement
pairs and over terms, which is what makes explanations add up.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..errors import MatcherError
from ..profiles.load import KINDS, Profile
from ..text.analyser import Analyzer, Text, default_stop_words, display_term
from ..text.background import idf as background_idf

CAPABILITY, NEED = 0, 1
WEIGHTINGS = ("tfidf", "bm25")
BM25_K1, BM25_B = 1.2, 0.75
COMMON_SHARE = 32
"""A term is *common* when more than 1/COMMON_SHARE of the organisations hold it (see ``score.reciprocal_top``)."""


NORM_BLOCK = 64  # organisations per block of ``Index.norm_blocks``
COMMON_GROUPS = 32
"""Common terms are dealt into this many groups, by document frequency, for ``Index.group_norms``."""


def common_cutoff(n_orgs: int) -> int:
    """Document frequency above which a term's postings are too long to read on every query."""
    return max(16, n_orgs // COMMON_SHARE)


def text_key(text: str) -> tuple[str | None, str]:
    """What makes two statements one text: the same words read in the same declared language."""
    return getattr(text, "language", None), str(text)


def name_key(name: str) -> int:
    """A stable 64-bit key of a name, ignoring case and surrounding space (for the sorted name table)."""
    import hashlib

    digest = hashlib.blake2b(name.strip().casefold().encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def city_key(city: str | None, country: str) -> int:
    """A 64-bit key of a city within its country (case and surrounding space ignored), 0 without a city."""
    return name_key(f"{city.strip()}\0{country}") if city and city.strip() else 0


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


def concat_ranges(lo: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Positions ``lo[i], ..., lo[i] + lens[i] - 1`` for every i, concatenated: the entries of several
    rows of a compressed sparse matrix, read in one vectorised gather."""
    ends = np.cumsum(lens)
    return np.arange(int(ends[-1]) if len(ends) else 0, dtype=np.int64) + np.repeat(lo - (ends - lens), lens)


def gather(query: tuple[np.ndarray, np.ndarray], postings: Csr) -> tuple[np.ndarray, np.ndarray]:
    """The postings of a sparse query's terms: (row, query weight x posting value) for every entry.

    One vectorised gather over all the terms' postings lists, however many terms the query has.
    """
    terms, weights = query
    lo = postings.indptr[terms]
    lens = postings.indptr[terms + 1] - lo
    if int(lens.sum()) == 0:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float64)
    pos = concat_ranges(lo, lens)
    return postings.indices[pos], postings.data[pos] * np.repeat(np.asarray(weights, dtype=np.float64), lens)


_scratch = threading.local()


def _term_slots(n_terms: int) -> np.ndarray:
    """A per-thread array of -1s, one per term, that ``dot_rows`` fills and clears again on every call."""
    slots = getattr(_scratch, "slots", None)
    if slots is None or len(slots) < n_terms:
        slots = _scratch.slots = np.full(n_terms, -1, dtype=np.int32)
    return slots


def dot_rows(query: tuple[np.ndarray, np.ndarray], matrix: Csr, rows: np.ndarray) -> np.ndarray:
    """Dot product of one sparse query vector with the given rows of ``matrix`` (terms sorted on both sides).

    Sums the same products in the same order as ``dot_all`` (term order), so the result is bit-identical:
    a score does not depend on which of the two computed it.
    """
    terms, weights = query
    out = np.zeros(len(rows))
    if len(terms) == 0 or len(rows) == 0:
        return out
    lo = matrix.indptr[rows]
    lens = matrix.indptr[rows + 1] - lo
    pos = concat_ranges(lo, lens)
    cols = matrix.indices[pos]
    slots = _term_slots(matrix.shape[1])
    slots[terms] = np.arange(len(terms), dtype=np.int32)
    try:
        j = slots[cols]
    finally:
        slots[terms] = -1
    hit = j >= 0
    owner = np.repeat(np.arange(len(rows)), lens)[hit]
    w = np.asarray(weights, dtype=np.float64)[j[hit]]
    return np.bincount(owner, weights=matrix.data[pos[hit]] * w, minlength=len(rows))


def dot_all(query: tuple[np.ndarray, np.ndarray], postings: Csr) -> np.ndarray:
    """Dot product of one sparse query vector with every row of the matrix whose transpose is ``postings``.

    Only the postings lists of the query's terms are read (an inverted-index traversal), not every row.
    """
    rows, vals = gather(query, postings)
    return np.bincount(rows, weights=vals, minlength=postings.shape[1]).astype(np.float64, copy=False)


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
    city: np.ndarray = field(repr=False, default=None)  # city_key() per organisation, 0 where none is given
    name_keys: np.ndarray = field(repr=False, default=None)  # sorted name_key() of every name and alias
    name_rows: np.ndarray = field(repr=False, default=None)  # the organisation of each name_keys entry
    weighting: str = "tfidf"
    links: Csr | None = field(repr=False, default=None)  # orgs x orgs: past joint work (shared projects, partners)
    tag_postings: Csr | None = field(repr=False, default=None)  # tags x orgs: how often each tag is in its record
    tag_names: Sequence[str] = field(repr=False, default=())  # "programme:HORIZON.2.5", "field:/…/robotics", …
    stmt_tags: Csr | None = field(repr=False, default=None)  # statements x tags: the tags of each record
    model: dict | None = field(repr=False, default=None)  # signal weights for need queries (see rank.py)
    common_df: int = 0  # terms held by more organisations than this are "common" on that side
    common_norms: np.ndarray | None = field(repr=False, default=None)  # (2, n_orgs): norm over common terms
    # Statement-level similarity (``Index.build(documents=True)``), for stores whose capabilities are past
    # projects: each distinct statement text is a document, vectorised on the single words of the vocabulary.
    docs: Documents | None = field(repr=False, default=None)
    names: Sequence[str] | None = field(repr=False, default=None)  # each organisation's name, without its record
    stored_groups: tuple[np.ndarray, np.ndarray] | None = field(repr=False, default=None)  # ``group_norms``, as stored

    def __post_init__(self):
        if self.names is None:
            self.names = [p.name for p in self.profiles]

    def find_row(self, name: str) -> int | None:
        """The organisation with this name or alias (ignoring case), without a dictionary of all names;
        the first in row order where several have it (``find_rows`` gives them all)."""
        rows = self.find_rows(name)
        return rows[0] if rows else None

    def find_rows(self, name: str) -> list[int]:
        """Every organisation with this name or alias (ignoring case), in row order."""
        return rows_named(name, self.name_keys, self.name_rows, lambda row: self.profiles[row].names)

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

    @cached_property
    def no_needs(self) -> np.ndarray:
        """1.0 for each organisation that lists no needs, else 0.0: ``has_needs`` for arithmetic."""
        return (~self.has_needs).astype(np.float64)

    def vector(self, org: int, side: int) -> tuple[np.ndarray, np.ndarray]:
        return self.org_vectors[side].row(org)

    def statement_text(self, row: int) -> str:
        profile = self.profiles[int(self.stmt_org[row])]
        side = int(self.stmt_side[row])
        pos = row - int(self.stmt_first[self.stmt_org[row], side, 0])
        return (profile.capabilities if side == CAPABILITY else profile.needs)[pos]

    def doc_vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Vector of a new text against ``docs``: sublinear TF-IDF on single words, L2-normalised, terms sorted."""
        if self.docs is None:
            raise MatcherError(
                "This store's ranking model compares the need with each capability statement, but the store"
                " keeps no statement documents: build it again (matcher import-cordis ... --force)."
            )
        ids, tf = self._term_counts(text)
        keep = self.docs.idf[ids] > 0
        return _sublinear_tfidf(ids[keep], tf[keep], self.docs.idf)

    def transform(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Vector of a new text on this index's vocabulary, terms sorted.

        TF-IDF, L2-normalised, for a ``tfidf`` index; every term weighing 1 for a ``bm25`` index.
        """
        ids, tf = self._term_counts(text)
        if self.weighting == "bm25":
            return ids, np.ones(len(ids), dtype=np.float32)
        return _sublinear_tfidf(ids, tf, self.idf)

    def _term_counts(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The vocabulary terms of a text (sorted ids) and how often each occurs in it."""
        lookup = self.term_ids
        found = [t for t in map(lookup.get, self.analyzer(text)) if t is not None]
        return np.unique(np.array(found, dtype=np.int32), return_counts=True)

    @cached_property
    def term_ids(self) -> dict[str, int]:
        """Column of every term (built on first use: only free-text queries and index builds need it)."""
        return {t: i for i, t in enumerate(self.terms)}

    @classmethod
    def build(
        cls,
        profiles: Sequence[Profile],
        *,
        min_df: int | None = None,
        weighting: str = "tfidf",
        texts: Sequence[Sequence[str]] | None = None,
        links: list[tuple[int, int, float]] | None = None,
        tags: list[tuple[int, str, float]] | None = None,
        statement_tags: list[tuple[int, int, str]] | None = None,
        model: dict | None = None,
        aligned_sources: bool = False,
        common_df: int | None = None,
        documents: bool = False,
    ) -> Index:
        """Fit the vocabulary and vectorise every statement and organisation.

        ``texts`` gives, per profile, the full text of each capability when it is longer than what the
        profile shows (a past project shown by its title, vectorised with its whole summary). ``links`` are
        (org, org, strength) rows of past joint work; by default each listed partner found by name is one.
        ``tags`` are (org, tag, count) rows used by need queries; ``statement_tags`` are (org, k, tag) rows
        giving the tags of its k-th capability (a past project's programme and call). With ``aligned_sources`` the k-th
        capability of a profile is backed by its k-th source, instead of the best-fitting quote.
        ``common_df`` overrides ``common_cutoff`` (the split of terms that pruned queries rely on).
        ``documents`` adds ``Index.docs``: every distinct statement text as a document of its own, which
        need queries use to find each organisation's closest statements (see ``rank.py``).
        """
        from scipy import sparse
        from sklearn.feature_extraction.text import CountVectorizer
        from sklearn.preprocessing import normalize

        if weighting not in WEIGHTINGS:
            raise ValueError(f"weighting must be one of {WEIGHTINGS}, not {weighting!r}")
        profiles = list(profiles)
        analyzer = Analyzer(stop_words=default_stop_words(), multilingual=True)
        texts_in = texts
        texts: list[str] = []
        org_of: list[int] = []
        side_of: list[int] = []
        first = np.zeros((len(profiles), 2, 2), dtype=np.int64)
        for o, p in enumerate(profiles):
            full = texts_in[o] if texts_in is not None else p.capabilities
            if len(full) != len(p.capabilities):
                raise ValueError(f"texts[{o}] has {len(full)} texts for {len(p.capabilities)} capabilities")
            for side, stmts in ((CAPABILITY, full), (NEED, p.needs)):
                if p.language:  # declared, not detected: each statement read in the profile's language
                    stmts = [Text(t, p.language) for t in stmts]
                first[o, side, 0] = len(texts)
                texts += stmts
                org_of += [o] * len(stmts)
                side_of += [side] * len(stmts)
                first[o, side, 1] = len(texts)
        if min_df is None:  # terms seen once cannot link two profiles; on big sets they only cost memory
            min_df = 1 if len(texts) < 50_000 else 2
        # a text shared by several profiles (a joint project) is analysed once, in the language it is read in
        unique: dict[tuple[str | None, str], int] = {}
        unique_texts: list[str] = []
        rows = []
        for t in texts:
            key = text_key(t)
            if key not in unique:
                unique[key] = len(unique_texts)
                unique_texts.append(t)
            rows.append(unique[key])
        text_row = np.array(rows, dtype=np.int64)
        vectorizer = CountVectorizer(analyzer=analyzer, min_df=min_df, dtype=np.float32)
        try:
            counts = vectorizer.fit_transform(unique_texts).tocsr()
            counts.sort_indices()  # rows in term order, as the streaming build (build.py) makes them
        except ValueError:  # no statement has a single content word: an empty vocabulary
            counts = sparse.csr_matrix((len(unique_texts), 0), dtype=np.float32)
            vectorizer.vocabulary_ = {}
        terms = [""] * len(vectorizer.vocabulary_)
        for t, i in vectorizer.vocabulary_.items():
            terms[i] = t
        idf = np.zeros(len(terms))
        if weighting == "tfidf":  # sublinear TF-IDF, rows L2-normalised; IDF steadied by the background
            idf = background_idf(terms, np.bincount(counts.indices, minlength=len(terms)), counts.shape[0])
            U = _sublinear_rows(counts, idf)
        else:
            U = counts
        S = U[text_row]
        forms = analyzer.display_forms(unique_texts)
        display = [forms.get(t, t) if " " not in t else display_term(t, forms) for t in terms]

        org_of_arr = np.asarray(org_of, dtype=np.int32)
        side_arr = np.asarray(side_of, dtype=np.int8)
        vectors, postings, norms = [], [], np.zeros((len(profiles), 2))
        stmt_parts = []
        for side, summed in enumerate(side_sums(org_of_arr, side_arr, S, len(profiles))):
            if weighting == "tfidf":
                norms[:, side] = np.sqrt(np.asarray(summed.multiply(summed).sum(axis=1)).ravel())
                org_m = normalize(summed)
            else:
                if side == CAPABILITY:
                    idf = _bm25_idf(summed)
                org_m, share = _bm25(summed, idf)
                norms[:, side] = 1.0
                # statement weight = the organisation's term weight times the statement's part of its count
                mask = (side_arr == side).astype(np.float32)
                stmt_parts.append(_split_weights((sparse.diags(mask) @ S).tocsr(), org_of_arr, share))
            vectors.append(Csr.from_scipy(org_m))
            postings.append(Csr.from_scipy(org_m.T.tocsr()))
        if weighting == "bm25":
            S = (stmt_parts[0] + stmt_parts[1]).tocsr()

        index = cls(
            profiles=profiles,
            analyzer=analyzer,
            terms=terms,
            display=display,
            idf=idf,
            stmt_org=org_of_arr,
            stmt_side=side_arr,
            stmt_first=first,
            stmt_evidence=np.full(len(texts), -1, dtype=np.int32),
            statements=Csr.from_scipy(S),
            org_vectors=(vectors[0], vectors[1]),
            org_norms=norms,
            postings=(postings[0], postings[1]),
            weighting=weighting,
            model=model,
        )
        if documents:
            index.docs = Documents.build(counts, terms, text_row, org_of_arr, side_arr == CAPABILITY, len(profiles))
        index.common_df = common_cutoff(len(profiles)) if common_df is None else int(common_df)
        index.common_norms = common_norms(index.org_vectors, index.postings, index.common_df)
        if aligned_sources:
            n_src = np.array([len(p.sources) for p in profiles], dtype=np.int64)
            index.stmt_evidence = aligned_evidence(first, org_of_arr, side_arr, n_src)
        else:
            index.stmt_evidence = _evidence(index)
        index.country = np.array([p.country for p in profiles], dtype="<U2")
        index.kind = np.array([KINDS.index(p.kind) for p in profiles], dtype=np.uint8)
        index.city = np.array([city_key(p.city, p.country) for p in profiles], dtype=np.uint64)
        keys = [(name_key(n), o) for o, p in enumerate(profiles) for n in dict.fromkeys(p.names)]
        keys.sort()
        index.name_keys = np.array([k for k, _ in keys], dtype=np.uint64)
        index.name_rows = np.array([o for _, o in keys], dtype=np.int32)
        if links is None:
            links = [
                (o, row, 1.0)
                for o, p in enumerate(profiles)
                for partner in p.partners
                if (row := index.find_row(partner)) is not None and row != o
            ]
        index.links = links_matrix(links, len(profiles))
        index.tag_names, index.stmt_tags, index.tag_postings = tag_matrices(
            tags, statement_tags, first[:, CAPABILITY, 0], len(texts), len(profiles)
        )
        return index

    @cached_property
    def tag_ids(self) -> dict[str, int]:
        """Column of every tag (built on first use, like ``term_ids``)."""
        return {t: i for i, t in enumerate(self.tag_names)}

    @cached_property
    def country_lift(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """How much more often than overall each country's organisations work with each other's (``links``).

        Returns ``(codes, country_of, lift)``: the countries, each organisation's position in ``codes``, and
        ``lift[a, b]`` = P(a partner of a country-a organisation is from b) / P(a partner is from b), both
        counted over joint work and add-one smoothed. Computed once per index, from the links alone.
        """
        codes, country_of = np.unique(np.asarray(self.country), return_inverse=True)
        k = len(codes)
        pairs = np.zeros((k, k))
        if self.links is not None and len(self.links.data):
            rows = np.repeat(np.arange(self.n_orgs), np.diff(self.links.indptr))
            np.add.at(pairs, (country_of[rows], country_of[self.links.indices]), self.links.data)
        given = (pairs + 1) / (pairs.sum(axis=1, keepdims=True) + k)
        overall = (pairs.sum(axis=0) + 1) / (pairs.sum() + k)
        return codes, country_of.astype(np.int32), given / overall

    @cached_property
    def norms_by_org(self) -> np.ndarray:
        """``common_norms`` as an (n_orgs, 2) float32 array, rounded up (they bound), both sides of an
        organisation side by side: a quarter of the memory the compiled query reads per organisation."""
        norms = self.common_norms.T.astype(np.float32)
        return np.ascontiguousarray(
            np.where(norms < self.common_norms.T, np.nextafter(norms, np.float32(np.inf)), norms)
        )

    @cached_property
    def group_norms(self) -> tuple[np.ndarray, np.ndarray]:
        """``group_norms`` of this index: each term's group on each side and each organisation's norms.
        A stored index keeps them; else they are summed on first use, compiled where the compiled query
        (their one user) is loaded (0.7 s at 100k organisations in numpy)."""
        if self.stored_groups is not None:
            return self.stored_groups
        kernels = sys.modules.get("matcher.ranking.kernels")
        return group_norms(self.org_vectors, self.postings, self.common_df, sums=getattr(kernels, "group_sums", None))

    @cached_property
    def norm_blocks(self) -> tuple:
        """The organisations in blocks sorted by common norm, for the compiled query (``norm_blocks``)."""
        return norm_blocks(self.norms_by_org.T.astype(np.float64), self.has_needs)

    @cached_property
    def n_capabilities(self) -> np.ndarray:
        """Capability statements per organisation (past projects, in a store built from them)."""
        return self.stmt_first[:, CAPABILITY, 1] - self.stmt_first[:, CAPABILITY, 0]


def rows_named(name: str, keys: np.ndarray, rows: np.ndarray, names_of) -> list[int]:
    """Every row with this name or alias (ignoring case), in row order, from the sorted ``name_key`` table
    (``keys``, ``rows``) and each row's names (``names_of(row)``)."""
    key = np.uint64(name_key(name))
    wanted = name.strip().casefold()
    i = int(np.searchsorted(keys, key))
    out = []
    while i < len(keys) and keys[i] == key:
        row = int(rows[i])
        if row not in out and any(n.casefold() == wanted for n in names_of(row)):
            out.append(row)
        i += 1
    return sorted(out)


def side_sums(org: np.ndarray, side: np.ndarray, S, n_orgs: int) -> list:
    """Per side, the organisations x terms sums of their statement rows ``S`` (float32, in statement order);
    ``org`` and ``side`` give each statement's organisation row and side."""
    from scipy import sparse

    out = []
    for s in (CAPABILITY, NEED):
        mask = (side == s).astype(np.float32)
        member = sparse.csr_matrix((mask, (org, np.arange(len(org)))), shape=(n_orgs, len(org)))
        summed = (member @ S).tocsr()
        summed.eliminate_zeros()
        out.append(summed)
    return out


def aligned_evidence(first: np.ndarray, org: np.ndarray, side: np.ndarray, n_sources: np.ndarray) -> np.ndarray:
    """Each statement's source when the k-th capability is backed by the k-th source (or -1)."""
    k = np.arange(len(org)) - first[org, side, 0]
    ok = (side == CAPABILITY) & (k < n_sources[org]) if len(org) else np.zeros(0, bool)
    return np.where(ok, k, -1).astype(np.int32)


def smoothed_idf(df: np.ndarray, n_docs: int) -> np.ndarray:
    """scikit-learn's smoothed IDF, ln((1 + n) / (1 + df)) + 1, and 0 for a term no document holds."""
    return np.where(df > 0, np.log((1 + n_docs) / (1 + df)) + 1, 0.0)


def links_matrix(links: Sequence[tuple[int, int, float]], n: int) -> Csr:
    """Past joint work as an organisations x organisations matrix, made mutual whichever side listed it."""
    from scipy import sparse

    L = sparse.coo_matrix(
        ([w for *_, w in links], ([a for a, *_ in links], [b for _, b, _ in links])), shape=(n, n)
    ).tocsr()
    L = L.maximum(L.T).tocsr()
    L.eliminate_zeros()
    return Csr.from_scipy(L)


def tag_matrices(tags, statement_tags, cap_first: np.ndarray, n_statements: int, n: int) -> tuple[list, Csr, Csr]:
    """``(tag_names, stmt_tags, tag_postings)`` from (org, tag, count) and (org, k-th capability, tag) rows;
    ``cap_first[o]`` is the statement row of organisation o's first capability."""
    from scipy import sparse

    tag_ids: dict[str, int] = {}
    rows_t = [(o, tag_ids.setdefault(t, len(tag_ids)), c) for o, t, c in (tags or [])]
    rows_s = [(int(cap_first[o]) + k, tag_ids.setdefault(t, len(tag_ids))) for o, k, t in (statement_tags or [])]
    stmt_tags = Csr.from_scipy(
        sparse.coo_matrix(
            (np.ones(len(rows_s), dtype=np.float32), ([s for s, _ in rows_s], [t for _, t in rows_s])),
            shape=(n_statements, len(tag_ids)),
        ).tocsr()
    )
    postings = Csr.from_scipy(  # stored transposed, like ``postings``: queries read it by tag
        sparse.coo_matrix(
            ([c for *_, c in rows_t], ([t for _, t, _ in rows_t], [o for o, *_ in rows_t])), shape=(len(tag_ids), n)
        ).tocsr()
    )
    return list(tag_ids), stmt_tags, postings


@dataclass(frozen=True)
class Documents:
    """Every distinct statement text as a document: sublinear TF-IDF over the single words of the vocabulary.

    Past projects are where real partners come from: an organisation that took part in two projects close
    to a need is a better lead than one whose many projects each share a few words with it. Organisation
    vectors (BM25 over all of an organisation's text) cannot tell the two apart; these can.
    """

    vectors: Csr  # documents x terms, rows L2-normalised; word pairs have no weight
    postings: Csr  # terms x documents
    idf: np.ndarray  # per term, 0 for the terms documents leave out
    of_statement: np.ndarray  # statement -> document row
    norms: np.ndarray  # per organisation: norm of the sum of its capability documents' vectors

    @classmethod
    def build(cls, counts, terms: Sequence[str], text_row, org_of, is_capability, n_orgs: int) -> Documents:
        """From term counts per distinct text (``counts``) and each statement's text row and organisation."""
        from scipy import sparse

        single = np.array([" " not in t for t in terms], dtype=np.float64)
        C = (counts.tocsr().astype(np.float64) @ sparse.diags(single)).tocsr()
        C.eliminate_zeros()
        n_docs = C.shape[0]
        df = np.bincount(C.indices, minlength=C.shape[1])
        idf = smoothed_idf(df, n_docs)
        D = _sublinear_rows(C, idf)
        cap = np.flatnonzero(is_capability)
        member = sparse.csr_matrix(
            (np.ones(len(cap)), (org_of[cap], text_row[cap])), shape=(n_orgs, n_docs), dtype=np.float64
        )
        summed = (member @ D).tocsr()
        norms = np.sqrt(np.asarray(summed.multiply(summed).sum(axis=1)).ravel())
        return cls(
            Csr.from_scipy(D),
            Csr.from_scipy(D.T.tocsr()),
            idf,
            np.asarray(text_row, dtype=np.int32),
            norms,
        )


def _sublinear_rows(counts, idf: np.ndarray):
    """(1 + log tf) * idf of every entry of a count matrix, rows L2-normalised (an empty row stays empty)."""
    from scipy import sparse

    W = counts.astype(np.float64).tocsr()
    W.data = (1.0 + np.log(W.data)) * idf[W.indices]
    length = np.sqrt(np.asarray(W.multiply(W).sum(axis=1)).ravel())
    return (sparse.diags(1 / np.where(length > 0, length, 1.0)) @ W).astype(np.float32).tocsr()


def _sublinear_tfidf(ids: np.ndarray, tf: np.ndarray, idf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(1 + log tf) * idf, L2-normalised, as a sparse vector (no terms: an empty one)."""
    if len(ids) == 0:
        return np.zeros(0, np.int32), np.zeros(0, np.float32)
    w = (1.0 + np.log(tf.astype(np.float64))) * idf[ids]
    return ids, (w / np.linalg.norm(w)).astype(np.float32)


def common_norms(vectors: tuple[Csr, Csr], postings: tuple[Csr, Csr], cutoff: int) -> np.ndarray:
    """Each organisation's vector norm on each side over that side's common terms (held by > ``cutoff``)."""
    return common_norms_df(vectors, [np.diff(p.indptr) for p in postings], cutoff)


def common_norms_df(vectors: tuple[Csr, Csr], dfs, cutoff: int) -> np.ndarray:
    """``common_norms`` given each side's document frequencies (``dfs``) rather than its postings."""
    out = np.zeros((2, vectors[0].shape[0]))
    for side in (CAPABILITY, NEED):
        v = vectors[side]
        common = dfs[side][v.indices] > cutoff
        rows = np.repeat(np.arange(v.shape[0]), np.diff(v.indptr))
        sq = np.square(v.data, dtype=np.float64)
        out[side] = np.sqrt(np.bincount(rows[common], weights=sq[common], minlength=v.shape[0]))
    return out


def group_norms(
    vectors: tuple[Csr, Csr], postings: tuple[Csr, Csr], cutoff: int, groups: int = COMMON_GROUPS, sums=None
) -> tuple[np.ndarray, np.ndarray]:
    """The common terms of each side (held by more than ``cutoff``), dealt into ``groups`` groups in order
    of document frequency, and each organisation's norm over each group, per side.

    Returns ``(term_group, norms)``: ``term_group[side, term]`` is the term's group, or -1 for a rare term;
    ``norms[org, side, group]`` is float32, rounded up. By Cauchy-Schwarz within each group, a query's
    common part on a side is at most the sum over groups of its norm there times the organisation's: a
    much tighter bound than one norm over all common terms (``common_norms``), as a query and a partner
    rarely weigh the same groups alike.

    ``sums(indptr, indices, data, term_group, groups)`` gives each organisation's sum of squared weights
    per group (float64, ``(n_orgs, groups)``); by default ``group_sums``, in numpy.
    """
    term_group = term_groups([np.diff(p.indptr) for p in postings], cutoff, groups)
    return term_group, norms_by_group(vectors, term_group, groups, sums)


def term_groups(dfs, cutoff: int, groups: int = COMMON_GROUPS) -> np.ndarray:
    """``term_group`` of ``group_norms`` from each side's document frequencies."""
    term_group = np.full((2, len(dfs[0])), -1, dtype=np.int16)
    for side in (CAPABILITY, NEED):
        df = np.asarray(dfs[side])
        common = np.flatnonzero(df > cutoff)
        common = common[np.argsort(-df[common], kind="stable")]
        term_group[side, common] = np.arange(len(common)) % groups
    return term_group


def norms_by_group(vectors: tuple[Csr, Csr], term_group: np.ndarray, groups: int = COMMON_GROUPS, sums=None):
    """The ``norms`` of ``group_norms`` for these rows, given each term's group."""
    sums = sums or group_sums
    norms = np.zeros((vectors[0].shape[0], 2, groups), dtype=np.float32)
    for side in (CAPABILITY, NEED):
        v = vectors[side]
        exact = np.sqrt(sums(v.indptr, v.indices, v.data, term_group[side], groups))
        up = exact.astype(np.float32)
        norms[:, side] = np.where(up < exact, np.nextafter(up, np.float32(np.inf)), up)
    return norms


def group_sums(indptr, indices, data, term_group, groups: int, chunk: int = 65_536) -> np.ndarray:
    """Each row's sum of squared values per group of its columns (``term_group``, -1 for none), in row
    order; ``chunk`` rows at a time, so no temporary array is the size of the whole matrix."""
    n = len(indptr) - 1
    out = np.zeros((n, groups))
    for lo in range(0, n, chunk):
        hi = min(lo + chunk, n)
        a, b = indptr[lo], indptr[hi]
        g = term_group[indices[a:b]].astype(np.int64)
        keep = g >= 0
        rows = np.repeat(np.arange(hi - lo), np.diff(indptr[lo : hi + 1]))[keep]
        sq = np.square(data[a:b][keep], dtype=np.float64)
        out[lo:hi] = np.bincount(rows * groups + g[keep], weights=sq, minlength=(hi - lo) * groups).reshape(-1, groups)
    return out


def norm_blocks(common_norms: np.ndarray, has_needs: np.ndarray, size: int = NORM_BLOCK) -> tuple:
    """Organisations in blocks of ``size``, sorted by the sum of their common norms, and per block:
    ``(order, max capability norm, max need norm, some list needs, some list none, size)``. ``order``
    holds the organisations of block ``j`` at ``j * size`` and after, padded with -1 to whole blocks."""
    n = len(has_needs)
    n_blocks = -(-n // size)
    order = np.full(n_blocks * size, -1, dtype=np.int64)
    order[:n] = np.argsort(-(common_norms[CAPABILITY] + common_norms[NEED]), kind="stable")
    blocks = order.reshape(n_blocks, size)
    real = blocks >= 0
    needs = np.where(real, has_needs[blocks], False)
    return (
        order,
        np.where(real, common_norms[CAPABILITY][blocks], 0.0).max(axis=1, initial=0.0),
        np.where(real, common_norms[NEED][blocks], 0.0).max(axis=1, initial=0.0),
        needs.any(axis=1),
        (real & ~needs).any(axis=1),
        size,
    )


def _split_weights(part, org_of: np.ndarray, share):
    """Statement weights: each statement count times its organisation's ``share`` of the same term.

    Matches entries by (organisation, term) keys with a sorted search, so no statement row is ever
    expanded to its organisation's whole vocabulary.
    """
    from scipy import sparse

    part = part.tocsr()
    share = share.tocsr()
    n_terms = share.shape[1]
    share_rows = np.repeat(np.arange(share.shape[0], dtype=np.int64), np.diff(share.indptr))
    share_keys = share_rows * n_terms + share.indices  # sorted: rows in order, indices sorted per row
    rows = np.repeat(np.arange(part.shape[0], dtype=np.int64), np.diff(part.indptr))
    keys = org_of[rows].astype(np.int64) * n_terms + part.indices
    pos = np.searchsorted(share_keys, keys)
    pos = np.minimum(pos, max(len(share_keys) - 1, 0))
    found = share_keys[pos] == keys if len(share_keys) else np.zeros(len(keys), bool)
    data = np.where(found, part.data * share.data[pos] if len(share_keys) else 0.0, 0.0).astype(np.float32)
    out = sparse.csr_matrix((data, part.indices, part.indptr), shape=part.shape)
    out.eliminate_zeros()
    return out


def _bm25_idf(tf) -> np.ndarray:
    """BM25 IDF over organisations: log(1 + (N - df + 0.5) / (df + 0.5))."""
    return bm25_idf(np.bincount(tf.indices, minlength=tf.shape[1]), tf.shape[0])


def bm25_idf(df: np.ndarray, n: int) -> np.ndarray:
    """BM25 IDF of terms held by ``df`` of ``n`` organisations."""
    df = np.asarray(df).astype(np.float64)
    return np.log1p((n - df + 0.5) / (df + 0.5))


def bm25_lengths(tf) -> np.ndarray:
    """Each organisation's summed term count (the length BM25 normalises by)."""
    return np.asarray(tf.tocsr().astype(np.float64).sum(axis=1)).ravel()


def bm25_average(length: np.ndarray) -> float:
    """The average length of the organisations that have any."""
    return length[length > 0].mean() if (length > 0).any() else 1.0


def _bm25(tf, idf: np.ndarray, avg: float | None = None):
    """BM25 weights of summed term counts, and each count's share ``weight / count`` for splitting it.
    ``avg`` is the average length over all organisations (by default, over these rows)."""
    from scipy import sparse

    tf = tf.tocsr().astype(np.float64)
    length = np.asarray(tf.sum(axis=1)).ravel()
    avg = bm25_average(length) if avg is None else avg
    rows = np.repeat(np.arange(tf.shape[0]), np.diff(tf.indptr))
    k = BM25_K1 * (1 - BM25_B + BM25_B * length[rows] / avg)
    weight = idf[tf.indices] * tf.data * (BM25_K1 + 1) / (tf.data + k)
    W = sparse.csr_matrix((weight.astype(np.float32), tf.indices, tf.indptr), shape=tf.shape)
    share = sparse.csr_matrix(((weight / tf.data).astype(np.float32), tf.indices, tf.indptr), shape=tf.shape)
    return W, share


def _evidence(index: Index) -> np.ndarray:
    """For each statement, the source quote of its profile that best shares its rare terms (or -1)."""
    out = np.full(len(index.stmt_org), -1, dtype=np.int32)
    for o, profile in enumerate(index.profiles):
        if profile.sources:
            lo, hi = index.stmt_first[o, CAPABILITY, 0], index.stmt_first[o, NEED, 1]
            out[lo:hi] = evidence_of(profile, index.analyzer, index.term_ids, index.idf)
    return out


def evidence_of(profile: Profile, analyzer: Analyzer, lookup: dict[str, int], idf: np.ndarray) -> np.ndarray:
    """For each statement of a profile (capabilities, then needs), the source quote that best shares its
    rare terms, or -1. Overlap is weighted by IDF, so a quote sharing "pipeline inspection" beats one
    sharing only "integrate"."""

    def weights(text: str) -> dict[str, float]:
        return {t: float(idf[lookup[t]]) for t in set(analyzer(text)) if t in lookup}

    statements = (*profile.capabilities, *profile.needs)
    out = np.full(len(statements), -1, dtype=np.int32)
    if not profile.sources:
        return out
    quotes = [weights(src.quote) for src in profile.sources]
    for i, text in enumerate(statements):
        mine = weights(text)
        overlap = [sum(w for t, w in mine.items() if t in q) for q in quotes]
        best = int(np.argmax(overlap))
        if overlap[best] > 0:
            out[i] = best
    return out
