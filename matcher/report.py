"""Render results as text or JSON. Pure functions: data in, string out."""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
import textwrap
from collections.abc import Sequence
from typing import Any

from .explain import Direction, Evidence, SignalShare, StatementMatch, strongest_pair
from .matching import Match, MatchList, ProfileView
from .text import clip, snippet, wrap


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
    """A statement's quote, cut to ``width`` around the first matched term, credited to its speaker where
    the profile names one (a quote is the article's report, not always the organisation's own words)."""
    if ev is None:
        return []
    words = [w for t in terms for w in t.term.split(" ")]
    quote = ev.quote if width is None else snippet(ev.quote, words, width)
    who = f" (said by {ev.speaker})" if ev.speaker else ", as reported"
    return [f"{label}{who}: “{quote}” [{ev.article}]"]


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
        lines.append(f"  {d.seeker} needs “{stmt.need}”")
        lines.append(f"  — {d.provider} offers “{stmt.capability}”")
        lines.append(f"    {stmt.share:.0%} of this side, through {_terms(stmt, None if pairs is None else 4)}")
        lines += ["    " + s for s in _evidence("need", stmt.need_evidence, width, stmt.terms)]
        lines += ["    " + s for s in _evidence("offer", stmt.capability_evidence, width, stmt.terms)]
    if len(d.pairs) > len(shown):
        more = len(d.pairs) - len(shown)
        lines.append(
            f"  (+{more} more matching statement pair{'s' if more > 1 else ''}:"
            f" matcher explain {_arg(d.seeker)} {_arg(d.provider)})"
        )
    lines += _render_semantic(d, pairs)
    return lines


def _render_semantic(d: Direction, pairs: int | None) -> list[str]:
    """The meaning part of a direction: its share, and each need with the capability closest in meaning."""
    if not d.semantic_pairs:
        return []
    lines = [f"  by meaning: {d.semantic / d.score:.0%} of this side" if d.score > 0 else "  by meaning:"]
    shown = d.semantic_pairs if pairs is None else d.semantic_pairs[:pairs]
    for p in shown:
        lines.append(f"    “{p.need}” [{p.need_language}]")
        lines.append(
            f"    ~ “{p.capability}” [{p.capability_language}]: {p.share:.0%} of this side, {meaning_words(p)}"
        )
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
    import shlex

    return shlex.quote(name)


def _headline(m: Match) -> str:
    kind = "mutual" if m.explanation.mutual else "one-sided"
    relation = {"partner": " · already partners", "related": " · related organisation"}.get(m.relation or "", "")
    stage = f" · {m.stage} {m.stage_date}" if getattr(m, "stage", None) else ""
    return f"score {m.score:.3f} · {kind}" + (f" · {m.strength}" if m.strength else "") + relation + stage


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
            lines.append("no capability shares a term with the need; ranked on the other signals")
        shown = d.pairs if pairs is None else d.pairs[:pairs]
        for stmt in shown:
            lines.append(f"  offers “{stmt.capability if width is None else clip(stmt.capability, width)}”")
            lines.append(f"    {stmt.share:.0%} of the text part, through {_terms(stmt, None if pairs is None else 5)}")
            lines += ["    " + s for s in _evidence("in its words", stmt.capability_evidence, width)]
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
        return "\n".join([head + f": no matches among {result.candidates} candidates.", *intro]) + "\n"
    lines = [head, *intro, f"top {len(result.matches)} of {result.candidates} candidates", ""]
    for m in result.matches:
        lines.append(f"{m.rank:>2}. {m.name} ({m.country}, {m.kind}) — score {m.score:.3f}")
        lines += [textwrap.indent(x, "    ") for x in render_need_match(m, pairs=pairs)]
        lines.append("")
    note = _declined_note(result.declined_left_out)
    return "\n".join(lines).rstrip() + "\n" + ("\n" + note if note else "")


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
        return head + f": no matches among {result.candidates} candidates.\n" + left_out
    shown = len(result.matches)
    if result.weak_left_out:  # ranks keep their place in the full ranking, so say which ranks these are
        top = shown + result.weak_left_out
        count = f"{shown} of the top {top} of {result.candidates} candidates ({result.weak_left_out} weak left out)"
    else:
        count = f"top {shown} of {result.candidates} candidates"
    lines = [head + f": {count}", ""]
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


def _weak_note(n: int) -> str:
    if not n:
        return ""
    what = "1 weak match" if n == 1 else f"{n} weak matches"
    return (
        f"({what} left out: nothing specific in common, only generic words such as 'built' or 'industry' or no"
        " need and capability close in meaning; --all shows them)\n"
    )


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
        f"{d.seeker} needs “{stmt.need}”",
        f"— {d.provider} offers “{stmt.capability}”",
        f"  {part:.0%} of the score, {through}",
    ] + (no_needs if not back.defined else [])


def reason_line(m: Match) -> str:
    """One line on why a pair should meet: its strongest need ↔ capability pair."""
    d = m.explanation.forward
    if m.explanation.signals:  # a need match (a store's organisation ranked for its newest projects)
        return f"{d.provider} offers “{d.pairs[0].capability}”, close to what {d.seeker} works on" if d.pairs else ""
    found = strongest_pair(d, m.explanation.backward)
    if found is None:
        return ""
    d, stmt = found
    return f"{d.seeker} needs “{stmt.need}”; {d.provider} offers “{stmt.capability}”"


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
                lines.append(f"      evidence: “{clip(st.evidence.quote, 110)}” [{st.evidence.article}]")
    if view.partners:
        lines += ["", "Works with: " + ", ".join(view.partners)]
    if view.sources:
        lines += ["", "Sources:"]
        lines += [f"  [{src.article}] “{src.quote}”" for src in view.sources]
    return "\n".join(lines) + "\n"


def organisations_frame(profiles, *, countries=(), kinds=(), sectors=()):
    """One row per organisation (name, country, kind, city, capabilities, needs, sectors), filtered."""
    import pandas as pd

    from .text import Analyzer

    stem = Analyzer(multilingual=True).stems  # "Drone" finds "drones", "robotics" "Robotic"

    def key(sector: str) -> tuple[str, ...]:
        return tuple(stem(sector)) or (sector.casefold(),)

    wanted_sectors = {key(s) for s in sectors}
    rows = [
        {
            "name": p.name,
            "country": p.country,
            "kind": p.kind,
            "city": p.city or "",
            "capabilities": len(p.capabilities),
            "needs": len(p.needs),
            "sectors": ", ".join(p.sectors),
        }
        for p in profiles
        if (not countries or p.country in countries)
        and (not kinds or p.kind in kinds)
        and (not wanted_sectors or wanted_sectors & {key(s) for s in p.sectors})
    ]
    columns = ["name", "country", "kind", "city", "capabilities", "needs", "sectors"]
    return pd.DataFrame(rows, columns=columns).sort_values("name", key=lambda c: c.str.casefold(), ignore_index=True)


def _aligned(frame) -> str:
    """A DataFrame as text, its text columns left-aligned (pandas right-aligns them)."""
    import pandas as pd

    text_columns = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    formatters = {c: (lambda v, w=int(frame[c].astype(str).str.len().max()): f"{v:<{w}}") for c in text_columns}
    return frame.to_string(index=False, formatters=formatters, justify="left")


SHRINK_ORDER = ("sectors", "city", "name")
"""Which text columns a table gives up room in first, to fit the terminal."""


def _fit(frame, width: int, render):
    """``frame`` with text columns clipped (``…``), in SHRINK_ORDER, until ``render(frame)`` fits ``width``;
    city, then sectors, left out where clipping is not enough."""
    frame = frame.copy()
    for column in SHRINK_ORDER:
        if column not in frame.columns:
            continue
        excess = max(map(len, render(frame).splitlines())) - width
        if excess <= 0:
            break
        longest = int(frame[column].astype(str).str.len().max())
        room = max(len(column) + 2, 12, longest - excess)
        frame[column] = frame[column].astype(str).map(lambda v, room=room: clip(v, room))
    for column in ("city", "sectors"):  # still too wide (a narrow terminal): leave these out
        if column in frame.columns and max(map(len, render(frame).splitlines())) > width:
            frame = frame.drop(columns=column)
    return frame


def _records(frame, fmt: str) -> str | None:
    """``frame`` as CSV or JSON records, or None for a table (which its caller lays out)."""
    if fmt == "csv":
        return frame.to_csv(index=False)
    if fmt == "json":
        return json.dumps(frame.to_dict(orient="records"), indent=2, ensure_ascii=False) + "\n"
    return None


def render_frame(frame, fmt: str, width: int | None = None) -> str:
    """A table as aligned text (its widest text columns clipped to fit ``width``), CSV or JSON records."""
    if fmt != "table":
        return _records(frame, fmt)
    if frame.empty:
        return "No organisations match.\n"

    render = _aligned
    frame = frame.rename(columns={"capabilities": "offers", "needs": "seeks"})  # narrower headers on a screen
    if width:
        frame = _fit(frame, width, render)
    return render(frame) + f"\n{len(frame)} organisation{'' if len(frame) == 1 else 's'}\n"


BATCH_COLUMNS = ("org", "rank", "partner", "score", "forward", "backward")


_CSV_SPECIAL = re.compile('[,"\r\n]')


def _csv_field(text: str) -> str:
    """``text`` as the csv module's default dialect writes it: quoted where it holds a comma, a quote or a
    line break, with its quotes doubled."""
    if _CSV_SPECIAL.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_lines(p, names: Sequence[str]) -> str:
    """One organisation's rows (``batch.Partners``) as CSV lines, ``names`` already quoted.

    ``_json_lines`` is its twin on purpose: one function with a row template per format (``str.format``)
    wrote a million rows 10-40% slower than these f-strings. They write the rows of small sets, and of every
    set where pyarrow is not installed; ``_CSV_PIECES`` and ``_JSON_PIECES`` are the same layouts for
    ``_arrow_block``, and a test holds both writers to the csv and json modules' bytes."""
    org = names[p.org]
    forward = map(repr, p.forward.tolist()) if p.forward is not None else itertools.repeat("")
    backward = ("" if b != b else repr(b) for b in p.backward.tolist())  # NaN: the partner lists no needs
    rows = zip(p.rows.tolist(), p.score.tolist(), forward, backward)
    return "".join(f"{org},{r},{names[b]},{s!r},{f},{bk}\r\n" for r, (b, s, f, bk) in enumerate(rows, 1))


def _json_lines(p, names: Sequence[str]) -> str:
    """One organisation's rows as JSON lines, ``names`` already JSON-encoded; a missing side is null."""
    org = names[p.org]
    forward = map(repr, p.forward.tolist()) if p.forward is not None else itertools.repeat("null")
    backward = ("null" if b != b else repr(b) for b in p.backward.tolist())
    rows = zip(p.rows.tolist(), p.score.tolist(), forward, backward)
    return "".join(
        f'{{"org": {org}, "rank": {r}, "partner": {names[b]}, "score": {s!r}, "forward": {f}, "backward": {bk}}}\n'
        for r, (b, s, f, bk) in enumerate(rows, 1)
    )


def _batch_columns(partners) -> tuple:
    """The rows of ``partners`` (``batch.Partners``) as arrays in BATCH_COLUMNS order, organisations and
    partners by row number (NaN where a side is missing)."""
    import numpy as np

    counts = np.array([len(p.rows) for p in partners], dtype=np.int64)
    org = np.repeat(np.array([p.org for p in partners], dtype=np.int64), counts)
    rank = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts) + 1

    def column(values, dtype) -> np.ndarray:
        return np.concatenate(list(values)).astype(dtype) if partners else np.zeros(0, dtype)

    forward = (p.forward if p.forward is not None else np.full(len(p.rows), np.nan) for p in partners)
    return (
        org,
        rank,
        column((p.rows for p in partners), np.int64),
        column((p.score for p in partners), float),
        column(forward, float),
        column((p.backward for p in partners), float),
    )


def _batch_frame(partners, names: Sequence[str]):
    """Every organisation's rows as one DataFrame in BATCH_COLUMNS order (NaN where a side is missing)."""
    import numpy as np
    import pandas as pd

    org, rank, partner, *values = _batch_columns(list(partners))
    label = np.asarray(list(names), dtype=object)
    return pd.DataFrame(dict(zip(BATCH_COLUMNS, [label[org], rank, label[partner], *values])))


def _pyarrow():
    """``(pyarrow, pyarrow.compute)`` to write batch rows with, or None where pyarrow is not installed or
    its version writes floats otherwise than ``repr`` (checked on a few values, see ``_float_texts``)."""
    try:
        import numpy as np
        import pyarrow
        import pyarrow.compute
    except ImportError:
        return None
    probe = np.array([0.1, 1 / 3, 0.5, 2 / 3, 0.123456789012345, 1e-4, 0.999999999999])
    if pyarrow.compute.cast(pyarrow.array(probe), pyarrow.string()).to_pylist() != list(map(repr, probe.tolist())):
        return None
    return pyarrow, pyarrow.compute


BLOCK_ORGS = 2048
"""Organisations whose rows ``write_batch`` formats at a time."""
ARROW_MIN = 20_000
"""Organisations from which ``write_batch`` formats rows with pyarrow: importing it (and pandas, which it
loads) takes about 0.4 s, more than Python takes to format the rows of a smaller set."""


def _float_texts(x, missing: str, pa, pc):
    """``repr`` of each float of ``x`` as an Arrow string array, ``missing`` for NaN.

    Arrow's text of a float is its shortest round-trip form, as ``repr``'s; the two differ only in when
    they use an exponent (``1e-05`` against ``0.00001``) and in integral values (``1.0`` against ``1``).
    From 1e-4 up to 1 (scores' range) they agreed on 40 million random floats, and a test checks a
    spread of them; every other value, rare in a batch but for 0, goes through ``repr`` itself."""
    text = pc.cast(pa.array(x), pa.string())
    odd = ~((x >= 1e-4) & (x < 1.0))  # NaN included
    if odd.any():
        fixed = [missing if v != v else repr(v) for v in x[odd].tolist()]
        text = pc.replace_with_mask(text, pa.array(odd), pa.array(fixed, pa.string()))
    return text


def _arrow_block(partners, names, missing: str, pieces, arrow) -> bytes:
    """Rows of ``partners`` as text, assembled by Arrow: ``names`` (an Arrow array) already quoted or
    JSON-encoded, each row the values of BATCH_COLUMNS between the ``pieces`` of text around them."""
    import numpy as np

    pa, pc = arrow
    org, rank, partner, score, forward, backward = _batch_columns(partners)
    if not len(org):
        return b""
    values = [
        names.take(pa.array(org)),
        pc.cast(pa.array(rank), pa.string()),
        names.take(pa.array(partner)),
        _float_texts(score, missing, pa, pc),
        _float_texts(forward, missing, pa, pc),
        _float_texts(backward, missing, pa, pc),
    ]
    args = [pa.scalar(pieces[0])]
    for value, piece in zip(values, pieces[1:]):
        args += [value, pa.scalar(piece)]
    lines = pc.binary_join_element_wise(*args, "")
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32, count=len(lines) + 1, offset=4 * lines.offset)
    return memoryview(lines.buffers()[2])[offsets[0] : offsets[-1]].tobytes()


_CSV_PIECES = ("", ",", ",", ",", ",", ",", "\r\n")
_JSON_PIECES = ('{"org": ', ', "rank": ', ', "partner": ', ', "score": ', ', "forward": ', ', "backward": ', "}\n")


def write_batch(partners, names: Sequence[str], path, fmt: str, *, empty_ok: bool = True) -> int:
    """Write every organisation's top partners (``batch.Partners``, one per organisation) to ``path`` in
    ``fmt`` ("csv", "jsonl" or "parquet"), one row per (organisation, partner) in BATCH_COLUMNS order;
    ``names`` are the organisations' names, by row.

    The file is written under a temporary name and renamed into place when complete: an error or Ctrl-C
    while writing leaves no file at ``path`` (and removes the temporary file). Returns the number of rows.
    Without ``empty_ok``, no row at all raises ``NothingRanked`` and leaves ``path`` as it was. The file
    gets the permissions of the umask, like any file the user creates.
    """
    import os
    import tempfile
    from pathlib import Path

    from .errors import NothingRanked
    from .paths import public_mode

    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    n = 0
    try:
        if fmt == "parquet":
            os.close(fd)
            frame = _batch_frame(partners, names)
            n = len(frame)
            frame.to_parquet(tmp, index=False)
        else:
            with os.fdopen(fd, "wb") as f:
                for text, rows in _text_blocks(partners, names, fmt):
                    f.write(text)
                    n += rows
        if n == 0 and not empty_ok:
            raise NothingRanked(f"No organisation could be ranked, so {path} was not written.")
        os.chmod(tmp, public_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return n


def _text_blocks(partners, names: Sequence[str], fmt: str):
    """``(bytes, rows)`` of the CSV (with its header) or JSON lines of ``partners``, ``BLOCK_ORGS``
    organisations at a time: assembled by Arrow for a large set where pyarrow is installed (about three
    times faster at a million rows), else by ``_csv_lines`` or ``_json_lines``, to the same bytes."""
    # names are quoted once, not once per row: at 100,000 organisations that is a million rows
    if fmt == "csv":
        lines, encoded, missing, pieces = _csv_lines, [_csv_field(x) for x in names], "", _CSV_PIECES
        yield (",".join(BATCH_COLUMNS) + "\r\n").encode("utf-8"), 0
    else:
        encoded = [json.dumps(x, ensure_ascii=False) for x in names]
        lines, missing, pieces = _json_lines, "null", _JSON_PIECES
    arrow = _pyarrow() if len(names) >= ARROW_MIN else None
    encoded_array = arrow[0].array(encoded, arrow[0].string()) if arrow else None
    partners = iter(partners)
    while block := list(itertools.islice(partners, BLOCK_ORGS)):
        rows = sum(len(p.rows) for p in block)
        if arrow:
            yield _arrow_block(block, encoded_array, missing, pieces, arrow), rows
        else:
            yield "".join(lines(p, encoded) for p in block).encode("utf-8"), rows


EVENT_COLUMNS = ("when", "org_a", "org_b", "stage", "reason", "note", "recorded_by", "recorded_at", "id")


def events_frame(events):
    """Ledger events (``ledger.Event``) as a DataFrame in EVENT_COLUMNS order, newest first as given."""
    import pandas as pd

    return pd.DataFrame([{c: getattr(e, c) for c in EVENT_COLUMNS} for e in events], columns=list(EVENT_COLUMNS))


def render_events(frame, fmt: str) -> str:
    """Events as an aligned table, CSV or JSON records."""
    if fmt != "table":
        return _records(frame, fmt)
    if frame.empty:
        return "No events.\n"
    shown = frame.drop(columns=["recorded_at", "id"]).fillna("")
    return _aligned(shown) + f"\n{len(frame)} event{'' if len(frame) == 1 else 's'}\n"


def render_funnel(funnel, fmt: str) -> str:
    """The funnel as a table (pairs at each stage, conversion from the previous), CSV or JSON."""
    rows = [{"stage": s.stage, "pairs": s.pairs, "conversion": s.conversion} for s in funnel.steps]
    rows += [{"stage": k, "pairs": v, "conversion": None} for k, v in funnel.outcomes.items()]
    if fmt == "json":
        return to_json(funnel) + "\n"
    if fmt == "csv":
        lines = ["stage,pairs,conversion"]
        lines += [
            f"{r['stage']},{r['pairs']},{'' if r['conversion'] is None else round(r['conversion'], 4)}" for r in rows
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


AGENDA_COLUMNS = ("slot", "start", "table", "org_a", "org_b", "score", "reason")


def agenda_rows(plan, names, starts, reasons) -> list[dict]:
    """The plan's meetings by slot and table: ``names`` of the participants, ``starts`` per slot, and
    ``reasons`` (the line on why each pair meets) keyed by the pair's indexes."""
    return [
        {
            "slot": m.slot,
            "start": starts[m.slot - 1],
            "table": m.table,
            "org_a": names[m.a],
            "org_b": names[m.b],
            "score": round(m.score, 6),
            "reason": reasons.get((m.a, m.b), ""),
        }
        for m in plan.meetings
    ]


def by_participant(rows: list[dict]) -> list[dict]:
    """Each participant's own day: one row per meeting of theirs, in time order."""
    out = []
    for r in rows:
        out.append(
            {
                "participant": r["org_a"],
                "with": r["org_b"],
                **{k: r[k] for k in ("slot", "start", "table", "score", "reason")},
            }
        )
        out.append(
            {
                "participant": r["org_b"],
                "with": r["org_a"],
                **{k: r[k] for k in ("slot", "start", "table", "score", "reason")},
            }
        )
    return sorted(out, key=lambda r: (r["participant"].casefold(), r["slot"]))
