"""Explain what the ranking found: one pair both ways, an organisation ranked for a need signal by signal, and a
profile as the matcher reads it. Every number is a part of a score (``directions.py``)."""

from __future__ import annotations

import dataclasses

import numpy as np

from ..index.directory import Directory
from ..index.model import Index
from ..index.vectors import CAPABILITY, NEED
from ..ranking.ranker import NeedRanking, Ranking
from ..ranking.score import combine
from ..ranking.signals import (
    CLOSEST,
    STATEMENT_SIGNALS,
    recent_need,
    seeker_documents,
    signal_label,
    statement_terms,
)
from ..text.background import generic
from ..text.layout import clip
from .directions import (
    Direction,
    Explanation,
    SemanticPair,
    SignalShare,
    cite,
    evidence_for,
    explain_direction,
    term_shares,
)
from .results import Match, ProfileView, Statement
from .stores import closest_of, joint_work, store_strength
from .strength import strength

SPECIFIC_KEPT = 4096
"""Organisations whose specific need terms an explainer keeps (``strength_of`` in a store)."""


class Explainer:
    """Explanations over one index, with the names (``Directory``) and the ranking (``Ranking``) they refer to."""

    def __init__(self, index: Index, names: Directory, ranking: Ranking):
        self.index = index
        self.names = names
        self.ranking = ranking
        self._specific: dict[int, np.ndarray] = {}
        self._recent_docs: dict[int, tuple] = {}

    def pair(self, a: int, b: int, rank: int = 0) -> Match:
        """How well ``a`` and ``b`` meet each other's needs, both ways, with the pairs, terms and quotes."""
        idx = self.index
        has_needs = idx.has_needs
        fdef, bdef = bool(has_needs[a]), bool(has_needs[b])
        fvec, bvec = idx.vector(a, NEED), idx.vector(b, NEED)
        words = self.ranking.word_weight
        f = words * float(np.dot(*_aligned(fvec, idx.vector(b, CAPABILITY)))) if fdef else 0.0
        bk = words * float(np.dot(*_aligned(bvec, idx.vector(a, CAPABILITY)))) if bdef else 0.0
        sem_f, sem_b = self.semantic_pairs(a, b), self.semantic_pairs(b, a)
        f += sum(p.contribution for p in sem_f)
        bk += sum(p.contribution for p in sem_b)
        score, fw, bw = (float(x) for x in combine(f, bk, fdef, bdef))
        scale = 1 / words  # the shared terms' parts are their cosine's, times the words' weight
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
            relation="partner" if self.names.linked(a, b) else "related" if b in self.names.tied(a) else None,
        )

    def strength_of(self, a: int, b: int) -> str:
        """How much the pair's match can be trusted (``strength.py``), as ``match`` marks it.

        In a store, where both are ranked for their newest records, the strength ``match`` gives there
        (``stores.store_strength``: the closest project's cosine), of the better side. Where one lists needs,
        the specific-term evidence decides without the score (a store's scores have another scale): strong
        where each side's needs, or newest records, share a specific term with the other's capabilities,
        moderate where one side's do, weak where neither does.
        """
        seeks = self.ranking.seeks_by_record
        if not (seeks(a) or seeks(b)):
            return self.pair(a, b).strength
        if seeks(a) and seeks(b):
            cosine = max(self._closest_cosine(a, b), self._closest_cosine(b, a))
            return store_strength(cosine)
        sides = [self._shares_specific(x, y) for x, y in ((a, b), (b, a))]
        return "strong" if all(sides) else "moderate" if any(sides) else "weak"

    def _closest_cosine(self, seeker: int, provider: int) -> float:
        """The cosine of ``provider``'s project closest to ``seeker``'s newest records (their need vector kept
        for the organisations of an event or so, as ``_specific_needs`` keeps terms)."""
        need = self._recent_docs.get(seeker)
        if need is None:
            if len(self._recent_docs) >= SPECIFIC_KEPT:
                self._recent_docs.clear()
            need = self._recent_docs[seeker] = recent_need(self.index, seeker).doc_vector
        return closest_of(self.index, np.array([provider]), need)[1][0]

    def _shares_specific(self, seeker: int, provider: int) -> bool:
        """Whether ``seeker``'s needs (or newest records) and ``provider``'s capabilities share a specific term."""
        need = self._specific_needs(seeker)
        cols, vals = self.index.vector(provider, CAPABILITY)  # columns sorted: a few terms looked up in many
        at = np.searchsorted(cols, need)
        inside = at < len(cols)
        at = at[inside]
        return bool(np.any((cols[at] == need[inside]) & (vals[at] > 0)))

    def _specific_needs(self, org: int) -> np.ndarray:
        """The specific terms of ``org``'s needs, or of its newest records where it seeks by them (kept for
        the organisations of an event or so: a store's terms are read one by one)."""
        found = self._specific.get(org)
        if found is not None:
            return found
        idx = self.index
        if self.ranking.seeks_by_record(org):
            cols = recent_need(idx, org).vector[0]
        else:
            cols, vals = idx.vector(org, NEED)
            cols = cols[vals > 0] if idx.has_needs[org] else cols[:0]
        cols = np.unique(cols)
        found = cols[~generic([idx.terms[t] for t in cols.tolist()])] if cols.size else cols
        if len(self._specific) >= SPECIFIC_KEPT:
            self._specific.clear()
        self._specific[org] = found
        return found

    def semantic_pairs(self, seeker: int, provider: int) -> list[SemanticPair]:
        """The meaning part of how well ``provider`` meets ``seeker``'s needs, need by need."""
        sem, idx = self.ranking.semantic, self.index
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
                evidence_for(idx, n),
                evidence_for(idx, c),
            )
            for n, c, similarity, percentile, close in sem.pairs(seeker, provider)
        ]

    def need_match(self, rank: int, b: int, ranked: NeedRanking, seeker_name: str) -> Match:
        """Organisation ``b`` ranked for a need: the capabilities that met its text, and each signal's part."""
        idx, need = self.index, ranked.need
        score = float(ranked.score[b])
        forward = explain_direction(
            idx,
            need.seeker,
            b,
            defined=True,
            weight=ranked.weights.get("text", 0.0),
            final_score=score,
            query=(need.text, ranked.vector),
            seeker_name=seeker_name,
            scale=ranked.scale,
        )
        shares = self._signal_shares(b, ranked, score)
        profile = idx.profiles[b]
        backward = Direction(seeker_name, profile.name, False, 0.0, 0.0, 0.0, [], [])
        match = Match(
            rank=rank,
            name=profile.name,
            country=profile.country,
            kind=profile.kind,
            score=score,
            forward=forward.score,
            backward=None,
            explanation=Explanation(forward, backward, mutual=False, signals=shares),
        )
        return self._in_store(match, need.seeker, b, ranked) if idx.model is not None else match

    def _in_store(self, match: Match, seeker: int | None, b: int, ranked: NeedRanking) -> Match:
        """A store's match with what it rests on: past joint work with the seeker (``already partners``, how many
        grants, the latest year), the candidate's closest project, and the store's strength label."""
        joint = joint_work(self.index, seeker, b) if seeker is not None else None
        closest, cosine = None, 0.0
        if ranked.doc_vector is not None:
            found = statement_terms(self.index, b, ranked.doc_vector)[0]
            if found:
                closest, cosine = clip(self.index.statement_text(found[0][0]), 90), found[0][1]
        linked = joint is not None or (seeker is not None and self.names.linked(seeker, b))
        return dataclasses.replace(
            match,
            strength=store_strength(cosine),
            relation="partner" if linked else None,
            relation_note=joint.describe() if joint is not None else None,
            closest=closest,
            closest_cosine=cosine,
        )

    def _meaning_detail(self, b: int, similarity: float, close_at: float, closest) -> str:
        """Which capability of ``b`` is closest in meaning to a need, in its language, and how close."""
        from ..ranking.meaning import CLOSE_PERCENTILE

        row, percentile = closest[b]
        if row < 0:
            return ""
        close = similarity >= close_at and percentile >= CLOSE_PERCENTILE
        how = "close in meaning" if close else "related in meaning"
        language = self.ranking.semantic.languages[row]
        text = clip(self.index.statement_text(row), 80)
        return f"{how}: offers “{text}” [{language}], {_closer_than(percentile)}"

    def _signal_shares(self, b: int, ranked: NeedRanking, score: float) -> list[SignalShare]:
        """Each signal's part of ``b``'s score for a need, largest first, with what it rests on."""
        idx, need, sig = self.index, ranked.need, ranked.signals
        shares = []
        statements = None
        for name, w in ranked.weights.items():
            value = float(sig[name][b])
            if w * value == 0:  # a discounted signal (size, POPULARITY_DISCOUNT) counts against: shown too
                continue
            detail, terms = None, {}
            if name in ("past", "past_any") and need.seeker is not None:
                detail = f"{int(round(np.expm1(sig['past'][b])))} shared past project(s)" if "past" in sig else None
            elif name == "network" and need.seeker is not None:
                shared = np.intersect1d(idx.links.row(need.seeker)[0], idx.links.row(b)[0]).size
                detail = f"{shared} partner(s) in common"
            elif name == "past_close" and need.seeker is not None:
                if statements is None:
                    statements = statement_terms(idx, b, ranked.doc_vector)
                detail, terms = _shared_detail(idx, need.seeker, w, statements[0])
            elif name == "same_city":
                detail = idx.profiles[b].city
            elif name == "meaning" and ranked.meaning is not None:
                detail = self._meaning_detail(b, value, *ranked.meaning)
            elif name in STATEMENT_SIGNALS:
                if statements is None:
                    statements = statement_terms(idx, b, ranked.doc_vector)
                detail, terms = _statement_detail(idx, name, w, *statements)
            contribution = w * value
            share = contribution / score if score > 0 else 0.0
            shares.append(
                SignalShare(
                    name, signal_label(name), value, w, contribution, share, detail, term_shares(terms, contribution)
                )
            )
        shares.sort(key=lambda s: -s.contribution)
        return shares

    def recent_matches(self, a: int, rows, ranked: NeedRanking) -> list[Match]:
        """The explained matches of ``rows`` for ``a``'s newest records (``ranked``: ``Ranking.recent(a)[1]``)."""
        name = self.index.profiles[a].name
        return [self.need_match(r, int(b), ranked, name) for r, b in enumerate(rows, start=1)]

    def record_label(self, row: int) -> str:
        """A capability record with the source that dates it: 'ACR: title — CORDIS grant 101… (signed …)'."""
        evidence = evidence_for(self.index, row)
        text = self.index.statement_text(row)
        return f"{text} — {evidence.article}" if evidence is not None else text

    def profile_view(self, name: str) -> ProfileView:
        """The profile of ``name`` with, for each statement, its terms and its evidence."""
        o = self.names.find(name)
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
            sources=[cite(s, p.path) for s in p.sources],
            path=p.path,
        )


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
