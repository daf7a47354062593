"""CORDIS import, the temporal split and need ranking, on a tiny grant set worked out by hand.

Grants (t = signature date, else start date):
- P1 2022-01-10 hydrogen storage: A coordinator, B participant, T thirdParty (an affiliate: ignored)
- P2 2022-03-01 battery recycling: C coordinator, D participant
- P3 (no signature date, starts 2022-05-01) hydrogen electrolysis: B coordinator, E participant
- Q1 2023-02-01 hydrogen storage pilot: A coordinator; B, E, F participants; C associated partner
- Q2 2023-03-01 a single-beneficiary grant: D coordinator only -> not a query
- Q3 2023-04-01 G coordinator, F participant: neither had a profile -> no known partner -> dropped
- Q4 2024-01-01 signed on the end of the window -> not in [2023-01-01, 2024-01-01)
- P5 2023-01-01 signed on the cutoff -> a query candidate, never history (it has no participant: dropped)

With the cutoff 2023-01-01, the history is P1-P3 and the candidates are A-E. Q1's partners with a profile
are B, E and C (F is new to the data); A had worked with B only, so the new partners are E and C.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from matcher.cli import cli
from matcher.errors import MatcherError
from matcher.ranking.evaluation import Judged, evaluate, query_metrics, ranking, score_metrics
from matcher.ranking.signals import Need, model_weights, recent_need, score_need
from matcher.sources import cordis
from matcher.workspace import open_workspace

PROJECT_COLS = [
    "project_id",
    "acronym",
    "title",
    "objective",
    "keywords",
    "start_date",
    "ec_signature_date",
    "topic",
    "topic_title",
    "legal_basis",
    "legal_basis_title",
    "euroscivoc",
    "funding_scheme",
]


def _project(pid, title, signed, start="2022-01-01", topic="HORIZON-CL5-2022-D3-01-02", lb="HORIZON.2.5"):
    return dict(
        project_id=pid,
        acronym=f"ACR{pid}",
        title=title,
        objective=f"{title}, studied in depth.",
        keywords="",
        start_date=start,
        ec_signature_date=signed,
        topic=topic,
        topic_title="",
        legal_basis=lb,
        legal_basis_title="Climate, Energy and Mobility",
        euroscivoc="/engineering/energy",
        funding_scheme="HORIZON-RIA",
    )


PROJECTS = [
    _project("1", "Hydrogen storage in salt caverns", "2022-01-10"),
    _project("2", "Battery recycling plants", "2022-03-01", topic="HORIZON-CL4-2021-RESILIENCE-01", lb="HORIZON.2.4"),
    _project("3", "Hydrogen electrolysis membranes", "", start="2022-05-01"),
    _project("11", "Hydrogen storage pilot", "2023-02-01"),
    _project("12", "Dark matter theory", "2023-03-01"),
    _project("13", "Ocean robots", "2023-04-01"),
    _project("14", "Hydrogen valleys", "2024-01-01"),
    _project("15", "Cutoff day grant", "2023-01-01"),
]
PARTICIPATIONS = [
    ("1", "100", "coordinator"),
    ("1", "200", "participant"),
    ("1", "900", "thirdParty"),
    ("2", "300", "coordinator"),
    ("2", "400", "participant"),
    ("3", "200", "coordinator"),
    ("3", "500", "participant"),
    ("11", "100", "coordinator"),
    ("11", "200", "participant"),
    ("11", "500", "participant"),
    ("11", "600", "participant"),
    ("11", "300", "associatedPartner"),
    ("12", "400", "coordinator"),
    ("13", "700", "coordinator"),
    ("13", "600", "participant"),
    ("14", "100", "coordinator"),
    ("14", "400", "participant"),
    ("15", "300", "coordinator"),
]
ORGS = [
    ("100", "Alpha Energy", "AE", "DE", "PRC"),
    ("200", "Beta Institute", "", "EL", "REC"),
    ("300", "Gamma University", "", "UK", "HES"),
    ("400", "Delta Recycling", "", "FR", "PRC"),
    ("500", "Epsilon Labs", "", "DE", "REC"),
    ("600", "Phi Startup", "", "ES", "PRC"),
    ("700", "G Council", "", "IT", "PUB"),
    ("900", "Alpha Affiliate", "", "DE", "PRC"),
]
ID = {"A": "100", "B": "200", "C": "300", "D": "400", "E": "500"}


def _write(path: Path, header, rows):
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


@pytest.fixture
def grants(tmp_path) -> Path:
    folder = tmp_path / "cordis"
    folder.mkdir()
    _write(folder / "projects.csv", PROJECT_COLS, [[p[c] for c in PROJECT_COLS] for p in PROJECTS])
    _write(folder / "participations.csv", ["project_id", "org_id", "role"], PARTICIPATIONS)
    _write(folder / "organisations.csv", ["org_id", "name", "short_name", "country", "activity_type"], ORGS)
    return folder


@pytest.fixture
def store(grants, tmp_path):
    out = tmp_path / "store"
    cordis.import_cordis(grants, "2023-01-01", out)
    return out


def test_queries_follow_the_protocol(grants):
    tables = cordis.read_tables(grants)
    qs = cordis.queries(tables, "2023-01-01", "2024-01-01")
    assert [q.project_id for q in qs] == ["11"]
    q = qs[0]
    assert q.seeker == ID["A"]
    assert set(q.partners) == {ID["B"], ID["E"], ID["C"]}
    assert set(q.new_partners) == {ID["E"], ID["C"]}
    assert "programme:HORIZON.2.5" in q.tags and "call:HORIZON-CL5-D3-01" in q.tags


def test_history_is_strictly_before_the_cutoff_and_falls_back_to_start_date(grants):
    tables = cordis.read_tables(grants)
    projects, parts = cordis.history(tables, "2023-01-01")
    assert set(projects["project_id"]) == {"1", "2", "3"}  # 3 has no signature date, 15 is on the cutoff
    assert "900" not in set(parts["org_id"])  # third parties are not consortium partners
    # a later cutoff makes Q1 history: F gets a profile, so Q3 (an unknown seeker) becomes a query
    qs = cordis.queries(tables, "2023-03-01", "2024-01-01")
    assert [(q.project_id, q.seeker, q.partners, q.new_partners) for q in qs] == [("13", "700", ("600",), ("600",))]


def test_import_builds_one_profile_per_history_organisation(store):
    matcher = open_workspace(store).matcher
    names = [p.name for p in matcher.profiles]
    assert names == ["Alpha Energy", "Beta Institute", "Gamma University", "Delta Recycling", "Epsilon Labs"]
    beta = matcher.names.get("Beta Institute")
    assert beta.country == "GR" and beta.kind == "research-institute"  # EL -> GR
    assert matcher.names.get("300").country == "GB"  # the organisation id is an alias
    assert set(beta.partners) == {"Alpha Energy", "Epsilon Labs"}
    assert beta.capabilities == ("ACR3: Hydrogen electrolysis membranes", "ACR1: Hydrogen storage in salt caverns")
    assert matcher.names.get("AE").name == "Alpha Energy"  # the short name too


def test_need_ranking_explains_every_signal_exactly(store):
    matcher = open_workspace(store).matcher
    result = matcher.match_need("Hydrogen storage pilot", org="Alpha Energy", tags=("programme:HORIZON.2.5",), top=4)
    assert "Alpha Energy" not in [m.name for m in result.matches]
    assert result.matches[0].name == "Beta Institute"  # the only one that shares both words, and a past partner
    for m in result.matches:
        signals = m.explanation.signals
        assert sum(s.contribution for s in signals) == pytest.approx(m.score)
        assert sum(s.share for s in signals) == pytest.approx(1.0)
        text = next((s.contribution for s in signals if s.signal == "text"), 0.0)
        direction = m.explanation.forward
        assert direction.score * direction.weight == pytest.approx(text)
        assert sum(p.contribution for p in direction.pairs) == pytest.approx(direction.score)
        for pair in direction.pairs:
            assert sum(t.contribution for t in pair.terms) == pytest.approx(pair.contribution)
    past = next(s for s in result.matches[0].explanation.signals if s.signal == "past")
    assert past.detail == "1 shared past project(s)"


def test_new_only_leaves_out_past_partners(store):
    matcher = open_workspace(store).matcher
    result = matcher.match_need("Hydrogen storage pilot", org="Alpha Energy", new_only=True)
    assert "Beta Institute" not in [m.name for m in result.matches]
    assert result.candidates == 3


def test_metrics_by_hand():
    order = np.array([3, 1, 2, 0])
    m = query_metrics(order, {1, 0})
    assert m["hits@10"] == 1.0 and m["mrr"] == 0.5 and m["recall@50"] == 1.0
    ideal = 1 + 1 / np.log2(3)
    assert m["ndcg@10"] == pytest.approx((1 / np.log2(3) + 1 / np.log2(5)) / ideal)
    assert query_metrics(np.array([2, 3]), {1})["mrr"] == 0.0


def test_ties_are_broken_by_row_and_exclusions_drop_rows():
    assert ranking(np.array([1.0, 2.0, 2.0, 0.0])).tolist() == [1, 2, 0, 3]
    assert ranking(np.array([1.0, 2.0, 2.0, 0.0]), [1]).tolist() == [2, 0, 3]


def test_evaluate_runs_both_variants():
    q = Judged(seeker=0, relevant=(1, 2), new_relevant=(2,), past=(1,))
    scores = np.array([9.0, 5.0, 1.0, 3.0])  # after the seeker: 1, 3, 2
    out = evaluate([q], {"m": lambda i: scores})["m"]
    assert out["all"]["mrr"] == 1.0
    assert out["new"]["mrr"] == 0.5  # 1 (a past partner) is left out: 3, then 2


def test_cli_import_and_match(grants, tmp_path):
    out = tmp_path / "s"
    runner = CliRunner()
    r = runner.invoke(cli, ["import-cordis", str(grants), "--before", "2023-01-01", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "5 organisations" in r.output
    again = runner.invoke(cli, ["import-cordis", str(grants), "--before", "2023-01-01", "-o", str(out)])
    assert again.exit_code == 1 and "--force" in again.output
    r = runner.invoke(
        cli, ["match", "--profiles", str(out), "--org", "100", "--need", "hydrogen storage", "--top", "2"]
    )
    assert r.exit_code == 0, r.output
    assert "1. Beta Institute (GR, research-institute)" in r.output
    assert "past joint work with the seeker" in " ".join(r.output.split())  # wrapped to 100 columns
    r = runner.invoke(cli, ["match", "--profiles", str(out), "--org", "100", "--top", "2"])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[:3] == [
        "Partners for Alpha Energy (DE, company)",
        "Alpha Energy lists no needs: it is matched for work like its newest project:",
        "  - ACR1: Hydrogen storage in salt caverns — CORDIS grant 1 (signed 2022-01-10)",
    ]
    assert " 1. Beta Institute (GR, research-institute)" in r.output and "Hint" not in r.output


def test_cli_import_rejects_bad_input(grants, tmp_path):
    runner = CliRunner()
    r = runner.invoke(cli, ["import-cordis", str(grants), "--before", "2023-13-01", "-o", str(tmp_path / "x")])
    assert r.exit_code == 1 and "--before: '2023-13-01' is not a date" in r.output
    (grants / "organisations.csv").unlink()
    r = runner.invoke(cli, ["import-cordis", str(grants), "--before", "2023-01-01", "-o", str(tmp_path / "y")])
    assert r.exit_code == 1 and "no organisations.csv.gz" in r.output
    assert not (tmp_path / "y").exists()


def test_unknown_tag_is_reported_with_a_suggestion(store):
    matcher = open_workspace(store).matcher
    with pytest.raises(MatcherError) as err:
        matcher.match_need("Hydrogen storage pilot", tags=("programme:HORIZON.2.6",))
    assert str(err.value) == (
        "Unknown tag 'programme:HORIZON.2.6': no organisation here carries it."
        " Did you mean 'programme:HORIZON.2.5' or 'programme:HORIZON.2.4'?"
    )
    result = CliRunner().invoke(cli, ["match", "--profiles", str(store), "--need", "hydrogen", "--tag", "nonsense"])
    assert result.exit_code == 1 and "Error: Unknown tag 'nonsense': no organisation here carries it." in result.output


def test_explain_and_evaluate_on_a_store_say_what_to_do(store):
    """explain printed 'score 0.000 · one-sided' and two contradictory sentences; now it explains the pair as
    match ranks it. evaluate fell back to the bundled partnerships and failed on 'Huawei'."""
    runner = CliRunner()
    result = runner.invoke(cli, ["explain", "Alpha Energy", "Beta Institute", "--profiles", str(store)])
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    ranked = open_workspace(store).matcher.match("Alpha Energy")
    assert ranked.matches[0].name == "Beta Institute"
    assert first == (
        f"Alpha Energy and Beta Institute (GR, research-institute): score {ranked.matches[0].score:.3f}, for Alpha"
        " Energy's newest projects (ACR1: Hydrogen storage in salt caverns)"
    )
    assert "past joint work with the seeker" in result.output
    result = runner.invoke(cli, ["evaluate", "--profiles", str(store)])
    assert result.exit_code == 2
    assert f"Error: {store} is a store: give --partnerships FILE naming its organisations" in result.output


def test_import_reports_each_step(grants, tmp_path):
    steps = []
    cordis.import_cordis(grants, "2023-01-01", tmp_path / "s", progress=steps.append)
    assert steps == list(cordis.IMPORT_STEPS)


def test_org_queries_are_the_next_partners_of_every_organisation(grants):
    """Window [2023-01-01, 2024-01-01): only Q1 has two or more organisations of the history (A, B, E, C;
    F is new to the data), so each of them has the other three as its next partners."""
    tables = cordis.read_tables(grants)
    got = {
        q.seeker: (set(q.partners), set(q.new_partners), q.grants)
        for q in cordis.org_queries(tables, "2023-01-01", "2024-01-01")
    }
    A, B, C, E = ID["A"], ID["B"], ID["C"], ID["E"]
    assert got == {
        A: ({B, C, E}, {C, E}, ("11",)),  # A had worked with B (P1)
        B: ({A, C, E}, {C}, ("11",)),  # B with A (P1) and E (P3)
        C: ({A, B, E}, {A, B, E}, ("11",)),  # C only with D (P2)
        E: ({A, B, C}, {A, C}, ("11",)),  # E with B (P3)
    }


def test_recent_need_of_one_grant_is_that_grants_need_query(store, grants):
    """Beta Institute's newest grant is P3 (its records run newest first): ranking for it is exactly the
    need query of P3's text and tags, which the store keeps per record."""
    index = open_workspace(store).matcher.index
    beta = index.find_row("Beta Institute")
    recent = recent_need(index, beta, 1)
    assert recent.need.text == "ACR3: Hydrogen electrolysis membranes"
    row = next(p for p in cordis.read_tables(grants).projects.to_dict("records") if p["project_id"] == "3")
    assert set(recent.need.tags) == set(cordis.grant_tags(row))
    by_record = score_need(index, recent.need, recent.vector, recent.doc_vector)[0]
    by_text = score_need(index, Need(cordis.grant_text(row), beta, tuple(cordis.grant_tags(row))))[0]
    assert by_record.tolist() == pytest.approx(by_text.tolist(), rel=1e-6)
    both = recent_need(index, beta)
    assert both.rows == (recent.rows[0], recent.rows[0] + 1)  # P3 then P1: two records, the newest first


def test_match_org_on_a_store_ranks_for_its_newest_grants(store):
    """Beta's grants are about hydrogen; Alpha (storage) and Epsilon (electrolysis) share the word and past
    grants with it, Gamma and Delta (batteries) share neither: they come last."""
    matcher = open_workspace(store).matcher
    result = matcher.match("Beta Institute")
    assert result.needs_from == (
        "ACR3: Hydrogen electrolysis membranes — CORDIS grant 3 (signed 2022-05-01)",
        "ACR1: Hydrogen storage in salt caverns — CORDIS grant 1 (signed 2022-01-10)",
    )
    names = [m.name for m in result.matches]
    assert set(names[:2]) == {"Alpha Energy", "Epsilon Labs"} and set(names[2:]) == {
        "Gamma University",
        "Delta Recycling",
    }
    for m in result.matches:
        assert sum(s.contribution for s in m.explanation.signals) == pytest.approx(m.score)
    scores = matcher.ranking.recent_scores(matcher.names.find("Beta Institute"))
    assert [m.score for m in result.matches] == pytest.approx(
        sorted(scores[[matcher.names.find(n) for n in names]], reverse=True)
    )
    fresh = matcher.match("Beta Institute", new_only=True)
    assert [m.name for m in fresh.matches] == [n for n in names if n not in ("Alpha Energy", "Epsilon Labs")]


def test_batch_on_a_store_gives_each_organisation_its_match_ranking(store, tmp_path):
    out = tmp_path / "b.csv"
    r = CliRunner().invoke(cli, ["batch", "--profiles", str(store), "-o", str(out), "--top", "2"])
    assert r.exit_code == 0, r.output
    import pandas as pd

    rows = pd.read_csv(out)
    matcher = open_workspace(store).matcher
    for org, group in rows.groupby("org", sort=False):
        ranked = matcher.match(org, top=2)
        assert group["partner"].tolist() == [m.name for m in ranked.matches]
        assert group["score"].tolist() == pytest.approx([m.score for m in ranked.matches])
    assert rows["backward"].isna().all()  # nobody lists needs: only the need side is scored
    assert len(rows) == 10


def test_a_model_may_weigh_recent_needs_apart():
    model = {"weights": {"text": 1.0, "past": 2.0}, "recent_weights": {"text": 0.5, "size": 1.0}}
    assert model_weights(model) == {"text": 1.0, "past": 2.0}
    assert model_weights(model, recent=True) == {"text": 0.5, "size": 1.0}
    assert model_weights({"weights": {"text": 1.0}}, recent=True) == {"text": 1.0}
    assert model_weights(None) == {"text": 1.0}


def test_score_metrics_equal_the_metrics_of_the_full_ranking():
    rng = np.random.default_rng(7)
    for trial in range(400):
        n = int(rng.integers(1, 90))
        scores = rng.integers(0, 4, n).astype(float) if trial % 2 else rng.random(n)
        relevant = rng.choice(n, int(rng.integers(1, min(n, 12) + 1)), replace=False)
        exclude = rng.choice(n, int(rng.integers(0, n)), replace=False)
        want = query_metrics(ranking(scores, exclude), relevant)
        assert score_metrics(scores, relevant, exclude) == pytest.approx(want)


def test_schedule_on_a_store_meets_on_each_sides_newest_projects(store, tmp_path):
    """Five organisations, two slots, one table: one meeting a slot, so the two best pairs are held (one
    organisation may be in both), each scored as the higher of its two sides' match scores, with a reason."""
    out = tmp_path / "agenda.csv"
    args = ["schedule", "--profiles", str(store), "--slots", "2", "--tables", "1", "-o", str(out)]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    import pandas as pd

    from matcher.office import agenda

    rows = pd.read_csv(out)
    matcher = open_workspace(store).matcher
    people = list(range(matcher.index.n_orgs))
    pairs = agenda.candidates_from(matcher.ranking, people, top=10)
    for c in pairs:
        both = matcher.ranking.ranked_scores(c.a)[c.b], matcher.ranking.ranked_scores(c.b)[c.a]
        assert c.score == pytest.approx(max(both))
    best = sorted(pairs, key=lambda c: -c.score)[:2]
    assert sorted(rows["score"]) == pytest.approx(sorted(c.score for c in best), rel=1e-6)
    assert len(rows) == 2 and rows["reason"].str.contains("offers").all()


def test_partners_of_partners_by_hand(store):
    """Past joint work: A-B (P1), C-D (P2), B-E (P3). A's only partner B has two partners (A and E), so
    E is reached through B with weight 1 / log(2 + 2); nobody else is, and A itself is left out."""
    from matcher.ranking.signals import partners_of_partners

    index = open_workspace(store).matcher.index
    a, e = index.find_row("Alpha Energy"), index.find_row("Epsilon Labs")
    got = partners_of_partners(index, a)
    want = np.zeros(index.n_orgs)
    want[e] = 1 / np.log(4.0)
    assert got.tolist() == pytest.approx(want.tolist())
