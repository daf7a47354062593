"""Matcher.match: known rankings, filters, who may be ranked, weak and existing partners."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from matcher.cli import cli
from matcher.explanations.matching import Matcher
from matcher.index.build import build_index
from matcher.profiles.load import load_folder
from matcher.profiles.model import Profile
from matcher.ranking.ranker import Filters


def matcher_for(folder):
    return Matcher.from_profiles(load_folder(folder).profiles)


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


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


def test_weak_matches_are_left_out_and_counted(write_profile, tiny, tmp_path):
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


def test_existing_partners_are_marked_and_new_only_leaves_them_out():
    """Gomselmash lists Zongshen and its joint venture as partners: both marked, both gone with --new-only."""
    import json

    from matcher.paths import bundled

    args = ("match", "--org", "Gomselmash", "--profiles", str(bundled("profiles")), "--format", "json")
    data = json.loads(invoke(*args).output)
    relations = {m["name"]: m["relation"] for m in data["matches"]}
    assert relations["Zongshen"] == "partner" and relations["Zongshen-Gomselmash"] == "partner"
    assert all(r is None for name, r in relations.items() if name not in ("Zongshen", "Zongshen-Gomselmash"))
    text = invoke(*args[:-2]).output
    assert "Zongshen (CN, company) — score" in text and "· already partners" in text
    new = json.loads(invoke(*args, "--new-only").output)
    assert {"Zongshen", "Zongshen-Gomselmash"}.isdisjoint(m["name"] for m in new["matches"])
