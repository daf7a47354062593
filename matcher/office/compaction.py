"""Fewer idle gaps in participants' days: the meetings of a plan moved between slots, who meets whom unchanged.

The last level of an agenda's objective (``agenda.LEVELS``). The integer program solves it exactly on small
events; on large ones, and after any plan, ``compact`` moves meetings by Kempe chains: for two slots s and
t, the meetings held in either form chains (nobody is in two meetings of one slot), and swapping s and t
along one chain keeps everyone in at most one meeting a slot.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from .agenda import Participant, Plan


def compact(plan: Plan, participants: Sequence[Participant], *, slots: int, tables: int) -> Plan:
    """The same meetings with fewer idle gaps (the objective's last level), by Kempe-chain moves.

    A chain is swapped where everyone in it can attend its new slots, both slots keep within the tables,
    and the idle gaps of the people in it go down (or stay, with its meetings earlier on the whole: that
    frees later slots for other moves); so are whole slots. A single meeting moved to a slot where both
    sides are free is the shortest such chain. Who meets whom is unchanged, so the score and every other
    level stay as they are; tables are renumbered within each slot.
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
