"""The review desk: a local web app (Flask) over one office's profiles and ledger.

Routes stay a few lines each: every request opens a ``Workspace`` (``index.catalog`` notices profile files
that changed on disk), makes the library call the CLI makes (``match``, ``explain``, ``Workspace.record``,
``Workspace.funnel``) and renders a template (``output.html``). Decisions are HTML forms posted to
``/decide``, which checks a per-process token and, where the browser sends one, that the Origin is the
desk's own: another site cannot post into the ledger. The desk has no login: it binds 127.0.0.1.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlparse

from flask import Flask, abort, current_app, redirect, request
from werkzeug.serving import run_simple

from ..errors import AmbiguousOrganisation, MatcherError, UnknownOrganisation
from ..office.ledger import PIPELINE, REASONS, STAGES, LedgerError, reason_for
from ..output.html import render, stylesheet
from ..profiles.select import search
from ..workspace import Workspace, explain, match

DESK_STAGES = ("proposed", "contacted", "met", "negotiating", "signed", "not-relevant", "declined")
"""The decisions each match offers as buttons (any stage can be recorded; these are the daily ones)."""


@dataclass(frozen=True)
class Desk:
    """What every request of one desk shares: where the profiles and the ledger are, and the form token."""

    profiles: Path
    ledger: Path
    semantic: bool | None
    token: str

    def workspace(self) -> Workspace:
        """The profiles and the ledger as they are on disk now (a missing ledger is an empty one)."""
        return Workspace(self.profiles, ledger=self.ledger, semantic=self.semantic, ledger_required=False)

    def page(self, template: str, **values) -> str:
        return render(template, css=stylesheet(), token=self.token, stages=DESK_STAGES, reasons=REASONS, **values)


def create_app(profiles: Path, ledger_path: Path, *, semantic: bool | None = False) -> Flask:
    """The desk's Flask app for one profiles folder (or store) and one ledger file."""
    app = Flask(__name__, static_folder=None)
    app.config["DESK"] = Desk(Path(profiles), Path(ledger_path), semantic, secrets.token_urlsafe(24))
    app.register_error_handler(404, problem)
    app.register_error_handler(400, problem)
    app.add_url_rule("/", view_func=organisations, methods=["GET"])
    app.add_url_rule("/org/<path:name>", view_func=organisation, methods=["GET"])
    app.add_url_rule("/pair", view_func=pair, methods=["GET"])
    app.add_url_rule("/funnel", view_func=funnel, methods=["GET"])
    app.add_url_rule("/decide", view_func=decide, methods=["POST"])
    return app


def desk() -> Desk:
    return current_app.config["DESK"]


def find(ws: Workspace, name: str) -> str:
    """The profile's name for ``name``; an unknown or ambiguous one is a page not found."""
    try:
        return ws.name(name)
    except (UnknownOrganisation, AmbiguousOrganisation) as exc:
        abort(404, str(exc))


def problem(error):
    return desk().page("problem.html", title=error.name, message=error.description), error.code


def organisations():
    q = request.args.get("q", "").strip()
    found = search(desk().workspace().matcher.profiles, q)
    return desk().page("organisations.html", q=q, profiles=sorted(found, key=lambda p: p.name.casefold()))


def organisation(name: str):
    ws = desk().workspace()
    name = find(ws, name)
    result = match(ws, name, top=10, include_weak=bool(request.args.get("all")))
    return desk().page("organisation.html", result=result, done=request.args.get("done"))


def pair():
    ws = desk().workspace()
    a, b = find(ws, request.args.get("a", "")), find(ws, request.args.get("b", ""))
    try:
        m = explain(ws, a, b)
    except MatcherError as exc:
        abort(400, str(exc))
    return desk().page("pair.html", a=a, m=m)


def funnel():
    ws = desk().workspace()
    result = ws.funnel() if ws.ledger_path.exists() else None
    return desk().page("funnel.html", funnel=result, pipeline=PIPELINE)


def decide():
    form = request.form
    if not hmac.compare_digest(form.get("token", ""), desk().token) or not same_origin(request):
        abort(400, "This form did not come from this desk's own page: reload the page and try again.")
    ws = desk().workspace()
    a, b = find(ws, form.get("a", "")), find(ws, form.get("b", ""))
    stage = form.get("stage", "")
    if stage not in STAGES:
        abort(400, f"{stage!r} is not a stage.")
    reason = reason_for(stage, form.get("reason") or None)
    try:
        ws.record(a, b, stage, reason=reason, note=form.get("note") or None, by=form.get("by") or None)
    except LedgerError as exc:
        abort(400, str(exc))
    done = f"{b}: {stage}" + (f" ({reason})" if reason else "")
    return redirect(f"/org/{a}?" + urlencode({"done": done}), code=303)


def same_origin(request) -> bool:
    """True unless the browser says the form came from another origin (Origin, else Referer)."""
    sent = request.headers.get("Origin") or request.headers.get("Referer")
    if not sent:
        return True  # not a browser's cross-site post: the token alone decides
    return urlparse(sent).netloc == request.host


def serve(profiles: Path, ledger_path: Path, *, host: str = "127.0.0.1", port: int = 8000, semantic=False) -> None:
    """Run the desk until interrupted (werkzeug's threaded server: one office, on its own machine)."""
    run_simple(host, port, create_app(profiles, ledger_path, semantic=semantic), threaded=True)
