"""Agendas: the integer program level by level against best pair first, constraints, requests, fillers,
compaction, and the bounds it states."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.office.agenda import LEVELS, Candidate, Meeting, Participant, Plan, check, idle_gaps
from matcher.office.baseline import greedy
from matcher.office.compaction import compact
from matcher.office.program import Event, judge, solve

PEOPLE = [Participant(n) for n in "ABCD"]


def test_optimum_beats_best_pair_first():
    """One table, two slots, one meeting each. A-B scores 0.9, A-C and B-D 0.85 each. Best pair first takes
    A-B and then nobody else may meet (0.9); the optimum holds A-C and B-D (1.7)."""
    pairs = [Candidate(0, 1, 0.9), Candidate(0, 2, 0.85), Candidate(1, 3, 0.85)]
    plan = solve(pairs, PEOPLE, slots=2, tables=1, cap=1)
    assert sorted((m.a, m.b) for m in plan.meetings) == [(0, 2), (1, 3)]
    assert plan.objective == pytest.approx(1.7) and plan.bound == pytest.approx(1.7) and plan.gap == 0
    assert {m.slot for m in plan.meetings} == {1, 2} and {m.table for m in plan.meetings} == {1}
    baseline = greedy(pairs, PEOPLE, slots=2, tables=1, cap=1)
    assert [(m.a, m.b) for m in baseline.meetings] == [(0, 1)] and baseline.score == pytest.approx(0.9)


def test_availability_and_requests():
    """C cannot attend slot 1 and D not slot 2; a requested C-D pair can then never meet and is reported."""
    people = [Participant("A"), Participant("B"), Participant("C", frozenset({1})), Participant("D", frozenset({2}))]
    pairs = [Candidate(0, 1, 0.2), Candidate(2, 3, 0.1, requested=True), Candidate(0, 2, 0.5)]
    plan = solve(pairs, people, slots=2, tables=2, cap=2)
    assert (2, 3) not in {(m.a, m.b) for m in plan.meetings}
    assert plan.unmet_requests == [(2, 3)] and (plan.requests_met, plan.requests) == (0, 1)
    assert [(m.a, m.b, m.slot) for m in plan.meetings if m.a == 0 and m.b == 2] == [(0, 2, 2)]
    assert check(plan, people, slots=2, tables=2, cap=2) == []


def test_a_request_outweighs_any_score():
    pairs = [Candidate(0, 1, 0.9), Candidate(0, 2, 0.01, requested=True)]
    plan = solve(pairs, PEOPLE[:3], slots=1, tables=1, cap=1)
    assert [(m.a, m.b) for m in plan.meetings] == [(0, 2)] and plan.requests_met == 1


def test_compact_closes_idle_gaps_without_changing_the_meetings():
    """Three slots, one table: A-B in slot 1, C-D in slot 2, A-C in slot 3 leaves A waiting in slot 2 (one
    gap). Moving A-C to slot 2 and C-D to slot 3 leaves nobody waiting; D cannot attend slot 1, which a
    move must respect."""
    people = [Participant("A"), Participant("B"), Participant("C"), Participant("D", frozenset({1}))]
    meetings = [Meeting(1, 1, 0, 1, 0.9, False), Meeting(2, 1, 2, 3, 0.8, False), Meeting(3, 1, 0, 2, 0.7, False)]
    plan = Plan(meetings, 2.4, 2.4, 2.4, 0, 0)
    assert idle_gaps(plan.meetings) == 1
    better = compact(plan, people, slots=3, tables=1)
    assert idle_gaps(better.meetings) == 0
    assert sorted((m.a, m.b) for m in better.meetings) == sorted((m.a, m.b) for m in meetings)
    assert (better.score, better.objective, better.bound) == (plan.score, plan.objective, plan.bound)
    assert check(better, people, slots=3, tables=1, cap=3) == []
    assert {(m.a, m.b): m.slot for m in better.meetings}[(2, 3)] != 1  # D is not there in slot 1


@settings(max_examples=40, deadline=None)
@given(
    st.integers(2, 6).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(
                st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.floats(0.01, 1), st.booleans()),
                max_size=12,
            ),
            st.lists(st.frozensets(st.integers(1, 3), max_size=2), min_size=n, max_size=n),
            st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=n, max_size=n),
        )
    ),
    st.integers(1, 3),
    st.integers(1, 2),
    st.integers(1, 3),
)
def test_no_plan_breaks_a_constraint(event, slots, tables, cap):
    n, raw, unavailable, caps = event
    people = [Participant(str(i), unavailable[i], caps[i]) for i in range(n)]
    pairs = {}
    for a, b, s, r in raw:
        if a != b:
            pairs[(min(a, b), max(a, b))] = Candidate(min(a, b), max(a, b), s, requested=r)
    candidates = list(pairs.values())
    for method in (solve, greedy):
        plan = method(candidates, people, slots=slots, tables=tables, cap=cap)
        assert check(plan, people, slots=slots, tables=tables, cap=cap) == []
        tight = compact(plan, people, slots=slots, tables=tables)
        assert check(tight, people, slots=slots, tables=tables, cap=cap) == []
        assert idle_gaps(tight.meetings) <= idle_gaps(plan.meetings)
        assert sorted((m.a, m.b) for m in tight.meetings) == sorted((m.a, m.b) for m in plan.meetings)
    best = solve(candidates, people, slots=slots, tables=tables, cap=cap)
    event = Event(candidates, people, slots, tables, cap)
    baseline = judge(greedy(candidates, people, slots=slots, tables=tables, cap=cap), event)
    assert ordered(best) >= ordered(baseline)
    within_bounds(best)


def ordered(plan: Plan) -> tuple:
    """A plan's figures in the order they count, idle gaps fewer the better (rounded: solver tolerances)."""
    return tuple(round(-lv.value if lv.name == "idle gaps" else lv.value, 6) for lv in plan.levels)


def within_bounds(plan: Plan) -> None:
    """Every level's figure within its bound: at most it, or for idle gaps at least it."""
    assert [lv.name for lv in plan.levels] == list(LEVELS)
    for lv in plan.levels:
        assert lv.bound is not None, lv
        if lv.name == "idle gaps":
            assert lv.value >= lv.bound - 1e-9, lv
        else:
            assert lv.value <= lv.bound + 1e-6, lv


def test_two_stage_solve_on_a_larger_event(monkeypatch):
    """The two-stage path (used above DIRECT_MAX variables) keeps every constraint, beats or ties best pair
    first and stays under its bound; here forced on 30 participants."""
    import random

    from matcher.office import program

    monkeypatch.setattr(program, "DIRECT_MAX", 10)
    rng = random.Random(3)
    people = [Participant(str(i), frozenset({rng.randint(1, 4)}) if i % 5 == 0 else frozenset()) for i in range(30)]
    pairs = {}
    for _ in range(120):
        a, b = rng.sample(range(30), 2)
        pairs[(min(a, b), max(a, b))] = Candidate(min(a, b), max(a, b), rng.random())
    candidates = list(pairs.values())
    plan = solve(candidates, people, slots=4, tables=5, cap=3)
    baseline = judge(greedy(candidates, people, slots=4, tables=5, cap=3), Event(candidates, people, 4, 5, 3))
    assert plan.method.startswith(("milp (two stages)", "greedy"))
    assert check(plan, people, slots=4, tables=5, cap=3) == []
    assert ordered(plan) >= ordered(baseline)
    within_bounds(plan)


def test_an_idle_participant_is_seated_before_a_second_meeting_for_someone_else():
    """Two slots, one table. A-B scores 0.9 and A-C 0.8, D-E only 0.1. The highest total (1.7) gives A two
    meetings and leaves D and E idle; seating everyone who has a good candidate first holds A-B (the better
    of A's two) and D-E: four participants met, total 1.0, and both figures are proven best."""
    people = [Participant(n) for n in "ABCDE"]
    pairs = [Candidate(0, 1, 0.9), Candidate(0, 2, 0.8), Candidate(3, 4, 0.1)]
    plan = solve(pairs, people, slots=2, tables=1, cap=2)
    assert sorted((m.a, m.b) for m in plan.meetings) == [(0, 1), (3, 4)]
    met = plan.level("participants")
    assert (met.value, met.bound, met.of) == (4, 4, 5)
    assert plan.level("score").value == pytest.approx(1.0) and plan.level("score").bound == pytest.approx(1.0)
    old = greedy(pairs, people, slots=2, tables=1, cap=2)  # best pair first: A-B, then A-C
    assert sorted((m.a, m.b) for m in old.meetings) == [(0, 1), (0, 2)]


def test_min_per_org_counts_participants_with_that_many_meetings():
    """Two slots, two tables, two meetings each at most. A-B and C-D (0.9) meet in one slot; in the other
    A-D (0.5) scores more than A-C and B-D together (0.1 each), but leaves B and C with one meeting. With
    --min-per-org 1 everyone is met either way and the score decides (A-D); with 2, A-C and B-D give all
    four their second meeting."""
    people = [Participant(n) for n in "ABCD"]
    score = {(0, 1): 0.9, (2, 3): 0.9, (0, 2): 0.1, (1, 3): 0.1, (0, 3): 0.5}
    pairs = [Candidate(a, b, s) for (a, b), s in score.items()]
    one = solve(pairs, people, slots=2, tables=2, cap=2, min_per_org=1)
    assert sorted((m.a, m.b) for m in one.meetings) == [(0, 1), (0, 3), (2, 3)]
    two = solve(pairs, people, slots=2, tables=2, cap=2, min_per_org=2)
    assert sorted((m.a, m.b) for m in two.meetings) == [(0, 1), (0, 2), (1, 3), (2, 3)]
    assert (two.level("participants").value, two.level("participants").bound) == (4, 4)


def test_weak_matches_only_fill_seats_no_good_candidate_can_take():
    """One slot, one table: a good A-B (0.2) against a weak C-D (0.9, nothing specific in common): A-B is
    held although C-D scores higher. With a second slot C-D fills it, marked a filler."""
    people = [Participant(n) for n in "ABCD"]
    pairs = [Candidate(0, 1, 0.2, strength="moderate"), Candidate(2, 3, 0.9, strength="weak")]
    one = solve(pairs, people, slots=1, tables=1, cap=1)
    assert [(m.a, m.b, m.filler) for m in one.meetings] == [(0, 1, False)]
    assert one.level("participants").of == 2  # C and D have no good candidate: not counted there
    two = solve(pairs, people, slots=2, tables=1, cap=1)
    assert sorted((m.a, m.b, m.filler) for m in two.meetings) == [(0, 1, False), (2, 3, True)]
    assert two.fillers == 1 and two.level("filler participants").value == 4
    assert two.level("score").value == pytest.approx(0.2)  # the fillers' score is a level of its own
    assert two.level("filler score").value == pytest.approx(0.9)


def test_a_weak_request_is_met_and_not_a_filler():
    people = [Participant(n) for n in "ABCD"]
    pairs = [Candidate(0, 1, 0.2, strength="strong"), Candidate(2, 3, 0.01, requested=True, strength="weak")]
    plan = solve(pairs, people, slots=1, tables=1, cap=1)
    assert [(m.a, m.b, m.requested, m.filler) for m in plan.meetings] == [(2, 3, True, False)]
    assert (plan.level("requests").value, plan.level("requests").bound) == (1, 1)


def test_idle_gaps_are_the_last_level():
    """Three slots, two tables: A meets B and C; D-E is the only other pair. Every level above is the same
    whatever the slots, and A's two meetings are placed next to each other: no idle gap, proven."""
    people = [Participant(n) for n in "ABCDE"]
    pairs = [Candidate(0, 1, 0.5), Candidate(0, 2, 0.4), Candidate(3, 4, 0.3)]
    plan = solve(pairs, people, slots=3, tables=2, cap=2)
    assert len(plan.meetings) == 3
    a = sorted(m.slot for m in plan.meetings if 0 in (m.a, m.b))
    assert a[1] - a[0] == 1
    gaps = plan.level("idle gaps")
    assert (gaps.value, gaps.bound, gaps.proven) == (0, 0, True)
