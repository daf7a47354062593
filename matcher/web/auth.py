"""Who is asking: the session's account, loaded once a request, and what its role lets it do.

A session holds an account's name and the moment its password or role last changed (``User.changed_at``):
a new password, another role or the account's removal ends every session of it. Pages need a login
unless they are the login page or the stylesheet; ``requires(role)`` guards the routes that change things
(editors record and edit, admins manage accounts).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import quote

from flask import abort, current_app, g, redirect, request, session, url_for

from ..office.accounts import ROLES, User

PUBLIC = frozenset({"login", "stylesheet"})
"""Endpoints anyone may reach without a login."""
ROLE_WORDS = {"viewer": "read", "editor": "record decisions and edit profiles", "admin": "manage accounts"}


def user() -> User | None:
    return g.get("user")


def load_user() -> object | None:
    """Before each request: the session's account as ``g.user``; without one, the login page (for a page),
    or 401 (for a form)."""
    desk = current_app.config["DESK"]
    g.user = desk.user(session.get("user"), session.get("stamp"))
    if g.user is None and session.get("user"):
        session.pop("user", None)
        session.pop("stamp", None)
    if g.user is not None or request.endpoint in PUBLIC or request.endpoint is None:
        return None
    if request.method in ("GET", "HEAD"):
        query = request.query_string.decode("ascii", "replace")
        here = quote(request.path, safe="/") + (f"?{query}" if query else "")  # encoded: no space, no tab
        return redirect(url_for("login", next=here))
    abort(401, "Log in first: this desk records every decision under the name of whoever made it.")


def log_in(account: User) -> None:
    """Start a session for ``account`` (a fresh one: nothing of the anonymous session carries over)."""
    session.clear()
    session.permanent = True
    session["user"], session["stamp"] = account.name, account.changed_at


def requires(role: str) -> Callable:
    """A route only accounts of ``role`` (or a higher one) may use; others get a 403 saying who may."""

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            me = user()
            if me is None or not me.may(role):
                may = [r for r in ROLES if ROLES.index(r) >= ROLES.index(role)]
                abort(
                    403,
                    f"Only {' or '.join(may)} accounts may {ROLE_WORDS[role]}"
                    + (f"; {me.name} is {'an' if me.role[0] in 'aeiou' else 'a'} {me.role}." if me else "."),
                )
            return view(*args, **kwargs)

        return guarded

    return decorate


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path of this desk, never another site."""
    bad = not target or not target.startswith("/") or target.startswith("//") or "\\" in target
    if bad or any(ord(c) <= 32 or ord(c) == 127 for c in target):  # "/\t/evil.example" is //evil.example to a browser
        return url_for("organisations")
    return target
