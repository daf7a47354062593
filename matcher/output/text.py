"""Render results as text or JSON for a terminal or a mail: data in, string out."""

from __future__ import annotations

import dataclasses
import json
import shlex
import textwrap
from typing import Any

from ..explanations.directions import Direction, Evidence, SignalShare, StatementMatch, strongest_pair
from ..explanations.results import Match, MatchList, ProfileView
from ..text.cells import escape_cell
from ..text.layout import clip, count, snippet, wrap
from .attribution import citation, claim, evidence_line, unshown


def to_jsonable(obj: Any) -> Any:
    """Dataclasses (results) as plain dicts and lists, ready for ``json.dumps``."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return to_jsonable(dataclasses.asdict(obj))
    if isinstance(obj, dict):
        return {k: to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, float):
        return round(obj, 6)
    return obj


def to_json(obj: Any) -> str:
    return json.dumps(to_jsonable(obj), indent=2, ensure_ascii=False)


def _terms(stmt: StatementMatch | SignalShare, n: int | None = 4) -> str:
    shown = [f"{t.term}{' (generic)' if getattr(t, 'generic', False) else ''} {t.share:.0%}" for t in stmt.terms[:n]]
    if n is not None and len(stmt.terms) > n:
        shown.append("…")
    return ", ".join(shown)


def _evidence(label: str, ev: Evidence | None, width: int | None, terms=()) -> list[str]:
    """A statement's quote, cut to ``width`` around the first matched term, with whose words it is and where
    it was published (``attribution.evidence_line``); a quote that is not in its article is not shown."""
    if ev is None:
        return []
    words = [w for t in terms for w in t.term.split(" ")]
    quote = ev.quote if width is None else snippet(ev.quote, words, width)
    return [evidence_line(label, ev, quote)]


def render_direction(d: Direction, *, pairs: int | None = 2, width: int | None = 110) -> list[str]:
    """Lines explaining one direction: the statement pairs that carried it, terms and evidence."""
    if not d.defined:
        return [f"{d.seeker} lists no needs, so the score rests on what it offers {d.provider}."]
    if not d.pairs and not d.semantic_pairs:
        return [f"Nothing {d.provider} offers matches what {d.seeker} needs."]
    head = f"{d.provider} offers what {d.seeker} needs: {d.score:.3f}"
    if d.weight:
        head += f" ({d.share:.0%} of the score)"
    lines = [head]
    shown = d.pairs if pairs is None else d.pairs[:pairs]
    for stmt in shown:
        lines.append(f"  {claim(d.seeker, 'needs', stmt.need_evidence)} “{stmt.need}”")
        lines.append(f"  — {claim(d.provider, 'offers', stmt.capability_evidence)} “{stmt.capability}”")
        lines.append(f"    {stmt.share:.0%} of this side, through {_terms(stmt, None if pairs is None else 4)}")
        lines += ["    " + s for s in _evidence("need", stmt.need_evidence, width, stmt.terms)]
        lines += ["    " + s for s in _evidence("offer", stmt.capability_evidence, width, stmt.terms)]
    if len(d.pairs) > len(shown):
        more = len(d.pairs) - len(shown)
        lines.append(
            f"  (+{more} more matching statement pair{'s' if more > 1 else ''}:"
            f" matcher explain {_arg(d.seeker)} {_arg(d.provider)})"
        )
    lines += _render_semantic(d, pairs, width)
    return lines


def _render_semantic(d: Direction, pairs: int | None, width: int | None) -> list[str]:
    """The meaning part of a direction: its share, and each need with the capability closest in meaning,
    with their quotes."""
    if not d.semantic_pairs:
        return []
    lines = [f"  by meaning: {d.semantic / d.score:.0%} of this side" if d.score > 0 else "  by meaning:"]
    shown = d.semantic_pairs if pairs is None else d.semantic_pairs[:pairs]
    for p in shown:
        lines.append(f"    {claim(d.seeker, 'needs', p.need_evidence)} “{p.need}” [{p.need_language}]")
        lines.append(
            f"    ~ {claim(d.provider, 'offers', p.capability_evidence)} “{p.capability}” [{p.capability_language}]:"
            f" {p.share:.0%} of this side, {meaning_words(p)}"
        )
        lines += ["      " + s for s in _evidence("need", p.need_evidence, width)]
        lines += ["      " + s for s in _evidence("offer", p.capability_evidence, width)]
    if len(d.semantic_pairs) > len(shown):
        lines.append(
            f"    (+{len(d.semantic_pairs) - len(shown)} more: matcher explain {_arg(d.seeker)} {_arg(d.provider)})"
        )
    return lines


def meaning_words(p) -> str:
    """How close a need and a capability are in meaning, in words: close (above the need's close level) or
    related, and the share of the profiles' need ↔ capability pairs that are less alike."""
    how = "close in meaning" if p.close else "related in meaning"
    return f"{how}, closer than {min(p.percentile, 0.999):.1%} of need–capability pairs here"


def _arg(name: str) -> str:
    """A name as a shell argument: quoted where it holds a space or a quote."""
    return shlex.quote(name)


def _headline(m: Match) -> str:
    kind = "mutual" if m.explanation.mutual else "one-sided"
    return f"score {m.score:.3f} · {kind}" + (f" · {m.strength}" if m.strength else "") + _relation(m) + _stage(m)


def render_match(m: Match, *, pairs: int | None = 2, width: int | None = 110) -> str:
    out = []
    for d in (m.explanation.forward, m.explanation.backward):
        out += render_direction(d, pairs=pairs, width=width)
    return "\n".join(out)


def render_need_match(m: Match, *, pairs: int | None = 2, width: int | None = 110) -> list[str]:
    """Lines explaining a need match: the capabilities that met the need, terms, evidence, and each signal."""
    d = m.explanation.forward
    lines = []
    if d.weight:  # where the model gives the whole-profile text part no weight, the statement signals carry it
        if d.pairs:
            lines.append(f"meets the need: text part {d.score * d.weight:.3f} ({d.share:.0%} of the score)")
        else:
            meaning = any(sig.signal == "meaning" for sig in m.explanation.signals)
            lines.append(
                "no capability shares a term with the need" + ("" if meaning else "; ranked on the other signals")
            )
        shown = d.pairs if pairs is None else d.pairs[:pairs]
        for stmt in shown:
            text = stmt.capability if width is None else clip(stmt.capability, width)
            lines.append(f"  {claim(None, 'offers', stmt.capability_evidence)} “{text}”")
            lines.append(f"    {stmt.share:.0%} of the text part, through {_terms(stmt, None if pairs is None else 5)}")
            lines += ["    " + s for s in _evidence("offer", stmt.capability_evidence, width)]
        if len(d.pairs) > len(shown):
            lines.append(f"  (+{len(d.pairs) - len(shown)} more matching capabilities)")
    for sig in m.explanation.signals:
        if sig.terms:  # a text signal of its own (statement similarity): its share and its terms
            lines.append(
                f"{sig.label}: {sig.share:.0%} of the score, through {_terms(sig, None if pairs is None else 5)}"
            )
            if sig.detail:
                lines.append(f"  {sig.detail if width is None else clip(sig.detail, width)}")
    for sig in m.explanation.signals:
        if sig.signal == "meaning" and sig.detail:  # the capability closest to the need in meaning
            lines.append(f"in meaning: {sig.share:.0%} of the score, {sig.detail}")
    others = [sig for sig in m.explanation.signals if sig.signal not in ("text", "meaning") and not sig.terms]
    if others:
        parts = [f"{sig.label} {sig.share:.0%}" + (f" ({sig.detail})" if sig.detail else "") for sig in others]
        lines.append("other signals: " + "; ".join(parts))
    return lines


def render_need_matches(result: MatchList, *, pairs: int = 2) -> str:
    """The organisations ranked for a need, with explanations."""
    need = " ".join((result.need or "").split())
    if result.needs_from:
        n = len(result.needs_from)
        head = f"Partners for {result.org} ({result.country}, {result.kind})"
        intro = [f"{result.org} lists no needs: it is matched for work like its {_newest(n)}:"]
        intro += [f"  - {label}" for label in result.needs_from]
    else:
        head = f"Organisations for the need “{clip(need, 90)}”"
        if result.org != "the need":
            head += f" of {result.org} ({result.country}, {result.kind})"
        intro = []
    if not result.matches:
        return "\n".join([head + f": no matches among {count(result.candidates, 'candidate')}.", *intro]) + "\n"
    lines = [head, *intro, _count_line(result), ""]
    for m in result.matches:
        lines.append(f"{m.rank:>2}. {m.name} ({m.country}, {m.kind}) — {_need_headline(m, result.candidates)}")
        lines += [textwrap.indent(x, "    ") for x in render_need_match(m, pairs=pairs)]
        lines.append("")
    note = _weak_note(result.weak_left_out, store=True) + _declined_note(result.declined_left_out)
    return "\n".join(lines).rstrip() + "\n" + ("\n" + note if note else "")


def _need_headline(m: Match, candidates: int) -> str:
    """A need match's score, and in a store where it stands among the candidates, its strength and whether the
    two already work together."""
    if not m.strength:
        return f"score {m.score:.3f}"
    above = min((candidates - m.rank) / max(candidates, 1), 0.9999)
    place = f"ranked above {above:.2%} of {candidates:,} candidates (score {m.score:.3f})"
    return f"{place} · {m.strength}" + _relation(m) + _stage(m)


def _relation(m: Match) -> str:
    """`` · already partners (36 joint grants, latest 2023)``, `` · related organisation`` or nothing."""
    if m.relation == "partner":
        return " · already partners" + (f" ({m.relation_note})" if m.relation_note else "")
    return " · related organisation" if m.relation == "related" else ""


def _stage(m: Match) -> str:
    return f" · {m.stage} {m.stage_date}" if getattr(m, "stage", None) else ""


def _count_line(result: MatchList) -> str:
    """How many of how many candidates are listed, and which ranks, where weak ones were left out."""
    shown = len(result.matches)
    if result.weak_left_out:
        top = shown + result.weak_left_out
        return f"{shown} of the top {top} of {result.candidates} candidates ({result.weak_left_out} weak left out)"
    return f"top {shown} of {count(result.candidates, 'candidate')}"


def _newest(n: int) -> str:
    return "newest project" if n == 1 else f"{n} newest projects"


def render_matches(result: MatchList, *, pairs: int = 2, detail: bool = False, width: int | None = None) -> str:
    """The ranked list, for a terminal or an e-mail: one entry per partner with its strongest need ↔
    capability pair, or with ``detail`` every pair both ways with the quotes; wrapped to ``width``."""
    if result.need is not None:
        text = render_need_matches(result, pairs=pairs)
        return wrap(text, width).rstrip("\n") + "\n" if width else text
    head = f"Partners for {result.org} ({result.country}, {result.kind})"
    left_out = _weak_note(result.weak_left_out) + _declined_note(result.declined_left_out)
    if not result.matches:
        return head + f": no matches among {count(result.candidates, 'candidate')}.\n" + left_out
    lines = [head + f": {_count_line(result)}", ""]  # ranks keep their place in the full ranking
    for m in result.matches:
        lines.append(f"{m.rank:>2}. {m.name} ({m.country}, {m.kind}) — {_headline(m)}")
        body = render_match(m, pairs=pairs) if detail else "\n".join(_strongest(m))
        lines += [textwrap.indent(body, "    "), ""]
    text = "\n".join(lines).rstrip() + "\n"
    if not detail:
        text += (
            f"\nEach partner with its strongest need ↔ capability pair: --detail shows every pair, both ways,"
            f" with the quotes (or matcher explain {_arg(result.org)} NAME).\n"
        )
    if left_out:
        text += "\n" + left_out
    return wrap(text, width).rstrip("\n") + "\n" if width else text


def _declined_note(n: int) -> str:
    if not n:
        return ""
    what = "1 organisation" if n == 1 else f"{n} organisations"
    return f"({what} left out: declined or not relevant in the ledger; --show-declined brings them back)\n"


def _weak_note(n: int, *, store: bool = False) -> str:
    if not n:
        return ""
    what = "1 weak match" if n == 1 else f"{n} weak matches"
    if store:
        why = "no project of theirs close to this work (ranked on size, network or programme)"
    else:
        why = "nothing specific in common: only words many profiles use, and no need and capability close in meaning"
    return f"({what} left out: {why}; --all shows them)\n"


def _strongest(m: Match) -> list[str]:
    """The need ↔ capability pair that carries most of a match's score, either way, and its terms."""
    back = m.explanation.backward
    no_needs = [f"{back.seeker} lists no needs, so the score rests on what it offers {back.provider}."]
    found = strongest_pair(m.explanation.forward, back)
    if found is None:
        return ["nothing in common"]
    d, stmt = found
    part = stmt.share * d.share
    if hasattr(stmt, "terms"):
        through = f"through {_terms(stmt, 4)}"
    else:
        through = f"{meaning_words(stmt)} [{stmt.need_language} ~ {stmt.capability_language}]"
    return [
        f"{claim(d.seeker, 'needs', stmt.need_evidence)} “{stmt.need}”",
        f"— {claim(d.provider, 'offers', stmt.capability_evidence)} “{stmt.capability}”",
        f"  {part:.0%} of the score, {through}",
    ] + (no_needs if not back.defined else [])


def reason_line(m: Match) -> str:
    """One line on why a pair should meet: its strongest need ↔ capability pair."""
    d = m.explanation.forward
    if m.closest is not None and not m.explanation.signals:  # a store's match in brief: its closest project
        return f"{d.provider}'s project “{m.closest}” ({m.closest_cosine:.2f}) is close to what {d.seeker} works on"
    if m.explanation.signals:  # a need match (a store's organisation ranked for its newest projects)
        if not d.pairs:
            return ""
        offer = claim(d.provider, "offers", d.pairs[0].capability_evidence)
        return f"{offer} “{d.pairs[0].capability}”, close to what {d.seeker} works on"
    found = strongest_pair(d, m.explanation.backward)
    if found is None:
        return ""
    d, stmt = found
    need, offer = claim(d.seeker, "needs", stmt.need_evidence), claim(d.provider, "offers", stmt.capability_evidence)
    return f"{need} “{stmt.need}”; {offer} “{stmt.capability}”"


def render_explanation(m: Match) -> str:
    """Everything behind one pair: both directions, every contributing pair, all terms and quotes."""
    a = m.explanation.forward.seeker
    if not m.explanation.forward.defined and not m.explanation.backward.defined:
        return (
            f"{a} and {m.name} ({m.country}, {m.kind}): no score — neither lists needs (a store of past projects"
            f" lists capabilities only). Rank {m.name} for a need instead: match --need TEXT --org {a!r}.\n"
        )
    if m.explanation.signals:  # a need match: an organisation of a store, ranked for its newest projects
        need = clip(" ".join(m.explanation.forward.pairs[0].need.split()), 200) if m.explanation.forward.pairs else ""
        head = f"{a} and {m.name} ({m.country}, {m.kind}): score {m.score:.3f}, for {a}'s newest projects"
        lines = [head + (f" ({need})" if need else ""), ""] + render_need_match(m, pairs=None, width=None)
        return "\n".join(lines).rstrip() + "\n"
    lines = [f"{a} and {m.name} ({m.country}, {m.kind}): {_headline(m)}", ""]
    for d in (m.explanation.forward, m.explanation.backward):
        lines += render_direction(d, pairs=None, width=None)
        if d.defined and d.terms:
            lines.append("  terms overall: " + ", ".join(f"{t.term} {t.share:.0%}" for t in d.terms))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def match_list_json(result: MatchList) -> str:
    """``{"org": ..., "matches": [{"rank", "name", "score", "forward", "backward", "explanation"}]}``."""
    return to_json(result)


def render_profile(view: ProfileView) -> str:
    """A profile for reading: fields, each statement with the terms the matcher uses, and the sources."""
    lines = [f"{view.name} ({view.country}, {view.kind})"]
    if view.aliases:
        lines.append("also known as: " + ", ".join(view.aliases))
    for label, value in (("city", view.city), ("sectors", ", ".join(view.sectors)), ("file", view.path)):
        if value:
            lines.append(f"{label}: {value}")
    if view.summary:
        lines += ["", textwrap.fill(view.summary, 100)]
    for label, stmts in (("Offers", view.capabilities), ("Needs", view.needs)):
        lines += ["", f"{label}:" if stmts else f"{label}: (nothing listed)"]
        for st in stmts:
            lines.append(f"  - {st.text}")
            lines.append("      terms: " + (", ".join(st.terms) if st.terms else "(none: only common words)"))
            if st.evidence:
                lines.append("      " + evidence_line("evidence", st.evidence, clip(st.evidence.quote, 110)))
    if view.partners:
        lines += ["", "Works with: " + ", ".join(view.partners)]
    if view.sources:
        lines += ["", "Sources:"]
        for src in view.sources:
            flag = unshown(src)
            lines.append(
                f"  {flag[0].upper() + flag[1:]}" if flag else f"  “{src.quote}” — {citation(src, title=True)}"
            )
    return "\n".join(lines) + "\n"


def render_funnel(funnel, fmt: str) -> str:
    """The funnel as a table (pairs at each stage, conversion from the previous), CSV or JSON."""
    rows = [{"stage": s.stage, "pairs": s.pairs, "conversion": s.conversion} for s in funnel.steps]
    rows += [{"stage": k, "pairs": v, "conversion": None} for k, v in funnel.outcomes.items()]
    if fmt == "json":
        return to_json(funnel) + "\n"
    if fmt == "csv":
        lines = ["stage,pairs,conversion"]
        lines += [
            f"{escape_cell(r['stage'])},{r['pairs']},{'' if r['conversion'] is None else round(r['conversion'], 4)}"
            for r in rows
        ]
        return "\n".join(lines) + "\n"
    scope = f" of {funnel.org}" if funnel.org else ""
    since = f" since {funnel.since}" if funnel.since else ""
    lines = [f"Funnel{scope}{since}: {funnel.pairs} pair{'' if funnel.pairs == 1 else 's'} in the ledger", ""]
    lines.append(f"{'stage':<12} {'pairs':>6}  from the stage before")
    for s in funnel.steps:
        conv = "" if s.conversion is None else f"{s.conversion:.0%}"
        lines.append(f"{s.stage:<12} {s.pairs:>6}  {conv}")
    ended = ", ".join(f"{k} {v}" for k, v in funnel.outcomes.items())
    lines += ["", f"ended: {ended}"]
    return "\n".join(lines) + "\n"


def render_evaluation(report) -> str:
    """Where each known partner ranks (``ranking.evaluation.PartnershipReport``), and Hits@k and MRR."""
    lines = [f"{row.seeker} -> {row.partner}: rank {row.rank} of {row.candidates}" for row in report.rows]
    lines.append(
        f"{len(report.rows)} rankings from {report.pairs} partnerships: "
        f"Hits@{report.k} {report.hits:.3f}, MRR {report.mrr:.3f}"
    )
    return "\n".join(lines) + "\n"


UNMET = {
    "away": "can attend no slot",
    "nobody": "no one to meet",
    "weak": "only weak matches",
    "seats": "seats went to others",
}
"""Why a participant has no meeting (``EventPlan.unmet``), in words."""


def level_figures(event) -> list[tuple[str, str, str]]:
    """Each level of a planned event's objective (``agenda.LEVELS``) as (what, figure, bound) in words, in
    order; requests only where some were made, fillers where some weak match could be one. A bound is what
    no plan as good on the levels above can beat: an upper bound, a lower one for idle gaps."""
    plan = event.plan
    least = "a meeting" if event.min_per_org == 1 else f"{event.min_per_org} meetings"
    fillers = plan.fillers or any(c.filler for c in event.candidates)
    out = []
    for lv in plan.levels:
        if (lv.name == "requests" and not plan.requests) or (lv.name.startswith("filler") and not fillers):
            continue
        if lv.bound is None:
            bound = "no bound found in time"
        elif lv.name == "score":
            bound = f"bound {lv.bound:.3f} (gap {lv.gap:.2%})"
        elif lv.name == "filler score":
            bound = f"bound {lv.bound + 0.0:.3f}"
        elif lv.name == "idle gaps":
            bound = f"bound {lv.bound:.0f}: no plan has fewer" + ("" if lv.proven else " (not proven the fewest)")
        else:
            bound = f"bound {lv.bound:.0f}"
        figure = {
            "requests": ("requests met", f"{lv.value:.0f} of {lv.of}"),
            "participants": (f"participants with {least}", f"{lv.value:.0f} of {lv.of} with a good candidate"),
            "score": ("total score", f"{lv.value:.3f}"),
            "filler participants": ("met, weak fillers too", f"{lv.value:.0f} of {lv.of}"),
            "filler score": ("weak fillers", f"{plan.fillers}, score {lv.value:.3f}"),
            "idle gaps": ("idle gaps", f"{lv.value:.0f}"),
        }[lv.name]
        out.append((*figure, bound))
    return out


def event_summary(path, event) -> str:
    """What a planned event (``office.event.EventPlan``) written to ``path`` holds: its meetings, each
    level's figure and bound, best pair first's figures, and who has no meeting and why."""
    plan = event.plan
    partners = "partners included" if event.include_partners else "none between partners or related organisations"
    held = f"{count(len(plan.meetings), 'meeting')} in {count(event.slots, 'slot')} at {count(event.tables, 'table')}"
    lines = [f"Wrote {path}: {held}, {partners}."]
    figures = level_figures(event)
    wide = max(len(w) for w, _, _ in figures)
    figure_width = max(len(f) for _, f, _ in figures)
    lines += [f"  {w:<{wide}}  {f:<{figure_width}}  {b}" for w, f, b in figures]
    base = event.baseline
    met = base.level("participants")
    lines.append(
        f"Best pair first: {met.value:.0f} of {met.of} met, total score {base.objective:.3f},"
        f" {count(idle_count(base), 'idle gap')}."
    )
    unmet = event.unmet()
    if unmet:
        shown = "; ".join(f"{name} ({UNMET[why]})" for name, why in unmet[:10])
        more = f"; and {len(unmet) - 10} more" if len(unmet) > 10 else ""
        lines.append(f"No meeting for {len(unmet)}: {shown}{more}.")
    return "\n".join(lines)


def idle_count(plan) -> int:
    """A plan's idle gaps: its level's figure."""
    lv = plan.level("idle gaps")
    return int(lv.value) if lv is not None else 0
