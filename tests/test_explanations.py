"""Explanations: every part adds up to the score it explains; strength marks."""

from __future__ import annotations

import math

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.cli import cli
from matcher.explanations.matching import Matcher
from matcher.index.build import build_index
from matcher.index.model import Index
from matcher.index.store import load_index, save_index
from matcher.profiles.load import load_folder
from matcher.ranking.score import pair_scores

from .support import profile_sets


def matcher_for(folder):
    return Matcher.from_profiles(load_folder(folder).profiles)


R = 1 / math.sqrt(2)


def _index(profiles, **kw) -> Index:
    return build_index(profiles, weighting="bm25", min_df=1, documents=True, **kw)


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


def test_explanation_names_the_statements_and_terms(tiny):
    m = matcher_for(tiny).explain("Alpha", "Beta")
    pair = m.explanation.forward.pairs[0]
    assert (pair.need, pair.capability) == ("laser scanning", "laser scanning")
    assert {t.term for t in pair.terms} == {"laser", "scanning", "laser scanning"}
    assert sum(t.share for t in pair.terms) == pytest.approx(1.0)


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


def test_explanation_terms_add_up_to_each_statement_signal(small):
    small.model = {"weights": {"text": 1.0, "closest": 2.0, "together": 3.0}}
    m = Matcher(small).match_need("hydrogen battery", top=1).matches[0]
    assert m.name == "Xeno"
    shares = {s.signal: s for s in m.explanation.signals}
    assert shares["closest"].contribution == pytest.approx(2.0 * 1.0)
    assert shares["together"].contribution == pytest.approx(3.0 / math.sqrt(2))
    for name in ("closest", "together"):
        s = shares[name]
        assert sum(t.contribution for t in s.terms) == pytest.approx(s.contribution)
        assert {t.term for t in s.terms} == {"hydrogen", "battery"}
    assert (
        "“hydrogen storage” 0.50" in shares["closest"].detail and "“battery recycling” 0.50" in shares["closest"].detail
    )
    assert sum(s.contribution for s in m.explanation.signals) == pytest.approx(m.score)


def test_past_close_explains_the_shared_project_and_its_terms(consortium, tmp_path):
    consortium.model = {"weights": {"text": 1.0, "past_close": 2.0, "same_city": 0.5}}
    save_index(consortium, tmp_path / "store")
    for index in (consortium, load_index(tmp_path / "store")[0]):
        matches = Matcher(index).match_need("hydrogen", org="Seeker", top=5).matches
        assert matches[0].name == "Pal"
        shares = {s.signal: s for s in matches[0].explanation.signals}
        s = shares["past_close"]
        assert s.contribution == pytest.approx(2.0 * R)
        assert s.detail == "“hydrogen storage” 0.71"
        assert sum(t.contribution for t in s.terms) == pytest.approx(s.contribution)
        assert [t.term for t in s.terms] == ["hydrogen"]
        tern = next(m for m in matches if m.name == "Tern")
        city = {s.signal: s for s in tern.explanation.signals}["same_city"]
        assert (city.contribution, city.detail, city.label) == (0.5, " berlin ", "same city as the seeker")
        assert sum(x.contribution for x in matches[0].explanation.signals) == pytest.approx(matches[0].score)


def test_a_quote_is_credited_to_its_speaker(write_profile, tmp_path):
    import shutil

    from matcher.paths import bundled

    shutil.copytree(bundled("seeds"), tmp_path / "seeds")
    quote = "Our cooperation will mostly focus on industry applications, namely pipeline inspection"
    write_profile(
        tmp_path / "p",
        "a",
        name="A",
        country="CN",
        kind="company",
        needs=["pipeline inspection"],
        sources=[{"article": "000_601ee1cda363bd9a.txt", "quote": quote, "speaker": "Hu Huazhi, Ehang"}],
    )
    write_profile(tmp_path / "p", "b", name="B", country="RU", kind="company", capabilities=["pipeline inspection"])
    result = invoke("match", "--org", "A", "--detail", "--profiles", str(tmp_path / "p"))
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "A, reported by Hu Huazhi, Ehang: “pipeline inspection”" in text  # never "A needs"
    assert "need, reported by Hu Huazhi, Ehang: “Our cooperation" in text
    assert "— CGTN, 15 Sep 2018" in text
