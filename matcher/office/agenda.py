"""Brokerage events as data: participants, candidate meetings, meetings, the plan and what it achieves.

An agenda is judged level by level (``LEVELS``), each level counting only among the plans that do as well on
the levels before it: the requests met; the participants with at least ``min_per_org`` meetings, among
those who have a good candidate (a match that is not weak, or a requested meeting); the total score of the
good meetings; then weak matches as fillers (participants met at all, then the fillers' score); and last,
fewer idle gaps in participants' days. ``program.solve`` finds the plan, ``candidates.candidates_from`` says
who may meet, ``baseline.greedy`` is best pair first and ``compaction.compact`` closes idle gaps.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..errors import MatcherError

MAX_SLOTS = 48
"""Slots an event may have: two days of 20-minute meetings. The program grows with slots x candidate pairs."""
MAX_TABLES = 1_000
"""Tables an event may have (meetings at once)."""
MAX_PARTICIPANTS = 1_500
"""Participants an event may have: each is ranked against the others, and the program grows with them."""
MAX_CANDIDATES = 50
"""Best partners per participant an event may consider."""
MAX_SLOT_MINUTES = 240
MAX_TIME_LIMIT = 3_600.0

LEVELS = ("requests", "participants", "score", "filler participants", "filler score", "idle gaps")
"""What a plan is judged on, most important first; idle gaps are fewer the better, every other level more."""


class AgendaError(MatcherError):
    """An event that cannot be planned as asked."""


@dataclass(frozen=True)
class Participant:
    name: str
    unavailable: frozenset[int] = frozenset()  # slots (1-based) they cannot attend
    cap: int | None = None  # their own limit on meetings


@dataclass(frozen=True)
class Candidate:
    """A meeting that may be held: two participants (indexes), its score, its strength and whether it was asked for.

    A weak candidate (``strength == "weak"``, nothing specific in common) that nobody asked for is a filler:
    it is held only in a seat that no good candidate could take. ``unit`` is kept for callers of the
    weighted objective of earlier versions (``weight``).
    """

    a: int
    b: int
    score: float
    requested: bool = False
    priority: float = 0.0  # a request's priority, 0 or more: breaks ties between requests
    unit: float = 1.0
    strength: str = ""  # strong | moderate | weak; "" where not known (counted as good)
    reserve: bool = False  # in neither side's best partners: considered for who could not be met otherwise

    @property
    def filler(self) -> bool:
        """Weak and not asked for: held only where no good candidate could take the seat."""
        return self.strength == "weak" and not self.requested

    @property
    def weight(self) -> float:
        """Requests first, then the score: the order best pair first takes candidates in."""
        return self.score + (10.0 * self.unit * (1 + self.priority) if self.requested else 0.0)


@dataclass(frozen=True)
class Meeting:
    slot: int  # 1-based
    table: int  # 1-based
    a: int
    b: int
    score: float
    requested: bool
    strength: str = ""

    @property
    def filler(self) -> bool:
        return self.strength == "weak" and not self.requested


@dataclass(frozen=True)
class Level:
    """One level of the objective: the plan's figure, the bound no plan doing as well on the levels above can
    pass (an upper bound; a lower bound for idle gaps), and out of how many where it is a count."""

    name: str
    value: float
    bound: float | None  # None: the solver found none in time
    of: int | None = None  # participants or requests counted
    proven: bool = True  # False: the value was not optimised (a time limit, or a level solved by heuristic)

    @property
    def gap(self) -> float:
        """How far the figure may be from the best possible, as a share of the bound (0 when they meet)."""
        if self.bound is None or not self.bound:
            return 0.0
        return max(0.0, abs(self.bound - self.value) / abs(self.bound))


@dataclass
class Plan:
    """A solved event: its meetings, each level's figure and bound, and the requests it could not meet.

    ``score`` is the total score of every meeting held; ``objective`` and ``bound`` are the score level's
    (the good meetings' total and its bound), ``gap`` how far apart they are.
    """

    meetings: list[Meeting]
    objective: float
    bound: float
    score: float
    requests_met: int
    requests: int
    unmet_requests: list[tuple[int, int]] = field(default_factory=list)
    method: str = "milp"
    levels: list[Level] = field(default_factory=list)

    @property
    def gap(self) -> float:
        """How far the score level's figure may be below its optimum, as a share of the bound."""
        if not self.bound or not math.isfinite(self.bound):
            return 0.0
        return max(0.0, (self.bound - self.objective) / self.bound)

    def level(self, name: str) -> Level | None:
        return next((lv for lv in self.levels if lv.name == name), None)

    @property
    def fillers(self) -> int:
        return sum(1 for m in self.meetings if m.filler)


def own_cap(p: Participant, cap: int) -> int:
    """A participant's limit on meetings: the event's, or their own where it is lower."""
    return cap if p.cap is None else min(cap, p.cap)


def free_slots(p: Participant, slots: int) -> list[int]:
    """The slots (0-based) ``p`` can attend."""
    return [s for s in range(slots) if (s + 1) not in p.unavailable]


def common_slots(a: Participant, b: Participant, slots: int) -> list[int]:
    """The slots (0-based) both can attend."""
    return [s for s in range(slots) if (s + 1) not in a.unavailable and (s + 1) not in b.unavailable]


def seats_needed(p: Participant, slots: int, cap: int, min_per_org: int) -> int:
    """Meetings that count ``p`` as met: ``min_per_org``, or fewer where their cap or free slots allow fewer."""
    return min(min_per_org, own_cap(p, cap), len(free_slots(p, slots)))


def plan_of(chosen, candidates: Sequence[Candidate], slots: int, method: str) -> Plan:
    """A plan of ``chosen`` (pair index, 0-based slot) meetings, tables numbered within each slot, best first;
    its levels are filled in by ``program.judge``."""
    meetings = []
    tables_used = [0] * slots
    for e, s in sorted(chosen, key=lambda es: (es[1], -candidates[es[0]].weight)):
        c = candidates[e]
        tables_used[s] += 1
        meetings.append(Meeting(int(s) + 1, tables_used[s], c.a, c.b, c.score, c.requested, c.strength))
    held = {(m.a, m.b) for m in meetings}
    requests = [(c.a, c.b) for c in candidates if c.requested]
    good = float(sum(m.score for m in meetings if not m.filler))
    return Plan(
        meetings,
        good,
        float("nan"),
        float(sum(m.score for m in meetings)),
        sum(1 for r in requests if r in held),
        len(requests),
        [r for r in requests if r not in held],
        method,
    )


def idle_gaps(meetings: Sequence[Meeting]) -> int:
    """Slots each participant waits between their first and last meeting, summed over participants."""
    held: dict[int, list[int]] = {}
    for m in meetings:
        held.setdefault(m.a, []).append(m.slot)
        held.setdefault(m.b, []).append(m.slot)
    return sum(max(s) - min(s) + 1 - len(s) for s in held.values())


def check(plan: Plan, participants: Sequence[Participant], *, slots: int, tables: int, cap: int) -> list[str]:
    """Every constraint the plan breaks, in words (none for a valid plan)."""
    problems = []
    seen_pairs, per_slot, per_person = set(), {}, {}
    for m in plan.meetings:
        key = (min(m.a, m.b), max(m.a, m.b))
        if key in seen_pairs:
            problems.append(f"pair {key} meets twice")
        seen_pairs.add(key)
        if not 1 <= m.slot <= slots:
            problems.append(f"slot {m.slot} is outside 1..{slots}")
        per_slot[m.slot] = per_slot.get(m.slot, 0) + 1
        for person in (m.a, m.b):
            if m.slot in participants[person].unavailable:
                problems.append(f"{participants[person].name} meets in slot {m.slot}, which they cannot attend")
            per_person.setdefault(person, []).append(m.slot)
    for s, n in per_slot.items():
        if n > tables:
            problems.append(f"slot {s} holds {n} meetings at {tables} tables")
    for person, held in per_person.items():
        if len(held) != len(set(held)):
            problems.append(f"{participants[person].name} is in two meetings at once")
        own = own_cap(participants[person], cap)
        if len(held) > own:
            problems.append(f"{participants[person].name} has {len(held)} meetings, more than {own}")
    return problems


def slot_start(start: datetime, slot: int, minutes: int) -> datetime:
    return start + timedelta(minutes=minutes * (slot - 1))


def slot_starts(start: datetime, slots: int, minutes: int) -> list[str]:
    """Each slot's start as 'YYYY-MM-DD HH:MM'; an event that would end after the year 9999 is an AgendaError."""
    try:
        slot_start(start, slots + 1, minutes)
    except OverflowError:
        raise AgendaError(
            f"{slots} slots of {minutes} minutes from {start:%Y-%m-%d %H:%M} would end after the year 9999:"
            " start earlier."
        ) from None
    return [slot_start(start, s, minutes).strftime("%Y-%m-%d %H:%M") for s in range(1, slots + 1)]
