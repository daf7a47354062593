"""Plan a brokerage event: who takes part, which meetings they could hold, the agenda and why each pair meets.

``plan_event`` is the library behind ``matcher schedule``: it reads the participants and the requested
meetings (names checked against the profiles), finds the candidate meetings (``agenda.candidates_from``, the
pairs the ledger ended left out), solves the agenda (``agenda.solve``) and the best-pair-first baseline
(``agenda.greedy``), and explains each meeting. Rendering and writing the agenda is ``output``'s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..explanations.matching import Matcher
from ..explanations.results import Match
from ..ranking.ranker import Exclusions
from .agenda import (
    AgendaError,
    Participant,
    Plan,
    candidates_from,
    greedy,
    idle_gaps,
    read_participants,
    read_requests,
    solve,
)
from .ledger import Ledger, StageGoesBack


@dataclass
class EventPlan:
    """A planned event: the agenda, the best-pair-first baseline, the participants and each meeting's match."""

    plan: Plan
    baseline: Plan
    participants: list[Participant]
    slots: int
    tables: int
    explanations: dict[tuple[int, int], Match] = field(default_factory=dict)  # by the pair's indexes

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.participants]

    @property
    def idle(self) -> int:
        """Idle slots between participants' meetings (``agenda.idle_gaps``)."""
        return idle_gaps(self.plan.meetings)


def plan_event(
    matcher: Matcher,
    exclusions: Callable[[], Exclusions],
    *,
    slots: int,
    tables: int,
    participants: Path | None = None,
    requests: Path | None = None,
    max_per_org: int | None = None,
    candidates: int = 10,
    time_limit: float = 60.0,
    warn: Callable[[str], None] = lambda message: None,
) -> EventPlan:
    """The agenda of an event of ``slots`` slots at ``tables`` tables.

    ``participants`` is a file of names (or a CSV with ``name,unavailable,cap``), by default every profile;
    ``requests`` a CSV of ``org_a,org_b[,priority]``. ``exclusions()`` gives the ledger's pairs to leave out,
    read once the participants are known. ``warn`` is told what the plan cannot do as asked (someone who can
    attend no slot, more tables than pairs, a request naming a non-participant).
    """
    people, asked = _participants(matcher, participants, requests)
    _check_capacity(people, slots, tables, warn)
    find_row = matcher.index.find_row
    rows = [find_row(p.name) for p in people]
    position = {r: i for i, r in enumerate(rows)}
    excluded = exclusions()
    inside = [
        (find_row(a), find_row(b), pr) for a, b, pr in asked if find_row(a) in position and find_row(b) in position
    ]
    pairs = candidates_from(matcher.ranking, rows, top=candidates, exclusions=excluded, requests=inside)
    for a, b, _ in asked:
        if find_row(a) not in position or find_row(b) not in position:
            warn(f"the request {a} – {b} names someone who is not a participant; left out.")
    if not pairs:
        raise AgendaError("No two participants have anything in common (and nothing was requested).")
    cap = max_per_org or slots
    plan = solve(pairs, people, slots=slots, tables=tables, cap=cap, time_limit=time_limit)
    baseline = greedy(pairs, people, slots=slots, tables=tables, cap=cap)
    names = [p.name for p in people]
    explained = {(m.a, m.b): matcher.explain(names[m.a], names[m.b]) for m in plan.meetings}
    return EventPlan(plan, baseline, people, slots, tables, explained)


def _participants(matcher: Matcher, participants, requests) -> tuple[list[Participant], list]:
    """The participants (every profile by default) and the requested meetings, names checked."""
    names = matcher.names
    people = read_participants(participants, names.name_of) if participants else None
    if people is None:
        people = [Participant(n) for n in matcher.index.names]
    asked = read_requests(requests, names.name_of) if requests else []
    if len(people) < 2:
        raise AgendaError("An event needs at least two participants.")
    return people, asked


def _check_capacity(people: list[Participant], slots: int, tables: int, warn) -> None:
    """Warn of participants who can attend no slot, and of tables that pairs cannot fill."""
    for p in people:
        if set(range(1, slots + 1)) <= p.unavailable:
            warn(f"{p.name} cannot attend any of the {slots} slots: they will have no meeting.")
    if tables > len(people) // 2:
        warn(f"{tables} tables for {len(people)} participants: at most {len(people) // 2} meetings can run at once.")


def record_plan(ledger: Ledger, event: EventPlan) -> int:
    """Record every meeting of the plan as ``proposed`` in the ledger, but for pairs already further on (a
    meeting does not set them back); returns how many were recorded."""
    names = event.names
    recorded = 0
    for m in event.plan.meetings:
        try:
            ledger.record(names[m.a], names[m.b], "proposed", note=f"scheduled: slot {m.slot}, table {m.table}")
        except StageGoesBack:
            continue
        recorded += 1
    return recorded
