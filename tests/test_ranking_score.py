"""Reciprocal scores and the exact top-k, on the numpy and the compiled engine, pruned or not."""

from __future__ import annotations

import functools
import math
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.index.build import build_index
from matcher.profiles.model import Profile
from matcher.ranking.score import MUTUALITY, combine, pair_scores, reciprocal_top, top_k

from .support import ENGINES, needs_numba, profile_sets

WORDS = [f"w{i}" for i in range(25)]


@st.composite
def random_profiles(draw):
    n = draw(st.integers(3, 30))
    statement = st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(" ".join)
    return [
        Profile(
            name=f"O{i}",
            country="CN",
            kind="company",
            capabilities=tuple(draw(st.lists(statement, min_size=1, max_size=3))),
            needs=tuple(draw(st.lists(statement, max_size=3))),
        )
        for i in range(n)
    ]


def brute_force(index):
    """``top(a, allowed, k)``: the k best allowed organisations for ``a`` by a dense computation of every
    pair, ties by row, with every organisation's score."""
    cap = index.org_vectors[0].to_scipy().toarray().astype(np.float64)
    need = index.org_vectors[1].to_scipy().toarray().astype(np.float64)
    forward = need @ cap.T  # forward[a, b]: b's capabilities against a's needs

    def top(a, allowed, k):
        scores, _, _ = combine(forward[a], forward[:, a], index.has_needs[a], index.has_needs)
        scores[~allowed] = 0
        want = np.lexsort((np.arange(len(scores)), -scores))[:k]
        return want[scores[want] > 1e-12], scores

    return top


def set_prune_min(monkeypatch, n: int) -> None:
    """Prune from ``n`` organisations up, on either engine."""
    import matcher.ranking.score as score

    monkeypatch.setattr(score, "PRUNE_MIN", n)
    monkeypatch.setattr(score, "COMPILED_PRUNE_MIN", n)


def pruned(index, a, k, allowed, compiled):
    """The pruned query alone, numpy or compiled: None where it would fall back to reading everything."""
    import matcher.ranking.score as score

    if not compiled:
        return score._pruned_top(index, a, k, allowed)
    budget = score.prune_budget(index.n_orgs)
    kernel = score.compiled_kernel()
    return kernel.reciprocal_top(index, a, k, allowed, mutuality=score.MUTUALITY, prune=True, budget=budget, step=0.7)


side_scores = st.one_of(st.just(0.0), st.floats(1e-90, 1))


@functools.cache
def _zipf_index_60(zipf_profiles):
    return build_index(zipf_profiles(60, 80, (5, 15), 7, capabilities=2, no_needs_every=5), common_df=4)


@settings(max_examples=40, deadline=None)
@given(random_profiles(), st.integers(1, 12))
def test_top_k_equals_brute_force(profiles, k):
    """Inverted-index scores and top-k equal a dense computation of the same score over every pair."""
    index = build_index(profiles)
    cap = index.org_vectors[0].to_scipy().toarray()
    need = index.org_vectors[1].to_scipy().toarray()
    has_needs = index.has_needs
    forward = need @ cap.T  # forward[a, b]: b's capabilities against a's needs
    for a in range(len(profiles)):
        brute, _, _ = combine(forward[a], forward[:, a], has_needs[a], has_needs)
        score, _, _, _ = pair_scores(index, a)
        assert np.allclose(score, brute, atol=1e-6)
        candidates = np.array([b for b in range(len(profiles)) if b != a])
        got = top_k(score, k, candidates)
        best = np.sort(brute[candidates][brute[candidates] > 1e-9])[::-1][:k]
        assert np.allclose(brute[got], best, atol=1e-6)  # the k truly best scores, in order
        assert np.all(np.diff(score[got]) <= 0)


@pytest.mark.parametrize("compiled", ENGINES)
@settings(max_examples=60, deadline=None)
@given(random_profiles(), st.integers(1, 12), st.randoms(use_true_random=False))
def test_reciprocal_top_equals_brute_force(compiled, profiles, k, rnd):
    """The candidate-restricted top-k returns the k best allowed organisations of the dense score, tie order by row."""
    index = build_index(profiles)
    cap = index.org_vectors[0].to_scipy().toarray().astype(np.float64)
    need = index.org_vectors[1].to_scipy().toarray().astype(np.float64)
    has_needs = index.has_needs
    forward = need @ cap.T
    n = len(profiles)
    for a in range(n):
        brute, _, _ = combine(forward[a], forward[:, a], has_needs[a], has_needs)
        allowed = np.array([rnd.random() < 0.7 for _ in range(n)])
        allowed[a] = False
        rows, score, f, b = reciprocal_top(index, a, k, allowed, compiled=compiled)
        assert allowed[rows].all()
        want = sorted((b_ for b_ in range(n) if allowed[b_] and brute[b_] > 1e-9), key=lambda r: (-brute[r], r))
        assert np.allclose(score, brute[want[:k]], atol=1e-6)
        assert np.allclose(f, forward[a, rows], atol=1e-6) and np.allclose(b, forward[rows, a], atol=1e-6)
        assert np.allclose(brute[rows], score, atol=1e-6)  # each row really has the score it is given


@pytest.mark.parametrize("compiled", ENGINES)
def test_reciprocal_top_is_exact_on_zipfian_profiles(zipf_profiles, compiled):
    """With very common and rare words (long and short postings), every organisation's top 10 is the
    brute-force top 10, in the same order."""
    index = build_index(zipf_profiles(300, 400, (8, 20), 7, capabilities=2, no_needs_every=5))
    brute_force_top = brute_force(index)
    for a in range(300):
        allowed = np.ones(300, bool)
        allowed[a] = False
        want, brute = brute_force_top(a, allowed, 10)
        rows, score, _, _ = reciprocal_top(index, a, 10, allowed, compiled=compiled)
        assert list(rows) == list(want)
        assert np.allclose(score, brute[want], atol=1e-9)


@given(
    st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1), st.floats(0, 1), st.booleans()), min_size=1),
    st.booleans(),
)
def test_upper_combine_bounds_the_score(rows, fdef):
    """Upper bounds of both sides give an upper bound of the combined score, whatever their balance."""
    from matcher.ranking.score import _upper_combine

    f, b, f_up, b_up, has_needs = (np.array(x) for x in zip(*rows))
    f_up, b_up = np.maximum(f, f_up), np.maximum(b, b_up)
    b, b_up = np.where(has_needs, b, 0.0), np.where(has_needs, b_up, 0.0)  # no needs: nothing to meet
    score, _, _ = combine(f, b, fdef, has_needs)
    bound = _upper_combine(f_up.copy(), b_up.copy(), fdef, (~has_needs).astype(float))
    assert np.all(bound >= score - 1e-12)
    assert np.allclose(bound, combine(f_up, b_up, fdef, has_needs)[0])  # and no looser than it must be


@pytest.mark.parametrize("compiled", ENGINES)
@pytest.mark.parametrize("common_df", [3, 15, 60])
def test_pruned_top_is_exact(zipf_profiles, common_df, compiled, monkeypatch):
    """Skipping the postings of common terms, bounded instead, gives the brute-force top 10 in order,
    whatever share of the terms is common, with random organisations left out. The compiled query walks
    the 300 organisations in segments of 64, as it walks a large index in segments."""
    import matcher.ranking.score as score

    set_prune_min(monkeypatch, 0)
    if compiled:
        monkeypatch.setattr(score.compiled_kernel(), "SEGMENT", 64)
    profiles = zipf_profiles(300, 400, (8, 20), 11, capabilities=2, no_needs_every=5)
    index = build_index(profiles, common_df=common_df)
    assert 0 < index.common_norms.max() < 1  # some terms are common, none holds a whole vector
    brute_force_top = brute_force(index)
    rng = np.random.default_rng(common_df)
    n_pruned = 0
    for a in range(0, 300, 3):
        allowed = rng.random(300) < 0.8
        allowed[a] = False
        want, brute = brute_force_top(a, allowed, 10)
        rows, got, _, _ = reciprocal_top(index, a, 10, allowed, compiled=compiled)
        assert list(rows) == list(want)
        assert np.allclose(got, brute[want], atol=1e-12)
        n_pruned += pruned(index, a, 10, allowed, compiled) is not None
    assert n_pruned > 50  # the bounds did prune: most queries never fell back to reading everything
    if compiled:  # and each query left its working arrays as it found them: a stale sum would only loosen
        scratch = score.compiled_kernel()._scratch.arrays  # the next query's bounds, unseen in its results
        assert not scratch.acc32.any() and not scratch.seen.any() and (scratch.slots_f == -1).all()


@pytest.mark.parametrize("compiled", ENGINES)
@settings(max_examples=40, deadline=None)
@given(random_profiles(), st.integers(1, 12), st.integers(0, 5), st.integers(1, 8), st.randoms(use_true_random=False))
def test_pruned_top_equals_brute_force_on_random_profiles(compiled, profiles, k, common_df, block, rnd):
    """Tiny vocabularies, organisations without needs, ties and few candidates: exact all the same,
    whatever the size of the compiled query's blocks of organisations."""
    from matcher.index.vectors import norm_blocks

    index = build_index(profiles, common_df=common_df)
    index.__dict__["norm_blocks"] = norm_blocks(index.norms_by_org.T.astype(np.float64), index.has_needs, block)
    brute_force_top = brute_force(index)
    n = len(profiles)
    for a in range(n):
        allowed = np.array([rnd.random() < 0.7 for _ in range(n)])
        allowed[a] = False
        found = pruned(index, a, k, allowed, compiled)
        if found is None:
            continue  # the caller reads every postings list instead
        want, brute = brute_force_top(a, allowed, k)
        assert list(found[0]) == list(want)
        assert np.allclose(found[1], brute[want], atol=1e-12)


@pytest.mark.parametrize("compiled", ENGINES)
def test_pruned_top_without_needs_anywhere_ranks_nobody(zipf_profiles, compiled):
    """A store of past projects lists capabilities only: nobody meets anybody's needs, and the pruned
    query says so at once instead of falling back to reading everything."""
    profiles = zipf_profiles(50, 80, (5, 10), 2, capabilities=2, no_needs_every=1)
    index = build_index(profiles, common_df=5)
    assert not index.has_needs.any()
    rows, got, _, _ = pruned(index, 0, 10, None, compiled)
    assert len(rows) == 0 and len(got) == 0


def test_row_dot_products_are_bit_identical_to_postings_traversal(zipf_profiles):
    """Scoring chosen rows from the matrix sums the same products in the same order as the postings."""
    from matcher.index.vectors import dot_all, dot_rows

    index = build_index(zipf_profiles(60, 100, (3, 15), 5, capabilities=2, no_needs_every=3))
    rows = np.array([5, 0, 59, 17, 17, 30])
    for a in range(60):
        query = index.vector(a, 1)
        assert np.array_equal(dot_rows(query, index.org_vectors[0], rows), dot_all(query, index.postings[0])[rows])


@needs_numba
def test_hints_floor_the_pruned_query_exactly(zipf_profiles):
    """A seeker's hints (scores its earlier partners found with it) floor its pruned query: a floor at the
    true k-th best score changes nothing; a floor above it (never a real hint) loses partners, so the
    floor is really used. A whole batch with hints gives what it gives without."""
    import matcher.ranking.score as score

    kernel = score.compiled_kernel()
    index = build_index(zipf_profiles(300, 400, (8, 20), 11, capabilities=2, no_needs_every=5), common_df=15)
    n, k = index.n_orgs, 5
    run = functools.partial(
        kernel.top_of_each, index, k=k, exclude=None, mutuality=MUTUALITY, prune=True, budget=n, step=0.7
    )
    everyone = run(np.arange(n))
    with_hints = run(np.arange(n), hints=np.zeros((n, k)))
    assert all(np.array_equal(x, y) for x, y in zip(everyone, with_hints))
    a = 7
    theta = everyone[1][a, k - 1]
    assert theta > 0
    for floor, same in ((theta, True), (theta * 1.5, False)):
        hints = np.full((n, k), floor)
        got = run(np.array([a]), hints=hints)
        assert np.array_equal(got[0][0, : got[4][0]], everyone[0][a, : everyone[4][a]]) == same


@needs_numba
@pytest.mark.parametrize("prune", [False, True])
def test_compiled_query_is_bit_identical_to_numpy(zipf_profiles, prune, monkeypatch):
    """Same rows, and the same scores and sides to the last bit, whichever engine runs the query."""
    import matcher.ranking.score as score
    from matcher.ranking import kernels as _kernels

    assert (_kernels._SAFETY, _kernels._TINY) == (score._SAFETY, score._TINY)
    set_prune_min(monkeypatch, 0 if prune else 10**9)
    index = build_index(zipf_profiles(200, 300, (8, 20), 13, capabilities=2, no_needs_every=4), common_df=12)
    rng = np.random.default_rng(1)
    for a in range(200):
        allowed = rng.random(200) < 0.9
        allowed[a] = False
        numpy_top = reciprocal_top(index, a, 10, allowed, compiled=False)
        compiled_top = reciprocal_top(index, a, 10, allowed, compiled=True)
        for x, y in zip(numpy_top, compiled_top):
            assert np.array_equal(x, y)


@needs_numba
@settings(deadline=None)  # the first example compiles
@given(
    st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1), st.booleans()), min_size=1),
    st.floats(0, 1),
    st.floats(0, 1),
    st.booleans(),
)
def test_compiled_block_bound_bounds_every_member(members, f_max, b_max, fdef):
    """A block's bound, from its largest norms and whether some members list needs and some none, is at
    least the score of every member whose sides are at most those largest ones."""
    from matcher.ranking.kernels import _upper

    f_max = max([f_max] + [f for f, _, _ in members])
    b_max = max([b_max] + [b for _, b, _ in members])
    some_needs, some_without = any(h for *_, h in members), not all(h for *_, h in members)
    bound = _upper(f_max, b_max, fdef, some_needs, some_without, MUTUALITY)
    for f, b, has_needs in members:
        member, _, _ = combine(f, b if has_needs else 0.0, fdef, has_needs)
        assert bound >= member - 1e-12


@needs_numba
@settings(deadline=None)  # the first example compiles
@given(
    st.lists(st.tuples(st.floats(2.0**-20, 1, width=32), st.floats(2.0**-20, 1, width=32)), min_size=1, max_size=200)
)
def test_compiled_rare_parts_in_float32_are_widened_above_the_exact_sum(products):
    """The pruned query adds rare parts in float32; widened, each is still at least the exact sum."""
    from matcher.ranking.kernels import Sparse, _rare_terms, _scatter_segment, _widen

    weights, data = (np.array(x, dtype=np.float32) for x in zip(*products))
    n = len(products)
    terms = np.arange(n, dtype=np.int32)  # term i: one posting, organisation 0, value data[i]
    acc = np.zeros((1, 2), dtype=np.float32)
    seen = np.zeros(1, dtype=np.uint64)
    postings = Sparse(np.arange(n + 1), np.zeros(n, np.int32), data)
    rare, w, cursor, common = _rare_terms(terms, weights, postings, n, np.zeros(n, np.int16), np.zeros(1))
    _scatter_segment(rare, w, cursor, postings, 1, acc, 0, seen)
    exact = sum(float(w) * float(d) for w, d in zip(weights, data))
    assert len(rare) == n and common == 0 and seen[0] == 1
    assert float(acc[0, 0]) * _widen(len(rare)) >= exact
    assert float(acc[0, 0]) / _widen(len(rare)) <= exact  # and narrowed, a lower bound (the query's floor)


@needs_numba
@settings(deadline=None)  # the first example compiles
@given(side_scores, side_scores, st.booleans(), st.booleans(), st.floats(0, 4))
def test_sum_of_sides_bounds_the_score(f, b, fdef, bdef, m):
    """The pruned query drops an organisation whose sides, times ``_sum_share``, add up to less than its
    floor: that must be an upper bound of the score, for every mutuality from 0 (even past 1)."""
    from matcher.ranking.kernels import _combine, _sum_share

    assert (f + b) * _sum_share(fdef, bdef, m) >= _combine(f, b, fdef, bdef, m) * (1 - 1e-15)


def test_unusable_numba_falls_back_to_numpy_with_a_warning(monkeypatch):
    """numba installed but failing at import (as it does with no writable folder for its cache): the
    numpy engine runs, with a warning that says why."""
    import matcher.ranking
    import matcher.ranking.score as score

    class Broken:
        def __getattr__(self, name):
            raise RuntimeError("cannot cache function: no locator available")

    monkeypatch.setitem(sys.modules, "numba", Broken())
    for module in ("kernels", "compiled"):
        monkeypatch.delitem(sys.modules, f"matcher.ranking.{module}", raising=False)
        monkeypatch.delattr(matcher.ranking, module, raising=False)
    with pytest.warns(RuntimeWarning, match="no locator available.*using numpy"):
        assert score.compiled_kernel() is None


@pytest.mark.parametrize("compiled", ENGINES)
@pytest.mark.parametrize("prune_min", [0, 10**9])
def test_asking_for_no_partners_gives_none(zipf_profiles, compiled, prune_min, monkeypatch):
    """k = 0 (or less) ranks nobody, on either engine, pruned or not."""

    set_prune_min(monkeypatch, prune_min)
    index = build_index(zipf_profiles(40, 60, (5, 10), 1, capabilities=1, no_needs_every=3), common_df=3)
    for k in (0, -1):
        assert all(len(x) == 0 for x in reciprocal_top(index, 0, k, compiled=compiled))


def test_compiled_query_without_numba_says_how_to_get_it(zipf_profiles, monkeypatch):
    """Asking for the compiled query where numba is missing is an error that says what to install;
    by default the numpy query runs instead."""
    import matcher.ranking.score as score

    monkeypatch.setattr(score, "compiled_kernel", lambda: None)
    index = build_index(zipf_profiles(30, 60, (5, 10), 1, capabilities=1, no_needs_every=3))
    with pytest.raises(ImportError, match="pip install numba"):
        reciprocal_top(index, 0, 5, compiled=True)
    assert np.array_equal(reciprocal_top(index, 0, 5)[0], reciprocal_top(index, 0, 5, compiled=False)[0])


@needs_numba
def test_compiled_group_sums_are_bit_identical_to_numpy(zipf_profiles):
    """The compiled query sums the group norms compiled: the same sums as numpy's, to the last bit."""
    from matcher.index.vectors import group_norms, group_sums
    from matcher.ranking import kernels as _kernels

    index = _zipf_index_60(zipf_profiles)
    v = index.org_vectors[0]
    term_group = np.where(np.arange(v.shape[1]) % 3 == 0, -1, np.arange(v.shape[1]) % 5).astype(np.int16)
    want = group_sums(v.indptr, v.indices, v.data, term_group, 5, chunk=7)  # several chunks
    assert want.any()
    assert np.array_equal(_kernels.group_sums(v.indptr, v.indices, v.data, term_group, 5), want)
    fast = group_norms(index.org_vectors, index.postings, index.common_df, sums=_kernels.group_sums)
    slow = group_norms(index.org_vectors, index.postings, index.common_df)
    assert all(np.array_equal(x, y) for x, y in zip(fast, slow))


def test_combine_one_sided_below_mutual_of_same_strength():
    mutual, _, _ = combine(0.2, 0.2, True, True)
    one_sided, _, _ = combine(0.4, 0.0, True, True)
    assert one_sided < mutual


@given(st.floats(0, 1), st.floats(0, 1), st.booleans(), st.booleans())
def test_combine_is_bounded_and_decomposes(f, b, fdef, bdef):
    score, fw, bw = combine(f, b, fdef, bdef)
    assert 0 <= score <= 1 + 1e-12
    assert score == pytest.approx(f * fw + b * bw)
    if fdef and bdef:
        assert score == pytest.approx(float(combine(b, f, True, True)[0]))


@settings(max_examples=40, deadline=None)
@given(profile_sets())
def test_scores_are_symmetric(profiles):
    """A's score for B equals B's score for A when both list needs."""
    index = build_index(profiles)
    has_needs = index.has_needs
    full = np.array([pair_scores(index, a)[0] for a in range(len(profiles))])
    both = np.outer(has_needs, has_needs)
    assert np.allclose(full[both], full.T[both], atol=1e-6)
    assert np.all((full >= 0) & (full <= 1 + 1e-6))
    assert not any(math.isnan(x) for x in full.ravel())
