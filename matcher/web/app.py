"""The review desk: a local web app (Flask) over one office's profiles and ledger.

Routes stay a few lines each: they open the profiles (``catalog.open_catalog``, which notices files that
changed on disk) and the ledger for every request, make the library call the CLI makes (``Matcher.match``,
``Matcher.explain``, ``Ledger.record``, ``Ledger.funnel``) and render a template. Decisions are HTML forms
posted to ``/decide``, which checks a per-process token and, where the browser sends one, that the Origin
is the desk's own: another site cannot post into the ledger. The desk has no login: it binds 127.0.0.1.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from urllib.parse import urlencode, urlparse

from ..errors import AmbiguousOrganisation, MatcherError, UnknownOrganisation
from ..index.catalog import open_catalog
from ..office.ledger import LEFT_OUT, PIPELINE, REASONS, STAGES, Ledger, LedgerError, exclusions
from ..output.html import render, stylesheet
from ..ranking.ranker import NO_EXCLUSIONS

DESK_STAGES = ("proposed", "contacted", "met", "negotiating", "signed", "not-relevant", "declined")
"""The decisions each match offers as buttons (any stage can be recorded; these are the daily ones)."""


def create_app(profiles: Path, ledger_path: Path, *, semantic: bool | None = False):
    """The desk's Flask app for one profiles folder (or store) and one ledger file."""
    from flask import Flask, abort, redirect, request

    app = Flask(__name__, static_folder=None)
    token = secrets.token_urlsafe(24)

    def catalog():
        return open_catalog(profiles, semantic=semantic)

    def ledger(create: bool = False):
        if not ledger_path.exists() and not create:
            return None
        return Ledger(ledger_path, create=create)

    def page(template: str, **values) -> str:
        return render(template, css=stylesheet(), token=token, stages=DESK_STAGES, reasons=REASONS, **values)

    def find(matcher, name: str) -> str:
        try:
            return matcher.names.name_of(name)
        except (UnknownOrganisation, AmbiguousOrganisation) as exc:
            abort(404, str(exc))

    @app.errorhandler(404)
    @app.errorhandler(400)
    def problem(error):
        return page("problem.html", title=error.name, message=error.description), error.code

    @app.get("/")
    def organisations():
        q = request.args.get("q", "").strip()
        matcher = catalog().matcher
        rows = [p for p in matcher.profiles if not q or q.casefold() in " ".join(p.names).casefold()]
        return page("organisations.html", q=q, profiles=sorted(rows, key=lambda p: p.name.casefold()))

    @app.get("/org/<path:name>")
    def organisation(name: str):
        matcher = catalog().matcher
        name = find(matcher, name)
        book = ledger()
        decisions = NO_EXCLUSIONS
        if book is not None:
            with book:
                seeker = (name, matcher.names.find(name))
                decisions = exclusions(book.latest(name).values(), matcher.index.find_row, seeker=seeker)
        result = matcher.match(name, top=10, include_weak=bool(request.args.get("all")), exclusions=decisions)
        return page("organisation.html", result=result, done=request.args.get("done"))

    @app.get("/pair")
    def pair():
        matcher = catalog().matcher
        a, b = find(matcher, request.args.get("a", "")), find(matcher, request.args.get("b", ""))
        try:
            m = matcher.explain(a, b)
        except MatcherError as exc:
            abort(400, str(exc))
        return page("pair.html", a=a, m=m)

    @app.get("/funnel")
    def funnel():
        book = ledger()
        if book is None:
            result = None
        else:
            with book:
                result = book.funnel()
        return page("funnel.html", funnel=result, pipeline=PIPELINE)

    @app.post("/decide")
    def decide():
        form = request.form
        if not hmac.compare_digest(form.get("token", ""), token) or not same_origin(request):
            abort(400, "This form did not come from this desk's own page: reload the page and try again.")
        matcher = catalog().matcher
        a, b = find(matcher, form.get("a", "")), find(matcher, form.get("b", ""))
        stage, reason = form.get("stage", ""), form.get("reason") or None
        if stage not in STAGES:
            abort(400, f"{stage!r} is not a stage.")
        if stage not in LEFT_OUT:
            reason = None
        try:
            with ledger(create=True) as book:
                book.record(a, b, stage, reason=reason, note=form.get("note") or None, by=form.get("by") or None)
        except LedgerError as exc:
            abort(400, str(exc))
        done = f"{b}: {stage}" + (f" ({reason})" if reason else "")
        return redirect(f"/org/{a}?" + urlencode({"done": done}), code=303)

    return app


def same_origin(request) -> bool:
    """True unless the browser says the form came from another origin (Origin, else Referer)."""
    sent = request.headers.get("Origin") or request.headers.get("Referer")
    if not sent:
        return True  # not a browser's cross-site post: the token alone decides
    return urlparse(sent).netloc == request.host


def serve(profiles: Path, ledger_path: Path, *, host: str = "127.0.0.1", port: int = 8000, semantic=False) -> None:
    """Run the desk until interrupted (werkzeug's threaded server: one office, on its own machine)."""
    from werkzeug.serving import run_simple

    run_simple(host, port, create_app(profiles, ledger_path, semantic=semantic), threaded=True)
