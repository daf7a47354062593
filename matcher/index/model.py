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

import hashlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..errors import MatcherError
from ..profiles.model import Profile
from ..text.analyser import Analyzer
from .vectors import (
    CAPABILITY,
    NEED,
    Csr,
    group_norms,
    norm_blocks,
    smoothed_idf,
    sublinear_rows,
    sublinear_tfidf,
)


def name_key(name: str) -> int:
    """A stable 64-bit key of a name, ignoring case and surrounding space (for the sorted name table)."""
    digest = hashlib.blake2b(name.strip().casefold().encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


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
    model: dict | None = field(repr=False, default=None)  # signal weights for need queries (see ranking/signals.py)
    common_df: int = 0  # terms held by more organisations than this are "common" on that side
    common_norms: np.ndarray | None = field(repr=False, default=None)  # (2, n_orgs): norm over common terms
    # Statement-level similarity (``build_index(documents=True)``), for stores whose capabilities are past
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
        org = int(self.stmt_org[row])
        side = int(self.stmt_side[row])
        pos = row - int(self.stmt_first[org, side, 0])
        statements = getattr(self.profiles, "statements", None)  # a store's records: the statements alone
        if statements is not None:
            return statements(org)[0 if side == CAPABILITY else 1][pos]
        profile = self.profiles[org]
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
        return sublinear_tfidf(ids[keep], tf[keep], self.docs.idf)

    def transform(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Vector of a new text on this index's vocabulary, terms sorted.

        TF-IDF, L2-normalised, for a ``tfidf`` index; every term weighing 1 for a ``bm25`` index.
        """
        ids, tf = self._term_counts(text)
        if self.weighting == "bm25":
            return ids, np.ones(len(ids), dtype=np.float32)
        return sublinear_tfidf(ids, tf, self.idf)

    def _term_counts(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The vocabulary terms of a text (sorted ids) and how often each occurs in it."""
        lookup = self.term_ids
        found = [t for t in map(lookup.get, self.analyzer(text)) if t is not None]
        return np.unique(np.array(found, dtype=np.int32), return_counts=True)

    @cached_property
    def term_ids(self) -> dict[str, int]:
        """Column of every term (built on first use: only free-text queries and index builds need it)."""
        return {t: i for i, t in enumerate(self.terms)}

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


def name_table(keys, rows) -> tuple[np.ndarray, np.ndarray]:
    """The sorted name table (``Index.name_keys``, ``Index.name_rows``) from each name's ``name_key`` and row."""
    keys, rows = np.array(keys, dtype=np.uint64), np.array(rows, dtype=np.int32)
    order = np.lexsort((rows, keys))
    return keys[order], rows[order]


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
        D = sublinear_rows(C, idf)
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
