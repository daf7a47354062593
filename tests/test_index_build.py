"""Building an index: the streaming store build writes what ``save_index(build_index(...))`` writes, array for
array; statement documents; norms over common terms."""

from __future__ import annotations

import functools
import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.index import spill
from matcher.index import terms as streaming_terms
from matcher.index.build import build_index
from matcher.index.model import Index
from matcher.index.store import load_index, save_index
from matcher.index.stream import build_store
from matcher.profiles.load import load_folder
from matcher.profiles.model import Profile
from matcher.ranking.signals import statement_similarity

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


R = 1 / math.sqrt(2)


def _index(profiles, **kw) -> Index:
    return build_index(profiles, weighting="bm25", min_df=1, documents=True, **kw)


@functools.cache
def _zipf_index_60(zipf_profiles):
    return build_index(zipf_profiles(60, 80, (5, 15), 7, capabilities=2, no_needs_every=5), common_df=4)


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


def test_documents_are_distinct_texts_on_single_words(small):
    docs = small.docs
    assert docs.vectors.shape[0] == 3  # "hydrogen storage" is one document for both organisations
    assert all(" " not in small.terms[t] for t in docs.vectors.indices)  # word pairs carry no weight
    np.testing.assert_allclose(docs.vectors.data, R, rtol=1e-6)
    # Xeno's two documents share no word: the norm of their sum is sqrt 2
    np.testing.assert_allclose(docs.norms, [math.sqrt(2), 1.0, 1.0])


def test_documents_survive_the_store(small, tmp_path):
    save_index(small, tmp_path / "store")
    loaded, _ = load_index(tmp_path / "store")
    for text in ("hydrogen", "battery recycling"):
        got = statement_similarity(loaded, loaded.doc_vector(text))
        want = statement_similarity(small, small.doc_vector(text))
        np.testing.assert_array_equal(got, want)


def test_documents_do_not_depend_on_the_organisation_weighting(small):
    tfidf = build_index(small.profiles, weighting="tfidf", min_df=1, documents=True)
    for name in ("vectors", "postings"):
        a, b = getattr(tfidf.docs, name), getattr(small.docs, name)
        np.testing.assert_array_equal(a.indptr, b.indptr)
        np.testing.assert_array_equal(a.indices, b.indices)
        np.testing.assert_allclose(a.data, b.data, rtol=1e-6)
    np.testing.assert_allclose(tfidf.docs.norms, small.docs.norms)


def test_documents_of_texts_without_a_content_word():
    index = _index([Profile("Empty", "DE", "company", capabilities=("the and of",))])
    assert index.docs.vectors.shape == (1, 0)
    closest, together = statement_similarity(index, index.doc_vector("hydrogen"))
    assert closest.tolist() == [0.0] and together.tolist() == [0.0]


def test_group_norms_known_answer():
    """Common terms are dealt into groups by document frequency; each organisation gets its norm per group."""
    from scipy import sparse

    from matcher.index.vectors import Csr, group_norms

    m = sparse.csr_matrix(np.array([[3.0, 0, 4, 0], [0, 1, 0, 0]], dtype=np.float32))
    vectors = (Csr.from_scipy(m), Csr.from_scipy(m))
    postings = (Csr.from_scipy(m.T.tocsr()), Csr.from_scipy(m.T.tocsr()))
    term_group, norms = group_norms(vectors, postings, cutoff=0, groups=2)
    assert term_group.tolist() == [[0, 1, 0, -1], [0, 1, 0, -1]]  # term 3 is held by nobody: not common
    assert norms[:, 0].tolist() == [[5.0, 0.0], [0.0, 1.0]]


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 59), st.integers(0, 59), st.integers(1, 8))
def test_group_norms_bound_the_common_part(zipf_profiles, a, b, groups):
    """Per group, the query's norm times the partner's bounds their common part (Cauchy-Schwarz); summed
    over groups, it is never looser than the one norm over all common terms."""
    from matcher.index.vectors import group_norms

    index = _zipf_index_60(zipf_profiles)
    term_group, norms = group_norms(index.org_vectors, index.postings, index.common_df, groups)
    terms, weights = index.vector(a, 1)  # a's needs against b's capabilities
    common = term_group[0, terms] >= 0
    q = np.zeros(groups)
    np.add.at(q, term_group[0, terms[common]], np.square(weights[common], dtype=np.float64))
    q = np.sqrt(q)
    cap = dict(zip(*index.vector(b, 0)))
    exact = sum(float(w) * float(cap.get(t, 0.0)) for t, w in zip(terms[common], weights[common]))
    grouped = float(q @ norms[b, 0])
    one_norm = float(np.linalg.norm(weights[common].astype(np.float64)) * index.common_norms[0, b])
    assert exact <= grouped * (1 + 1e-9)
    assert grouped <= one_norm * (1 + 1e-6)


def test_float32_common_norms_are_rounded_up(zipf_profiles):
    """The compiled query's float32 copy of the common norms still bounds (it is rounded up)."""
    index = build_index(zipf_profiles(100, 150, (5, 15), 4, capabilities=2, no_needs_every=4), common_df=5)
    assert index.norms_by_org.dtype == np.float32
    assert np.all(index.norms_by_org >= index.common_norms.T)
    assert np.allclose(index.norms_by_org, index.common_norms.T, rtol=1e-6)


def test_stored_index_keeps_its_group_norms_and_names(zipf_profiles, tmp_path):
    """A stored index opens with the group norms and names it was built with, without summing them again."""
    from matcher.index.store import load_index, save_index

    index = _zipf_index_60(zipf_profiles)
    save_index(index, tmp_path / "store")
    stored, _ = load_index(tmp_path / "store")
    assert stored.stored_groups is not None
    assert all(np.array_equal(x, y) for x, y in zip(stored.group_norms, index.group_norms))
    assert stored.group_norms[1].any()
    assert list(stored.names) == [p.name for p in index.profiles]
