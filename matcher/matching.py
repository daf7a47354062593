"""Rank the partners of one organisation and explain each match: the library behind ``match``."""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from .errors import AmbiguousOrganisation, MatcherError, UnknownOrganisation
from .explain import (
    Direction,
    Evidence,
    Explanation,
    SemanticPair,
    SignalShare,
    evidence_for,
    explain_direction,
    term_shares,
)
from .index import CAPABILITY, NEED, Index, concat_ranges
from .profiles import KINDS, Profile
from .rank import (
    CLOSEST,
    STATEMENT_SIGNALS,
    Need,
    recent_need,
    score_need,
    seeker_documents,
    signal_label,
    signal_names,
    statement_terms,
)
from .score import combine, pair_scores, reciprocal_top, top_k
from .strength import strength
from .text import clip

if TYPE_CHECKING:
    from .semantic import Semantic


@dataclass(frozen=True)
class Match:
    """One recommended partner."""

    rank: int
    name: str
    country: str
    kind: str
    score: float
    forward: float | None  # how well it offers what the organisation needs (None: nothing needed)
    backward: float | None  # how well the organisation offers what it needs (None: it lists no needs)
    explanation: Explanation
    strength: str = ""  # strong | moderate | weak (``strength.py``); "" for need queries
    relation: str | None = None  # "partner": they already work together (listed partners, past joint work)
    stage: str | None = None  # the pair's current stage in the ledger ("met"), if it has one
    stage_date: str | None = None  # when it reached it (YYYY-MM-DD)


@dataclass(frozen=True)
class MatchList:
    """The ranked partners of one organisation (or of a need)."""

    org: str
    country: str
    kind: str
    candidates: int  # organisations that passed the filters
    matches: list[Match]
    need: str | None = None  # the need text, for a need query
    weak_left_out: int = 0  # weak matches among the top that were not listed (``include_weak=False``)
    declined_left_out: int = 0  # candidates left out because the ledger says declined or not relevant
    needs_from: tuple[str, ...] = ()  # the records that stood for the needs of an organisation listing none


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
class Statement:
    """A capability or need as the matcher reads it: its terms and the quote that backs it."""

    text: str
    terms: list[str]
    evidence: Evidence | None


@dataclass(frozen=True)
class ProfileView:
    """A profile as the matcher sees it."""

    name: str
    aliases: list[str]
    country: str
    city: str | None
    kind: str
    sectors: list[str]
    summary: str | None
    capabilities: list[Statement]
    needs: list[Statement]
    partners: list[str]
    sources: list[Evidence]
    path: str | None


class Matcher:
    """Scores and explains matches over one set of profiles."""

    def __init__(self, index: Index, *, compiled: bool | None = None, semantic: Semantic | None = None):
        self.index = index
        self.compiled = compiled  # run queries compiled (``score.reciprocal_top``): None = where numba is installed
        self.semantic = semantic  # the multilingual signal (``semantic.Semantic``), where it is switched on
        # A profile folder's aliases are chosen by people and checked unique; a store's are imported short
        # names ("FRAUNHOFER" for one of five Fraunhofer bodies), which ``find`` does not take on trust.
        self.curated_aliases = True

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

    @classmethod
    def from_profiles(cls, profiles: Sequence[Profile]) -> Matcher:
        return cls(Index.build(profiles))

    @property
    def profiles(self) -> list[Profile]:
        return self.index.profiles

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
        if len(rows) == 1 and (self.curated_aliases or full or not self._named_alike(wanted, rows[0])):
            return rows[0]
        if not rows:
            raise UnknownOrganisation(name, self.suggest(name))
        others = [] if len(rows) > 1 else self._names_holding(wanted)
        candidates = list(dict.fromkeys(rows + others))
        candidates.sort(key=lambda r: (-int(idx.n_capabilities[r]), idx.names[r].casefold()))
        raise AmbiguousOrganisation(name, [self._describe(r) for r in candidates[:10]])

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
        """Names close to a mistyped one (``names.suggest``; reads every profile: the error path only)."""
        from .names import suggest

        pairs, weight = [], []
        records = self.index.n_capabilities
        for o, p in enumerate(self.index.profiles):
            for alias in dict.fromkeys(p.names):
                pairs.append((alias, p.name))
                weight.append(float(records[o]))
        return suggest(name, pairs, n, weight)

    def get(self, name: str) -> Profile:
        return self.index.profiles[self.find(name)]

    def profile_view(self, name: str) -> ProfileView:
        """The profile of ``name`` with, for each statement, its terms and its evidence."""
        o = self.find(name)
        p, idx = self.index.profiles[o], self.index

        def statements(side: int) -> list[Statement]:
            out = []
            for row in idx.statement_rows(o, side):
                cols, _ = idx.statements.row(row)
                out.append(Statement(idx.statement_text(row), [idx.display[c] for c in cols], evidence_for(idx, row)))
            return out

        return ProfileView(
            name=p.name,
            aliases=list(p.aliases),
            country=p.country,
            city=p.city,
            kind=p.kind,
            sectors=list(p.sectors),
            summary=p.summary,
            capabilities=statements(CAPABILITY),
            needs=statements(NEED),
            partners=list(p.partners),
            sources=[Evidence(s.article, s.quote, s.speaker) for s in p.sources],
            path=p.path,
        )

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

    def _candidates(self, exclude: int | None, filters: Filters, new_only: bool = False) -> np.ndarray:
        return np.flatnonzero(self.allowed(exclude, filters, new_only))

    def match(
        self,
        org: str,
        *,
        top: int = 10,
        filters: Filters = Filters(),
        new_only: bool = False,
        include_weak: bool = True,
        decisions: dict | None = None,
        show_declined: bool = False,
    ) -> MatchList:
        """The ``top`` best partners of ``org``, best first, each with its explanation and strength.

        ``new_only`` leaves out the organisations it has already worked with. Without ``include_weak``
        the list stops at the first weak match (nothing specific in common, ``strength.py``); how many
        of the top were left out is ``weak_left_out``. ``decisions`` maps other organisations' names to
        the pair's current ledger event (``ledger.stages_of``): declined and not-relevant pairs are left out
        (counted in ``declined_left_out``; ``show_declined`` keeps them), signed, implemented and
        already-partners pairs count as partners, and every match carries its stage.
        """
        from .ledger import LEFT_OUT, PARTNERS

        a = self.find(org)
        allowed = self.allowed(a, filters, new_only)
        if new_only:
            allowed[list(self.tied(a))] = False
        stage_of: dict[int, object] = {}
        for name, event in (decisions or {}).items():
            row = self.index.find_row(name)
            if row is not None and row != a:
                stage_of[row] = event
        declined = [r for r, e in stage_of.items() if e.stage in LEFT_OUT and allowed[r]]
        if not show_declined:
            allowed[declined] = False
        if new_only:
            allowed[[r for r, e in stage_of.items() if e.stage in PARTNERS]] = False
        if self.seeks_by_record(a):
            return self._match_recent(a, top, allowed, filters, stage_of, declined if not show_declined else [])
        profile = self.index.profiles[a]
        rows, score, _, _ = self.top_of(a, top, allowed)
        rows = rows[score >= filters.min_score]
        matches = [self._with_stage(self._match(r, a, int(b)), stage_of.get(int(b))) for r, b in enumerate(rows, 1)]
        kept = matches if include_weak else [m for m in matches if m.strength != "weak"]
        return MatchList(
            profile.name,
            profile.country,
            profile.kind,
            int(allowed.sum()),
            kept,
            weak_left_out=len(matches) - len(kept),
            declined_left_out=0 if show_declined else len(declined),
        )

    def seeks_by_record(self, org: int) -> bool:
        """Whether ``org``'s partners are ranked for its newest records (``rank.recent_need``): in a store
        with a ranking model (``matcher import-cordis``), an organisation that lists no needs seeks partners
        for work like its latest projects."""
        return self.index.model is not None and not self.index.has_needs[org]

    def recent_scores(self, org: int) -> np.ndarray:
        """Every organisation's score for ``org``'s newest records taken as its need (``seeks_by_record``)."""
        return self._recent(org)[1][0]

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

    def _recent(self, a: int):
        """``(recent_need, score_need's (score, signals, weights, divisor))`` for ``a``'s newest records."""
        recent = recent_need(self.index, a)
        return recent, score_need(self.index, recent.need, recent.vector, recent.doc_vector, recent=True)

    def _recent_matches(self, a: int, rows: Iterable[int], ranked) -> list[Match]:
        """The explained need matches of ``rows`` for ``a``'s newest records (``ranked``: ``_recent(a)``)."""
        recent, (score, sig, weights, scale) = ranked
        name = self.index.profiles[a].name
        vectors = (recent.vector, recent.doc_vector)
        return [
            self._need_match(r, int(b), recent.need, *vectors, float(score[b]), sig, weights, scale, name)
            for r, b in enumerate(rows, start=1)
        ]

    def _match_recent(self, a: int, top: int, allowed: np.ndarray, filters: Filters, stage_of, declined) -> MatchList:
        """``match`` of an organisation whose newest records stand for its needs: a need query for them."""
        ranked = self._recent(a)
        recent, score = ranked[0], ranked[1][0]
        rows = top_k(np.where(score >= filters.min_score, score, 0.0), top, np.flatnonzero(allowed))
        found = self._recent_matches(a, rows, ranked)
        matches = [self._with_stage(m, stage_of.get(int(b))) for m, b in zip(found, rows)]
        profile = self.index.profiles[a]
        return MatchList(
            profile.name,
            profile.country,
            profile.kind,
            int(allowed.sum()),
            matches,
            recent.need.text,
            declined_left_out=len(declined),
            needs_from=tuple(self._record_label(r) for r in recent.rows),
        )

    def _record_label(self, row: int) -> str:
        """A capability record with the source that dates it: 'ACR: title — CORDIS grant 101… (signed …)'."""
        evidence = evidence_for(self.index, row)
        text = self.index.statement_text(row)
        return f"{text} — {evidence.article}" if evidence is not None else text

    @staticmethod
    def _with_stage(m: Match, event) -> Match:
        """``m`` marked with its ledger stage; a signed, implemented or already-partners pair is a partner."""
        if event is None:
            return m
        from .ledger import PARTNERS

        relation = m.relation or ("partner" if event.stage in PARTNERS else None)
        return dataclasses.replace(m, stage=event.stage, stage_date=event.when, relation=relation)

    def need_scores(self, need: Need, *, new_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Scores of every organisation for ``need`` and the rows that may be ranked (seeker left out)."""
        score = score_need(self.index, need)[0]
        return score, self._candidates(need.seeker, Filters(), new_only)

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
        seeker = self.find(org) if org is not None else None
        self.check_tags(tags)
        need = Need(text, seeker, tuple(tags))
        vector = idx.transform(text)
        meaning = self.semantic is not None and idx.model is None  # stores rank needs on their own signals
        if len(vector[0]) == 0 and not need.tags and not meaning:
            raise MatcherError(
                "The need shares no term with any profile. Describe it with the words of the field, e.g."
                " 'laser mapping of pipelines'."
            )
        doc_vector = idx.doc_vector(text) if set(STATEMENT_SIGNALS) & set(signal_names(idx.model)) else None
        score, sig, weights, scale = score_need(idx, need, vector, doc_vector)
        closest = None
        if meaning:
            w = self.semantic.weight
            similarity, close_at, closest = self.semantic.need_scores(text, exclude=seeker)
            weights = {**{k: v * (1 - w) for k, v in weights.items()}, "meaning": w}
            sig = {**sig, "meaning": similarity}
            score = (1 - w) * score + w * similarity
            closest = (close_at, closest)
        candidates = self._candidates(seeker, filters, new_only)
        rows = top_k(np.where(score >= filters.min_score, score, 0.0), top, candidates)
        seeker_name = idx.profiles[seeker].name if seeker is not None else "the need"
        matches = [
            self._need_match(
                rank, int(b), need, vector, doc_vector, float(score[b]), sig, weights, scale, seeker_name, closest
            )
            for rank, b in enumerate(rows, start=1)
        ]
        p = idx.profiles[seeker] if seeker is not None else None
        return MatchList(
            p.name if p else "the need", p.country if p else "", p.kind if p else "", len(candidates), matches, text
        )

    def _need_match(
        self, rank, b, need, vector, doc_vector, score, sig, weights, scale, seeker_name, closest=None
    ) -> Match:
        idx = self.index
        text_w = weights.get("text", 0.0)
        forward = explain_direction(
            idx,
            need.seeker,
            b,
            defined=True,
            weight=text_w,
            final_score=score,
            query=(need.text, vector),
            seeker_name=seeker_name,
            scale=scale,
        )
        shares = []
        statements = None
        for name, w in weights.items():
            value = float(sig[name][b])
            if w * value <= 0:
                continue
            detail, terms = None, {}
            if name in ("past", "past_any") and need.seeker is not None:
                detail = f"{int(round(np.expm1(sig['past'][b])))} shared past project(s)" if "past" in sig else None
            elif name == "network" and need.seeker is not None:
                shared = np.intersect1d(idx.links.row(need.seeker)[0], idx.links.row(b)[0]).size
                detail = f"{shared} partner(s) in common"
            elif name == "past_close" and need.seeker is not None:
                if statements is None:
                    statements = statement_terms(idx, b, doc_vector)
                detail, terms = _shared_detail(idx, need.seeker, w, statements[0])
            elif name == "same_city":
                detail = idx.profiles[b].city
            elif name == "meaning" and closest is not None:
                detail = self._meaning_detail(b, value, *closest)
            elif name in STATEMENT_SIGNALS:
                if statements is None:
                    statements = statement_terms(idx, b, doc_vector)
                detail, terms = _statement_detail(idx, name, w, *statements)
            shares.append(
                SignalShare(
                    name,
                    signal_label(name),
                    value,
                    w,
                    w * value,
                    w * value / score if score > 0 else 0.0,
                    detail,
                    term_shares(terms, w * value),
                )
            )
        shares.sort(key=lambda s: -s.contribution)
        profile = idx.profiles[b]
        backward = Direction(seeker_name, profile.name, False, 0.0, 0.0, 0.0, [], [])
        return Match(
            rank=rank,
            name=profile.name,
            country=profile.country,
            kind=profile.kind,
            score=score,
            forward=forward.score,
            backward=None,
            explanation=Explanation(forward, backward, mutual=False, signals=shares),
        )

    def _meaning_detail(self, b: int, similarity: float, close_at: float, closest) -> str:
        """Which capability of ``b`` is closest in meaning to a need, in its language, and how close."""
        row, percentile = closest[b]
        if row < 0:
            return ""
        from .semantic import CLOSE_PERCENTILE

        close = similarity >= close_at and percentile >= CLOSE_PERCENTILE
        how = "close in meaning" if close else "related in meaning"
        language = self.semantic.languages[row]
        text = clip(self.index.statement_text(row), 80)
        return f"{how}: offers “{text}” [{language}], {_closer_than(percentile)}"

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

    def explain(self, org_a: str, org_b: str) -> Match:
        """The full explanation of one pair, whether or not it would be ranked."""
        a, b = self.find(org_a), self.find(org_b)
        if a == b:
            raise MatcherError(f"{org_a!r} and {org_b!r} are the same organisation: name two different ones.")
        if self.seeks_by_record(a):
            return self._recent_matches(a, [b], self._recent(a))[0]
        return self._match(0, a, b)

    def _match(self, rank: int, a: int, b: int) -> Match:
        idx = self.index
        has_needs = idx.has_needs
        fdef, bdef = bool(has_needs[a]), bool(has_needs[b])
        fvec, bvec = idx.vector(a, NEED), idx.vector(b, NEED)
        words = self.word_weight
        f = words * float(np.dot(*_aligned(fvec, idx.vector(b, CAPABILITY)))) if fdef else 0.0
        bk = words * float(np.dot(*_aligned(bvec, idx.vector(a, CAPABILITY)))) if bdef else 0.0
        sem_f, sem_b = self._semantic_pairs(a, b), self._semantic_pairs(b, a)
        f += sum(p.contribution for p in sem_f)
        bk += sum(p.contribution for p in sem_b)
        score, fw, bw = (float(x) for x in combine(f, bk, fdef, bdef))
        scale = 1 / words
        forward = explain_direction(idx, a, b, defined=fdef, weight=fw, final_score=score, semantic=sem_f, scale=scale)
        backward = explain_direction(idx, b, a, defined=bdef, weight=bw, final_score=score, semantic=sem_b, scale=scale)
        profile = idx.profiles[b]
        return Match(
            rank=rank,
            name=profile.name,
            country=profile.country,
            kind=profile.kind,
            score=score,
            forward=f if fdef else None,
            backward=bk if bdef else None,
            explanation=Explanation(forward, backward, mutual=fdef and bdef and f > 0 and bk > 0),
            strength=strength(score, forward, backward),
            relation="partner" if self.linked(a, b) else "related" if b in self.tied(a) else None,
        )

    def tied(self, a: int) -> set[int]:
        """Organisations whose name holds ``a``'s whole name or is held in it, as words in order: a joint
        venture ("Zongshen-Gomselmash" for Gomselmash), a subsidiary or a parent. Profile folders only
        (a store's names would be read on every query; its past joint work is in ``links``)."""
        if not self.curated_aliases:
            return set()
        names = self._name_words

        def within(short: list[str], long: list[str]) -> bool:
            k = len(short)
            return 0 < k < len(long) and any(long[i : i + k] == short for i in range(len(long) - k + 1))

        mine = names[a]
        return {b for b, other in enumerate(names) if b != a and (within(mine, other) or within(other, mine))}

    @cached_property
    def _name_words(self) -> list[list[str]]:
        """Every organisation's name as its words (read once per matcher: ``tied`` runs for each match)."""
        return [re.findall(r"\w+", n.casefold()) for n in self.index.names]

    def linked(self, a: int, b: int) -> bool:
        """True when ``a`` and ``b`` already work together (a listed partner, or past joint work)."""
        links = self.index.links
        if links is None:
            return False
        return bool(np.isin(b, links.indices[links.indptr[a] : links.indptr[a + 1]]))

    @property
    def word_weight(self) -> float:
        """The shared terms' weight in a direction's score: 1, or 1 - the meaning part's weight."""
        return 1.0 if self.semantic is None else 1.0 - self.semantic.weight

    def _semantic_pairs(self, seeker: int, provider: int) -> list[SemanticPair]:
        """The meaning part of how well ``provider`` meets ``seeker``'s needs, need by need."""
        sem, idx = self.semantic, self.index
        if sem is None or not idx.has_needs[seeker]:
            return []
        n_needs = len(idx.statement_rows(seeker, NEED))
        return [
            SemanticPair(
                idx.statement_text(n),
                idx.statement_text(c),
                str(sem.languages[n]),
                str(sem.languages[c]),
                similarity,
                sem.weight * similarity / n_needs,
                0.0,
                percentile,
                close,
            )
            for n, c, similarity, percentile, close in sem.pairs(seeker, provider)
        ]


FUNCTION_WORDS = frozenset("of the and for de del della delle di du des la le et und der die fur zur y e i".split())


def _initials(words: list[str]) -> tuple[str, str]:
    """A name's initials, with and without its function words ("cndr", "cnr")."""
    return "".join(w[0] for w in words), "".join(w[0] for w in words if w not in FUNCTION_WORDS)


def _statement_detail(idx, name: str, weight: float, statements, norm: float) -> tuple[str, dict[str, float]]:
    """Which statements make up a statement signal, and each term's part of its contribution."""
    used = statements[:CLOSEST] if name == "closest" else statements
    terms = _display_terms(idx, used, weight if name == "closest" else weight / norm)
    if name == "closest":
        detail = "; ".join(f"“{clip(idx.statement_text(row), 50)}” {cos:.2f}" for row, cos, _ in used)
    else:
        detail = f"{len(used)} of its statements share words with the need"
    return detail, terms


def _shared_detail(idx, seeker: int, weight: float, statements) -> tuple[str | None, dict[str, float]]:
    """The project the seeker shared with an organisation that is closest to the need (``past_close``),
    and each term's part of the signal's contribution."""
    shared = set(seeker_documents(idx, seeker).tolist())
    for statement in statements:  # best first
        row, cos, _ = statement
        if int(idx.docs.of_statement[row]) in shared:
            return f"“{clip(idx.statement_text(row), 50)}” {cos:.2f}", _display_terms(idx, [statement], weight)
    return None, {}


def _display_terms(idx, statements, scale: float) -> dict[str, float]:
    """The term parts of some ``statement_terms`` entries, summed by display form and scaled."""
    terms: dict[str, float] = {}
    for _, _, parts in statements:
        for t, c in parts.items():
            shown = idx.display[t]
            terms[shown] = terms.get(shown, 0.0) + c * scale
    return terms


def _closer_than(percentile: float) -> str:
    """A pair's percentile among a folder's need ↔ capability pairs, in words."""
    return f"closer than {min(percentile, 0.999):.1%} of need–capability pairs here"


def _aligned(x: tuple[np.ndarray, np.ndarray], y: tuple[np.ndarray, np.ndarray]):
    """The values of two sparse vectors on their common terms, as two dense arrays."""
    _, ix, iy = np.intersect1d(x[0], y[0], assume_unique=True, return_indices=True)
    return x[1][ix].astype(np.float64), y[1][iy].astype(np.float64)
