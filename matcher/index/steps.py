"""The build steps of an index, public so that both builds run the same code: ``build.build_index`` (in
memory, a profiles folder) and ``stream.build_store`` (in bounded memory, a store of many profiles).

Each step turns per-statement or per-organisation arrays into one part of the index: statement sums per
side, BM25 weights and how they split over statements, each statement's evidence, the links of past joint
work, the tag matrices, the city and text keys. ``tests/test_index_build.py`` holds the two builds to the same arrays.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..profiles.model import Profile
from ..text.analyser import Analyzer, Text
from .model import Index, name_key
from .vectors import CAPABILITY, NEED, Csr

WEIGHTINGS = ("tfidf", "bm25")
BM25_K1, BM25_B = 1.2, 0.75


def lay_out(pairs, first_org: int = 0, first_statement: int = 0):
    """Every statement of some (profile, capability texts) pairs in one list, capabilities then needs per
    organisation: ``(statements, org, side, first)``, ``first[o, side]`` being the (first, end) statement rows
    of organisation ``o`` (numbered from ``first_org``; statements from ``first_statement``). A profile's
    declared language goes with each statement it reads (``Text``)."""
    statements: list[str] = []
    org: list[int] = []
    side: list[int] = []
    pairs = list(pairs)
    first = np.zeros((len(pairs), 2, 2), dtype=np.int64)
    for j, (p, full) in enumerate(pairs):
        o = first_org + j
        if len(full) != len(p.capabilities):
            raise ValueError(f"texts[{o}] has {len(full)} texts for {len(p.capabilities)} capabilities")
        for s, stmts in ((CAPABILITY, full), (NEED, p.needs)):
            if p.language:  # declared, not detected: each statement read in the profile's language
                stmts = [Text(t, p.language) for t in stmts]
            first[j, s, 0] = first_statement + len(statements)
            statements += stmts
            org += [o] * len(stmts)
            side += [s] * len(stmts)
            first[j, s, 1] = first_statement + len(statements)
    return statements, np.asarray(org, dtype=np.int32), np.asarray(side, dtype=np.int8), first


def distinct_texts(statements: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """The distinct texts of ``statements`` (``text_key``), in order of first appearance, and each statement's row
    among them: a text shared by several profiles (a joint project) is analysed once."""
    unique: dict[tuple[str | None, str], int] = {}
    unique_texts: list[str] = []
    rows = []
    for t in statements:
        key = text_key(t)
        if key not in unique:
            unique[key] = len(unique_texts)
            unique_texts.append(t)
        rows.append(unique[key])
    return unique_texts, np.array(rows, dtype=np.int64)


def text_key(text: str) -> tuple[str | None, str]:
    """What makes two statements one text: the same words read in the same declared language."""
    return getattr(text, "language", None), str(text)


def city_key(city: str | None, country: str) -> int:
    """A 64-bit key of a city within its country (case and surrounding space ignored), 0 without a city."""
    return name_key(f"{city.strip()}\0{country}") if city and city.strip() else 0


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


def split_weights(part, org_of: np.ndarray, share):
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


def bm25_idf_of(tf) -> np.ndarray:
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


def bm25_weights(tf, idf: np.ndarray, avg: float | None = None):
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


def index_evidence(index: Index) -> np.ndarray:
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
