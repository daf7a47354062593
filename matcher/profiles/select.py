"""Pick profiles by country, kind and sector: the library behind ``matcher list``'s filters."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..text.analyser import Analyzer
from .model import Profile


def select(
    profiles: Iterable[Profile],
    *,
    countries: Sequence[str] = (),
    kinds: Sequence[str] = (),
    sectors: Sequence[str] = (),
) -> list[Profile]:
    """The profiles in one of ``countries``, of one of ``kinds`` and with one of ``sectors`` (each filter
    only where given). Sectors match by word stems, ignoring case: "Drone" finds "drones", "robotics"
    "Robotic"."""
    stem = Analyzer(multilingual=True).stems

    def key(sector: str) -> tuple[str, ...]:
        return tuple(stem(sector)) or (sector.casefold(),)

    wanted_sectors = {key(s) for s in sectors}
    return [
        p
        for p in profiles
        if (not countries or p.country in countries)
        and (not kinds or p.kind in kinds)
        and (not wanted_sectors or wanted_sectors & {key(s) for s in p.sectors})
    ]


def search(profiles: Iterable[Profile], text: str) -> list[Profile]:
    """The profiles whose name or an alias holds ``text`` (ignoring case); all of them for no text."""
    wanted = text.casefold()
    return [p for p in profiles if not wanted or wanted in " ".join(p.names).casefold()]
