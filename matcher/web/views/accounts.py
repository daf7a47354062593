"""Logging in and out (``/login``: a form with ``username`` and ``password``; ``POST /logout``) and, for
admins, the accounts (``/users``): add one, change its role or password, remove it."""

from __future__ import annotations

import logging

from flask import Flask, abort, current_app, flash, redirect, request, session, url_for

from ...office.accounts import ROLES, AccountError, LoginFailed, LoginThrottled
from ...text.layout import count
from .. import auth
from ..common import desk, page
from ..security import Throttle

log = logging.getLogger("matcher.desk")
ACTIONS = ("add", "role", "passwd", "remove")


def register(app: Flask) -> None:
    app.config["LOGIN_THROTTLE"] = Throttle()
    app.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    app.add_url_rule("/logout", "logout", logout, methods=["POST"])
    app.add_url_rule("/users", "users", users_page, methods=["GET", "POST"])


def login():
    if not desk().settings.login:
        return redirect(url_for("organisations"))
    target = auth.safe_next(request.values.get("next"))
    if request.method != "POST":
        return page("login.html", next=target, username="", error="")
    throttle: Throttle = current_app.config["LOGIN_THROTTLE"]
    address = request.remote_addr or "?"
    name = request.form.get("username", "").strip()
    wait = throttle.wait(address)
    if wait:
        message = f"Too many failed logins from this address: try again in {count(wait, 'second')}."
        return _refused(message, name, target, 429)
    book, accounts = desk().accounts()
    try:
        with book:
            account = accounts.authenticate(name, request.form.get("password", ""))
    except LoginThrottled as exc:
        log.warning("login refused for %r from %s: throttled for %s s", name, address, exc.wait)
        return _refused(str(exc), name, target, 429)
    except LoginFailed as exc:
        failed = throttle.failed(address)
        log.warning("failed login for %r from %s (%d in a row from there)", name, address, failed)
        return _refused(str(exc), name, target, 401)
    throttle.succeeded(address)
    auth.log_in(account)
    log.info("%s logged in from %s", account.name, address)
    return redirect(target, code=303)


def _refused(message: str, name: str, target: str, status: int):
    return page("login.html", next=target, username=name, error=message), status


def logout():
    session.clear()
    flash("Logged out.")
    return redirect(url_for("login"), code=303)


@auth.requires("admin")
def users_page():
    if not desk().settings.login:
        abort(404, "This desk runs without logins (--no-login): it has no accounts to manage.")
    book, accounts = desk().accounts()
    with book:
        if request.method == "POST":
            _change(accounts, request.form)
            return redirect(url_for("users"), code=303)
        listed = accounts.users()
    return page("users.html", accounts=listed, roles=ROLES)


def _change(accounts, form) -> None:
    """One change an admin asked for, said in a message; a bad one is a 400 that says why."""
    action, name = form.get("action", ""), form.get("name", "")
    if action not in ACTIONS:
        abort(400, f"action: {action!r}: use one of {', '.join(ACTIONS)}.")
    try:
        if action == "add":
            account = accounts.add(name, form.get("role", ""), form.get("password", ""))
            flash(f"Added {account.name} ({account.role}).")
        elif action == "role":
            account = accounts.set_role(name, form.get("role", ""))
            flash(f"{account.name} is now {account.role}.")
        elif action == "passwd":
            account = accounts.set_password(name, form.get("password", ""))
            flash(f"New password for {account.name}: its sessions have ended.")
        else:
            if name.casefold() == auth.user().name.casefold():
                abort(400, "You cannot remove your own account while logged in with it: ask another admin.")
            flash(f"Removed {accounts.remove(name).name}; its events keep its name.")
    except AccountError as exc:
        abort(400, str(exc))
