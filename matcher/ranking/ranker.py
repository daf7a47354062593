"""Who may be ranked for whom, and the best of them: the ranking behind ``match``, ``batch`` and ``schedule``.

``Ranking`` holds one index (and the multilingual signal, where it is switched on) and answers in rows and
scores, never in explanations: the organisations that may be recommended to one (``allowed``, after the
filters, ``new_only`` and the ledger's ``Exclusions``), an organisation's best partners (reciprocal, or for
its newest records in a store), and a need's scores (``rank_need``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..errors import MatcherError
from ..index.model import Index
from ..index.vectors import concat_ranges
from ..profiles.model import KINDS
from .score import combine, pair_scores, reciprocal_top, top_k
from .signals import STATEMENT_SIGNALS, Need, RecentNeed, recent_need, score_need, signal_names

if TYPE_CHECKING:
    from .meaning import Semantic


@dataclass(frozen=True)
class Filters:
    """Which candidates may be recommended."""

    countries: frozenset[str] = frozenset()
    exclude_countries: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    min_score: float = 0.0

    @classmethod
    def make(
        cls,
        countries: Iterable[str] = (),
        exclude_countries: Iterable[str] = (),
        kinds: Iterable[str] = (),
        min_score: float = 0.0,
    ) -> Filters:
        return cls(
            frozenset(c.upper() for c in countries),
            frozenset(c.upper() for c in exclude_countries),
            frozenset(kinds),
            min_score,
        )


@dataclass(frozen=True)
class Exclusions:
    """What the outcome ledger says about pairs of organisations, by index rows: the one value a ranking takes.

    ``office.ledger.exclusions`` makes it by the ledger's rules; the ranking only applies it. Each mapping
    holds both sides of a pair.
    """

    left_out: Mapping[int, frozenset[int]] = field(default_factory=dict)  # declined, not relevant: never ranked
    partners: Mapping[int, frozenset[int]] = field(default_factory=dict)  # already work together: new_only drops
    stages: Mapping[tuple[int, int], tuple[str, str]] = field(default_factory=dict)  # each pair's (stage, date)

    def excluded(self, row: int, new_only: bool = False) -> frozenset[int]:
        """The rows a ranking of ``row`` leaves out: those left out, and with ``new_only`` its partners."""
        out = self.left_out.get(row, frozenset())
        return out | self.partners.get(row, frozenset()) if new_only else out

    def by_row(self, new_only: bool = False) -> dict[int, frozenset[int]]:
        """``excluded`` of every row that has any."""
        rows = set(self.left_out) | (set(self.partners) if new_only else set())
        return {r: self.excluded(r, new_only) for r in rows if self.excluded(r, new_only)}


NO_EXCLUSIONS = Exclusions()


@dataclass(frozen=True)
class NeedRanking:
    """A need scored against every organisation: the scores, each signal's values and weights, and what
    ``Explainer.need_match`` needs to split a score into its parts."""

    need: Need
    vector: tuple[np.ndarray, np.ndarray]
    doc_vector: tuple[np.ndarray, np.ndarray] | None
    score: np.ndarray
    signals: dict
    weights: dict
    scale: float
    meaning: tuple | None = None  # with the meaning signal: its close level, and per organisation the
    # capability closest to the need with its percentile (``meaning.Semantic.need_scores``)


class Ranking:
    """Rows and scores over one index: reciprocal for two profiles, by signals for a need."""

    def __init__(
        self, index: Index, *, compiled: bool | None = None, semantic: Semantic | None = None, popular: bool = False
    ):
        self.index = index
        self.compiled = compiled  # run queries compiled (``score.reciprocal_top``): None = where numba is installed
        self.semantic = semantic  # the multilingual signal (``meaning.Semantic``), where it is switched on
        self.popular = popular  # a store's match --org as fitted, without the popularity discount

    def scores(self, org: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(score, forward, backward)`` of ``org`` against every organisation (itself included): the
        shared terms' cosines, plus the meaning part with the multilingual signal, combined both ways."""
        f, b, _ = pair_scores(self.index, org)[1:]
        if self.semantic is not None:
            sf, sb = self.semantic.scores(org)
            w = self.semantic.weight
            f, b = (1 - w) * f + w * sf, (1 - w) * b + w * sb
        has_needs = self.index.has_needs
        return combine(f, b, bool(has_needs[org]), has_needs, weights=False)[0], f, b

    def top_of(self, org: int, k: int, allowed: np.ndarray):
        """``reciprocal_top`` of ``org`` (``(rows, score, forward, backward)``), the multilingual signal included."""
        if self.semantic is None:
            return reciprocal_top(self.index, org, k, allowed, compiled=self.compiled)
        score, f, b = self.scores(org)
        rows = top_k(score, k, np.flatnonzero(allowed))
        return rows, score[rows], f[rows], b[rows]

    def allowed(self, exclude: int | None, filters: Filters = Filters(), new_only: bool = False) -> np.ndarray:
        """Boolean mask of the organisations that may be recommended to ``exclude`` (itself left out)."""
        if exclude is None:
            mask = np.ones(self.index.n_orgs, dtype=bool)
        else:
            mask = self.allowed_rows(np.array([exclude]), new_only)[0]
        if filters.countries:
            mask &= np.isin(self.index.country, list(filters.countries))
        if filters.exclude_countries:
            mask &= ~np.isin(self.index.country, list(filters.exclude_countries))
        if filters.kinds:
            mask &= np.isin(self.index.kind, [KINDS.index(k) for k in filters.kinds])
        return mask

    def allowed_rows(self, orgs: np.ndarray, new_only: bool = False) -> np.ndarray:
        """``allowed`` without filters for several organisations at once: one mask row per organisation."""
        mask = np.ones((len(orgs), self.index.n_orgs), dtype=bool)
        mask[np.arange(len(orgs)), orgs] = False
        links = self.index.links
        if new_only and links is not None:
            lo = links.indptr[orgs]
            lens = links.indptr[orgs + 1] - lo
            mask[np.repeat(np.arange(len(orgs)), lens), links.indices[concat_ranges(lo, lens)]] = False
        return mask

    def allowed_for(
        self,
        org: int,
        filters: Filters,
        new_only: bool,
        exclusions: Exclusions = NO_EXCLUSIONS,
        *,
        tied: Iterable[int] = (),
        keep_left_out: bool = False,
    ) -> tuple[np.ndarray, int]:
        """``allowed`` for ``org`` with the ledger's ``exclusions`` applied, and how many of the allowed it
        left out (declined, not relevant; 0 with ``keep_left_out``). With ``new_only``, its partners in the
        ledger and the organisations ``tied`` to it by name go too."""
        allowed = self.allowed(org, filters, new_only)
        if new_only:
            allowed[list(tied)] = False
        declined = [r for r in exclusions.left_out.get(org, ()) if allowed[r]]
        if not keep_left_out:
            allowed[declined] = False
        if new_only:
            allowed[list(exclusions.partners.get(org, ()))] = False
        return allowed, 0 if keep_left_out else len(declined)

    def candidates(self, exclude: int | None, filters: Filters = Filters(), new_only: bool = False) -> np.ndarray:
        """The rows ``allowed`` gives, as an array."""
        return np.flatnonzero(self.allowed(exclude, filters, new_only))

    def seeks_by_record(self, org: int) -> bool:
        """Whether ``org``'s partners are ranked for its newest records (``signals.recent_need``): in a store
        with a ranking model (``matcher import-cordis``), an organisation that lists no needs seeks partners
        for work like its latest projects."""
        return self.index.model is not None and not self.index.has_needs[org]

    def recent(self, org: int) -> tuple[RecentNeed, NeedRanking]:
        """``org``'s newest records taken as its need, and every organisation scored for it."""
        recent = recent_need(self.index, org)
        score, sig, weights, scale = score_need(
            self.index, recent.need, recent.vector, recent.doc_vector, recent=True, popular=self.popular
        )
        return recent, NeedRanking(recent.need, recent.vector, recent.doc_vector, score, sig, weights, scale)

    def recent_scores(self, org: int) -> np.ndarray:
        """Every organisation's score for ``org``'s newest records taken as its need (``seeks_by_record``)."""
        return self.recent(org)[1].score

    def ranked_scores(self, org: int) -> np.ndarray:
        """The scores ``match`` ranks ``org``'s partners by: reciprocal, or for its newest records."""
        return self.recent_scores(org) if self.seeks_by_record(org) else self.scores(org)[0]

    def ranked_top(self, org: int, k: int, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(rows, scores)`` of ``org``'s ``k`` best partners among ``allowed``, as ``match`` ranks them."""
        if not self.seeks_by_record(org):
            rows, score, _, _ = self.top_of(org, k, allowed)
            return rows, score
        score = self.recent_scores(org)
        rows = top_k(score, k, np.flatnonzero(allowed))
        return rows, score[rows]

    def top_partners(self, org: int, *, top: int = 10, new_only: bool = False):
        """(partner row, score, forward, backward) of ``org``'s best partners: ``match`` without explanations."""
        allowed = self.allowed(org, new_only=new_only)
        rows, score, forward, backward = self.top_of(org, top, allowed)
        has_needs = self.index.has_needs
        fdef = bool(has_needs[org])
        return [
            (int(b), float(s), float(f) if fdef else None, float(bk) if has_needs[b] else None)
            for b, s, f, bk in zip(rows, score, forward, backward)
        ]

    def need_scores(self, need: Need, *, new_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Scores of every organisation for ``need`` and the rows that may be ranked (seeker left out)."""
        score = score_need(self.index, need)[0]
        return score, self.candidates(need.seeker, Filters(), new_only)

    @property
    def word_weight(self) -> float:
        """The shared terms' weight in a direction's score: 1, or 1 - the meaning part's weight."""
        return 1.0 if self.semantic is None else 1.0 - self.semantic.weight

    def rank_need(self, need: Need) -> NeedRanking:
        """Every organisation scored for a need written as text, its tags checked first. In a profiles
        folder with the multilingual signal, the need's meaning counts as for a profile's need (any language)."""
        idx = self.index
        self.check_tags(need.tags)
        vector = idx.transform(need.text)
        meaning = self.semantic is not None and idx.model is None  # stores rank needs on their own signals
        if len(vector[0]) == 0 and not need.tags and not meaning:
            raise MatcherError(
                "The need shares no term with any profile. Describe it with the words of the field, e.g."
                " 'laser mapping of pipelines'."
            )
        doc_vector = idx.doc_vector(need.text) if set(STATEMENT_SIGNALS) & set(signal_names(idx.model)) else None
        score, sig, weights, scale = score_need(idx, need, vector, doc_vector)
        if not meaning:
            return NeedRanking(need, vector, doc_vector, score, sig, weights, scale)
        w = self.semantic.weight
        similarity, close_at, closest = self.semantic.need_scores(need.text, exclude=need.seeker)
        weights = {**{k: v * (1 - w) for k, v in weights.items()}, "meaning": w}
        sig = {**sig, "meaning": similarity}
        score = (1 - w) * score + w * similarity
        return NeedRanking(need, vector, doc_vector, score, sig, weights, scale, (close_at, closest))

    def check_tags(self, tags: Iterable[str]) -> None:
        """Raise ``MatcherError`` for a tag no organisation here carries, with the closest known ones."""
        known = self.index.tag_ids
        for tag in tags:
            if tag in known:
                continue
            if not known:
                raise MatcherError(
                    f"Unknown tag {tag!r}: these profiles carry no tags (a store from matcher import-cordis does)."
                )
            close = difflib.get_close_matches(tag, list(known), n=3, cutoff=0.6)
            hint = " Did you mean " + " or ".join(repr(c) for c in close) + "?" if close else ""
            raise MatcherError(f"Unknown tag {tag!r}: no organisation here carries it.{hint}")
