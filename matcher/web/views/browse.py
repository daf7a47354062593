"""Browsing and searching: the organisations (``/``), one organisation's partners (``/org/NAME``), one pair
(``/pair?a=A&b=B``) and a need written as text (``/search?need=TEXT``); each list also as CSV or as the
self-contained report (``format=csv``, ``format=report``)."""

from __future__ import annotations

from flask import Flask, abort, request

from ...explanations.strength import STRENGTHS
from ...output.html import query_note, report_html
from ...output.tables import matches_frame, render_frame
from ...workspace import explain, match, match_need, organisations
from ..common import PER_PAGE, TOPS, download, filter_args, filters, find, int_arg, library, page, workspace

FORMATS = ("html", "csv", "report")


def register(app: Flask) -> None:
    app.add_url_rule("/", "organisations", organisations_page)
    app.add_url_rule("/org/<path:name>", "organisation", organisation_page)
    app.add_url_rule("/pair", "pair", pair_page)
    app.add_url_rule("/search", "search", search_page)


def organisations_page():
    ws = workspace()
    chosen = filter_args()
    q = request.args.get("q", "").strip()
    listing = organisations(ws, name=q, page=int_arg("page", 1), per_page=PER_PAGE, **chosen)
    return page("organisations.html", q=q, listing=listing, chosen=chosen, store=ws.is_store)


def _format() -> str:
    fmt = request.args.get("format", "html")
    if fmt not in FORMATS:
        abort(400, f"format={fmt!r}: use one of {', '.join(FORMATS)}.")
    return fmt


def _as(fmt: str, result, stem: str, note: str):
    """A match list as the page, a CSV file or the report, as ``fmt`` says."""
    if fmt == "csv":
        return download(render_frame(matches_frame(result), "csv"), f"{stem}.csv", "text/csv")
    return download(report_html(result, filters=note), f"{stem}.html", "text/html")


def organisation_page(name: str):
    ws = workspace()
    name = find(ws, name)
    strength = request.args.get("strength", "moderate")
    if strength not in STRENGTHS:
        abort(400, f"strength={strength!r}: use one of {', '.join(STRENGTHS)}.")
    top, new_only, fmt, chosen = int_arg("top", 10, hi=100), bool(request.args.get("new")), _format(), filter_args()
    result = library(match, ws, name, top=top, filters=filters(chosen), new_only=new_only, strength=strength)
    if fmt != "html":
        note = query_note(chosen["countries"], (), chosen["kinds"], 0, new_only, strength == "weak")
        return _as(fmt, result, f"partners of {name}", note)
    return page(
        "organisation.html",
        result=result,
        profile=ws.matcher.names.get(name),
        chosen=chosen,
        strength=strength,
        strengths=STRENGTHS,
        top=top,
        tops=TOPS,
        new_only=new_only,
    )


def pair_page():
    ws = workspace()
    a, b = find(ws, request.args.get("a", "")), find(ws, request.args.get("b", ""))
    m = library(explain, ws, a, b)
    events = library(ws.history, a, b) or []
    return page("pair.html", a=a, m=m, events=events)


def search_page():
    ws = workspace()
    need = request.args.get("need", "").strip()
    if len(need) > 2000:
        abort(400, f"The need has {len(need):,} characters: keep it under 2,000 (a paragraph).")
    top, fmt, chosen = int_arg("top", 10, hi=100), _format(), filter_args()
    result = library(match_need, ws, need, top=top, filters=filters(chosen)) if need else None
    if result is not None and fmt != "html":
        note = query_note(chosen["countries"], (), chosen["kinds"], 0, False, False)
        return _as(fmt, result, "partners for a need", note)
    return page("search.html", need=need, result=result, chosen=chosen, top=top, tops=TOPS)
