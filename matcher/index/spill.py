"""Arrays the streaming build writes in pieces: ``.npy`` files appended row by row, compressed sparse row
matrices appended a block of rows at a time, and transposes spread over term-range buckets on disk."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from .vectors import Csr

BUCKET_ENTRIES = 4_000_000
"""About how many entries each term-range bucket of a transpose holds (12 bytes each, sorted in memory)."""
HEADER = 128


class NpyWriter:
    """A ``.npy`` file written in pieces along its first axis; the header, of fixed size, gets the final
    shape on ``close``."""

    def __init__(self, path: Path, dtype, tail: tuple[int, ...] = ()):
        self.path, self.dtype, self.tail, self.n = Path(path), np.dtype(dtype), tuple(tail), 0
        self._f = open(self.path, "wb")
        self._f.write(b"\0" * HEADER)

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
        self._f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", HEADER - 10) + text.ljust(HEADER - 11) + b"\n")
        self._f.close()

    def read(self, start: int, count: int) -> np.ndarray:
        """Rows ``start`` to ``start + count`` of a closed file, read into memory (not mapped)."""
        row = self.dtype.itemsize * int(np.prod(self.tail, dtype=np.int64))
        items = count * row // self.dtype.itemsize
        out = np.fromfile(self.path, dtype=self.dtype, count=items, offset=HEADER + start * row)
        return out.reshape(count, *self.tail)


class CsrWriter:
    """A compressed sparse row matrix appended to a store a block of rows at a time."""

    def __init__(self, folder: Path, label: str, n_cols: int):
        self.n_cols, self.indptr_path = n_cols, folder / f"{label}.indptr.npy"
        self.indices = NpyWriter(folder / f"{label}.indices.npy", np.int32)
        self.data = NpyWriter(folder / f"{label}.data.npy", np.float32)
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


ENTRY = np.dtype([("col", "<i4"), ("row", "<i4"), ("val", "<f4")])


class Transpose:
    """The transpose of a matrix given a block of rows at a time: entries spread over term-range buckets on
    disk, each bucket sorted by column (keeping row order) when all rows are in."""

    def __init__(self, scratch: Path, label: str, bounds: np.ndarray):
        self.paths = [scratch / f"{label}.{b}.bin" for b in range(len(bounds) - 1)]
        self.bounds = bounds

    def add(self, m: Csr, row0: int) -> None:
        if not len(m.indices):
            return
        rec = np.empty(len(m.indices), dtype=ENTRY)
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

    def write(self, out: CsrWriter) -> np.ndarray:
        for b, path in enumerate(self.paths):
            lo, hi = int(self.bounds[b]), int(self.bounds[b + 1])
            rec = np.fromfile(path, dtype=ENTRY) if path.exists() else np.zeros(0, dtype=ENTRY)
            path.unlink(missing_ok=True)
            rec = rec[np.argsort(rec["col"], kind="stable")]
            out.add_rows(np.bincount(rec["col"] - lo, minlength=hi - lo), rec["row"], rec["val"])
        return out.close()


def buckets(weight: np.ndarray, total: int) -> np.ndarray:
    """Term-range bounds that split ``weight`` (an estimate of each term's entries) into about equal parts."""
    n = len(weight)
    if n == 0:
        return np.zeros(2, dtype=np.int64)
    parts = int(np.clip(-(-total // BUCKET_ENTRIES), 1, 512))
    cum = np.cumsum(weight, dtype=np.float64)
    cuts = np.searchsorted(cum, cum[-1] * np.arange(1, parts) / parts)
    return np.unique(np.concatenate([[0], cuts, [n]])).astype(np.int64)
