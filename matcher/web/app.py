"""The review desk: a web app (Flask) over one office's profiles, ledger and accounts.

``create_app`` builds it: the security measures (``security``), the login (``auth``), and the pages, one
module per group in ``views/`` — browsing and searching (``browse``), the ledger (``ledger``), an event's
agenda (``agenda``), profiles (``profiles``) and accounts (``accounts``). Each route parses its request,
makes one library call (``workspace``, ``office.accounts``, ``profiles.edit``) and renders a template of
``output``. ``serve`` runs it on waitress, a production WSGI server with threads.
"""

from __future__ import annotations

import secrets

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from ..output.html import stylesheet
from ..workspace import Workspace
from . import auth, security
from .common import page
from .desk import Desk, Settings
from .views import accounts, agenda, browse, ledger, profiles


def create_app(settings: Settings, workspace: Workspace | None = None) -> Flask:
    """The desk's Flask app for one office (``Settings``; ``workspace``, its profiles opened already)."""
    app = Flask(__name__, static_folder=None)
    app.secret_key = settings.secret_key or secrets.token_bytes(32)
    app.config["DESK"] = Desk(settings, workspace)
    security.install(app, settings.allowed_hosts)
    app.before_request(auth.load_user)
    app.register_error_handler(HTTPException, problem)
    app.add_url_rule("/static/style.css", "stylesheet", lambda: Response(stylesheet(), mimetype="text/css"))
    for module in (browse, ledger, agenda, profiles, accounts):
        module.register(app)
    return app


def problem(error: HTTPException):
    """Any HTTP error as a page of the desk that says what happened and what to do."""
    if error.code == 413:
        error.description = (
            f"The form sent more than {security.MAX_BODY // 1024} KB, more than the desk takes: shorten it."
        )
    return page("problem.html", title=f"{error.code} {error.name}", message=error.description), error.code


PROXY_HEADERS = frozenset({"x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port"})


def make_server(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    threads: int = 8,
    workspace: Workspace | None = None,
):
    """The desk on waitress, ready to ``run()`` (``effective_port`` is the port it listens on; ``close()``
    stops it): ``threads`` worker threads, bodies over ``MAX_BODY`` refused before they are read, and the
    ``X-Forwarded-*`` headers believed only from the reverse proxy ``settings.proxy`` names (dropped from
    anyone else)."""
    from waitress import create_server

    proxy = {"trusted_proxy": settings.proxy, "trusted_proxy_headers": PROXY_HEADERS} if settings.proxy else {}
    return create_server(
        create_app(settings, workspace),
        host=host,
        port=port,
        threads=threads,
        max_request_body_size=security.MAX_BODY,
        ident="matcher",
        **proxy,
    )


def serve(settings: Settings, *, workspace: Workspace | None = None, **where) -> None:
    """Run the desk until interrupted (``make_server``; ``where``: its host, port and threads)."""
    make_server(settings, workspace=workspace, **where).run()
