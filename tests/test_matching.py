import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.explanations.matching import Matcher
from matcher.index.build import build_index
from matcher.profiles.load import load_folder
from matcher.profiles.model import Profile
from matcher.ranking.ranker import Filters
from matcher.ranking.score import combine, pair_scores

from .conftest import write_profile


def matcher_for(folder):
    return Matcher.from_profiles(load_folder(folder).profiles)


def test_known_ranking(tiny):
    result = matcher_for(tiny).match("Alpha")
    got = [(m.name, round(m.score, 6), m.forward, m.backward) for m in result.matches]
    assert got == [
        ("Beta", 1.0, pytest.approx(1.0), pytest.approx(1.0)),
        ("Epsilon", 1.0, pytest.approx(1.0), None),
        ("Gamma", 0.25, pytest.approx(1.0), pytest.approx(0.0)),
    ]
    assert result.candidates == 4


def test_mutual_and_one_sided_flags(tiny):
    by_name = {m.name: m for m in matcher_for(tiny).match("Alpha").matches}
    assert by_name["Beta"].explanation.mutual
    assert not by_name["Gamma"].explanation.mutual
    assert not by_name["Epsilon"].explanation.backward.defined  # Epsilon lists no needs


def test_filters(tiny):
    m = matcher_for(tiny)
    names = lambda **kw: [x.name for x in m.match("Alpha", filters=Filters.make(**kw)).matches]  # noqa: E731
    assert names(countries=["ru"]) == ["Beta", "Gamma"]
    assert names(exclude_countries=["RU"]) == ["Epsilon"]
    assert names(kinds=["university"]) == ["Gamma"]
    assert names(min_score=0.5) == ["Beta", "Epsilon"]
    assert [x.name for x in m.match("Alpha", top=1).matches] == ["Beta"]


def test_allowed_rows_leave_out_itself_and_with_new_only_its_partners():
    """Organisation 0 worked with 2, organisation 3 with 1 and 2: the masks say so, row by row, and each
    row is what ``allowed`` gives for that organisation alone."""
    profiles = [Profile(name=f"O{i}", country="CN", kind="company", capabilities=("laser scanning",)) for i in range(4)]
    m = Matcher(build_index(profiles, links=[(0, 2, 1.0), (3, 1, 2.0), (3, 2, 1.0)]))
    orgs = np.array([0, 3])
    r = m.ranking
    assert r.allowed_rows(orgs).tolist() == [[False, True, True, True], [True, True, True, False]]
    assert r.allowed_rows(orgs, new_only=True).tolist() == [
        [False, True, False, True],
        [True, False, False, False],
    ]
    for new_only in (False, True):
        for i, a in enumerate(orgs):
            assert r.allowed(int(a), new_only=new_only).tolist() == r.allowed_rows(orgs, new_only)[i].tolist()


def test_lookup_by_alias_and_case(tiny):
    m = matcher_for(tiny)
    assert m.names.get("alpha labs").name == "Alpha"
    assert m.names.get("  BETA ").name == "Beta"


def test_unknown_name_suggests(tiny):
    from matcher.errors import UnknownOrganisation

    with pytest.raises(UnknownOrganisation) as exc:
        matcher_for(tiny).names.find("Alpah")
    assert exc.value.suggestions == ["Alpha"]
    assert "Did you mean 'Alpha'?" in str(exc.value)


def test_explanation_names_the_statements_and_terms(tiny):
    m = matcher_for(tiny).explain("Alpha", "Beta")
    pair = m.explanation.forward.pairs[0]
    assert (pair.need, pair.capability) == ("laser scanning", "laser scanning")
    assert {t.term for t in pair.terms} == {"laser", "scanning", "laser scanning"}
    assert sum(t.share for t in pair.terms) == pytest.approx(1.0)


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


WORDS = ["laser", "drone", "battery", "grain", "harvest", "cloud", "network", "sensor", "rocket", "engine"]
statement = st.lists(st.sampled_from(WORDS), min_size=1, max_size=5).map(" ".join)


@st.composite
def profile_sets(draw):
    n = draw(st.integers(2, 6))
    out = []
    for i in range(n):
        caps = draw(st.lists(statement, max_size=3))
        needs = draw(st.lists(statement, min_size=0 if caps else 1, max_size=3))
        out.append(Profile(name=f"Org{i}", country="CN", kind="company", capabilities=tuple(caps), needs=tuple(needs)))
    return out


@settings(max_examples=60, deadline=None)
@given(profile_sets(), st.data())
def test_explanations_are_faithful(profiles, data):
    """Term contributions add up to pairs, pairs to directions, directions to the ranked score."""
    matcher = Matcher(build_index(profiles))
    a = data.draw(st.integers(0, len(profiles) - 1))
    b = data.draw(st.integers(0, len(profiles) - 1).filter(lambda x: x != a))
    score, forward, backward, _ = pair_scores(matcher.index, a)
    m = matcher.explain(profiles[a].name, profiles[b].name)
    assert m.score == pytest.approx(score[b], abs=1e-6)
    for d, ranked in ((m.explanation.forward, forward[b]), (m.explanation.backward, backward[b])):
        if d.defined:
            assert d.score == pytest.approx(ranked, abs=1e-6)
        assert sum(p.contribution for p in d.pairs) == pytest.approx(d.score, abs=1e-9)
        assert sum(t.contribution for t in d.terms) == pytest.approx(d.score, abs=1e-9)
        for p in d.pairs:
            assert sum(t.contribution for t in p.terms) == pytest.approx(p.contribution, abs=1e-9)
    shares = m.explanation.forward.share + m.explanation.backward.share
    assert shares == pytest.approx(1.0 if m.score > 0 else 0.0, abs=1e-6)
    assert 0 <= m.score <= 1 + 1e-6


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


@pytest.mark.parametrize(
    "org, partner, expected",
    [
        # hand-checked on the bundled profiles (shared words only)
        ("Ehang", "Russian Academy of Sciences", "strong"),  # laser mapping, pipeline inspection, both ways
        ("Ehang", "MTS", "weak"),  # "built" and "maker" alone
        ("Ehang", "Tencent", "weak"),  # "russian" alone
        ("Gomselmash", "Zongshen", "strong"),  # agricultural machinery, harvesting
        ("Huawei", "MTS", "strong"),  # mobile carriers, 5G networks
        ("Zongshen", "Sanjiang-Volat", "weak"),  # "assembly" alone
    ],
)
def test_strength_of_hand_checked_pairs(org, partner, expected):
    from matcher.paths import bundled
    from matcher.workspace import open_workspace

    matcher = open_workspace(bundled("profiles")).matcher
    assert matcher.explain(org, partner).strength == expected


def test_weak_matches_are_left_out_and_counted(tiny, tmp_path):
    """Alpha's list keeps the laser-scanning partners and leaves out one that shares only a generic word."""
    from matcher.workspace import open_workspace

    write_profile(tiny, "zeta", name="Zeta", country="DE", kind="company", capabilities=["research built here"])
    write_profile(
        tiny,
        "alpha",
        name="Alpha",
        country="CN",
        kind="company",
        capabilities=["drone platforms"],
        needs=["laser scanning", "research built"],
    )
    matcher = open_workspace(tiny).matcher
    full = matcher.match("Alpha", include_weak=True)
    short = matcher.match("Alpha", include_weak=False)
    assert [m.name for m in full.matches if m.strength == "weak"] == ["Zeta"]
    assert "Zeta" not in [m.name for m in short.matches] and short.weak_left_out == 1
    assert [m.name for m in short.matches] == [m.name for m in full.matches if m.name != "Zeta"]
