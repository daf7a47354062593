"""Store a built index on disk and open it again fast: arrays memory-mapped, profiles decoded on demand.

A stored index is a folder of ``.npy`` arrays plus JSON. Opening it imports neither scikit-learn nor scipy
and reads no profile until one is shown, so a query costs the same whether there are 30 or 1,000,000
organisations behind it. Folders are written under a temporary name and renamed into place, so a reader
never sees half an index.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np

from .. import __version__
from ..errors import Problem, StoreError
from ..paths import writing_folder
from ..profiles.load import profile_files
from ..profiles.model import Profile, Source
from ..text.analyser import Analyzer
from .model import Documents, Index
from .vectors import Csr

FORMAT = 10
ENV_CACHE = "MATCHER_CACHE_DIR"
_ARRAYS = (
    "idf",
    "stmt_org",
    "stmt_side",
    "stmt_first",
    "stmt_evidence",
    "org_norms",
    "country",
    "kind",
    "city",
    "name_keys",
    "name_rows",
    "common_norms",
)


CACHE_SALT = "names-unique"
"""Changes the cached indexes' key where what a cache holds changed but not the store format (the problems
of a cache from before duplicate names were told apart would not stop a command)."""

RECORD_CACHE = 64
"""Decoded profile records a store keeps at hand (profiles are immutable, so a cached one is never stale)."""
STATEMENTS_CACHE = 1024
"""Profiles whose statements alone a store keeps at hand (``Records.statements``): the partners of a batch's
lists recur (the large organisations in many lists)."""


class _Blob(Sequence):
    """Items stored as bytes in one memory-mapped blob with offsets (``blob``), decoded one at a time."""

    def __init__(self, blob: np.ndarray, offsets: np.ndarray):
        self._blob, self._offsets = blob, offsets

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self._item(int(i))

    def _bytes(self, i: int) -> bytes:
        return self._blob[self._offsets[i] : self._offsets[i + 1]].tobytes()

    def _item(self, i: int):
        raise NotImplementedError


class Records(_Blob):
    """Profiles stored as JSON records in one memory-mapped blob, decoded one at a time."""

    def __init__(self, blob: np.ndarray, offsets: np.ndarray):
        super().__init__(blob, offsets)
        # explaining one match reads the same few profiles once per statement: keep the latest decoded
        self._item = functools.lru_cache(maxsize=RECORD_CACHE)(self._decode_record)
        self.statements = functools.lru_cache(maxsize=STATEMENTS_CACHE)(self._statements)

    def _statements(self, i: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Profile ``i``'s capabilities and needs alone, without the rest of its record (its sources: a
        large organisation of a store has thousands), for the text of one statement."""
        raw = json.loads(self._bytes(int(i)))
        return tuple(raw["capabilities"]), tuple(raw["needs"])

    def _decode_record(self, i: int) -> Profile:
        raw = json.loads(self._bytes(i))
        raw["sources"] = tuple(Source(**s) for s in raw["sources"])
        for key in ("capabilities", "needs", "aliases", "sectors", "partners"):
            raw[key] = tuple(raw[key])
        return Profile(**raw)


class LazyJsonList(Sequence):
    """A JSON list parsed the first time it is used; its bytes are read at once, so that the list is the one
    of the store that was opened even where the store is replaced meanwhile."""

    def __init__(self, path: Path):
        self._raw, self._items = Path(path).read_bytes(), None

    def _load(self) -> list:
        if self._items is None:
            self._items = json.loads(self._raw)
            self._raw = b""
        return self._items

    def __len__(self) -> int:
        return len(self._load())

    def __getitem__(self, i):
        return self._load()[i]


class Strings(_Blob):
    """Strings stored as UTF-8 in one memory-mapped blob with byte offsets, each read alone: explaining a
    match names a few terms of a vocabulary of millions without decoding the rest (5.5M terms as JSON
    took 1.7 s to parse at 1M organisations)."""

    def _item(self, i: int) -> str:
        return self._bytes(i).decode("utf-8")

    def __iter__(self):
        """Every string, decoded in one go (building a lookup of all of them)."""
        data = self._blob.tobytes()
        ends = self._offsets[1:].tolist()
        return (data[a:b].decode("utf-8") for a, b in zip([0, *ends[:-1]], ends))


def write_strings(tmp: Path, label: str, items) -> None:
    """``label.bin.npy`` and ``label.off.npy``: a ``Strings`` table."""
    offsets, data = blob([str(t).encode("utf-8") for t in items])
    np.save(tmp / f"{label}.off.npy", offsets)
    np.save(tmp / f"{label}.bin.npy", data)


def profile_record(p: Profile) -> bytes:
    """One profile as the JSON record a store keeps (without the line numbers of its file): what
    ``dataclasses.asdict`` gives, field for field, at a fraction of its cost."""
    d = {name: getattr(p, name) for name in _PROFILE_FIELDS}
    d["sources"] = [{name: getattr(s, name) for name in _SOURCE_FIELDS} for s in p.sources]
    return json.dumps(d, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


_PROFILE_FIELDS = tuple(f.name for f in dataclasses.fields(Profile) if f.name != "lines")
_SOURCE_FIELDS = tuple(f.name for f in dataclasses.fields(Source))


def writing(folder: Path, *, durable: bool = True):
    """A temporary folder beside ``folder`` to write a store in, that takes ``folder``'s place when the block
    ends without an error: a reader never sees half an index, and the old one stays whole until the new one
    is (``paths.writing_folder``)."""
    return writing_folder(folder, durable=durable)


def write_lists(tmp: Path, *, terms, tag_names, display, names, problems: Sequence[Problem]) -> None:
    """The lists of a store: vocabulary, display forms and organisation names as ``Strings`` tables; tag
    names and problems as JSON."""
    for label, items in (("terms", terms), ("display", display), ("names", names)):
        write_strings(tmp, label, items)
    (tmp / "tag_names.json").write_text(json.dumps(list(tag_names), ensure_ascii=False), encoding="utf-8")
    (tmp / "problems.json").write_text(
        json.dumps(
            [{**asdict(p), "path": str(p.path), "related": str(p.related) if p.related else None} for p in problems],
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )


def write_meta(tmp: Path, index_meta: dict, *, store: dict | None) -> None:
    """``meta.json``: the format, the matcher version and the shapes ``load_index`` opens the arrays with."""
    meta = {"format": FORMAT, "matcher": __version__, **index_meta, "store": store}
    (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")


def index_meta(index: Index) -> dict:
    return {
        "analyzer": index.analyzer.config(),
        "shape": [index.n_orgs, len(index.terms)],
        "statements": index.statements.shape[0],
        "weighting": index.weighting,
        "tags": len(index.tag_names),
        "model": index.model,
        "common_df": index.common_df,
        "documents": index.docs.vectors.shape[0] if index.docs is not None else None,
    }


def save_csr(tmp: Path, label: str, m: Csr) -> None:
    for part in ("indptr", "indices", "data"):
        np.save(tmp / f"{label}.{part}.npy", getattr(m, part))


def blob(records: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """The offsets and the bytes of encoded items, as ``_Blob`` reads them (``profiles.off``/``.bin``)."""
    offsets = np.zeros(len(records) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(r) for r in records])
    return offsets, np.frombuffer(b"".join(records), dtype=np.uint8)


def save_index(index: Index, folder: Path, problems: Sequence[Problem] = (), *, store: dict | None = None) -> None:
    """Write ``index`` (and the load problems that go with it) to ``folder`` atomically.

    ``store`` marks the folder as a profile store in its own right (what it was built from), which
    ``matcher match --profiles FOLDER`` reads as is, instead of a cache of a YAML folder.
    """
    with writing(folder, durable=store is not None) as tmp:  # a cache can be rebuilt: it need not wait for the disk
        for name in _ARRAYS:
            np.save(tmp / f"{name}.npy", np.asarray(getattr(index, name)))
        term_group, group_norms = index.group_norms
        np.save(tmp / "group_terms.npy", term_group)
        np.save(tmp / "group_norms.npy", group_norms)
        docs = index.docs
        matrices = [
            ("statements", index.statements),
            ("cap", index.org_vectors[0]),
            ("need", index.org_vectors[1]),
            ("cap_t", index.postings[0]),
            ("need_t", index.postings[1]),
            ("links", index.links),
            ("tags_t", index.tag_postings),
            ("stmt_tags", index.stmt_tags),
        ]
        if docs is not None:
            matrices += [("docs", docs.vectors), ("docs_t", docs.postings)]
            for name in ("idf", "of_statement", "norms"):
                np.save(tmp / f"docs.{name}.npy", getattr(docs, name))
        for label, m in matrices:
            save_csr(tmp, label, m)
        offsets, data = blob([profile_record(p) for p in index.profiles])
        np.save(tmp / "profiles.off.npy", offsets)
        np.save(tmp / "profiles.bin.npy", data)
        write_lists(
            tmp,
            terms=index.terms,
            tag_names=index.tag_names,
            display=index.display,
            names=index.names,
            problems=problems,
        )
        write_meta(tmp, index_meta(index), store=store)


def load_index(folder: Path) -> tuple[Index, list[Problem]]:
    """Open a stored index: arrays memory-mapped, profiles and vocabulary read when first needed.

    A store replaced while it is opened (``import-cordis --force``) could give some files of the old one
    and some of the new: the folder is opened again until it is the same folder before and after. Once
    open, the arrays are those of the folder that was opened, whatever replaces it (memory maps stay valid).
    """
    folder = Path(folder)
    for _ in range(5):
        before = _identity(folder)
        try:
            opened = _open_index(folder)
        except StoreError:
            if before is not None and _identity(folder) != before:
                continue
            raise
        if _identity(folder) == before:
            return opened
    raise StoreError(f"{folder} was replaced again and again while it was being opened: run the command again.")


def _identity(folder: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(folder)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _open_index(folder: Path) -> tuple[Index, list[Problem]]:
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise StoreError(
                f"{folder} was written by another version of matcher: rebuild it"
                " (a store from import-cordis: run the import again with --force)."
            )

        def arr(name: str) -> np.ndarray:
            return np.asarray(np.load(folder / f"{name}.npy", mmap_mode="r"))  # plain view: memmap slicing is slow

        n_orgs, n_terms = meta["shape"]
        n_stmt = meta["statements"]

        def csr(label: str, shape: tuple[int, int]) -> Csr:
            return Csr(arr(f"{label}.indptr"), arr(f"{label}.indices"), arr(f"{label}.data"), shape)

        docs = None
        if meta["documents"] is not None:
            n_docs = meta["documents"]
            docs = Documents(
                csr("docs", (n_docs, n_terms)),
                csr("docs_t", (n_terms, n_docs)),
                arr("docs.idf"),
                arr("docs.of_statement"),
                arr("docs.norms"),
            )
        problems = [
            Problem(**{**p, "path": Path(p["path"]), "related": Path(p["related"]) if p["related"] else None})
            for p in json.loads((folder / "problems.json").read_text(encoding="utf-8"))
        ]
        index = Index(
            profiles=Records(arr("profiles.bin"), arr("profiles.off")),
            analyzer=Analyzer.from_config(meta["analyzer"]),
            terms=Strings(arr("terms.bin"), arr("terms.off")),
            display=Strings(arr("display.bin"), arr("display.off")),
            idf=arr("idf"),
            stmt_org=arr("stmt_org"),
            stmt_side=arr("stmt_side"),
            stmt_first=arr("stmt_first"),
            stmt_evidence=arr("stmt_evidence"),
            statements=csr("statements", (n_stmt, n_terms)),
            org_vectors=(csr("cap", (n_orgs, n_terms)), csr("need", (n_orgs, n_terms))),
            org_norms=arr("org_norms"),
            postings=(csr("cap_t", (n_terms, n_orgs)), csr("need_t", (n_terms, n_orgs))),
            country=arr("country"),
            kind=arr("kind"),
            city=arr("city"),
            name_keys=arr("name_keys"),
            name_rows=arr("name_rows"),
            weighting=meta["weighting"],
            links=csr("links", (n_orgs, n_orgs)),
            tag_postings=csr("tags_t", (meta["tags"], n_orgs)),
            tag_names=LazyJsonList(folder / "tag_names.json"),
            stmt_tags=csr("stmt_tags", (n_stmt, meta["tags"])),
            model=meta["model"],
            common_df=meta["common_df"],
            common_norms=arr("common_norms"),
            docs=docs,
            names=Strings(arr("names.bin"), arr("names.off")),
            stored_groups=(arr("group_terms"), arr("group_norms")),
        )
    except StoreError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StoreError(
            f"The stored index in {folder} is unreadable ({exc}). Delete the folder to rebuild it."
        ) from None
    return index, problems


def is_store(folder: Path) -> bool:
    """True when ``folder`` is a profile store written by ``save_index(..., store=...)``."""
    try:
        meta = json.loads((Path(folder) / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and bool(meta.get("store"))


def cache_root() -> Path:
    """Where cached indexes live: $MATCHER_CACHE_DIR, else $XDG_CACHE_HOME/matcher, else ~/.cache/matcher."""
    if os.environ.get(ENV_CACHE):
        return Path(os.environ[ENV_CACHE])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "matcher"


def fingerprint(folder: Path) -> str:
    """Changes whenever a profile file is added, removed, renamed or rewritten (name, size, times, inode)."""
    h = hashlib.sha256(f"{FORMAT}:{__version__}:{CACHE_SALT}".encode())
    for path in profile_files(folder):
        try:
            st = path.stat()
        except OSError:  # a broken link or a loop of links: it does not load; its link changing counts
            try:
                st = path.lstat()
            except OSError:  # gone since the folder was listed
                continue
        h.update(f"{path.name}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0{st.st_ino}\n".encode())
    return h.hexdigest()[:24]


def cache_folder(location: Path) -> Path:
    """The cache folder for one profiles folder (one per folder; it holds the index of one fingerprint)."""
    digest = hashlib.sha256(str(Path(location).resolve()).encode()).hexdigest()[:16]
    return cache_root() / digest
