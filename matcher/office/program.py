"""The agenda as an integer program (scipy's ``milp``, HiGHS), solved level by level: the one module that
imports the solver.

Variables: ``x[e, s]``, pair ``e`` meets in slot ``s`` (only the slots both can attend); ``y[p]``, ``p`` is
met (at least ``seats_needed`` good meetings), for each participant with a good candidate; ``u[p]``, ``p``
is met counting fillers too. Constraints: a pair meets at most once; nobody is in two meetings of one slot;
a slot holds at most ``tables`` meetings; nobody has more than their cap; ``need[p] * y[p]`` is at most
``p``'s good meetings and ``need[p] * u[p]`` at most all of them.

The levels (``agenda.LEVELS``) are maximised in order: requests met (each counting 1 plus a share of its
priority, the shares adding up to less than 1/2, so a met request always counts more); participants met;
the good meetings' total score; participants met with fillers; the fillers' score. Each level's optimum is
fixed (``c @ x >= value - tolerance``) before the next is solved, and each level's bound is the solver's
dual bound: no plan as good on the levels above does better. Then the fewest idle gaps for the meetings
held (``_fewest_gaps``: compaction, and a program of those meetings alone where it is small, each day an
interval, ``_gap_rows``). Above ``DIRECT_MAX`` (pair, slot) variables the program is solved in two stages
(``_two_stage``).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .agenda import (
    LEVELS,
    Candidate,
    Level,
    Participant,
    Plan,
    common_slots,
    free_slots,
    idle_gaps,
    own_cap,
    plan_of,
)
from .agenda import seats_needed as _needed_for
from .baseline import greedy
from .compaction import compact

DIRECT_MAX = 20_000
"""Above this many (pair, slot) variables the program is solved in two stages: with many interchangeable
slots one program over all of them spends its time on symmetric plans."""
PLACE_MAX = 400_000
"""Above this many (pair, slot) variables in the second stage its pairs are placed best pair first."""
GAPS_SECONDS = 5.0
"""At most this long on the idle-gaps level: it comes last, and compaction closes most gaps anyway."""
GAPS_MAX = 5_000
"""Above this many variables the idle gaps are left to compaction: on a 300-participant event (16,000) the
program found no better placement in 30 s."""
COUNT_LEVELS = ("participants", "filler participants")


def solve(
    candidates: Sequence[Candidate],
    participants: Sequence[Participant],
    *,
    slots: int,
    tables: int,
    cap: int,
    min_per_org: int = 1,
    time_limit: float = 60.0,
) -> Plan:
    """The best plan by the levels (within ``time_limit`` seconds in all, the best found then, its bounds
    stated), its meetings then moved between slots for fewer idle gaps (``compaction.compact``).

    Where the solver stops at its time limit with a plan worse than best pair first, that one is returned
    (its method says so): the result is never below the baseline. Each level's bound holds for every plan
    at least as good on the levels above.
    """
    event = Event(list(candidates), list(participants), slots, tables, cap, min_per_org)
    deadline = time.perf_counter() + time_limit
    people = event.participants
    size = sum(len(common_slots(people[c.a], people[c.b], slots)) for c in event.candidates)
    if size > DIRECT_MAX:
        plan, solved = _two_stage(event, deadline)
    else:
        plan, solved = _direct(event, deadline)
    baseline = greedy(event.candidates, people, slots=slots, tables=tables, cap=cap)
    if plan is None:
        plan = dataclasses.replace(baseline, method="greedy (the solver found no plan in time)")
    plan = compact(plan, people, slots=slots, tables=tables)
    if _key(baseline, event) > _key(plan, event):
        plan = dataclasses.replace(
            compact(baseline, people, slots=slots, tables=tables),
            method="greedy (better than the solver's plan in time)",
        )
    return judge(plan, event, solved.bounds, solved.proven)


def relaxed_plan(
    candidates: Sequence[Candidate],
    participants: Sequence[Participant],
    *,
    slots: int,
    tables: int,
    cap: int,
    min_per_org: int = 1,
    time_limit: float = 20.0,
) -> list[int]:
    """The candidates (indexes) a best plan of the relaxation holds (which pairs meet, slots not chosen; by
    the first levels: requests, participants met, score): who can be met among ``candidates``, and who has
    seats left. Anyone it leaves unmet could not be met in any plan that meets as many."""
    event = Event(list(candidates), list(participants), slots, tables, cap, min_per_org)
    model, objectives, pair_vars = _pair_program(event)
    solved = _lexicographic(model, objectives[:3], time.perf_counter() + time_limit)
    if solved.x is None:
        return []
    return [e for e, vs in enumerate(pair_vars) if any(solved.x[v] > 0.5 for v in vs)]


def judge(plan: Plan, event: Event, bounds: Sequence[float | None] = (), proven: Sequence[bool] = ()) -> Plan:
    """``plan`` with its figure on each level (``agenda.LEVELS``) and the ``bounds`` found for them."""
    bounds = [None if b is None else b + 0.0 for b in bounds] + [None] * (len(LEVELS) - len(bounds))  # no -0.0
    proven = list(proven) + [False] * (len(LEVELS) - len(proven))
    values = _values(plan, event)
    good, anyone = event.counted()
    whole = lambda b, most: None if b is None else float(min(most, math.floor(b + 1e-6)))  # noqa: E731
    levels = [
        Level("requests", plan.requests_met, whole(bounds[0], plan.requests), plan.requests, proven[0]),
        Level("participants", values[1], whole(bounds[1], len(good)), len(good), proven[1]),
        Level("score", values[2], bounds[2], None, proven[2]),
        Level("filler participants", values[3], whole(bounds[3], len(anyone)), len(anyone), proven[3]),
        Level("filler score", values[4], bounds[4], None, proven[4]),
        Level("idle gaps", -values[5], None if bounds[5] is None else max(0.0, bounds[5]), None, proven[5]),
    ]
    bound = float("nan") if bounds[2] is None else bounds[2]
    return dataclasses.replace(plan, levels=levels, objective=values[2], bound=bound)


def _key(plan: Plan, event: Event) -> tuple:
    """The plan's figures in the order they count (rounded: solver tolerances are no improvement)."""
    return tuple(round(v, 9) for v in _values(plan, event))


@dataclass(frozen=True)
class Event:
    """What the program is given: the candidates, the participants and the event's limits."""

    candidates: Sequence[Candidate]
    participants: Sequence[Participant]
    slots: int
    tables: int
    cap: int
    min_per_org: int = 1

    def needed(self, p: int) -> int:
        return _needed_for(self.participants[p], self.slots, self.cap, self.min_per_org)

    def pairs_of(self) -> dict[int, list[int]]:
        """Each participant's candidate pairs (indexes)."""
        out: dict[int, list[int]] = {}
        for e, c in enumerate(self.candidates):
            out.setdefault(c.a, []).append(e)
            out.setdefault(c.b, []).append(e)
        return out

    def counted(self) -> tuple[list[int], list[int]]:
        """Participants counted by the participants level (a good candidate) and by the fillers' one (any)."""
        good, anyone = set(), set()
        for c in self.candidates:
            for p in (c.a, c.b):
                if self.needed(p) > 0:
                    anyone.add(p)
                    if not c.filler:
                        good.add(p)
        return sorted(good), sorted(anyone)


class _Model:
    """A program being built: variables with bounds and integrality, rows ``lo <= A x <= hi``."""

    def __init__(self):
        self.integral: list[float] = []
        self.upper: list[float] = []
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.vals: list[float] = []
        self.lo: list[float] = []
        self.hi: list[float] = []

    @property
    def n(self) -> int:
        return len(self.integral)

    def variables(self, k: int, *, integral: bool = True, upper: float = 1.0) -> int:
        first = self.n
        self.integral += [1.0 if integral else 0.0] * k
        self.upper += [upper] * k
        return first

    def row(self, cols: Sequence[int], vals: Sequence[float], lo: float = -np.inf, hi: float = np.inf) -> None:
        r = len(self.lo)
        self.rows += [r] * len(cols)
        self.cols += list(cols)
        self.vals += list(vals)
        self.lo.append(lo)
        self.hi.append(hi)

    def solve(self, objective: np.ndarray, fixed: list, time_limit: float, gap: float = 1e-4):
        """Maximise ``objective`` under the rows and ``fixed`` (more constraints)."""
        from scipy import sparse
        from scipy.optimize import Bounds, LinearConstraint, milp

        matrix = sparse.csr_array((self.vals, (self.rows, self.cols)), shape=(len(self.lo), self.n))
        constraints = [LinearConstraint(matrix, self.lo, self.hi), *fixed]
        return milp(
            -objective,
            constraints=constraints,
            bounds=Bounds(0, self.upper),
            integrality=np.array(self.integral),
            options={"time_limit": max(time_limit, 0.5), "mip_rel_gap": gap},
        )


def _at_least(c: np.ndarray, value: float):
    from scipy import sparse
    from scipy.optimize import LinearConstraint

    return LinearConstraint(sparse.csr_array(c.reshape(1, -1)), value, np.inf)


def _tolerance(name: str, value: float) -> float:
    """How far below a level's optimum the next levels may go: half a count, else rounding."""
    return 0.5 if name in COUNT_LEVELS else 1e-6 * max(1.0, abs(value))


@dataclass
class _Solved:
    x: np.ndarray | None
    bounds: list[float | None]
    proven: list[bool]
    fixed: list = dataclasses.field(default_factory=list)  # each level solved, held at its optimum


def _lexicographic(model: _Model, objectives: list[np.ndarray], deadline: float) -> _Solved:
    """Each objective maximised in turn, the optimum of each fixed before the next (``objectives`` follow
    LEVELS); a level nothing counts in (no requests, no fillers) is 0. Stops where time runs out: the later
    levels then have no bound."""
    solved = _Solved(None, [None] * len(objectives), [False] * len(objectives))
    for k, c in enumerate(objectives):
        if not c.any():
            solved.bounds[k], solved.proven[k] = 0.0, True
            solved.fixed.append(None)
            continue
        left = deadline - time.perf_counter()
        if left <= 0.2:
            break
        result = model.solve(c, [f for f in solved.fixed if f is not None], left)
        bound = -float(getattr(result, "mip_dual_bound", np.nan))
        solved.bounds[k] = bound if math.isfinite(bound) else None
        if result.x is None:
            break
        solved.x = result.x
        solved.proven[k] = result.status == 0
        value = float(c @ result.x)
        solved.fixed.append(_at_least(c, value - _tolerance(LEVELS[k], value)))
    if solved.x is None and len(solved.fixed) == len(objectives):  # nothing to choose: no meeting at all
        solved.x = np.zeros(model.n)
    return solved


def _bound_rows(model: _Model, event: Event, count: int, pair_vars, group: list[list[int]]):
    """The rows every form of the program shares: the seat rows of ``y`` and ``u`` (``count`` variables
    each, after the pair variables) linking a participant's count to their meetings. ``pair_vars[e]`` are
    the variables of pair ``e``; ``group`` the participants counted by ``y`` and by ``u``."""
    by_person = event.pairs_of()
    for first, people, good_only in ((count, group[0], True), (count + len(group[0]), group[1], False)):
        for i, p in enumerate(people):
            cols = [
                v for e in by_person.get(p, ()) if not (good_only and event.candidates[e].filler) for v in pair_vars[e]
            ]
            model.row([first + i, *cols], [event.needed(p), *([-1.0] * len(cols))], hi=0.0)


def _objectives(event: Event, n: int, pair_vars, first_y: int, group) -> list[np.ndarray]:
    """The level vectors over ``n`` variables, LEVELS order, idle gaps left out (``_gap_rows`` adds it)."""
    weights = _request_weights(event)
    levels = [np.zeros(n) for _ in range(5)]
    for e, cand in enumerate(event.candidates):
        cols = list(pair_vars[e])
        levels[0][cols] = weights[e]
        levels[4 if cand.filler else 2][cols] = cand.score
    levels[1][first_y : first_y + len(group[0])] = 1.0
    levels[3][first_y + len(group[0]) : first_y + len(group[0]) + len(group[1])] = 1.0
    return levels


def _slot_program(event: Event, *, held: bool = False):
    """The whole program: ``x[e, s]`` for the slots both can attend, then ``y`` and ``u``; its objectives
    follow LEVELS, idle gaps left out. With ``held``, every pair must meet and the one objective is minus
    the idle gaps (``_gap_rows``): the levels above are then what they are."""
    model, slots = _Model(), event.slots
    people = event.participants
    pair_vars, where = [], []
    for e, c in enumerate(event.candidates):
        common = common_slots(people[c.a], people[c.b], slots)
        first = model.variables(len(common))
        pair_vars.append(range(first, first + len(common)))
        where += [(e, s) for s in common]
        model.row(list(pair_vars[-1]), [1.0] * len(common), lo=1.0 if held else -np.inf, hi=1.0)  # once at most
    in_slot: dict[tuple[int, int], list[int]] = {}
    for v, (e, s) in enumerate(where):
        c = event.candidates[e]
        in_slot.setdefault((c.a, s), []).append(v)
        in_slot.setdefault((c.b, s), []).append(v)
    for cols in in_slot.values():  # nobody in two meetings at once
        model.row(cols, [1.0] * len(cols), hi=1.0)
    for s in range(slots):  # tables per slot
        cols = [v for v, (_, t) in enumerate(where) if t == s]
        model.row(cols, [1.0] * len(cols), hi=event.tables)
    if held:
        return model, [_gap_rows(model, event, in_slot, sorted(event.pairs_of()))], where
    for p, edges in event.pairs_of().items():  # each one's cap
        cols = [v for e in edges for v in pair_vars[e]]
        model.row(cols, [1.0] * len(cols), hi=own_cap(people[p], event.cap))
    group = event.counted()
    first_y = model.variables(len(group[0]) + len(group[1]))
    _bound_rows(model, event, first_y, pair_vars, group)
    return model, _objectives(event, model.n, pair_vars, first_y, group), where


def _gap_rows(model: _Model, event: Event, in_slot, people: list[int]) -> np.ndarray:
    """Each participant's day as an interval, and the objective: minus the idle gaps.

    ``w[p, s]`` (slot ``s`` lies within ``p``'s day) is at least each meeting of ``p`` in ``s``; ``o[p, s]``
    (the day opens at ``s``) is at least ``w[p, s] - w[p, s - 1]``, and opens once at most. The gaps are
    ``sum(w) - meetings``. With the meetings whole, the tightest ``w`` is whole too: both are continuous.
    """
    slots = event.slots
    first = model.variables(2 * slots * len(people), integral=False)
    c = np.zeros(model.n)
    for i, p in enumerate(people):
        w = first + 2 * slots * i
        o = w + slots
        for s in range(slots):
            cols = in_slot.get((p, s), [])
            if cols:
                model.row([*cols, w + s], [*([1.0] * len(cols)), -1.0], hi=0.0)
            previous = [w + s - 1] if s else []
            model.row([w + s, *previous, o + s], [1.0, *([-1.0] * len(previous)), -1.0], hi=0.0)
            c[cols] += 1.0
        model.row(list(range(o, o + slots)), [1.0] * slots, hi=1.0)
        c[w : w + slots] = -1.0
    return c


def _pair_program(event: Event):
    """Stage one of a large event: ``x[e]`` (pair ``e`` meets, slot not chosen; at most each one's cap and
    free slots, ``slots * tables`` in all), then ``y``, ``u``. It relaxes the whole program."""
    model, slots, people = _Model(), event.slots, event.participants
    pair_vars = []
    for c in event.candidates:
        v = model.variables(1 if common_slots(people[c.a], people[c.b], slots) else 0)
        pair_vars.append(range(v, model.n))
    for p, edges in event.pairs_of().items():
        cols = [v for e in edges for v in pair_vars[e]]
        model.row(cols, [1.0] * len(cols), hi=min(own_cap(people[p], event.cap), len(free_slots(people[p], slots))))
    model.row(list(range(model.n)), [1.0] * model.n, hi=slots * event.tables)
    group = event.counted()
    first_y = model.variables(len(group[0]) + len(group[1]))
    _bound_rows(model, event, first_y, pair_vars, group)
    return model, _objectives(event, model.n, pair_vars, first_y, group), pair_vars


def _direct(event: Event, deadline: float) -> tuple[Plan | None, _Solved]:
    """The whole program, level by level; then the fewest idle gaps for the meetings it holds."""
    model, objectives, where = _slot_program(event)
    solved = _lexicographic(model, objectives, deadline)
    if solved.x is None:
        return None, solved
    chosen = [where[v] for v in np.flatnonzero(solved.x[: len(where)] > 0.5)]
    plan, bound, proven = _fewest_gaps(event, plan_of(chosen, event.candidates, event.slots, "milp"), deadline)
    solved.bounds.append(bound)
    solved.proven.append(proven)
    return plan, solved


def _fewest_gaps(event: Event, plan: Plan, deadline: float) -> tuple[Plan, float, bool]:
    """``plan``'s meetings placed with the fewest idle gaps, a lower bound on them and whether it is met.

    ``compact`` first; where gaps are left, the program of these meetings alone (each must be held, the
    objective minus the gaps) for at most GAPS_SECONDS, up to GAPS_MAX variables. With real-valued scores
    the levels above almost always fix which meetings are held, so the fewest gaps for them is the level's
    optimum; the bound is stated for them (no placement of these meetings has fewer)."""
    people, slots, tables = event.participants, event.slots, event.tables
    plan = compact(plan, people, slots=slots, tables=tables)
    gaps = idle_gaps(plan.meetings)
    left = min(deadline - time.perf_counter(), GAPS_SECONDS)
    index = {(c.a, c.b): e for e, c in enumerate(event.candidates)}
    held = [index[(m.a, m.b)] for m in plan.meetings]
    sub = dataclasses.replace(event, candidates=[event.candidates[e] for e in held])
    size = sum(len(common_slots(people[c.a], people[c.b], slots)) for c in sub.candidates)
    if gaps == 0 or left < 0.5 or size + 2 * slots * len(sub.pairs_of()) > GAPS_MAX:
        return plan, 0.0, gaps == 0
    model, (objective,), where = _slot_program(sub, held=True)
    result = model.solve(objective, [], left)
    best = -float(getattr(result, "mip_dual_bound", np.nan))  # the objective is minus the gaps
    bound = max(0.0, math.ceil(-best - 1e-6)) if math.isfinite(best) else 0.0
    if result.x is not None:
        chosen = [(held[e], s) for e, s in (where[v] for v in np.flatnonzero(result.x[: len(where)] > 0.5))]
        other = compact(plan_of(chosen, event.candidates, slots, plan.method), people, slots=slots, tables=tables)
        if len(other.meetings) == len(plan.meetings) and idle_gaps(other.meetings) < gaps:
            plan = other
    return plan, bound, idle_gaps(plan.meetings) <= bound


def _two_stage(event: Event, deadline: float) -> tuple[Plan | None, _Solved]:
    """Which pairs meet, then when. Stage one chooses the pairs level by level (``_pair_program``): it
    relaxes the whole program, so its bounds bound every plan. Stage two places the chosen pairs in slots
    (``_place``); where it cannot place them all, the seats left are filled best pair first (good
    candidates before fillers) and the bounds are found again for the levels the plan reached."""
    model, objectives, pair_vars = _pair_program(event)
    solved = _lexicographic(model, objectives, deadline)
    if solved.x is None:
        return None, solved
    picked = [e for e, vs in enumerate(pair_vars) if any(solved.x[v] > 0.5 for v in vs)]
    placed = _place(event, picked, deadline)
    c = event.candidates
    order = lambda e: (not c[e].requested, c[e].filler, -c[e].score)  # noqa: E731
    plan = greedy(
        c, event.participants, slots=event.slots, tables=event.tables, cap=event.cap, start=placed, order=order
    )
    plan = dataclasses.replace(plan, method="milp (two stages)")
    if len(placed) < len(picked):
        solved.bounds = _bounds_at(model, objectives, _values(plan, event)[:-1], deadline)
    plan, bound, proven = _fewest_gaps(event, plan, deadline)
    solved.bounds.append(bound)
    solved.proven.append(proven)
    return plan, solved


def _place(event: Event, picked: list[int], deadline: float) -> list[tuple[int, int]]:
    """(pair, slot) for the ``picked`` pairs: all of them where the slots allow, else the most by the levels."""
    sub = dataclasses.replace(event, candidates=[event.candidates[e] for e in picked])
    people = event.participants
    size = sum(len(common_slots(people[c.a], people[c.b], event.slots)) for c in sub.candidates)
    if size > PLACE_MAX:
        plan = greedy(sub.candidates, people, slots=event.slots, tables=event.tables, cap=event.cap)
        index = {(c.a, c.b): e for e, c in zip(picked, sub.candidates)}
        return [(index[(m.a, m.b)], m.slot - 1) for m in plan.meetings]
    model, objectives, where = _slot_program(sub)
    every = np.zeros(model.n)
    every[: len(where)] = 1.0
    first = model.solve(every, [], deadline - time.perf_counter())
    x = first.x
    if x is None or float(np.sum(x[: len(where)])) < len(picked) - 0.5:
        x = _lexicographic(model, objectives, deadline).x if x is not None else None
    if x is None:
        return []
    return [(picked[e], s) for e, s in (where[v] for v in np.flatnonzero(x[: len(where)] > 0.5))]


def _bounds_at(model: _Model, objectives, achieved: list[float], deadline: float) -> list[float | None]:
    """Each level's bound among the plans at least as good as ``achieved`` on the levels above it."""
    bounds: list[float | None] = []
    fixed = []
    for k, c in enumerate(objectives):
        result = model.solve(c, fixed, deadline - time.perf_counter())
        bound = -float(getattr(result, "mip_dual_bound", np.nan))
        bounds.append(bound if math.isfinite(bound) else None)
        fixed.append(_at_least(c, achieved[k] - _tolerance(LEVELS[k], achieved[k])))
    return bounds


def _request_weights(event: Event) -> list[float]:
    """What each candidate counts in the requests level: 1 plus its share of the priorities (under 1/2 in all)."""
    c = event.candidates
    total = sum(max(0.0, x.priority) for x in c if x.requested) or 1.0
    return [1.0 + 0.49 * max(0.0, x.priority) / total if x.requested else 0.0 for x in c]


def _values(plan: Plan, event: Event) -> list[float]:
    """The plan's figure on each level, in the program's units (requests weighted by priority)."""
    index = {(c.a, c.b): e for e, c in enumerate(event.candidates)}
    weights = _request_weights(event)
    good, anyone = event.counted()
    held_good: dict[int, int] = {}
    held: dict[int, int] = {}
    for m in plan.meetings:
        for p in (m.a, m.b):
            held[p] = held.get(p, 0) + 1
            if not m.filler:
                held_good[p] = held_good.get(p, 0) + 1
    return [
        float(sum(weights[index[(m.a, m.b)]] for m in plan.meetings)),
        float(sum(1 for p in good if held_good.get(p, 0) >= event.needed(p))),
        float(sum(m.score for m in plan.meetings if not m.filler)),
        float(sum(1 for p in anyone if held.get(p, 0) >= event.needed(p))),
        float(sum(m.score for m in plan.meetings if m.filler)),
        -float(idle_gaps(plan.meetings)),
    ]
