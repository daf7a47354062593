"""CORDIS import, the temporal split and need ranking, on the tiny grant set of conftest.py."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from matcher.cli import cli
from matcher.errors import MatcherError
from matcher.ranking.signals import Need, model_weights, recent_need, score_need
from matcher.sources import cordis
from matcher.workspace import open_workspace


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


ID = {"A": "100", "B": "200", "C": "300", "D": "400", "E": "500"}


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

    rows = pd.read_csv(out, keep_default_na=False)
    matcher = open_workspace(store).matcher
    listed = 0
    for a in range(matcher.index.n_orgs):  # row for row what match shows, weak matches left out as there
        org = matcher.index.names[a]
        ranked = matcher.match(org, top=2, include_weak=False).matches
        group = rows[rows["org"] == org]
        assert group["partner"].tolist() == [m.name for m in ranked]
        assert group["rank"].tolist() == [m.rank for m in ranked]
        assert group["score"].tolist() == pytest.approx([round(m.score, 4) for m in ranked])
        assert group["strength"].tolist() == [m.strength for m in ranked]
        listed += len(ranked)
    assert len(rows) == listed


def test_a_model_may_weigh_recent_needs_apart():
    model = {"weights": {"text": 1.0, "past": 2.0}, "recent_weights": {"text": 0.5, "size": 1.0}}
    assert model_weights(model) == {"text": 1.0, "past": 2.0}
    assert model_weights(model, recent=True, popular=True) == {"text": 0.5, "size": 1.0}
    assert model_weights(model, recent=True) == {"text": 0.5, "size": -0.13}  # the popularity discount
    assert model_weights({"weights": {"text": 1.0}}, recent=True) == {"text": 1.0}
    assert model_weights(None) == {"text": 1.0}
    kinds = {"recent_weights": {"kind:research-institute": 1.0, "kind:university": 0.5}, "weights": {"text": 1.0}}
    assert model_weights(kinds, recent=True) == {"kind:research-institute": 0.8, "kind:university": 0.5}
    assert model_weights(kinds, recent=True, popular=True) == {"kind:research-institute": 1.0, "kind:university": 0.5}


def test_schedule_on_a_store_meets_on_each_sides_newest_projects(store, tmp_path):
    """Five organisations, two slots, one table. Pairs with past joint work (A-B, C-D, B-E) are partners and
    never meet; every other pair is scored as the higher of its two sides' match scores, and the two held
    meet as many participants as two meetings can (four), each with a reason."""
    out = tmp_path / "agenda.csv"
    args = ["schedule", "--profiles", str(store), "--slots", "2", "--tables", "1", "-o", str(out)]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    import pandas as pd

    from matcher.office.candidates import candidates_from

    rows = pd.read_csv(out)
    matcher = open_workspace(store).matcher
    people = list(range(matcher.index.n_orgs))
    pairs = candidates_from(matcher, people, top=10)
    assert pairs and not any(matcher.names.linked(c.a, c.b) for c in pairs)
    for c in pairs:
        both = matcher.ranking.ranked_scores(c.a)[c.b], matcher.ranking.ranked_scores(c.b)[c.a]
        assert c.score == pytest.approx(max(both))
    names = matcher.index.names
    held = {frozenset((a, b)) for a, b in zip(rows["Organisation"], rows["Meets"])}
    assert len(held) == 2 and len(set().union(*held)) == 4
    partners = {frozenset((names[a], names[b])) for a in people for b in people if matcher.names.linked(a, b)}
    assert not held & partners
    assert rows["Why"].str.contains("'s project “ACR").all() and rows["Why"].str.contains("is close to what").all()


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


def test_past_partners_on_a_store_are_marked_with_their_joint_grants(store, tmp_path):
    """Beta Institute shared grant 1 (2022) with Alpha Energy and grant 3 (2022) with Epsilon Labs: both are
    already partners, with the count and the year, in match, in the text, and in the batch; --new-only leaves
    them out."""
    matcher = open_workspace(store).matcher
    result = matcher.match("Beta Institute")
    marked = {m.name: (m.relation, m.relation_note) for m in result.matches}
    assert marked["Alpha Energy"] == ("partner", "1 joint grant, latest 2022")
    assert marked["Epsilon Labs"] == ("partner", "1 joint grant, latest 2022")
    assert marked["Gamma University"] == (None, None)
    text = " ".join(invoke("match", "--profiles", str(store), "--org", "Beta Institute", "--all").output.split())
    assert "1. Epsilon Labs (DE, research-institute) — ranked above 75.00% of 4 candidates (score" in text
    assert "· strong · already partners (1 joint grant, latest 2022)" in text
    out = tmp_path / "b.csv"
    assert invoke("batch", "--profiles", str(store), "-o", str(out), "--all").exit_code == 0
    import pandas as pd

    rows = pd.read_csv(out, keep_default_na=False)
    beta = rows[rows["org"] == "Beta Institute"].set_index("partner")
    assert beta.loc["Alpha Energy", "relation"] == "already partners (1 joint grant, latest 2022)"
    assert beta.loc["Gamma University", "relation"] == ""
    assert beta.loc["Alpha Energy", "reason"] == (
        "Alpha Energy's project “ACR1: Hydrogen storage in salt caverns” (1.00) is close to what Beta Institute"
        " works on"
    )
    fresh = [m.name for m in matcher.match("Beta Institute", new_only=True).matches]
    assert "Alpha Energy" not in fresh and "Epsilon Labs" not in fresh


def test_store_strength_follows_the_closest_project():
    from matcher.explanations.stores import MODERATE_COSINE, STRONG_COSINE, store_strength

    assert store_strength(STRONG_COSINE) == "strong"
    assert store_strength(STRONG_COSINE - 1e-9) == store_strength(MODERATE_COSINE) == "moderate"
    assert store_strength(MODERATE_COSINE - 1e-9) == store_strength(0.0) == "weak"


def test_an_exact_alias_on_a_store_is_taken(store):
    result = invoke("match", "--profiles", str(store), "--org", "AE", "--all")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Partners for Alpha Energy (DE")


def test_a_store_pairs_strength_is_the_better_sides_closest_project(store):
    """In a store both sides are ranked for their newest records; the strength an event gives a pair is
    ``store_strength`` of the better side's closest-project cosine, so it is never below what ``match`` (and
    the batch) give either side for the other."""
    from matcher.explanations.explainer import Explainer
    from matcher.explanations.stores import STRONG_COSINE, brief_matches, store_strength

    matcher = open_workspace(store).matcher
    explainer = Explainer(matcher.index, matcher.names, matcher.ranking)
    find = matcher.names.find
    order = ["weak", "moderate", "strong"]
    for a, b in [("Beta Institute", "Alpha Energy"), ("Beta Institute", "Gamma University")]:
        ra, rb = find(a), find(b)
        one = brief_matches(matcher.index, ra, [rb], [0.0])[0]
        other = brief_matches(matcher.index, rb, [ra], [0.0])[0]
        best = max(one.closest_cosine, other.closest_cosine)
        assert explainer.strength_of(ra, rb) == store_strength(best) == explainer.strength_of(rb, ra)
        assert order.index(explainer.strength_of(ra, rb)) >= order.index(one.strength)
    # Beta's newest project is ACR1's text itself: cosine 1 with Alpha Energy's copy of it, hence strong
    assert (
        brief_matches(matcher.index, find("Beta Institute"), [find("Alpha Energy")], [0.0])[0].closest_cosine
        >= STRONG_COSINE
    )


def test_a_stores_statement_text_and_joint_work_read_less_and_say_the_same(store):
    """``statement_text`` reads a store's statements alone and ``joint_work`` stops at pairs never linked:
    both give what the whole records and the projects themselves give."""
    from matcher.explanations.stores import joint_work
    from matcher.index.vectors import CAPABILITY
    from matcher.ranking.signals import seeker_documents

    index = open_workspace(store).matcher.index
    for row in range(len(index.stmt_org)):
        org, side = int(index.stmt_org[row]), int(index.stmt_side[row])
        profile = index.profiles[org]
        texts = profile.capabilities if side == CAPABILITY else profile.needs
        assert index.statement_text(row) == texts[row - int(index.stmt_first[org, side, 0])]
    for a in range(index.n_orgs):
        for b in range(index.n_orgs):
            shared = np.intersect1d(seeker_documents(index, a), seeker_documents(index, b))
            found = joint_work(index, a, b) if a != b else None
            assert (found.count if found else 0) == (len(shared) if a != b else 0)
