"""Brokerage events: who meets whom, at which table, in which slot — an integer program over the matches.

Candidate meetings are each participant's best partners among the other participants (the reciprocal
scores ``match`` gives), plus requested pairs, minus pairs the ledger has declined, found not relevant or
already partners. ``solve`` picks, for every candidate pair, at most one slot so that nobody is in two
meetings at once, a slot holds at most ``tables`` meetings, nobody has more than their cap, and nobody
meets in a slot they cannot attend; it maximises the total score of the meetings held, a request counting
``REQUEST_WEIGHT`` more. The program is solved by scipy's ``milp`` (HiGHS); its LP relaxation gives an
upper bound, so the output states how far from the optimum it can be. ``greedy`` is the baseline that
brokerage tools use (best pair first, into the first slot both are free).
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from ..errors import MatcherError
from ..ranking.ranker import NO_EXCLUSIONS, Exclusions, Ranking

REQUEST_WEIGHT = 10.0
"""What a requested meeting adds to its pair's score (scores are at most 1): a request is met wherever it can be."""


class AgendaError(MatcherError):
    """An event that cannot be planned as asked."""


@dataclass(frozen=True)
class Participant:
    name: str
    unavailable: frozenset[int] = frozenset()  # slots (1-based) they cannot attend
    cap: int | None = None  # their own limit on meetings


@dataclass(frozen=True)
class Candidate:
    """A meeting that may be held: two participants (indexes), its score and its weight in the objective."""

    a: int
    b: int
    score: float
    requested: bool = False
    priority: float = 0.0
    unit: float = 1.0  # the event's highest score, where above 1: a request adds REQUEST_WEIGHT such units

    @property
    def weight(self) -> float:
        return self.score + (REQUEST_WEIGHT * self.unit * (1 + self.priority) if self.requested else 0.0)


@dataclass(frozen=True)
class Meeting:
    slot: int  # 1-based
    table: int  # 1-based
    a: int
    b: int
    score: float
    requested: bool


@dataclass
class Plan:
    """A solved event: its meetings, the objective, an upper bound and what could not be met."""

    meetings: list[Meeting]
    objective: float  # total weight of the meetings held
    bound: float  # no plan can do better (LP relaxation)
    score: float  # total reciprocal score of the meetings held
    requests_met: int
    requests: int
    unmet_requests: list[tuple[int, int]] = field(default_factory=list)
    method: str = "milp"

    @property
    def gap(self) -> float:
        """How far the objective may be below the optimum, as a share of the bound."""
        return 0.0 if self.bound <= 0 else max(0.0, (self.bound - self.objective) / self.bound)


def own_cap(p: Participant, cap: int) -> int:
    """A participant's limit on meetings: the event's, or their own where it is lower."""
    return cap if p.cap is None else min(cap, p.cap)


def _pairs_of(candidates: Sequence[Candidate]) -> dict[int, list[int]]:
    """Each participant's candidate pairs (their indexes)."""
    out: dict[int, list[int]] = {}
    for e, c in enumerate(candidates):
        out.setdefault(c.a, []).append(e)
        out.setdefault(c.b, []).append(e)
    return out


def _dual_bound(result, weight: np.ndarray) -> float:
    """The solver's bound on the objective (the sum of all weights where it gives none)."""
    bound = -float(getattr(result, "mip_dual_bound", np.nan))
    return bound if np.isfinite(bound) else float(weight.sum())


def _model(candidates: Sequence[Candidate], participants: Sequence[Participant], slots: int, tables: int, cap: int):
    """The constraint matrix of the program: variable ``e * slots + s`` is pair ``e`` meeting in slot ``s``."""
    from scipy import sparse

    n_vars = len(candidates) * slots
    rows, cols, upper = [], [], []

    def constraint(variables: Iterable[int], bound: float) -> None:
        r = len(upper)
        for v in variables:
            rows.append(r)
            cols.append(v)
        upper.append(bound)

    for e in range(len(candidates)):  # a pair meets at most once
        constraint(range(e * slots, (e + 1) * slots), 1)
    by_person = _pairs_of(candidates)
    for person, edges in by_person.items():
        p = participants[person]
        for s in range(slots):  # nobody in two meetings at once, nor in a slot they cannot attend
            constraint((e * slots + s for e in edges), 0 if (s + 1) in p.unavailable else 1)
        constraint((e * slots + s for e in edges for s in range(slots)), own_cap(p, cap))
    for s in range(slots):  # tables per slot
        constraint((e * slots + s for e in range(len(candidates))), tables)
    matrix = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(upper), n_vars))
    return matrix, np.array(upper, dtype=float)


def solve(
    candidates: Sequence[Candidate],
    participants: Sequence[Participant],
    *,
    slots: int,
    tables: int,
    cap: int,
    time_limit: float = 60.0,
) -> Plan:
    """The best plan (``milp``; within ``time_limit`` seconds, the best found then, its gap stated), its
    meetings then moved between slots for fewer idle gaps (``compact``).

    Where the solver stops at its time limit with a plan worse than best-pair-first, that one is returned
    (its method says so): the result is never below the baseline. The bound is the solver's dual bound.
    """
    plan = _solve(candidates, participants, slots=slots, tables=tables, cap=cap, time_limit=time_limit)
    return compact(plan, participants, slots=slots, tables=tables)


def _solve(candidates, participants, *, slots: int, tables: int, cap: int, time_limit: float) -> Plan:
    from scipy.optimize import Bounds, LinearConstraint, milp

    if not candidates:
        return _plan([], candidates, slots, 0.0, "milp")
    if len(candidates) * slots > DIRECT_MAX:
        return _two_stage(candidates, participants, slots=slots, tables=tables, cap=cap, time_limit=time_limit)
    matrix, upper = _model(candidates, participants, slots, tables, cap)
    weight = np.repeat([c.weight for c in candidates], slots)
    result = milp(
        -weight,
        constraints=LinearConstraint(matrix, -np.inf, upper),
        bounds=Bounds(0, 1),
        integrality=np.ones(len(weight)),
        options={"time_limit": time_limit, "mip_rel_gap": 1e-4},
    )
    baseline = greedy(candidates, participants, slots=slots, tables=tables, cap=cap)
    bound = _dual_bound(result, weight)
    if result.x is None:
        return dataclasses.replace(baseline, bound=bound, method="greedy (the solver found no plan in time)")
    chosen = [(e, s) for e, s in zip(*np.divmod(np.flatnonzero(result.x > 0.5), slots))]
    plan = _plan(chosen, candidates, slots, bound, "milp")
    if baseline.objective > plan.objective:
        return dataclasses.replace(baseline, bound=bound, method="greedy (better than the solver's plan in time)")
    return plan


DIRECT_MAX = 20_000
"""Above this many (pair, slot) variables the program is solved in two stages (``_two_stage``): with many
interchangeable slots one program over all of them spends its time on symmetric plans."""


def _two_stage(candidates, participants, *, slots: int, tables: int, cap: int, time_limit: float) -> Plan:
    """Which pairs meet, then when. Stage one chooses the pairs (at most each one's cap or free slots, at
    most slots x tables in all): it relaxes the full program, so its bound bounds every plan. Stage two
    places the chosen pairs in slots with every constraint; what it cannot place leaves room that the
    remaining candidates fill best pair first. The better of that and best-pair-first is returned."""
    from scipy import sparse
    from scipy.optimize import Bounds, LinearConstraint, milp

    weight = np.array([c.weight for c in candidates])
    rows, cols, upper = [], [], []
    by_person = _pairs_of(candidates)
    for person, edges in by_person.items():
        p = participants[person]
        free = slots - len({s for s in p.unavailable if 1 <= s <= slots})
        rows += [len(upper)] * len(edges)
        cols += edges
        upper.append(min(own_cap(p, cap), free))
    rows += [len(upper)] * len(candidates)
    cols += list(range(len(candidates)))
    upper.append(slots * tables)
    matrix = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(upper), len(candidates)))
    first = milp(
        -weight,
        constraints=LinearConstraint(matrix, -np.inf, np.array(upper, float)),
        bounds=Bounds(0, 1),
        integrality=np.ones(len(weight)),
        options={"time_limit": time_limit / 3, "mip_rel_gap": 1e-4},
    )
    bound = _dual_bound(first, weight)
    baseline = greedy(candidates, participants, slots=slots, tables=tables, cap=cap)
    if first.x is None:
        return dataclasses.replace(baseline, bound=bound, method="greedy (the solver found no plan in time)")
    picked = [e for e in np.flatnonzero(first.x > 0.5)]
    sub = [candidates[e] for e in picked]
    matrix2, upper2 = _model(sub, participants, slots, tables, cap)
    second = milp(
        -np.repeat(weight[picked], slots),
        constraints=LinearConstraint(matrix2, -np.inf, upper2),
        bounds=Bounds(0, 1),
        integrality=np.ones(len(sub) * slots),
        options={"time_limit": time_limit / 2, "mip_rel_gap": 1e-4},
    )
    placed = []
    if second.x is not None:
        placed = [(picked[e], s) for e, s in zip(*np.divmod(np.flatnonzero(second.x > 0.5), slots))]
    filled = greedy(candidates, participants, slots=slots, tables=tables, cap=cap, start=placed)
    if baseline.objective > filled.objective:
        return dataclasses.replace(baseline, bound=bound, method="greedy (better than the two-stage plan)")
    return dataclasses.replace(filled, bound=bound, method="milp (two stages)")


def greedy(
    candidates: Sequence[Candidate],
    participants: Sequence[Participant],
    *,
    slots: int,
    tables: int,
    cap: int,
    start: Sequence[tuple[int, int]] = (),
) -> Plan:
    """Best pair first, into the first slot where both are free and a table is left (the baseline);
    ``start`` are (pair, slot) meetings already placed, which it fills around."""
    busy = [set() for _ in participants]
    count = [0] * len(participants)
    used = [0] * slots
    chosen = list(start)
    for e, s in chosen:
        c = candidates[e]
        busy[c.a].add(s)
        busy[c.b].add(s)
        used[s] += 1
        count[c.a] += 1
        count[c.b] += 1
    taken = {e for e, _ in chosen}
    order = sorted((e for e in range(len(candidates)) if e not in taken), key=lambda e: -candidates[e].weight)
    for e in order:
        c = candidates[e]
        pa, pb = participants[c.a], participants[c.b]
        if count[c.a] >= own_cap(pa, cap) or count[c.b] >= own_cap(pb, cap):
            continue
        for s in range(slots):
            free = s not in busy[c.a] and s not in busy[c.b] and used[s] < tables
            if free and (s + 1) not in pa.unavailable and (s + 1) not in pb.unavailable:
                chosen.append((e, s))
                busy[c.a].add(s)
                busy[c.b].add(s)
                used[s] += 1
                count[c.a] += 1
                count[c.b] += 1
                break
    return _plan(chosen, candidates, slots, float("nan"), "greedy" if not start else "milp")


def _plan(chosen, candidates, slots: int, bound: float, method: str) -> Plan:
    meetings = []
    tables_used = [0] * slots
    for e, s in sorted(chosen, key=lambda es: (es[1], -candidates[es[0]].weight)):
        c = candidates[e]
        tables_used[s] += 1
        meetings.append(Meeting(int(s) + 1, tables_used[s], c.a, c.b, c.score, c.requested))
    held = {(m.a, m.b) for m in meetings}
    requests = [(c.a, c.b) for c in candidates if c.requested]
    objective = float(sum(candidates[e].weight for e, _ in chosen))
    return Plan(
        meetings,
        objective,
        bound,
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


def compact(plan: Plan, participants: Sequence[Participant], *, slots: int, tables: int) -> Plan:
    """The same meetings with fewer idle gaps (the objective's second part), by Kempe-chain moves.

    For two slots s and t, the meetings held in either form chains (nobody is in two meetings of one
    slot): swapping s and t along one chain keeps everyone in at most one meeting a slot. A chain is
    swapped where everyone in it can attend its new slots, both slots keep within the tables, and the
    idle gaps of the people in it go down (or stay, with its meetings earlier on the whole: that frees later
    slots for other moves); so are whole slots. A single meeting moved to a slot where both sides are free is
    the shortest such chain. Who meets whom is unchanged, so the score, the objective and the bound stay
    as they are; tables are renumbered within each slot.
    """
    slot_of = [m.slot for m in plan.meetings]
    pairs = [(m.a, m.b) for m in plan.meetings]
    mine: dict[int, list[int]] = {}
    for k, (a, b) in enumerate(pairs):
        mine.setdefault(a, []).append(k)
        mine.setdefault(b, []).append(k)
    load = [0] * (slots + 1)
    for s in slot_of:
        load[s] += 1

    def gaps(person: int, trial: dict[int, int]) -> int:
        held = [trial.get(k, slot_of[k]) for k in mine[person]]
        return max(held) - min(held) + 1 - len(held)

    def chain(k: int, s: int, t: int) -> list[int]:
        """The meetings in slots s and t linked to meeting k through the people they share."""
        seen, todo = {k}, [k]
        while todo:
            j = todo.pop()
            for person in pairs[j]:
                for other in mine[person]:
                    if other not in seen and slot_of[other] in (s, t):
                        seen.add(other)
                        todo.append(other)
        return sorted(seen)

    improved = True
    while improved:
        improved = False
        for k in range(len(pairs)):
            for t in range(1, slots + 1):
                s = slot_of[k]
                if t == s:
                    continue
                links = chain(k, s, t)
                trial = {j: t if slot_of[j] == s else s for j in links}
                to_t = sum(1 for j in links if trial[j] == t)
                if load[t] + to_t - (len(links) - to_t) > tables or load[s] - to_t + (len(links) - to_t) > tables:
                    continue
                if any(trial[j] in participants[p].unavailable for j in links for p in pairs[j]):
                    continue
                people = {p for j in links for p in pairs[j]}
                after, before = sum(gaps(p, trial) for p in people), sum(gaps(p, {}) for p in people)
                earlier = sum(trial[j] - slot_of[j] for j in links) < 0  # a tie in gaps: earlier frees later slots
                if after < before or (after == before and earlier):
                    for j, slot in trial.items():
                        load[slot_of[j]] -= 1
                        load[slot] += 1
                        slot_of[j] = slot
                    improved = True
        for s in range(1, slots + 1):  # whole slots swapped: every chain of s and t at once
            for t in range(s + 1, slots + 1):
                trial = {k: s + t - slot_of[k] for k in range(len(pairs)) if slot_of[k] in (s, t)}
                if any(trial[j] in participants[p].unavailable for j in trial for p in pairs[j]):
                    continue
                people = {p for j in trial for p in pairs[j]}
                if sum(gaps(p, trial) for p in people) < sum(gaps(p, {}) for p in people):
                    for j, slot in trial.items():
                        slot_of[j] = slot
                    load[s], load[t] = load[t], load[s]
                    improved = True
    used = [0] * (slots + 1)
    meetings = []
    for k in sorted(range(len(pairs)), key=lambda k: (slot_of[k], plan.meetings[k].table)):
        m = plan.meetings[k]
        used[slot_of[k]] += 1
        meetings.append(dataclasses.replace(m, slot=slot_of[k], table=used[slot_of[k]]))
    return dataclasses.replace(plan, meetings=meetings)


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


def candidates_from(
    ranking: Ranking, rows: Sequence[int], *, top: int, requests=(), exclusions: Exclusions = NO_EXCLUSIONS
) -> list[Candidate]:
    """Candidate meetings among ``rows`` (participants, as index rows): each one's ``top`` best partners
    among the others (``Ranking.ranked_top``, the ``match`` ranking), pairs with a score, plus ``requests``
    ((row, row, priority)); pairs the ledger left out (``exclusions.left_out``) never. Indexes are into ``rows``.

    A pair's score is the one ``match`` gives it: reciprocal, so the same from either side, in a profile
    folder; in a store, where each organisation is ranked for its own newest projects, the higher of the
    two sides' scores. Scores of a store run above 1, so a request's weight is counted in units of the
    event's highest score (``Candidate.unit``).
    """
    position = {r: i for i, r in enumerate(rows)}
    allowed = np.zeros(ranking.index.n_orgs, dtype=bool)
    allowed[list(rows)] = True
    scores: dict[tuple[int, int], float] = {}
    for r in rows:
        mask = allowed.copy()
        mask[r] = False
        found, score = ranking.ranked_top(r, top, mask)
        for b, s in zip(found.tolist(), score.tolist()):
            key = tuple(sorted((position[r], position[b])))
            if s > 0 and b not in exclusions.left_out.get(r, ()):
                scores[key] = max(scores.get(key, 0.0), float(s))
    full: dict[int, np.ndarray] = {}  # a participant's scores against everyone, where a request needs them
    asked: dict[tuple[int, int], float] = {}
    for ra, rb, priority in requests:
        key = tuple(sorted((position[ra], position[rb])))
        if rb in exclusions.left_out.get(ra, ()):
            continue
        for r in (ra, rb):
            if r not in full:
                full[r] = ranking.ranked_scores(r)
        scores[key] = max(float(full[ra][rb]), float(full[rb][ra]))
        asked[key] = float(priority)
    unit = max(1.0, max(scores.values(), default=1.0))
    pairs = [Candidate(a, b, s, (a, b) in asked, asked.get((a, b), 0.0), unit) for (a, b), s in scores.items()]
    return sorted(pairs, key=lambda c: (c.a, c.b))


def read_participants(path, find) -> list[Participant]:
    """Participants from a file: one name a line, or a CSV with a ``name`` column and optional
    ``unavailable`` (slots, separated by ';' or spaces) and ``cap`` columns. ``find(name)`` returns the
    profile's name or raises (an unknown name stops with the line it is on)."""
    text = Path(path).read_text(encoding="utf-8-sig")
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    out: list[Participant] = []
    if lines and lines[0].split(",")[0].strip().lower() == "name":
        for i, row in enumerate(csv.DictReader(lines), start=2):
            out.append(_participant(row, i, path, find))
    else:
        for i, line in enumerate(lines, start=1):
            out.append(Participant(_found(find, line.strip(), path, i)))
    names = [p.name for p in out]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise AgendaError(f"{path}: {', '.join(twice)} listed twice: list each participant once.")
    return out


def _found(find, name: str, path, line: int) -> str:
    try:
        return find(name)
    except MatcherError as exc:
        raise AgendaError(f"{path}:{line}: {exc}") from None


def _participant(row: dict, line: int, path, find) -> Participant:
    name = _found(find, (row.get("name") or "").strip(), path, line)
    slots = (row.get("unavailable") or "").replace(";", " ").split()
    try:
        unavailable = frozenset(int(s) for s in slots)
        cap = int(row["cap"]) if (row.get("cap") or "").strip() else None
    except ValueError:
        raise AgendaError(f"{path}:{line}: unavailable takes slot numbers (e.g. 1;3) and cap a whole number") from None
    return Participant(name, unavailable, cap)


def read_requests(path, find) -> list[tuple[str, str, float]]:
    """Requested meetings: a CSV with ``org_a,org_b`` and an optional ``priority`` (a number, higher first)."""
    rows = list(csv.DictReader(Path(path).read_text(encoding="utf-8-sig").splitlines()))
    if rows and not {"org_a", "org_b"} <= set(rows[0]):
        raise AgendaError(f"{path}: the requests need the columns org_a,org_b (and optionally priority).")
    out = []
    for i, row in enumerate(rows, start=2):
        a, b = _found(find, row["org_a"].strip(), path, i), _found(find, row["org_b"].strip(), path, i)
        try:
            priority = float(row.get("priority") or 0)
        except ValueError:
            raise AgendaError(f"{path}:{i}: priority must be a number, not {row['priority']!r}") from None
        out.append((a, b, priority))
    return out
