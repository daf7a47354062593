"""The streaming store build writes what ``save_index(build_index(...))`` writes, array for array."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from matcher.index import spill
from matcher.index import terms as streaming_terms
from matcher.index.build import build_index
from matcher.index.store import load_index, save_index
from matcher.index.stream import build_store
from matcher.profiles.load import load_folder
from matcher.profiles.model import Profile

ROOT = Path(__file__).resolve().parents[1]


def synthetic():
    spec = importlib.util.spec_from_file_location("synthetic", ROOT / "benchmarks" / "synthetic.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def differences(a: Path, b: Path) -> list[str]:
    """Every file of two stores that differs: arrays by dtype, shape and value, JSON by content."""
    names_a, names_b = {p.name for p in a.iterdir()}, {p.name for p in b.iterdir()}
    out = sorted(names_a ^ names_b)
    for name in sorted(names_a & names_b):
        if name.endswith(".npy"):
            x, y = np.load(a / name), np.load(b / name)
            if x.dtype != y.dtype or x.shape != y.shape or not np.array_equal(x, y):
                out.append(name)
        elif json.loads((a / name).read_text(encoding="utf-8")) != json.loads((b / name).read_text(encoding="utf-8")):
            out.append(name)
    return out


def both(tmp_path, profiles, *, chunk, texts=None, workers=None, **options) -> list[str]:
    save_index(build_index(profiles, texts=texts, **options), tmp_path / "ref", store={"test": 1})
    build_store(
        iter(profiles), tmp_path / "new", texts=texts, chunk=chunk, workers=workers, store={"test": 1}, **options
    )
    return differences(tmp_path / "ref", tmp_path / "new")


def test_a_10k_synthetic_store_is_bit_identical(tmp_path):
    profiles = synthetic().profiles(10_000, seed=3)
    assert both(tmp_path, profiles, chunk=1_500) == []
    vocabulary = list(load_index(tmp_path / "new")[0].terms)
    assert len(vocabulary) > 100_000 and vocabulary == sorted(vocabulary)


def test_rare_terms_are_pruned_alike(tmp_path, monkeypatch):
    """min_df=2 drops the terms of one text only, whichever chunk the second text holding a term is in,
    and however often the running counts are merged."""
    monkeypatch.setattr(streaming_terms, "DF_MERGE", 5_000)
    profiles = synthetic().profiles(1_500, seed=4)
    assert both(tmp_path, profiles, chunk=400, min_df=2) == []
    terms = list(load_index(tmp_path / "new")[0].terms)
    assert terms == list(build_index(profiles, min_df=2).terms) and len(terms) < len(build_index(profiles).terms)


def test_bundled_profiles_in_every_language_with_quotes_and_partners(tmp_path):
    """Chinese, Russian and Hungarian statements, aliases, partners found by name and the best-fitting
    quote of each statement, over chunks of three profiles."""
    profiles = load_folder(ROOT / "profiles").profiles
    assert len(profiles) > 20 and any(p.sources for p in profiles) and any(p.partners for p in profiles)
    assert both(tmp_path, profiles, chunk=3) == []
    index, _ = load_index(tmp_path / "new")
    assert (index.stmt_evidence >= 0).any() and len(index.links.data) > 0


def shared(n: int) -> list[Profile]:
    """Profiles that repeat each other's statements: joint projects across chunks, and one text read
    both in a declared language and detected."""
    texts = [f"sensor fusion number{i} drone mapping lidar" for i in range(5)]
    out = []
    for i in range(n):
        out.append(
            Profile(
                name=f"Org {i}",
                country="HU",
                kind="company",
                capabilities=(texts[i % 5], texts[(i * 3 + 1) % 5], f"own work item{i} battery"),
                needs=(texts[(i + 2) % 5],),
                language="hu" if i % 4 == 0 else None,
            )
        )
    return out


@pytest.mark.parametrize("cache", [0, 2, 1000])
@pytest.mark.parametrize("workers", [1, 2])
def test_repeated_texts_count_once_whatever_is_cached(tmp_path, monkeypatch, cache, workers):
    """In one process or with workers (chunks analysed out of step with the cache), the same store."""
    monkeypatch.setattr(streaming_terms, "TEXT_CACHE", cache)
    assert both(tmp_path, shared(23), chunk=4, workers=workers) == []


def test_bm25_documents_tags_and_aligned_sources(tmp_path):
    """The options the CORDIS import uses: BM25 weights split over statements, statement documents,
    tags per organisation and per statement, links given, the k-th quote backing the k-th capability."""
    profiles = shared(17)
    full = [[c + " with a longer summary of work" for c in p.capabilities] for p in profiles]
    options = dict(
        weighting="bm25",
        links=[(0, 1, 2.0), (3, 0, 1.0)],
        tags=[(o, f"programme:P{o % 3}", 1.0 + o % 2) for o in range(17)],
        statement_tags=[(o, 0, f"call:C{o % 4}") for o in range(17)],
        model={"weights": {"text": 1.0}},
        min_df=2,
        aligned_sources=True,
        documents=True,
    )
    assert both(tmp_path, profiles, chunk=5, texts=full, **options) == []
    docs = load_index(tmp_path / "new")[0].docs
    assert docs is not None and docs.vectors.shape[0] < sum(len(p.capabilities) + len(p.needs) for p in profiles)


def test_a_failed_build_leaves_nothing_and_keeps_the_old_store(tmp_path):
    profiles = shared(9)
    build_store(iter(profiles), tmp_path / "store", chunk=4)
    before = {p.name: p.read_bytes() for p in (tmp_path / "store").iterdir()}

    def broken():
        yield from profiles[:6]
        raise OSError("disk went away")

    with pytest.raises(OSError, match="disk went away"):
        build_store(broken(), tmp_path / "store", chunk=4)
    assert {p.name: p.read_bytes() for p in (tmp_path / "store").iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["store"]


def test_progress_counts_each_pass(tmp_path):
    seen = []
    summary = build_store(iter(shared(10)), tmp_path / "s", chunk=4, progress=seen.append)
    assert seen == [4, 4, 2, 4, 4, 2]
    assert summary["organisations"] == 10 and summary["statements"] == 40
    assert set(summary["seconds"]) >= {"read", "vocabulary", "vectorise", "postings", "norms"}


def test_a_broken_profile_in_a_worker_run_stops_the_build(tmp_path):
    """A profile whose texts do not fit its capabilities stops the build with what is wrong, workers and
    all, and writes nothing."""
    profiles = shared(9)
    texts = [list(p.capabilities) for p in profiles]
    texts[7] = texts[7][:1]
    with pytest.raises(ValueError, match=r"texts\[7\] has 1 texts for 3 capabilities"):
        build_store(iter(profiles), tmp_path / "s", texts=texts, chunk=4, workers=2)
    assert list(tmp_path.iterdir()) == []


def test_appended_arrays_read_back(tmp_path):
    out = spill.NpyWriter(tmp_path / "a.npy", np.float32, (2,))
    out.append(np.arange(6, dtype=np.float32).reshape(3, 2))
    out.append(np.ones((1, 2), dtype=np.float32))
    out.close()
    got = np.load(tmp_path / "a.npy", mmap_mode="r")
    assert got.shape == (4, 2) and got[2, 1] == 5.0 and got[3, 0] == 1.0
    assert out.read(1, 2).tolist() == [[2.0, 3.0], [4.0, 5.0]]


def test_strings_tables_read_one_at_a_time(tmp_path):
    from matcher.index.store import Strings, write_strings

    items = ["laser", "беспилотник", "无人机", "", "Győr"]
    write_strings(tmp_path, "t", items)
    table = Strings(np.load(tmp_path / "t.bin.npy", mmap_mode="r"), np.load(tmp_path / "t.off.npy"))
    assert len(table) == 5 and table[1] == "беспилотник" and table[-1] == "Győr" and table[3] == ""
    assert list(table) == items and table[1:3] == items[1:3]
    with pytest.raises(IndexError):
        table[5]
