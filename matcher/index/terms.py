"""The first passes of the streaming build (``stream.build_store``): profiles read once, a chunk at a time, their
statements analysed (in worker processes) into term hashes and counts in a scratch folder, document
frequencies counted, and the vocabulary fixed as ``CountVectorizer`` would fix it.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..profiles.model import KINDS, Profile
from ..text.analyser import Analyzer, DisplayForms
from .model import name_key
from .spill import NpyWriter
from .steps import city_key, lay_out, text_key
from .store import profile_record
from .vectors import concat_ranges

TEXT_CACHE = 100_000
"""Analysed texts kept for reuse once a text is seen a second time (joint projects recur across members)."""


def _digest(text: str) -> int:
    key = text_key(text)
    data = f"{key[0] or ''}\0{key[1]}".encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


@dataclass
class Texts:
    """The distinct texts of a chunk's statements."""

    digests: np.ndarray  # of each distinct text, sorted
    first_at: np.ndarray  # its first statement in the chunk
    inverse: np.ndarray  # per statement: its text
    known: np.ndarray  # per text: seen in an earlier chunk
    rows: np.ndarray  # per statement: its text row over the whole build
    new: np.ndarray  # per statement: the first of its text in the whole build


@dataclass
class Chunk:
    orgs: tuple[int, int]
    statements: tuple[int, int]
    scratch: Path


@dataclass
class ReadState:
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
    chunks: list[Chunk] = field(default_factory=list)
    n_orgs: int = 0
    n_statements: int = 0
    n_unique: int = 0


class Reader:
    """The first pass: profile records out, statements analysed into the scratch folder, terms counted."""

    def __init__(self, analyzer: Analyzer, tmp: Path, scratch: Path, *, keep_sources: bool, workers: int = 1):
        self.analyzer, self.scratch, self.keep_sources = analyzer, scratch, keep_sources
        self.workers, self.pool, self.pending = workers, _pool(workers, analyzer), deque()
        self.df = Frequencies()
        self.out = ReadState()
        self.blob = NpyWriter(tmp / "profiles.bin.npy", np.uint8)
        self.offsets = [0]
        self.seen = np.zeros(0, dtype=np.uint64)  # digests of the distinct texts so far, sorted
        self.seen_row = np.zeros(0, dtype=np.int64)  # their text rows
        self.cache: OrderedDict[int, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self.forms = DisplayForms(analyzer)

    def read(self, chunk: list[tuple[Profile, Sequence[str]]]) -> None:
        out = self.out
        o0, s0 = out.n_orgs, out.n_statements
        statements, org, side, first = lay_out(chunk, o0, s0)
        for j, (p, _) in enumerate(chunk):
            self._profile(o0 + j, p)
        out.first.append(first)
        out.stmt_org.append(org)
        out.stmt_side.append(side)
        digests = np.fromiter(map(_digest, statements), dtype=np.uint64, count=len(statements))
        texts = self._dedupe(digests)
        out.text_row.append(texts.rows)
        path = self.scratch / f"chunk{len(out.chunks)}"
        self._analyse(statements, texts, path)
        out.chunks.append(Chunk((o0, o0 + len(chunk)), (s0, s0 + len(statements)), path))
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

    def _dedupe(self, d: np.ndarray) -> Texts:
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
        return Texts(uniq, first_at, inverse.ravel(), known, rows[inverse.ravel()], new)

    def _analyse(self, statements: list[str], texts: Texts, path: Path) -> None:
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

    def _gather(self, texts: Texts, todo, cached, cached_parts, uh, uc, per):
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


class Frequencies:
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
class Vocabulary:
    terms: list[str]
    hashes: np.ndarray  # sorted term hashes
    ids: np.ndarray  # the term id of each of ``hashes``
    df: np.ndarray  # per term id: distinct texts holding it


def vocabulary(chunks: Sequence[Chunk], frequencies: Frequencies, min_df: int) -> Vocabulary:
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
    return Vocabulary([strings[k] for k in order], h, ids, df[order])


def chunk_counts(chunk: Chunk, vocab: Vocabulary):
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
