"""The organisations of an index by name: a row for a name or alias, "Did you mean ...?" for a mistyped one,
and the organisations tied to one by name (a joint venture, a subsidiary) or by past joint work."""

from __future__ import annotations

import re
from functools import cached_property

import numpy as np

from ..errors import AmbiguousOrganisation, UnknownOrganisation
from ..profiles.model import Profile
from ..profiles.names import suggest
from .model import Index

FUNCTION_WORDS = frozenset("of the and for de del della delle di du des la le et und der die fur zur y e i".split())


class Directory:
    """Names to rows over one index.

    A profile folder's aliases are chosen by people and checked unique (``curated``); a store's are
    imported short names ("FRAUNHOFER" for one of five Fraunhofer bodies), which ``find`` does not take on
    trust.
    """

    def __init__(self, index: Index, *, curated: bool = True):
        self.index = index
        self.curated = curated

    def find(self, name: str) -> int:
        """Row of the organisation with this name or alias (case-insensitive).

        A full name is always taken, and so is a profile folder's alias (they are unique). In a store, an
        alias is taken when it is no other organisation's alias and no other organisation's name holds all
        its words or has it as initials ("Fraunhofer", the short name of the Portuguese association, is also
        in the Fraunhofer-Gesellschaft's name): else ``AmbiguousOrganisation`` lists them all, the
        organisations with the most records first. An id (digits) is never ambiguous.
        """
        idx = self.index
        rows = idx.find_rows(name)
        wanted = name.strip().casefold()
        full = [r for r in rows if idx.names[r].casefold() == wanted]
        if len(full) == 1:
            return full[0]
        if len(rows) == 1 and (self.curated or full or not self._named_alike(wanted, rows[0])):
            return rows[0]
        if not rows:
            raise UnknownOrganisation(name, self.suggest(name))
        others = [] if len(rows) > 1 else self._names_holding(wanted)
        candidates = list(dict.fromkeys(rows + others))
        candidates.sort(key=lambda r: (-int(idx.n_capabilities[r]), idx.names[r].casefold()))
        raise AmbiguousOrganisation(name, [self._describe(r) for r in candidates[:10]])

    def get(self, name: str) -> Profile:
        """The profile with this name or alias (``find``)."""
        return self.index.profiles[self.find(name)]

    def name_of(self, name: str) -> str:
        """The profile's own name for a name or alias (``find``): what the ledger records."""
        return self.get(name).name

    def _named_alike(self, wanted: str, row: int) -> bool:
        """True when an organisation other than ``row`` has every word of ``wanted`` in its name, or
        ``wanted`` is the acronym of its name."""
        return not wanted.isdigit() and any(r != row for r in self._names_holding(wanted))

    def _names_holding(self, wanted: str) -> list[int]:
        """Rows whose name holds every word of ``wanted``, or whose initials it is ("CNR": Consiglio
        Nazionale delle Ricerche): reads every name, so only for an alias."""
        words = set(re.findall(r"\w+", wanted))
        if not words:
            return []
        acronym = wanted if len(words) == 1 and 2 <= len(wanted) <= 8 and wanted.isalpha() else None
        out = []
        for r, n in enumerate(self.index.names):
            held = re.findall(r"\w+", n.casefold())
            if words <= set(held) or (acronym and acronym in _initials(held)):
                out.append(r)
        return out

    def _describe(self, row: int) -> str:
        """An organisation as a candidate line: its name, country and kind, and its records in a store."""
        p, idx = self.index.profiles[row], self.index
        count = int(idx.n_capabilities[row])
        records = f", {count} grant{'' if count == 1 else 's'}" if idx.weighting == "bm25" else ""
        aliases = f" (also {', '.join(p.aliases[:2])})" if p.aliases else ""
        return f"{p.name}{aliases} — {p.country}, {p.kind}{records}"

    def suggest(self, name: str, n: int = 3) -> list[str]:
        """Names close to a mistyped one (``profiles.names.suggest``; reads every profile: the error path only)."""
        pairs, weight = [], []
        records = self.index.n_capabilities
        for o, p in enumerate(self.index.profiles):
            for alias in dict.fromkeys(p.names):
                pairs.append((alias, p.name))
                weight.append(float(records[o]))
        return suggest(name, pairs, n, weight)

    def tied(self, a: int) -> set[int]:
        """Organisations whose name holds ``a``'s whole name or is held in it, as words in order: a joint
        venture ("Zongshen-Gomselmash" for Gomselmash), a subsidiary or a parent. Profile folders only
        (a store's names would be read on every query; its past joint work is in ``links``)."""
        if not self.curated:
            return set()
        names = self._name_words

        def within(short: list[str], long: list[str]) -> bool:
            k = len(short)
            return 0 < k < len(long) and any(long[i : i + k] == short for i in range(len(long) - k + 1))

        mine = names[a]
        return {b for b, other in enumerate(names) if b != a and (within(mine, other) or within(other, mine))}

    @cached_property
    def _name_words(self) -> list[list[str]]:
        """Every organisation's name as its words (read once per directory: ``tied`` runs for each match)."""
        return [re.findall(r"\w+", n.casefold()) for n in self.index.names]

    def linked(self, a: int, b: int) -> bool:
        """True when ``a`` and ``b`` already work together (a listed partner, or past joint work)."""
        return bool(np.isin(b, self.links_of(a)))

    def links_of(self, a: int) -> np.ndarray:
        """The rows ``a`` already works with (listed partners, past joint work; the links are mutual)."""
        links = self.index.links
        if links is None:
            return np.zeros(0, dtype=np.int64)
        return np.asarray(links.indices[links.indptr[a] : links.indptr[a + 1]])


def _initials(words: list[str]) -> tuple[str, str]:
    """A name's initials, with and without its function words ("cndr", "cnr")."""
    return "".join(w[0] for w in words), "".join(w[0] for w in words if w not in FUNCTION_WORDS)
