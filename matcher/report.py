"""Render results as text or JSON. Pure functions: data in, string out."""

from __future__ import annotations

import dataclasses
import json
import textwrap
from typing import Any

from .explain import Direction, Evidence, StatementMatch
from .matching import Match, MatchList


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


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _terms(stmt: StatementMatch, n: int = 4) -> str:
    shown = [f"{t.term} {t.share:.0%}" for t in stmt.terms[:n]]
    if len(stmt.terms) > n:
        shown.append("…")
    return ", ".join(shown)


def _evidence(label: str, ev: Evidence | None, width: int | None) -> list[str]:
    if ev is None:
        return []
    quote = ev.quote if width is None else _clip(ev.quote, width)
    return [f"{label}: “{quote}” [{ev.article}]"]


def render_direction(d: Direction, *, pairs: int | None = 2, width: int | None = 110) -> list[str]:
    """Lines explaining one direction: the statement pairs that carried it, terms and evidence."""
    if not d.defined:
        return [f"{d.seeker} lists no needs, so the score rests on what it offers {d.provider}."]
    if not d.pairs:
        return [f"Nothing {d.provider} offers matches what {d.seeker} needs."]
    head = f"{d.provider} offers what {d.seeker} needs: {d.score:.3f}"
    if d.weight:
        head += f" ({d.share:.0%} of the score)"
    lines = [head]
    shown = d.pairs if pairs is None else d.pairs[:pairs]
    for stmt in shown:
        lines.append(f"  {d.seeker} needs “{stmt.need}”")
        lines.append(f"  — {d.provider} offers “{stmt.capability}”")
        lines.append(f"    {stmt.share:.0%} of this side, through {_terms(stmt, None if pairs is None else 4)}")
        lines += ["    " + s for s in _evidence("need, in its words", stmt.need_evidence, width)]
        lines += ["    " + s for s in _evidence("offer, in its words", stmt.capability_evidence, width)]
    if len(d.pairs) > len(shown):
        lines.append(f"  (+{len(d.pairs) - len(shown)} more matching statement pairs: see 'matcher explain')")
    return lines


def _headline(m: Match) -> str:
    kind = "mutual" if m.explanation.mutual else "one-sided"
    return f"score {m.score:.3f} · {kind}"


def render_match(m: Match, *, pairs: int | None = 2, width: int | None = 110) -> str:
    out = []
    for d in (m.explanation.forward, m.explanation.backward):
        out += render_direction(d, pairs=pairs, width=width)
    return "\n".join(out)


def render_matches(result: MatchList, *, pairs: int = 2) -> str:
    """The ranked list with explanations, for a terminal or an e-mail."""
    head = f"Partners for {result.org} ({result.country}, {result.kind})"
    if not result.matches:
        return head + f": no matches among {result.candidates} candidates."
    lines = [head + f": top {len(result.matches)} of {result.candidates} candidates", ""]
    for m in result.matches:
        lines.append(f"{m.rank:>2}. {m.name} ({m.country}, {m.kind}) — {_headline(m)}")
        body = render_match(m, pairs=pairs)
        lines += [textwrap.indent(body, "    "), ""]
    return "\n".join(lines).rstrip() + "\n"


def render_explanation(m: Match) -> str:
    """Everything behind one pair: both directions, every contributing pair, all terms and quotes."""
    a = m.explanation.forward.seeker
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
