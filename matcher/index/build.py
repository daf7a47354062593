"""Build an index in memory: fit the vocabulary and vectorise every statement and organisation at once.

For a profiles folder, or any set of profiles that fits in memory; ``stream.build_store`` writes the same
arrays for a store of many profiles in bounded memory. Both run the steps of ``steps.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..profiles.model import KINDS, Profile
from ..text.analyser import Analyzer, default_stop_words, display_term
from ..text.background import idf as background_idf
from .model import Documents, Index, name_key, name_table
from .steps import (
    WEIGHTINGS,
    aligned_evidence,
    bm25_idf_of,
    bm25_weights,
    city_key,
    distinct_texts,
    index_evidence,
    lay_out,
    links_matrix,
    side_sums,
    split_weights,
    tag_matrices,
)
from .vectors import CAPABILITY, Csr, common_cutoff, common_norms, sublinear_rows


def build_index(
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
    need queries use to find each organisation's closest statements (see ``ranking/signals.py``).
    """
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {WEIGHTINGS}, not {weighting!r}")
    profiles = list(profiles)
    analyzer = Analyzer(stop_words=default_stop_words(), multilingual=True)
    pairs = zip(profiles, texts) if texts is not None else ((p, p.capabilities) for p in profiles)
    statements, org_of, side_of, first = lay_out(pairs)
    if min_df is None:  # terms seen once cannot link two profiles; on big sets they only cost memory
        min_df = 1 if len(statements) < 50_000 else 2
    # a text shared by several profiles (a joint project) is analysed once, in the language it is read in
    unique_texts, text_row = distinct_texts(statements)
    counts, terms = _count(analyzer, unique_texts, min_df)
    idf = np.zeros(len(terms))
    if weighting == "tfidf":  # sublinear TF-IDF, rows L2-normalised; IDF steadied by the background
        idf = background_idf(terms, np.bincount(counts.indices, minlength=len(terms)), counts.shape[0])
        S = sublinear_rows(counts, idf)[text_row]
    else:
        S = counts[text_row]
    forms = analyzer.display_forms(unique_texts)
    S, idf, vectors, norms = _organisations(S, idf, org_of, side_of, len(profiles), weighting)
    index = Index(
        profiles=profiles,
        analyzer=analyzer,
        terms=terms,
        display=[forms.get(t, t) if " " not in t else display_term(t, forms) for t in terms],
        idf=idf,
        stmt_org=org_of,
        stmt_side=side_of,
        stmt_first=first,
        stmt_evidence=np.full(len(statements), -1, dtype=np.int32),
        statements=Csr.from_scipy(S),
        org_vectors=(Csr.from_scipy(vectors[0]), Csr.from_scipy(vectors[1])),
        org_norms=norms,
        postings=(Csr.from_scipy(vectors[0].T.tocsr()), Csr.from_scipy(vectors[1].T.tocsr())),
        weighting=weighting,
        model=model,
    )
    if documents:
        index.docs = Documents.build(counts, terms, text_row, org_of, side_of == CAPABILITY, len(profiles))
    index.common_df = common_cutoff(len(profiles)) if common_df is None else int(common_df)
    index.common_norms = common_norms(index.org_vectors, index.postings, index.common_df)
    _organisation_facts(index, profiles, aligned_sources)
    if links is None:
        links = [
            (o, row, 1.0)
            for o, p in enumerate(profiles)
            for partner in p.partners
            if (row := index.find_row(partner)) is not None and row != o
        ]
    index.links = links_matrix(links, len(profiles))
    index.tag_names, index.stmt_tags, index.tag_postings = tag_matrices(
        tags, statement_tags, first[:, CAPABILITY, 0], len(statements), len(profiles)
    )
    return index


def _count(analyzer: Analyzer, unique_texts: list[str], min_df: int):
    """Term counts of each distinct text (rows in term order) and the vocabulary, as ``CountVectorizer`` fits it."""
    from scipy import sparse
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(analyzer=analyzer, min_df=min_df, dtype=np.float32)
    try:
        counts = vectorizer.fit_transform(unique_texts).tocsr()
        counts.sort_indices()  # rows in term order, as the streaming build (stream.py) makes them
    except ValueError:  # no statement has a single content word: an empty vocabulary
        counts = sparse.csr_matrix((len(unique_texts), 0), dtype=np.float32)
        vectorizer.vocabulary_ = {}
    terms = [""] * len(vectorizer.vocabulary_)
    for t, i in vectorizer.vocabulary_.items():
        terms[i] = t
    return counts, terms


def _organisations(S, idf: np.ndarray, org_of: np.ndarray, side_of: np.ndarray, n: int, weighting: str):
    """Each side's organisation vectors from the statement rows ``S``: ``(S, idf, (cap, need), norms)``, where
    with bm25 ``S`` becomes each statement's part of its organisation's weights and ``idf`` the BM25 IDF."""
    from scipy import sparse
    from sklearn.preprocessing import normalize

    vectors, norms, stmt_parts = [], np.zeros((n, 2)), []
    for side, summed in enumerate(side_sums(org_of, side_of, S, n)):
        if weighting == "tfidf":
            norms[:, side] = np.sqrt(np.asarray(summed.multiply(summed).sum(axis=1)).ravel())
            org_m = normalize(summed)
        else:
            if side == CAPABILITY:
                idf = bm25_idf_of(summed)
            org_m, share = bm25_weights(summed, idf)
            norms[:, side] = 1.0
            # statement weight = the organisation's term weight times the statement's part of its count
            mask = (side_of == side).astype(np.float32)
            stmt_parts.append(split_weights((sparse.diags(mask) @ S).tocsr(), org_of, share))
        vectors.append(org_m)
    if weighting == "bm25":
        S = (stmt_parts[0] + stmt_parts[1]).tocsr()
    return S, idf, vectors, norms


def _organisation_facts(index: Index, profiles: list[Profile], aligned_sources: bool) -> None:
    """Each statement's evidence, and each organisation's country, kind, city and names, set on ``index``."""
    if aligned_sources:
        n_src = np.array([len(p.sources) for p in profiles], dtype=np.int64)
        index.stmt_evidence = aligned_evidence(index.stmt_first, index.stmt_org, index.stmt_side, n_src)
    else:
        index.stmt_evidence = index_evidence(index)
    index.country = np.array([p.country for p in profiles], dtype="<U2")
    index.kind = np.array([KINDS.index(p.kind) for p in profiles], dtype=np.uint8)
    index.city = np.array([city_key(p.city, p.country) for p in profiles], dtype=np.uint64)
    named = [(name_key(n), o) for o, p in enumerate(profiles) for n in dict.fromkeys(p.names)]
    index.name_keys, index.name_rows = name_table([k for k, _ in named], [o for _, o in named])
