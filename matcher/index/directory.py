"""The organisations of an index by name: a row for a name or alias, "Did you mean ...?" for a mistyped one,
and the organisations tied to one by name (a joint venture, a subsidiary) or by past joint work."""

from __future__ import annotations

import re
from functools import cached_property

import numpy as np

from ..errors import AmbiguousOrganisation, UnknownOrganisation
from ..profiles.model import KINDS, Profile
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

        An exact name or alias always wins: a full name held by one organisation, else an alias (or id) held by
        one. Only where several organisations hold the same name or alias does ``AmbiguousOrganisation`` list
        them, the organisations with the most records first. In a store, where aliases are imported short names
        ("FRAUNHOFER" for one of five Fraunhofer bodies), ``alias_note`` says which others the name may have
        meant.
        """
        idx = self.index
        rows = idx.find_rows(name)
        wanted = name.strip().casefold()
        full = [r for r in rows if idx.names[r].casefold() == wanted]
        if len(full) == 1:
            return full[0]
        if len(rows) == 1:
            return rows[0]
        if not rows:
            raise UnknownOrganisation(name, self.suggest(name))
        candidates = sorted(rows, key=lambda r: (-int(idx.n_capabilities[r]), idx.names[r].casefold()))
        raise AmbiguousOrganisation(name, [self._describe(r) for r in candidates[:10]])

    def alias_note(self, name: str) -> str | None:
        """Where ``name`` is a store organisation's alias that other organisations' names also hold (every word,
        or as initials): a sentence naming the one taken and the others, with how to choose one of them."""
        if self.curated:
            return None
        row = self.find(name)
        wanted = name.strip().casefold()
        if self.index.names[row].casefold() == wanted or wanted.isdigit():
            return None
        idx = self.index
        others = sorted((r for r in self._names_holding(wanted) if r != row), key=lambda r: -int(idx.n_capabilities[r]))
        if not others:
            return None
        listed = "; ".join(self._describe(r) for r in others[:3])
        return (
            f"{name!r} is the alias of {idx.names[row]}; it is also in the name of: {listed}. Give a full name or id"
            " to choose another."
        )

    def get(self, name: str) -> Profile:
        """The profile with this name or alias (``find``)."""
        return self.index.profiles[self.find(name)]

    def name_of(self, name: str) -> str:
        """The profile's own name for a name or alias (``find``): what the ledger records."""
        return self.get(name).name

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

    def listing(
        self, text: str = "", *, countries=(), kinds=(), offset: int = 0, limit: int | None = None
    ) -> tuple[list[int], int]:
        """The rows of the organisations whose name holds ``text`` (ignoring case; in a profile folder, an
        alias too), in ``countries`` and of ``kinds`` (``profiles.model.KINDS`` names) where given, by name:
        ``limit`` of them from ``offset``, and how many there are in all. Reads no profile record, so that a
        page of a store of many organisations costs what a page of a folder does."""
        idx = self.index
        keep = np.ones(idx.n_orgs, dtype=bool)
        if countries:
            keep &= np.isin(np.asarray(idx.country), list(countries))
        if kinds:
            keep &= np.isin(np.asarray(idx.kind), [KINDS.index(k) for k in kinds if k in KINDS])
        wanted = text.strip().casefold()
        if wanted:
            held = [wanted in n for n in self._searchable]
            keep &= np.array(held, dtype=bool)
        rows = self._by_name[keep[self._by_name]]
        end = None if limit is None else offset + limit
        return rows[offset:end].tolist(), len(rows)

    @cached_property
    def _by_name(self) -> np.ndarray:
        """Every row, by name ignoring case (sorted once per directory)."""
        names = [n.casefold() for n in self.index.names]
        return np.array(sorted(range(len(names)), key=names.__getitem__), dtype=np.int64)

    @cached_property
    def _searchable(self) -> list[str]:
        """Each organisation's names as one text to search in: its name and, in a profile folder, aliases."""
        if not self.curated:  # a store's aliases are in its records: the names alone
            return [n.casefold() for n in self.index.names]
        return [" ".join(p.names).casefold() for p in self.index.profiles]

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
