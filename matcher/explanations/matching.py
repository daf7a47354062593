"""Rank the partners of one organisation (or the organisations for a need) and explain each match: the library
behind ``match``, ``explain`` and ``report``.

``Matcher`` is three parts over one index, each usable alone: ``names`` (``index.directory.Directory``),
``ranking`` (``ranking.ranker.Ranking``) and ``explainer`` (``explainer.Explainer``). Its methods rank with
the one and explain with the other.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..errors import MatcherError
from ..index.build import build_index
from ..index.directory import Directory
from ..index.model import Index
from ..profiles.model import Profile
from ..ranking.ranker import NO_EXCLUSIONS, Exclusions, Filters, Ranking
from ..ranking.score import top_k
from ..ranking.signals import Need
from .explainer import Explainer
from .results import Match, MatchList

if TYPE_CHECKING:
    from ..ranking.meaning import Semantic


class Matcher:
    """One set of profiles ready to match: its name directory, its ranking and its explainer."""

    def __init__(
        self,
        index: Index,
        *,
        compiled: bool | None = None,
        semantic: Semantic | None = None,
        curated_aliases: bool = True,
        popular: bool = False,
    ):
        self.index = index
        self.names = Directory(index, curated=curated_aliases)
        self.ranking = Ranking(index, compiled=compiled, semantic=semantic, popular=popular)
        self.explainer = Explainer(index, self.names, self.ranking)

    @classmethod
    def from_profiles(cls, profiles: Sequence[Profile]) -> Matcher:
        return cls(build_index(profiles))

    @property
    def profiles(self) -> Sequence[Profile]:
        return self.index.profiles

    def match(
        self,
        org: str,
        *,
        top: int = 10,
        filters: Filters = Filters(),
        new_only: bool = False,
        include_weak: bool = True,
        exclusions: Exclusions = NO_EXCLUSIONS,
        show_declined: bool = False,
    ) -> MatchList:
        """The ``top`` best partners of ``org``, best first, each with its explanation and strength.

        ``new_only`` leaves out the organisations it has already worked with. Without ``include_weak``
        the list stops at the first weak match (nothing specific in common, ``strength.py``); how many
        of the top were left out is ``weak_left_out``. ``exclusions`` are the ledger's (``office.ledger``):
        pairs it left out are not ranked (counted in ``declined_left_out``; ``show_declined`` keeps them),
        pairs already partners count as partners, and every match carries its stage.
        """
        a = self.names.find(org)
        tied = self.names.tied(a) if new_only else ()
        allowed, declined = self.ranking.allowed_for(
            a, filters, new_only, exclusions, tied=tied, keep_left_out=show_declined
        )
        if self.ranking.seeks_by_record(a):
            return self._match_recent(a, top, allowed, filters, exclusions, declined, include_weak)
        profile = self.index.profiles[a]
        rows, score, _, _ = self.ranking.top_of(a, top, allowed)
        rows = rows[score >= filters.min_score]
        matches = [_with_stage(self.explainer.pair(a, int(b), r), a, int(b), exclusions) for r, b in enumerate(rows, 1)]
        kept = matches if include_weak else [m for m in matches if m.strength != "weak"]
        return MatchList(
            profile.name,
            profile.country,
            profile.kind,
            int(allowed.sum()),
            kept,
            weak_left_out=len(matches) - len(kept),
            declined_left_out=declined,
        )

    def _match_recent(
        self,
        a: int,
        top: int,
        allowed: np.ndarray,
        filters: Filters,
        exclusions: Exclusions,
        declined: int,
        include_weak: bool = True,
    ) -> MatchList:
        """``match`` of an organisation whose newest records stand for its needs: a need query for them."""
        recent, ranked = self.ranking.recent(a)
        score = ranked.score
        rows = top_k(np.where(score >= filters.min_score, score, 0.0), top, np.flatnonzero(allowed))
        found = self.explainer.recent_matches(a, rows, ranked)
        matches = [_with_stage(m, a, int(b), exclusions) for m, b in zip(found, rows)]
        kept = matches if include_weak else [m for m in matches if m.strength != "weak"]
        profile = self.index.profiles[a]
        return MatchList(
            profile.name,
            profile.country,
            profile.kind,
            int(allowed.sum()),
            kept,
            recent.need.text,
            weak_left_out=len(matches) - len(kept),
            declined_left_out=declined,
            needs_from=tuple(self.explainer.record_label(r) for r in recent.rows),
        )

    def match_need(
        self,
        text: str,
        *,
        org: str | None = None,
        tags: Iterable[str] = (),
        top: int = 10,
        filters: Filters = Filters(),
        new_only: bool = False,
    ) -> MatchList:
        """The ``top`` organisations that best meet a need written as text (a project idea, a request).

        With ``org`` the need is that organisation's: it is left out of the ranking, and in a store with
        network signals its past partners count (or, with ``new_only``, are left out).
        """
        idx = self.index
        seeker = self.names.find(org) if org is not None else None
        ranked = self.ranking.rank_need(Need(text, seeker, tuple(tags)))
        candidates = self.ranking.candidates(seeker, filters, new_only)
        rows = top_k(np.where(ranked.score >= filters.min_score, ranked.score, 0.0), top, candidates)
        seeker_name = idx.profiles[seeker].name if seeker is not None else "the need"
        matches = [self.explainer.need_match(rank, int(b), ranked, seeker_name) for rank, b in enumerate(rows, start=1)]
        p = idx.profiles[seeker] if seeker is not None else None
        return MatchList(
            p.name if p else "the need", p.country if p else "", p.kind if p else "", len(candidates), matches, text
        )

    def explain(self, org_a: str, org_b: str) -> Match:
        """The full explanation of one pair, whether or not it would be ranked."""
        a, b = self.names.find(org_a), self.names.find(org_b)
        if a == b:
            raise MatcherError(f"{org_a!r} and {org_b!r} are the same organisation: name two different ones.")
        if self.ranking.seeks_by_record(a):
            return self.explainer.recent_matches(a, [b], self.ranking.recent(a)[1])[0]
        return self.explainer.pair(a, b)


def _with_stage(m: Match, a: int, b: int, exclusions: Exclusions) -> Match:
    """``m`` (``b`` for ``a``) marked with its ledger stage; a pair the ledger counts as partners is one."""
    stage = exclusions.stages.get((a, b))
    if stage is None:
        return m
    partner = b in exclusions.partners.get(a, ())
    relation = m.relation or ("partner" if partner else None)
    return dataclasses.replace(m, stage=stage[0], stage_date=stage[1], relation=relation)
