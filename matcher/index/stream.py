"""Write a profile store in bounded memory: profiles read once, in chunks, and matrices written as they are made.

``build_index`` holds every profile, text and matrix at once (14 GB at a million profiles). ``build_store``
reads the profiles once, ``CHUNK`` organisations at a time, and keeps in memory only what is per organisation,
per statement or per term (names, countries, statement owners, the vocabulary):

1. *Reading.* Each chunk's statements are analysed once. Their terms go to a scratch folder as 64-bit hashes
   with counts, and each distinct text's terms are counted towards document frequencies (a text shared by
   several profiles counts once, as in ``build_index``). Profile records are written to the store as read.
2. *Vocabulary.* The terms whose document frequency reaches ``min_df``, sorted, as ``CountVectorizer``
   makes them; the term strings are looked up in the chunks' scratch files.
3. *Vectorising.* Each chunk's hashes become term ids, and its statement, organisation and document rows are
   computed with the same row arithmetic as ``build_index`` and appended to the store's files. The
   transposes (postings) go to term-range buckets on disk, each sorted into place at the end.
4. *Norms.* The organisation vectors are read back a chunk at a time for their norms over common terms.

The result is what ``save_index(build_index(...))`` writes, array for array (``tests/test_index_build.py``).
Texts and terms are told apart by 64-bit hashes: two different ones sharing a hash (odds about 1 in 10^5
at 20 million distinct terms) would have their counts merged.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from ..errors import Problem
from ..profiles.model import Profile
from ..text.analyser import Analyzer, default_stop_words, display_term
from ..text.background import idf as background_idf
from .model import name_table, rows_named
from .spill import CsrWriter, NpyWriter, Transpose, buckets
from .steps import (
    WEIGHTINGS,
    aligned_evidence,
    bm25_average,
    bm25_idf,
    bm25_lengths,
    bm25_weights,
    evidence_of,
    links_matrix,
    side_sums,
    split_weights,
    tag_matrices,
)
from .store import save_csr, write_lists, write_meta, writing
from .terms import Chunk, Reader, ReadState, Vocabulary, chunk_counts, vocabulary
from .vectors import (
    CAPABILITY,
    COMMON_GROUPS,
    NEED,
    Csr,
    common_cutoff,
    common_norms_df,
    norms_by_group,
    smoothed_idf,
    sublinear_rows,
    term_groups,
)

CHUNK = 10_000
"""Organisations read, analysed and vectorised at a time."""
MAX_WORKERS = 8
"""Analysis processes at most by default: past a few, the one process that writes the store keeps them waiting."""


def build_store(
    profiles: Iterable[Profile],
    folder: Path | str,
    *,
    texts: Iterable[Sequence[str]] | None = None,
    weighting: str = "tfidf",
    min_df: int | None = None,
    links: list[tuple[int, int, float]] | None = None,
    tags: list[tuple[int, str, float]] | None = None,
    statement_tags: list[tuple[int, int, str]] | None = None,
    model: dict | None = None,
    aligned_sources: bool = False,
    common_df: int | None = None,
    documents: bool = False,
    problems: Sequence[Problem] = (),
    store: dict | None = None,
    chunk: int = CHUNK,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Build the index of ``profiles`` (read once, in order) and write it to ``folder`` as
    ``save_index(build_index(profiles, ...), folder, problems, store=store)`` would, in bounded memory.

    The options are those of ``build_index``. Texts are analysed by ``workers`` processes (default: one
    per core, at most MAX_WORKERS; 1: in this one), a chunk at a time. ``progress(k)`` is called as each
    chunk of ``k`` organisations is read and again as it is vectorised (twice the number of profiles in
    all; three times with bm25). Returns the build's summary: organisations, statements, terms, seconds
    and peak memory per step. ``folder`` is written atomically.
    """
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {WEIGHTINGS}, not {weighting!r}")
    tick = progress or (lambda _: None)
    analyzer = Analyzer(stop_words=default_stop_words(), multilingual=True)
    if workers is None:
        workers = min(os.cpu_count() or 1, MAX_WORKERS)
    clock = _Clock()
    with writing(folder) as tmp:
        scratch = Path(tempfile.mkdtemp(dir=tmp, prefix=".scratch-"))
        reader = Reader(analyzer, tmp, scratch, keep_sources=not aligned_sources, workers=workers)
        try:
            pairs = zip(profiles, texts) if texts is not None else ((p, p.capabilities) for p in profiles)
            _read_all(reader, pairs, chunk, tick)
        finally:
            reader.stop()
        try:
            read, forms, frequencies = reader.out, reader.forms.result(), reader.df
            del reader
            options = dict(
                links=links, tags=tags, statement_tags=statement_tags, model=model,
                aligned_sources=aligned_sources, common_df=common_df, documents=documents,
            )  # fmt: skip
            vocab = _write_index(
                tmp, scratch, read, forms, frequencies, analyzer, weighting=weighting, min_df=min_df,
                tick=tick, clock=clock, problems=problems, store=store, options=options,
            )  # fmt: skip
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    clock.mark("lists")
    return {
        "organisations": read.n_orgs,
        "statements": read.n_statements,
        "terms": len(vocab.terms),
        "seconds": clock.seconds,
        "peak_mb": clock.peak_mb,
        "workers": workers,
        "worker_peak_mb": _children_peak_mb(),
    }


def _write_index(tmp, scratch, read: ReadState, forms, frequencies, analyzer, **how) -> Vocabulary:
    """Passes 2 to 4 once every profile is read: the vocabulary, then every array, list and the meta of the
    store. ``how`` holds ``weighting``, ``min_df``, ``tick``, ``clock``, ``problems``, ``store`` and the
    other ``options`` of ``build_store``."""
    clock, options = how["clock"], how["options"]
    min_df = how["min_df"]
    if min_df is None:
        min_df = 1 if read.n_statements < 50_000 else 2
    clock.mark("read")
    vocab = vocabulary(read.chunks, frequencies, min_df)
    clock.mark("vocabulary")
    summary = _write(tmp, scratch, read, vocab, forms, analyzer, how["weighting"], how["tick"], clock, **options)
    write_lists(
        tmp, terms=vocab.terms, tag_names=summary.pop("tag_names"),
        display=[forms.get(t, t) if " " not in t else display_term(t, forms) for t in vocab.terms],
        names=read.names, problems=how["problems"],
    )  # fmt: skip
    meta = {
        "analyzer": analyzer.config(),
        "shape": [read.n_orgs, len(vocab.terms)],
        "statements": read.n_statements,
        "weighting": how["weighting"],
        "tags": summary["tags"],
        "model": options["model"],
        "common_df": summary["common_df"],
        "documents": read.n_unique if options["documents"] else None,
    }
    write_meta(tmp, meta, store=how["store"])
    return vocab


def _read_all(reader: Reader, pairs, chunk: int, tick) -> None:
    """Pass 1 over every (profile, capability texts) pair, ``chunk`` at a time."""
    batch: list = []
    for pair in pairs:
        batch.append(pair)
        if len(batch) == chunk:
            reader.read(batch)
            tick(len(batch))
            batch = []
    if batch:
        reader.read(batch)
        tick(len(batch))
    reader.close()


def _children_peak_mb() -> float | None:
    """The largest peak memory of this process's finished children (the analysis workers), in MB."""
    try:
        import resource
    except ImportError:
        return None
    return round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)


class _Clock:
    """Seconds spent in each step of a build, and the process's peak memory at its end (MB, where the
    platform tells)."""

    def __init__(self):
        self.t = time.perf_counter()
        self.seconds: dict[str, float] = {}
        self.peak_mb: dict[str, float] = {}

    def mark(self, step: str) -> None:
        now = time.perf_counter()
        self.seconds[step] = round(now - self.t, 3)
        self.t = now
        try:
            import resource

            self.peak_mb[step] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        except ImportError:  # not on Windows
            pass


def _write(tmp, scratch, read: ReadState, vocab: Vocabulary, forms, analyzer, weighting, tick, clock, **options):
    """Passes 2 to 4 (see the module's notes): every array of the store but the profile records."""
    n = read.n_orgs
    stmt_org = np.concatenate(read.stmt_org) if read.stmt_org else np.zeros(0, np.int32)
    stmt_side = np.concatenate(read.stmt_side) if read.stmt_side else np.zeros(0, np.int8)
    text_row = np.concatenate(read.text_row) if read.text_row else np.zeros(0, np.int64)
    first = np.concatenate(read.first) if read.first else np.zeros((0, 2, 2), np.int64)
    single = np.array([" " not in t for t in vocab.terms], dtype=np.float64)
    if weighting == "tfidf":
        idf = background_idf(vocab.terms, vocab.df, read.n_unique)
        avg = None
    else:
        idf, avg = _bm25_totals(read, vocab, stmt_org, stmt_side, tick)
    clock.mark("weights")
    vec = _Vectoriser(tmp, scratch, vocab, idf, avg, weighting, read, options["documents"], single)
    for c in read.chunks:
        vec.add(c, stmt_org, stmt_side, text_row)
        tick(c.orgs[1] - c.orgs[0])
    clock.mark("vectorise")
    org_df, cap_ptr, need_ptr = vec.close()
    clock.mark("postings")
    common_df = common_cutoff(n) if options["common_df"] is None else int(options["common_df"])
    common, term_group = _norms(tmp, vec, (cap_ptr, need_ptr), org_df, common_df, read)
    clock.mark("norms")

    np.save(tmp / "idf.npy", idf)
    np.save(tmp / "stmt_org.npy", stmt_org)
    np.save(tmp / "stmt_side.npy", stmt_side)
    np.save(tmp / "stmt_first.npy", first)
    np.save(tmp / "stmt_evidence.npy", _evidence(read, first, stmt_org, stmt_side, vocab, idf, analyzer, options))
    np.save(tmp / "org_norms.npy", vec.org_norms)
    np.save(tmp / "country.npy", np.array(read.country, dtype="<U2"))
    np.save(tmp / "kind.npy", np.array(read.kind, dtype=np.uint8))
    np.save(tmp / "city.npy", np.array(read.city, dtype=np.uint64))
    keys, rows = name_table(read.name_keys, read.name_rows)
    np.save(tmp / "name_keys.npy", keys)
    np.save(tmp / "name_rows.npy", rows)
    np.save(tmp / "common_norms.npy", common)
    np.save(tmp / "group_terms.npy", term_group)
    links = options["links"]
    if links is None:
        links = _partner_links(read, keys, rows)
    save_csr(tmp, "links", links_matrix(links, n))
    tag_names, stmt_tags, tag_postings = tag_matrices(
        options["tags"], options["statement_tags"], first[:, CAPABILITY, 0], read.n_statements, n
    )
    save_csr(tmp, "tags_t", tag_postings)
    save_csr(tmp, "stmt_tags", stmt_tags)
    if options["documents"]:
        np.save(tmp / "docs.idf.npy", vec.docs_idf)
        np.save(tmp / "docs.of_statement.npy", text_row.astype(np.int32))
        np.save(tmp / "docs.norms.npy", vec.docs_norms)
    return {"tag_names": tag_names, "tags": len(tag_names), "common_df": common_df}


def _bm25_totals(read: ReadState, vocab: Vocabulary, stmt_org, stmt_side, tick) -> tuple[np.ndarray, list[float]]:
    """What BM25 needs of all organisations before any is weighted: the IDF of each term over the
    organisations' capabilities, and the average length on each side."""
    cap_df = np.zeros(len(vocab.terms), dtype=np.int64)
    lengths: list[list[np.ndarray]] = [[], []]
    for c in read.chunks:
        counts = chunk_counts(c, vocab)
        for side, summed in enumerate(_side_sums(c, counts, stmt_org, stmt_side)):
            lengths[side].append(bm25_lengths(summed))
            if side == CAPABILITY:
                cap_df += np.bincount(summed.indices, minlength=len(vocab.terms))
        tick(c.orgs[1] - c.orgs[0])
    avg = [bm25_average(np.concatenate(x) if x else np.zeros(0)) for x in lengths]
    return bm25_idf(cap_df, read.n_orgs), avg


def _side_sums(c: Chunk, S, stmt_org, stmt_side):
    """Per side, the chunk's organisations x terms sums of their statement rows ``S`` (as ``build_index``)."""
    (o0, o1), (s0, s1) = c.orgs, c.statements
    return side_sums(stmt_org[s0:s1] - o0, stmt_side[s0:s1], S, o1 - o0)


class _Vectoriser:
    """Pass 3: each chunk's statement, organisation and document rows, appended to the store."""

    def __init__(self, tmp, scratch, vocab, idf, avg, weighting, read: ReadState, documents: bool, single):
        n_terms = len(vocab.terms)
        self.vocab, self.idf, self.avg, self.weighting, self.single = vocab, idf, avg, weighting, single
        self.org_norms = np.zeros((read.n_orgs, 2))
        self.statements = CsrWriter(tmp, "statements", n_terms)
        self.vectors = (CsrWriter(tmp, "cap", n_terms), CsrWriter(tmp, "need", n_terms))
        bounds = buckets(vocab.df.astype(np.float64), int(vocab.df.sum()))
        self.transposes = (Transpose(scratch, "cap_t", bounds), Transpose(scratch, "need_t", bounds))
        self.tmp, self.n_orgs = tmp, read.n_orgs
        self.org_df = np.zeros((2, n_terms), dtype=np.int64)
        self.documents = documents
        if documents:
            df = np.where(single > 0, vocab.df, 0)
            n_docs = read.n_unique
            self.docs_idf = smoothed_idf(df, n_docs)
            self.docs = CsrWriter(tmp, "docs", n_terms)
            self.docs_t = Transpose(scratch, "docs_t", bounds)
            self.docs_norms = np.zeros(read.n_orgs)
            self.n_docs = 0

    def add(self, c: Chunk, stmt_org, stmt_side, text_row) -> None:
        from scipy import sparse
        from sklearn.preprocessing import normalize

        counts = chunk_counts(c, self.vocab)
        S = sublinear_rows(counts, self.idf) if self.weighting == "tfidf" else counts
        (o0, _), (s0, s1) = c.orgs, c.statements
        parts = []
        for side, summed in enumerate(_side_sums(c, S, stmt_org, stmt_side)):
            if self.weighting == "tfidf":
                self.org_norms[o0 : c.orgs[1], side] = np.sqrt(np.asarray(summed.multiply(summed).sum(axis=1)).ravel())
                org_m = normalize(summed)
            else:
                org_m, share = bm25_weights(summed, self.idf, self.avg[side])
                self.org_norms[o0 : c.orgs[1], side] = 1.0
                mask = (stmt_side[s0:s1] == side).astype(np.float32)
                parts.append(split_weights((sparse.diags(mask) @ S).tocsr(), stmt_org[s0:s1] - o0, share))
            m = Csr.from_scipy(org_m)
            self.vectors[side].add(m)
            self.transposes[side].add(m, o0)
            self.org_df[side] += np.bincount(m.indices, minlength=len(self.vocab.terms))
        self.statements.add(Csr.from_scipy((parts[0] + parts[1]).tocsr() if parts else S))
        if self.documents:
            self._documents(c, counts, stmt_org, stmt_side, text_row)

    def _documents(self, c: Chunk, counts, stmt_org, stmt_side, text_row) -> None:
        """``Documents.build`` for the chunk: rows for the texts first seen in it, norms for its organisations."""
        from scipy import sparse

        (o0, o1), (s0, s1) = c.orgs, c.statements
        C = (counts.tocsr().astype(np.float64) @ sparse.diags(self.single)).tocsr()
        C.eliminate_zeros()
        D = sublinear_rows(C, self.docs_idf)
        rows = text_row[s0:s1]
        fresh = np.flatnonzero(rows >= self.n_docs)  # texts first seen in this chunk, each once, in order
        new = fresh[np.unique(rows[fresh], return_index=True)[1]]
        if len(new):
            m = Csr.from_scipy(D[new])
            self.docs.add(m)
            self.docs_t.add(m, self.n_docs)
            self.n_docs += len(new)
        cap = np.flatnonzero(stmt_side[s0:s1] == CAPABILITY)
        uniq, at, local = np.unique(rows[cap], return_index=True, return_inverse=True)
        owner = stmt_org[s0:s1][cap] - o0
        member = sparse.csr_matrix(
            (np.ones(len(cap)), (owner, local.ravel())), shape=(o1 - o0, len(uniq)), dtype=np.float64
        )
        summed = (member @ D[cap[at]]).tocsr()
        self.docs_norms[o0:o1] = np.sqrt(np.asarray(summed.multiply(summed).sum(axis=1)).ravel())

    def close(self):
        self.statements.close()
        ptrs = [v.close() for v in self.vectors]
        for side, t in enumerate(self.transposes):
            t.write(CsrWriter(self.tmp, ("cap_t", "need_t")[side], self.n_orgs))
        if self.documents:
            self.docs.close()
            self.docs_t.write(CsrWriter(self.tmp, "docs_t", self.n_docs))
        return self.org_df, ptrs[0], ptrs[1]


def _norms(tmp, vec: _Vectoriser, ptrs, org_df, common_df: int, read: ReadState):
    """Pass 4: each organisation's norms over the common terms, read back a chunk at a time."""
    kernels = sys.modules.get("matcher.ranking.kernels")
    sums = getattr(kernels, "group_sums", None)
    term_group = term_groups(org_df, common_df)
    common = np.zeros((2, read.n_orgs))
    out = NpyWriter(tmp / "group_norms.npy", np.float32, (2, COMMON_GROUPS))
    for c in read.chunks:
        lo, hi = c.orgs
        vectors = tuple(vec.vectors[s].rows(ptrs[s], lo, hi) for s in (CAPABILITY, NEED))
        common[:, lo:hi] = common_norms_df(vectors, org_df, common_df)
        out.append(norms_by_group(vectors, term_group, sums=sums))
    out.close()
    return common, term_group


def _evidence(read: ReadState, first, stmt_org, stmt_side, vocab, idf, analyzer, options) -> np.ndarray:
    """Each statement's source quote, as ``build_index`` gives it."""
    n_stmt = len(stmt_org)
    if options["aligned_sources"]:
        return aligned_evidence(first, stmt_org, stmt_side, np.asarray(read.n_sources, dtype=np.int64))
    out = np.full(n_stmt, -1, dtype=np.int32)
    if read.with_sources:
        lookup = {t: i for i, t in enumerate(vocab.terms)}
        for o, profile in read.with_sources.items():
            out[first[o, CAPABILITY, 0] : first[o, NEED, 1]] = evidence_of(profile, analyzer, lookup, idf)
    return out


def _partner_links(read: ReadState, keys: np.ndarray, rows: np.ndarray) -> list[tuple[int, int, float]]:
    """Each listed partner found by name or alias (the first such organisation), as ``Index.find_row``."""
    out = []
    names = read.names
    for o, partner in read.partners:
        found = rows_named(partner, keys, rows, lambda r: (names[r], *read.aliases.get(r, ())))
        if found and found[0] != o:
            out.append((o, found[0], 1.0))
    return out
