"""Best pair first: the baseline brokerage tools use, and the filler of seats a solved plan leaves.

Candidates are taken in order (requests first, then the highest score) and each is put in the first slot
where both sides are free, can attend and a table is left.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .agenda import Candidate, Participant, Plan, own_cap, plan_of


def greedy(
    candidates: Sequence[Candidate],
    participants: Sequence[Participant],
    *,
    slots: int,
    tables: int,
    cap: int,
    start: Sequence[tuple[int, int]] = (),
    order: Callable[[int], object] | None = None,
) -> Plan:
    """Best pair first, into the first slot where both are free and a table is left (the baseline).

    ``start`` are (pair, 0-based slot) meetings already placed, which it fills around; ``order`` sorts the
    pair indexes left (by default requests first, then the score). Its levels are not judged here
    (``program.judge`` does that).
    """
    busy = [set() for _ in participants]
    count = [0] * len(participants)
    used = [0] * slots
    chosen = list(start)

    def seat(e: int, s: int) -> None:
        c = candidates[e]
        busy[c.a].add(s)
        busy[c.b].add(s)
        used[s] += 1
        count[c.a] += 1
        count[c.b] += 1

    for e, s in chosen:
        seat(e, s)
    taken = {e for e, _ in chosen}
    rest = [e for e in range(len(candidates)) if e not in taken]
    for e in sorted(rest, key=order or (lambda e: -candidates[e].weight)):
        c = candidates[e]
        pa, pb = participants[c.a], participants[c.b]
        if count[c.a] >= own_cap(pa, cap) or count[c.b] >= own_cap(pb, cap):
            continue
        for s in range(slots):
            free = s not in busy[c.a] and s not in busy[c.b] and used[s] < tables
            if free and (s + 1) not in pa.unavailable and (s + 1) not in pb.unavailable:
                chosen.append((e, s))
                seat(e, s)
                break
    return plan_of(chosen, candidates, slots, "greedy" if not start else "milp")
