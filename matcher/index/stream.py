"""Write a profile store in bounded memory: profiles read once, in chunks, and matrices written as they are made.

``Index.build`` holds every profile, text and matrix at once (14 GB at a million profiles). ``build_store``
reads the profiles once, ``CHUNK`` organisations at a time, and keeps in memory only what is per organisation,
per statement or per term (names, countries, statement owners, the vocabulary):

1. *Reading.* Each chunk's statements are analysed once. Their terms go to a scratch folder as 64-bit hashes
   with counts, and each distinct text's terms are counted towards document frequencies (a text shared by
   several profiles counts once, as in ``Index.build``). Profile records are written to the store as read.
2. *Vocabulary.* The terms whose document frequency reaches ``min_df``, sorted, as ``CountVectorizer``
   makes them; the term strings are looked up in the chunks' scratch files.
3. *Vectorising.* Each chunk's hashes become term ids, and its statement, organisation and document rows are
   computed with the same row arithmetic as ``Index.build`` and appended to the store's files. The
   transposes (postings) go to term-range buckets on disk, each sorted into place at the end.
4. *Norms.* The organisation vectors are read back a chunk at a time for their norms over common terms.

The result is what ``save_index(Index.build(...))`` writes, array for array (``tests/test_build.py``).
Texts and terms are told apart by 64-bit hashes: two different ones sharing a hash (odds about 1 in 10^5
at 20 million distinct terms) would have their counts merged.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import tempfile
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import Problem
from ..profiles.load import KINDS, Profile
from ..text.analyser import Analyzer, DisplayForms, Text, default_stop_words, display_term
from ..text.background import idf as background_idf
from .model import (
    CAPABILITY,
    COMMON_GROUPS,
    NEED,
    WEIGHTINGS,
    Csr,
    _bm25,
    _split_weights,
    _sublinear_rows,
    aligned_evidence,
    bm25_average,
    bm25_idf,
    bm25_lengths,
    city_key,
    common_cutoff,
    common_norms_df,
    concat_ranges,
    evidence_of,
    links_matrix,
    name_key,
    norms_by_group,
    rows_named,
    side_sums,
    smoothed_idf,
    tag_matrices,
    term_groups,
    text_key,
)
from .store import profile_record, save_csr, write_lists, write_meta, writing

CHUNK = 10_000
"""Organisations read, analysed and vectorised at a time."""
BUCKET_ENTRIES = 4_000_000
"""About how many entries each term-range bucket of a transpose holds (12 bytes each, sorted in memory)."""
MAX_WORKERS = 8
"""Analysis processes at most by default: past a few, the one process that writes the store keeps them waiting."""
TEXT_CACHE = 100_000
"""Analysed texts kept for reuse once a text is seen a second time (joint projects recur across members)."""
_HEADER = 128


class _Npy:
    """A ``.npy`` file written in pieces along its first axis; the header, of fixed size, gets the final
    shape on ``close``."""

    def __init__(self, path: Path, dtype, tail: tuple[int, ...] = ()):
        self.path, self.dtype, self.tail, self.n = Path(path), np.dtype(dtype), tuple(tail), 0
        self._f = open(self.path, "wb")
        self._f.write(b"\0" * _HEADER)

    def append(self, a) -> None:
        a = np.ascontiguousarray(a, dtype=self.dtype)
        if a.shape[1:] != self.tail:
            raise ValueError(f"{self.path.name}: rows of shape {a.shape[1:]}, not {self.tail}")
        self._f.write(a.tobytes())
        self.n += a.shape[0]

    def close(self) -> None:
        descr = np.lib.format.dtype_to_descr(self.dtype)
        text = repr({"descr": descr, "fortran_order": False, "shape": (self.n, *self.tail)}).encode("latin1")
        self._f.seek(0)
        self._f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", _HEADER - 10) + text.ljust(_HEADER - 11) + b"\n")
        self._f.close()

    def read(self, start: int, count: int) -> np.ndarray:
        """Rows ``start`` to ``start + count`` of a closed file, read into memory (not mapped)."""
        row = self.dtype.itemsize * int(np.prod(self.tail, dtype=np.int64))
        items = count * row // self.dtype.itemsize
        out = np.fromfile(self.path, dtype=self.dtype, count=items, offset=_HEADER + start * row)
        return out.reshape(count, *self.tail)


class _CsrOut:
    """A compressed sparse row matrix appended to a store a block of rows at a time."""

    def __init__(self, folder: Path, label: str, n_cols: int):
        self.n_cols, self.indptr_path = n_cols, folder / f"{label}.indptr.npy"
        self.indices = _Npy(folder / f"{label}.indices.npy", np.int32)
        self.data = _Npy(folder / f"{label}.data.npy", np.float32)
        self.indptr = [np.zeros(1, dtype=np.int64)]
        self.nnz = 0

    def add(self, m: Csr) -> None:
        self.add_rows(np.diff(m.indptr), m.indices, m.data)

    def add_rows(self, lengths: np.ndarray, indices: np.ndarray, data: np.ndarray) -> None:
        self.indptr.append(np.cumsum(lengths, dtype=np.int64) + self.nnz)
        self.indices.append(indices)
        self.data.append(data)
        self.nnz += len(indices)

    def close(self) -> np.ndarray:
        self.indices.close()
        self.data.close()
        indptr = np.concatenate(self.indptr)
        np.save(self.indptr_path, indptr)
        return indptr

    def rows(self, indptr: np.ndarray, lo: int, hi: int) -> Csr:
        """Rows ``lo`` to ``hi`` read back, as a matrix of their own."""
        a, b = int(indptr[lo]), int(indptr[hi])
        indices, data = self.indices.read(a, b - a), self.data.read(a, b - a)
        return Csr(indptr[lo : hi + 1] - a, indices, data, (hi - lo, self.n_cols))


_ENTRY = np.dtype([("col", "<i4"), ("row", "<i4"), ("val", "<f4")])


class _Transpose:
    """The transpose of a matrix given a block of rows at a time: entries spread over term-range buckets on
    disk, each bucket sorted by column (keeping row order) when all rows are in."""

    def __init__(self, scratch: Path, label: str, bounds: np.ndarray):
        self.paths = [scratch / f"{label}.{b}.bin" for b in range(len(bounds) - 1)]
        self.bounds = bounds

    def add(self, m: Csr, row0: int) -> None:
        if not len(m.indices):
            return
        rec = np.empty(len(m.indices), dtype=_ENTRY)
        rec["col"] = m.indices
        rec["row"] = row0 + np.repeat(np.arange(m.shape[0], dtype=np.int32), np.diff(m.indptr))
        rec["val"] = m.data
        bucket = np.searchsorted(self.bounds, m.indices, side="right") - 1
        order = np.argsort(bucket, kind="stable")
        rec, bucket = rec[order], bucket[order]
        cuts = np.searchsorted(bucket, np.arange(len(self.paths) + 1))
        for b, path in enumerate(self.paths):
            if cuts[b + 1] > cuts[b]:
                with open(path, "ab") as f:
                    rec[cuts[b] : cuts[b + 1]].tofile(f)

    def write(self, out: _CsrOut) -> np.ndarray:
        for b, path in enumerate(self.paths):
            lo, hi = int(self.bounds[b]), int(self.bounds[b + 1])
            rec = np.fromfile(path, dtype=_ENTRY) if path.exists() else np.zeros(0, dtype=_ENTRY)
            path.unlink(missing_ok=True)
            rec = rec[np.argsort(rec["col"], kind="stable")]
            out.add_rows(np.bincount(rec["col"] - lo, minlength=hi - lo), rec["row"], rec["val"])
        return out.close()


def _buckets(weight: np.ndarray, total: int) -> np.ndarray:
    """Term-range bounds that split ``weight`` (an estimate of each term's entries) into about equal parts."""
    n = len(weight)
    if n == 0:
        return np.zeros(2, dtype=np.int64)
    parts = int(np.clip(-(-total // BUCKET_ENTRIES), 1, 512))
    cum = np.cumsum(weight, dtype=np.float64)
    cuts = np.searchsorted(cum, cum[-1] * np.arange(1, parts) / parts)
    return np.unique(np.concatenate([[0], cuts, [n]])).astype(np.int64)


def _digest(text: str) -> int:
    key = text_key(text)
    data = f"{key[0] or ''}\0{key[1]}".encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


@dataclass
class _Texts:
    """The distinct texts of a chunk's statements."""

    digests: np.ndarray  # of each distinct text, sorted
    first_at: np.ndarray  # its first statement in the chunk
    inverse: np.ndarray  # per statement: its text
    known: np.ndarray  # per text: seen in an earlier chunk
    rows: np.ndarray  # per statement: its text row over the whole build
    new: np.ndarray  # per statement: the first of its text in the whole build


@dataclass
class _Chunk:
    orgs: tuple[int, int]
    statements: tuple[int, int]
    scratch: Path


@dataclass
class _Read:
    """What the first pass keeps: per organisation, per statement and per chunk."""

    names: list[str] = field(default_factory=list)
    aliases: dict[int, tuple[str, ...]] = field(default_factory=dict)
    country: list[str] = field(default_factory=list)
    kind: list[int] = field(default_factory=list)
    city: list[int] = field(default_factory=list)
    n_sources: list[int] = field(default_factory=list)
    with_sources: dict[int, Profile] = field(default_factory=dict)  # for best-fitting evidence
    partners: list[tuple[int, str]] = field(default_factory=list)
    name_keys: list[int] = field(default_factory=list)
    name_rows: list[int] = field(default_factory=list)
    first: list[np.ndarray] = field(default_factory=list)
    stmt_org: list[np.ndarray] = field(default_factory=list)
    stmt_side: list[np.ndarray] = field(default_factory=list)
    text_row: list[np.ndarray] = field(default_factory=list)
    chunks: list[_Chunk] = field(default_factory=list)
    n_orgs: int = 0
    n_statements: int = 0
    n_unique: int = 0


class _Reader:
    """The first pass: profile records out, statements analysed into the scratch folder, terms counted."""

    def __init__(self, analyzer: Analyzer, tmp: Path, scratch: Path, *, keep_sources: bool, workers: int = 1):
        self.analyzer, self.scratch, self.keep_sources = analyzer, scratch, keep_sources
        self.workers, self.pool, self.pending = workers, _pool(workers, analyzer), deque()
        self.df = _Frequencies()
        self.out = _Read()
        self.blob = _Npy(tmp / "profiles.bin.npy", np.uint8)
        self.offsets = [0]
        self.seen = np.zeros(0, dtype=np.uint64)  # digests of the distinct texts so far, sorted
        self.seen_row = np.zeros(0, dtype=np.int64)  # their text rows
        self.cache: OrderedDict[int, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self.forms = DisplayForms(analyzer)

    def read(self, chunk: list[tuple[Profile, Sequence[str]]]) -> None:
        out = self.out
        o0, s0 = out.n_orgs, out.n_statements
        statements: list[str] = []
        org, side, first = [], [], np.zeros((len(chunk), 2, 2), dtype=np.int64)
        for j, (p, full) in enumerate(chunk):
            o = o0 + j
            if len(full) != len(p.capabilities):
                raise ValueError(f"texts[{o}] has {len(full)} texts for {len(p.capabilities)} capabilities")
            self._profile(o, p)
            for s, stmts in ((CAPABILITY, full), (NEED, p.needs)):
                if p.language:
                    stmts = [Text(t, p.language) for t in stmts]
                first[j, s, 0] = s0 + len(statements)
                statements += stmts
                org += [o] * len(stmts)
                side += [s] * len(stmts)
                first[j, s, 1] = s0 + len(statements)
        out.first.append(first)
        out.stmt_org.append(np.asarray(org, dtype=np.int32))
        out.stmt_side.append(np.asarray(side, dtype=np.int8))
        digests = np.fromiter(map(_digest, statements), dtype=np.uint64, count=len(statements))
        texts = self._dedupe(digests)
        out.text_row.append(texts.rows)
        path = self.scratch / f"chunk{len(out.chunks)}"
        self._analyse(statements, texts, path)
        out.chunks.append(_Chunk((o0, o0 + len(chunk)), (s0, s0 + len(statements)), path))
        out.n_orgs += len(chunk)
        out.n_statements += len(statements)

    def _profile(self, o: int, p: Profile) -> None:
        out = self.out
        record = profile_record(p)
        self.blob.append(np.frombuffer(record, dtype=np.uint8))
        self.offsets.append(self.offsets[-1] + len(record))
        out.names.append(p.name)
        if p.aliases:
            out.aliases[o] = p.aliases
        out.country.append(p.country)
        out.kind.append(KINDS.index(p.kind))
        out.city.append(city_key(p.city, p.country))
        out.n_sources.append(len(p.sources))
        if self.keep_sources and p.sources:
            out.with_sources[o] = p
        out.partners += [(o, partner) for partner in p.partners]
        for n in dict.fromkeys(p.names):
            out.name_keys.append(name_key(n))
            out.name_rows.append(o)

    def _dedupe(self, d: np.ndarray) -> _Texts:
        """The texts of a chunk's statements, given the digest ``d`` of each."""
        uniq, first_at, inverse = np.unique(d, return_index=True, return_inverse=True)
        pos = np.searchsorted(self.seen, uniq)
        known = pos < len(self.seen)
        known[known] = self.seen[pos[known]] == uniq[known]
        rows = np.empty(len(uniq), dtype=np.int64)
        rows[known] = self.seen_row[pos[known]]
        fresh = np.flatnonzero(~known)
        fresh = fresh[np.argsort(first_at[fresh], kind="stable")]  # numbered in order of first appearance
        rows[fresh] = self.out.n_unique + np.arange(len(fresh))
        self.out.n_unique += len(fresh)
        self.seen = np.insert(self.seen, pos[~known], uniq[~known])
        self.seen_row = np.insert(self.seen_row, pos[~known], rows[~known])
        new = np.zeros(len(d), dtype=bool)
        new[first_at[~known]] = True
        return _Texts(uniq, first_at, inverse.ravel(), known, rows[inverse.ravel()], new)

    def _analyse(self, statements: list[str], texts: _Texts, path: Path) -> None:
        """Plan the analysis of a chunk's texts and hand it to a worker (or do it here): each distinct
        text of the chunk is analysed once, or not at all where a text seen in an earlier chunk is cached."""
        cached = [k for k in np.flatnonzero(texts.known) if int(texts.digests[k]) in self.cache]
        cached_parts = [self.cache[int(texts.digests[k])] for k in cached]  # kept, whatever is evicted later
        for k in cached:
            self.cache.move_to_end(int(texts.digests[k]))
        todo = np.ones(len(texts.digests), dtype=bool)
        todo[cached] = False
        todo = np.flatnonzero(todo)
        todo = todo[np.argsort(texts.first_at[todo], kind="stable")]  # in statement order
        first = texts.first_at[todo]
        work = ([statements[i] for i in first.tolist()], texts.new[first])
        job = (texts, todo, cached, cached_parts, len(statements), path)
        if self.pool is None:
            self._finish(job, _analyse_texts(self.analyzer, *work))
            return
        self.pending.append((job, self.pool.apply_async(_analyse_in_worker, work)))
        while len(self.pending) > 2 * self.workers:
            self._finish_oldest()

    def _finish_oldest(self) -> None:
        job, result = self.pending.popleft()
        self._finish(job, result.get())

    def _finish(self, job, result) -> None:
        """Write a chunk's statements' term hashes and counts, its document frequencies (over the texts
        first seen in it) and its term strings to the scratch folder, in chunk order."""
        texts, todo, cached, cached_parts, n_statements, path = job
        uh, uc, per, distinct, words, forms = result
        self.forms.merge(forms)
        if len(todo) == n_statements:  # every statement a text of its own, none cached: in order
            stmt_h, stmt_c, stmt_n = uh, uc, per
        else:
            stmt_h, stmt_c, stmt_n = self._gather(texts, todo, cached, cached_parts, uh, uc, per)
        dh, dc = np.unique(stmt_h[np.repeat(texts.new, stmt_n)], return_counts=True)
        self.df.add(dh, dc)
        np.savez(path, h=stmt_h, c=stmt_c, n=stmt_n, terms_h=distinct)
        path.with_suffix(".terms").write_text(words, encoding="utf-8")

    def _gather(self, texts: _Texts, todo, cached, cached_parts, uh, uc, per):
        """Every statement's (hashes, counts, length) from its text's: analysed for this chunk or cached."""
        n_texts = len(texts.digests)
        parts_h: list[np.ndarray] = [uh]
        parts_c: list[np.ndarray] = [uc]
        length = np.zeros(n_texts, dtype=np.int64)
        start = np.zeros(n_texts, dtype=np.int64)
        length[todo] = per
        start[todo] = np.cumsum(per) - per
        offset = len(uh)
        for k, got in zip(cached, cached_parts):
            parts_h.append(got[0])
            parts_c.append(got[1])
            start[k], length[k] = offset, len(got[0])
            offset += len(got[0])
        for j, k in enumerate(todo.tolist()):
            if texts.known[k]:  # a second sighting: keep it for the next
                lo = start[k]
                self._remember(int(texts.digests[k]), (uh[lo : lo + per[j]].copy(), uc[lo : lo + per[j]].copy()))
        all_h, all_c = np.concatenate(parts_h), np.concatenate(parts_c)
        k = texts.inverse
        pos = concat_ranges(start[k], length[k])
        return all_h[pos], all_c[pos], length[k]

    def stop(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None

    def _remember(self, digest: int, got) -> None:
        self.cache[digest] = got
        if len(self.cache) > TEXT_CACHE:
            self.cache.popitem(last=False)

    def close(self) -> None:
        while self.pending:
            self._finish_oldest()
        self.stop()
        self.blob.close()
        np.save(self.blob.path.with_name("profiles.off.npy"), np.asarray(self.offsets, dtype=np.int64))


def _analyse_texts(analyzer: Analyzer, texts: list[str], new: np.ndarray):
    """The analysis of some texts: each one's distinct term hashes with counts (``uh``, ``uc``, and ``per``
    text), the distinct hashes of all their terms with the terms themselves (one per line), and the
    display forms of the texts marked ``new``. A pure function of its arguments, run in a worker or not."""
    forms = DisplayForms(analyzer)
    terms: list[str] = []
    lens = np.zeros(len(texts), dtype=np.int64)
    for j, text in enumerate(texts):
        got, surface = analyzer.analyse(text)
        if new[j]:  # display forms count each distinct text once, in order of first appearance
            forms.add_analysed(surface)
        terms += got
        lens[j] = len(got)
    h = np.fromiter(map(hash, terms), dtype=np.int64, count=len(terms))
    sid = np.repeat(np.arange(len(texts)), lens)
    order = np.lexsort((h, sid))
    hs, ss = h[order], sid[order]
    start = np.ones(len(hs), dtype=bool)
    start[1:] = (hs[1:] != hs[:-1]) | (ss[1:] != ss[:-1])
    at = np.flatnonzero(start)
    uh, us, uc = hs[at], ss[at], np.diff(np.append(at, len(hs))).astype(np.int32)
    per = np.bincount(us, minlength=len(texts))
    distinct, first_of = np.unique(h, return_index=True)
    words = "\n".join(terms[i] for i in first_of.tolist())
    return uh, uc, per, distinct, words, forms.counts()


_worker_analyzer: Analyzer | None = None


def _start_worker(config: dict) -> None:
    global _worker_analyzer
    _worker_analyzer = Analyzer.from_config(config)


def _analyse_in_worker(texts, new):
    return _analyse_texts(_worker_analyzer, texts, new)


def _pool(workers: int, analyzer: Analyzer):
    """Worker processes for the analysis, forked (so that they hash terms as this process does), or None
    where one process is asked for or the platform cannot fork."""
    import multiprocessing

    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    return multiprocessing.get_context("fork").Pool(workers, initializer=_start_worker, initargs=(analyzer.config(),))


DF_MERGE = 8_000_000
"""Document-frequency entries that chunks hand in before they are merged into the running counts."""


class _Frequencies:
    """Document frequencies by term hash: sorted hashes and their counts, merged in as chunks come, so that
    no more than DF_MERGE entries wait at a time."""

    def __init__(self):
        self.hashes = np.zeros(0, dtype=np.int64)
        self.counts = np.zeros(0, dtype=np.int32)
        self.waiting: list[tuple[np.ndarray, np.ndarray]] = []
        self.n_waiting = 0

    def add(self, hashes: np.ndarray, counts: np.ndarray) -> None:
        self.waiting.append((hashes, counts.astype(np.int32)))
        self.n_waiting += len(hashes)
        if self.n_waiting > DF_MERGE:
            self.merge()

    def merge(self) -> None:
        if not self.waiting:
            return
        h = np.concatenate([w[0] for w in self.waiting])
        c = np.concatenate([w[1] for w in self.waiting])
        self.waiting, self.n_waiting = [], 0
        order = np.argsort(h, kind="stable")
        h, c = h[order], c[order]
        del order
        start = np.flatnonzero(np.r_[True, h[1:] != h[:-1]])
        h, c = h[start], np.add.reduceat(c, start).astype(np.int32)
        pos = np.searchsorted(self.hashes, h)
        found = pos < len(self.hashes)
        found[found] = self.hashes[pos[found]] == h[found]
        self.counts[pos[found]] += c[found]
        self.hashes = np.insert(self.hashes, pos[~found], h[~found])
        self.counts = np.insert(self.counts, pos[~found], c[~found])


@dataclass
class _Vocabulary:
    terms: list[str]
    hashes: np.ndarray  # sorted term hashes
    ids: np.ndarray  # the term id of each of ``hashes``
    df: np.ndarray  # per term id: distinct texts holding it


def _vocabulary(chunks: Sequence[_Chunk], frequencies: _Frequencies, min_df: int) -> _Vocabulary:
    """The terms held by at least ``min_df`` distinct texts, in the order ``CountVectorizer`` gives them."""
    frequencies.merge()
    kept = frequencies.counts >= min_df
    h, df = frequencies.hashes[kept], frequencies.counts[kept].astype(np.int64)
    frequencies.hashes = frequencies.counts = None
    strings: list[str | None] = [None] * len(h)
    missing = len(h)
    for c in chunks:
        if not missing:
            break
        with np.load(f"{c.scratch}.npz") as z:
            th = z["terms_h"]
        pos = np.searchsorted(h, th)
        ok = pos < len(h)
        ok[ok] = h[pos[ok]] == th[ok]
        words = c.scratch.with_suffix(".terms").read_text(encoding="utf-8").split("\n")
        for i in np.flatnonzero(ok):
            k = int(pos[i])
            if strings[k] is None:
                strings[k] = words[i]
                missing -= 1
    order = sorted(range(len(h)), key=strings.__getitem__)
    ids = np.empty(len(h), dtype=np.int32)
    ids[order] = np.arange(len(h), dtype=np.int32)
    return _Vocabulary([strings[k] for k in order], h, ids, df[order])


def _counts(chunk: _Chunk, vocab: _Vocabulary):
    """The chunk's statements x terms count matrix (float32, terms sorted in each row)."""
    from scipy import sparse

    with np.load(f"{chunk.scratch}.npz") as z:
        h, c, per = z["h"], z["c"], z["n"]
    sid = np.repeat(np.arange(len(per)), per)
    pos = np.searchsorted(vocab.hashes, h)
    ok = pos < len(vocab.hashes)
    ok[ok] = vocab.hashes[pos[ok]] == h[ok]
    ids, sid, c = vocab.ids[pos[ok]], sid[ok], c[ok]
    order = np.argsort(sid * max(len(vocab.terms), 1) + ids)  # keys are distinct: by statement, then term
    indptr = np.zeros(len(per) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum(np.bincount(sid, minlength=len(per)))
    return sparse.csr_matrix((c[order].astype(np.float32), ids[order], indptr), shape=(len(per), len(vocab.terms)))


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
    ``save_index(Index.build(profiles, ...), folder, problems, store=store)`` would, in bounded memory.

    The options are those of ``Index.build``. Texts are analysed by ``workers`` processes (default: one
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
        reader = _Reader(analyzer, tmp, scratch, keep_sources=not aligned_sources, workers=workers)
        try:
            pairs = zip(profiles, texts) if texts is not None else ((p, p.capabilities) for p in profiles)
            _read_all(reader, pairs, chunk, tick)
        finally:
            reader.stop()
        try:
            read, forms, frequencies = reader.out, reader.forms.result(), reader.df
            del reader
            if min_df is None:
                min_df = 1 if read.n_statements < 50_000 else 2
            clock.mark("read")
            vocab = _vocabulary(read.chunks, frequencies, min_df)
            clock.mark("vocabulary")
            summary = _write(
                tmp, scratch, read, vocab, forms, analyzer, weighting, tick, clock,
                links=links, tags=tags, statement_tags=statement_tags, model=model,
                aligned_sources=aligned_sources, common_df=common_df, documents=documents,
            )  # fmt: skip
            write_lists(
                tmp, terms=vocab.terms, tag_names=summary.pop("tag_names"),
                display=[forms.get(t, t) if " " not in t else display_term(t, forms) for t in vocab.terms],
                names=read.names, problems=problems,
            )  # fmt: skip
            meta = {
                "analyzer": analyzer.config(),
                "shape": [read.n_orgs, len(vocab.terms)],
                "statements": read.n_statements,
                "weighting": weighting,
                "tags": summary["tags"],
                "model": model,
                "common_df": summary["common_df"],
                "documents": read.n_unique if documents else None,
            }
            write_meta(tmp, meta, store=store)
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


def _read_all(reader: _Reader, pairs, chunk: int, tick) -> None:
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


def _write(tmp, scratch, read: _Read, vocab: _Vocabulary, forms, analyzer, weighting, tick, clock, **options) -> dict:
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
    keys = np.array(read.name_keys, dtype=np.uint64)
    rows = np.array(read.name_rows, dtype=np.int32)
    order = np.lexsort((rows, keys))
    np.save(tmp / "name_keys.npy", keys[order])
    np.save(tmp / "name_rows.npy", rows[order])
    np.save(tmp / "common_norms.npy", common)
    np.save(tmp / "group_terms.npy", term_group)
    links = options["links"]
    if links is None:
        links = _partner_links(read, keys[order], rows[order])
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


def _bm25_totals(read: _Read, vocab: _Vocabulary, stmt_org, stmt_side, tick) -> tuple[np.ndarray, list[float]]:
    """What BM25 needs of all organisations before any is weighted: the IDF of each term over the
    organisations' capabilities, and the average length on each side."""
    cap_df = np.zeros(len(vocab.terms), dtype=np.int64)
    lengths: list[list[np.ndarray]] = [[], []]
    for c in read.chunks:
        counts = _counts(c, vocab)
        for side, summed in enumerate(_side_sums(c, counts, stmt_org, stmt_side)):
            lengths[side].append(bm25_lengths(summed))
            if side == CAPABILITY:
                cap_df += np.bincount(summed.indices, minlength=len(vocab.terms))
        tick(c.orgs[1] - c.orgs[0])
    avg = [bm25_average(np.concatenate(x) if x else np.zeros(0)) for x in lengths]
    return bm25_idf(cap_df, read.n_orgs), avg


def _side_sums(c: _Chunk, S, stmt_org, stmt_side):
    """Per side, the chunk's organisations x terms sums of their statement rows ``S`` (as ``Index.build``)."""
    (o0, o1), (s0, s1) = c.orgs, c.statements
    return side_sums(stmt_org[s0:s1] - o0, stmt_side[s0:s1], S, o1 - o0)


class _Vectoriser:
    """Pass 3: each chunk's statement, organisation and document rows, appended to the store."""

    def __init__(self, tmp, scratch, vocab, idf, avg, weighting, read: _Read, documents: bool, single):
        n_terms = len(vocab.terms)
        self.vocab, self.idf, self.avg, self.weighting, self.single = vocab, idf, avg, weighting, single
        self.org_norms = np.zeros((read.n_orgs, 2))
        self.statements = _CsrOut(tmp, "statements", n_terms)
        self.vectors = (_CsrOut(tmp, "cap", n_terms), _CsrOut(tmp, "need", n_terms))
        bounds = _buckets(vocab.df.astype(np.float64), int(vocab.df.sum()))
        self.transposes = (_Transpose(scratch, "cap_t", bounds), _Transpose(scratch, "need_t", bounds))
        self.tmp, self.n_orgs = tmp, read.n_orgs
        self.org_df = np.zeros((2, n_terms), dtype=np.int64)
        self.documents = documents
        if documents:
            df = np.where(single > 0, vocab.df, 0)
            n_docs = read.n_unique
            self.docs_idf = smoothed_idf(df, n_docs)
            self.docs = _CsrOut(tmp, "docs", n_terms)
            self.docs_t = _Transpose(scratch, "docs_t", bounds)
            self.docs_norms = np.zeros(read.n_orgs)
            self.n_docs = 0

    def add(self, c: _Chunk, stmt_org, stmt_side, text_row) -> None:
        from scipy import sparse
        from sklearn.preprocessing import normalize

        counts = _counts(c, self.vocab)
        S = _sublinear_rows(counts, self.idf) if self.weighting == "tfidf" else counts
        (o0, _), (s0, s1) = c.orgs, c.statements
        parts = []
        for side, summed in enumerate(_side_sums(c, S, stmt_org, stmt_side)):
            if self.weighting == "tfidf":
                self.org_norms[o0 : c.orgs[1], side] = np.sqrt(np.asarray(summed.multiply(summed).sum(axis=1)).ravel())
                org_m = normalize(summed)
            else:
                org_m, share = _bm25(summed, self.idf, self.avg[side])
                self.org_norms[o0 : c.orgs[1], side] = 1.0
                mask = (stmt_side[s0:s1] == side).astype(np.float32)
                parts.append(_split_weights((sparse.diags(mask) @ S).tocsr(), stmt_org[s0:s1] - o0, share))
            m = Csr.from_scipy(org_m)
            self.vectors[side].add(m)
            self.transposes[side].add(m, o0)
            self.org_df[side] += np.bincount(m.indices, minlength=len(self.vocab.terms))
        self.statements.add(Csr.from_scipy((parts[0] + parts[1]).tocsr() if parts else S))
        if self.documents:
            self._documents(c, counts, stmt_org, stmt_side, text_row)

    def _documents(self, c: _Chunk, counts, stmt_org, stmt_side, text_row) -> None:
        """``Documents.build`` for the chunk: rows for the texts first seen in it, norms for its organisations."""
        from scipy import sparse

        (o0, o1), (s0, s1) = c.orgs, c.statements
        C = (counts.tocsr().astype(np.float64) @ sparse.diags(self.single)).tocsr()
        C.eliminate_zeros()
        D = _sublinear_rows(C, self.docs_idf)
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
            t.write(_CsrOut(self.tmp, ("cap_t", "need_t")[side], self.n_orgs))
        if self.documents:
            self.docs.close()
            self.docs_t.write(_CsrOut(self.tmp, "docs_t", self.n_docs))
        return self.org_df, ptrs[0], ptrs[1]


def _norms(tmp, vec: _Vectoriser, ptrs, org_df, common_df: int, read: _Read):
    """Pass 4: each organisation's norms over the common terms, read back a chunk at a time."""
    import sys

    kernels = sys.modules.get("matcher.ranking.kernels")
    sums = getattr(kernels, "group_sums", None)
    term_group = term_groups(org_df, common_df)
    common = np.zeros((2, read.n_orgs))
    out = _Npy(tmp / "group_norms.npy", np.float32, (2, COMMON_GROUPS))
    for c in read.chunks:
        lo, hi = c.orgs
        vectors = tuple(vec.vectors[s].rows(ptrs[s], lo, hi) for s in (CAPABILITY, NEED))
        common[:, lo:hi] = common_norms_df(vectors, org_df, common_df)
        out.append(norms_by_group(vectors, term_group, sums=sums))
    out.close()
    return common, term_group


def _evidence(read: _Read, first, stmt_org, stmt_side, vocab, idf, analyzer, options) -> np.ndarray:
    """Each statement's source quote, as ``Index.build`` gives it."""
    n_stmt = len(stmt_org)
    if options["aligned_sources"]:
        return aligned_evidence(first, stmt_org, stmt_side, np.asarray(read.n_sources, dtype=np.int64))
    out = np.full(n_stmt, -1, dtype=np.int32)
    if read.with_sources:
        lookup = {t: i for i, t in enumerate(vocab.terms)}
        for o, profile in read.with_sources.items():
            out[first[o, CAPABILITY, 0] : first[o, NEED, 1]] = evidence_of(profile, analyzer, lookup, idf)
    return out


def _partner_links(read: _Read, keys: np.ndarray, rows: np.ndarray) -> list[tuple[int, int, float]]:
    """Each listed partner found by name or alias (the first such organisation), as ``Index.find_row``."""
    out = []
    names = read.names
    for o, partner in read.partners:
        found = rows_named(partner, keys, rows, lambda r: (names[r], *read.aliases.get(r, ())))
        if found and found[0] != o:
            out.append((o, found[0], 1.0))
    return out
