"""Plan a brokerage event: who takes part, which meetings they could hold, the agenda and why each pair meets.

``plan_event`` is the library behind ``matcher schedule`` (and the desk's agenda page): it checks the
event's limits, reads the participants and the requested meetings (``event_files``), finds who may meet
(``candidates``), solves the agenda level by level (``program.solve``) and the best-pair-first baseline
(``baseline.greedy``), and explains each meeting. Rendering and writing the agenda is ``output``'s.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..explanations.matching import Matcher
from ..explanations.results import Match
from ..explanations.stores import brief_matches
from ..ranking.ranker import Exclusions
from .agenda import (
    MAX_CANDIDATES,
    MAX_PARTICIPANTS,
    MAX_SLOTS,
    MAX_TABLES,
    MAX_TIME_LIMIT,
    AgendaError,
    Candidate,
    Participant,
    Plan,
    free_slots,
    idle_gaps,
    own_cap,
)
from .baseline import greedy
from .candidates import candidates_from, rate, why_barred
from .event_files import read_participants, read_requests
from .ledger import Ledger, StageGoesBack
from .program import Event, judge, relaxed_plan, solve


@dataclass
class EventPlan:
    """A planned event: the agenda, the best-pair-first baseline, the participants and each meeting's match."""

    plan: Plan
    baseline: Plan
    participants: list[Participant]
    slots: int
    tables: int
    explanations: dict[tuple[int, int], Match] = field(default_factory=dict)  # by the pair's indexes
    min_per_org: int = 1
    include_partners: bool = False
    candidates: list[Candidate] = field(default_factory=list)  # who could meet whom (``candidates_from``)
    seconds: dict[str, float] = field(default_factory=dict)  # each step's time: candidates, solve, explanations

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.participants]

    def unmet(self) -> list[tuple[str, str]]:
        """The participants without a meeting, by name, and why: "away" (they can attend no slot), "nobody"
        (no one they may meet has anything in common with them), "weak" (only weak matches, and no seat
        left for a filler) or "seats" (a good candidate, but the seats went to others)."""
        met = {p for m in self.plan.meetings for p in (m.a, m.b)}
        good, anyone = set(), set()
        for c in self.candidates:
            anyone.update((c.a, c.b))
            if not c.filler:
                good.update((c.a, c.b))
        out = []
        for i, p in enumerate(self.participants):
            if i in met:
                continue
            if not free_slots(p, self.slots):
                why = "away"
            else:
                why = "seats" if i in good else "weak" if i in anyone else "nobody"
            out.append((p.name, why))
        return sorted(out, key=lambda nw: nw[0].casefold())

    @property
    def idle(self) -> int:
        """Idle slots between participants' meetings (``agenda.idle_gaps``)."""
        return idle_gaps(self.plan.meetings)


def check_limits(
    *, slots: int, tables: int, max_per_org: int | None, min_per_org: int, candidates: int, time_limit: float
) -> None:
    """An AgendaError for an event larger than this machine plans, or limits that contradict each other."""
    ranges = (
        ("slots", slots, 1, MAX_SLOTS),
        ("tables", tables, 1, MAX_TABLES),
        ("max_per_org", slots if max_per_org is None else max_per_org, 1, slots),
        ("min_per_org", min_per_org, 1, slots if max_per_org is None else max_per_org),
        ("candidates", candidates, 1, MAX_CANDIDATES),
    )
    for name, value, low, high in ranges:
        if not (isinstance(value, int) and low <= value <= high):
            raise AgendaError(f"{name} is {value}: it must be a whole number from {low} to {high}.")
    if not (isinstance(time_limit, (int, float)) and math.isfinite(time_limit) and 1 <= time_limit <= MAX_TIME_LIMIT):
        raise AgendaError(f"time_limit is {time_limit}: it must be from 1 to {MAX_TIME_LIMIT:g} seconds.")


def plan_event(
    matcher: Matcher,
    exclusions: Callable[[], Exclusions],
    *,
    slots: int,
    tables: int,
    participants: Path | Sequence[str | Participant] | None = None,
    requests: Path | Sequence[tuple] | None = None,
    max_per_org: int | None = None,
    min_per_org: int = 1,
    include_partners: bool = False,
    candidates: int = 10,
    time_limit: float = 60.0,
    warn: Callable[[str], None] = lambda message: None,
    explain: bool = True,
) -> EventPlan:
    """The agenda of an event of ``slots`` slots at ``tables`` tables.

    Parameters
    ----------
    participants
        A file of names (or a CSV with ``name,unavailable,cap``), or the names (or ``Participant`` records)
        themselves; by default every profile (at most ``agenda.MAX_PARTICIPANTS``).
    requests
        A CSV of ``org_a,org_b[,priority]``, or ``(org_a, org_b[, priority])`` tuples: met first.
    max_per_org, min_per_org
        Meetings per participant at most (default: ``slots``), and the meetings that count one as met.
    include_partners
        Let organisations that already work together meet (a networking event); by default they may not
        (``candidates``' rules). Pairs the ledger declined or found not relevant never meet.
    candidates, time_limit
        Each participant's best partners considered; the solver's seconds in all.
    exclusions
        ``exclusions()`` gives the ledger's decisions (``Workspace.exclusions``), read once the
        participants are known.
    warn
        Told what the plan cannot do as asked: someone who can attend no slot, more tables than pairs, a
        request naming a non-participant or a pair that may not meet.
    explain
        Explain each meeting (``EventPlan.explanations``, the agenda's "Why"); in a store this takes
        longer than the plan.
    """
    limits = {"slots": slots, "tables": tables, "cap": max_per_org or slots, "min_per_org": min_per_org}
    sizes = {"slots": slots, "tables": tables, "max_per_org": max_per_org, "min_per_org": min_per_org}
    check_limits(candidates=candidates, time_limit=time_limit, **sizes)
    people, asked = _participants(matcher, participants, requests, slots)
    _check_capacity(people, slots, tables, warn)
    rows = [matcher.index.find_row(p.name) for p in people]
    excluded = exclusions()
    inside = _requests_inside(matcher, asked, set(rows), excluded, include_partners, warn)
    clock = time.perf_counter()
    reserve = min(RESERVE * candidates, MAX_RESERVE)
    rules = {"exclusions": excluded, "requests": inside, "include_partners": include_partners}
    pool = candidates_from(matcher, rows, top=candidates, reserve=reserve, **rules)
    pairs = _with_reserve(matcher, rows, pool, people, top=candidates, time_limit=time_limit / 4, **limits)
    if not pairs:
        raise AgendaError("No two participants may meet: none has anything in common with another that they may meet.")
    seconds = {"candidates": time.perf_counter() - clock}
    clock = time.perf_counter()
    plan = solve(pairs, people, time_limit=time_limit, **limits)
    baseline = greedy(pairs, people, slots=slots, tables=tables, cap=limits["cap"])
    baseline = judge(baseline, Event(pairs, people, **limits))
    seconds["solve"] = time.perf_counter() - clock
    clock = time.perf_counter()
    explained = explain_meetings(matcher, plan.meetings, [p.name for p in people]) if explain else {}
    seconds["explanations"] = time.perf_counter() - clock
    return EventPlan(plan, baseline, people, slots, tables, explained, min_per_org, include_partners, pairs, seconds)


RESERVE = 20
"""A participant with seats their best partners leave free may meet one of their next RESERVE x ``candidates``
(at most MAX_RESERVE) who has seats free too."""
MAX_RESERVE = 200


def explain_meetings(matcher: Matcher, meetings, names: Sequence[str]) -> dict[tuple[int, int], Match]:
    """Each meeting's explanation (``Matcher.explain`` of its two sides); in a store, each side's meetings in
    brief (``stores.brief_matches``: strength, joint work, the closest project), as ``matcher batch`` gives them."""
    out: dict[tuple[int, int], Match] = {}
    by_seeker: dict[int, list] = {}
    for m in meetings:
        by_seeker.setdefault(m.a, []).append(m)
    for a, held in by_seeker.items():
        row = matcher.names.find(names[a])
        if not matcher.ranking.seeks_by_record(row):
            out.update({(m.a, m.b): matcher.explain(names[m.a], names[m.b]) for m in held})
            continue
        others = [matcher.names.find(names[m.b]) for m in held]
        found = brief_matches(matcher.index, row, others, [m.score for m in held])
        out.update({(m.a, m.b): match for m, match in zip(held, found)})
    return out


def _with_reserve(matcher: Matcher, rows, pool: list[Candidate], people, *, top: int, **limits) -> list[Candidate]:
    """Each participant's best partners; and for those whose seats their best partners leave free (in a best
    plan of the relaxation, ``program.relaxed_plan``: in a store a few large organisations are everyone's
    best partner, and they have only so many seats), their ``top`` best good partners in reserve who have
    seats free too."""
    first = [c for c in pool if not c.reserve]
    held = [first[e] for e in relaxed_plan(first, people, **limits)]
    seats = Counter(p for c in held for p in (c.a, c.b))
    room = [
        min(own_cap(p, limits["cap"]), len(free_slots(p, limits["slots"]))) - seats[i] for i, p in enumerate(people)
    ]
    added: dict[tuple[int, int], Candidate] = {}
    found = [0] * len(people)
    for c in sorted((c for c in pool if c.reserve), key=lambda c: -c.score):
        if min(room[c.a], room[c.b]) <= 0 or min(found[c.a], found[c.b]) >= top:
            continue
        (rated,) = rate(matcher, rows, [c])
        if not rated.filler:
            added[(c.a, c.b)] = rated
            found[c.a] += 1
            found[c.b] += 1
    return first + list(added.values())


def _participants(matcher: Matcher, participants, requests, slots: int) -> tuple[list[Participant], list]:
    """The participants (every profile by default) and the requested meetings, names checked."""
    names = matcher.names
    if participants is None:
        if matcher.index.n_orgs > MAX_PARTICIPANTS:
            raise AgendaError(
                f"{matcher.index.n_orgs:,} organisations, more than an event's {MAX_PARTICIPANTS:,}: list who"
                " takes part (--participants FILE)."
            )
        people = [Participant(n) for n in matcher.index.names]
    elif isinstance(participants, (str, Path)):
        people = read_participants(participants, names.name_of, slots)
    else:
        people = [p if isinstance(p, Participant) else Participant(names.name_of(p)) for p in participants]
    if isinstance(requests, (str, Path)):
        asked = read_requests(requests, names.name_of)
    else:
        asked = [(names.name_of(r[0]), names.name_of(r[1]), float(r[2]) if len(r) > 2 else 0.0) for r in requests or ()]
    if len(people) < 2:
        raise AgendaError("An event needs at least two participants.")
    return people, asked


def _requests_inside(matcher: Matcher, asked, rows: set[int], excluded, include_partners: bool, warn) -> list:
    """The requests between participants that the rules let meet, as (row, row, priority); the others warned of."""
    find_row = matcher.index.find_row
    out = []
    for a, b, priority in asked:
        ra, rb = find_row(a), find_row(b)
        if ra not in rows or rb not in rows:
            warn(f"the request {a} – {b} names someone who is not a participant; left out.")
            continue
        why = why_barred(matcher, ra, rb, excluded, include_partners)
        if why is not None:
            hint = "" if "ledger has them at declined" in why or "not-relevant" in why else " (--include-partners)"
            warn(f"the request {a} – {b} is left out: {why}{hint}.")
            continue
        out.append((ra, rb, priority))
    return out


def _check_capacity(people: list[Participant], slots: int, tables: int, warn) -> None:
    """Warn of participants who can attend no slot, and of tables that pairs cannot fill."""
    for p in people:
        if not free_slots(p, slots):
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
