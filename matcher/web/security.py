"""What keeps the desk safe on a network: the names it answers to, forms only from its own pages, no framing,
no script, bounded requests, signed sessions, and slowed password guessing.

- **Host allow-list**: a request whose ``Host`` (or, behind a trusted proxy, ``X-Forwarded-Host``) is not a
  name the desk was told to answer to gets a 400 before anything else runs: a DNS-rebinding page, whose
  requests name the attacker's host, cannot reach the ledger.
- **CSRF**: every POST carries the session's token (``csrf_token``), compared in constant time, and where
  the browser says where the form came from (``Origin``, else ``Referer``) it must be the desk itself.
- **Headers** on every response: ``X-Frame-Options: DENY`` and a CSP with ``frame-ancestors 'none'`` (no
  page of the desk can be framed and clicked through), no script at all, styles from the desk's own
  stylesheet only, forms posting to the desk only; ``nosniff``, a same-origin referrer, no caching of pages
  that hold an office's data, and HSTS where the desk is reached over HTTPS.
- **Body limit**: ``MAX_BODY`` bytes (413 above), checked on the declared length before a byte is read.
- **Sessions**: Flask's signed cookie, HttpOnly, SameSite=Lax, Secure whenever the request came over HTTPS.
- **Login throttle**: failed logins per client address, each further attempt waiting twice as long
  (``office.accounts`` does the same per account).
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from urllib.parse import urlsplit

from flask import Flask, abort, request, session
from flask.sessions import SecureCookieSessionInterface

MAX_BODY = 1024 * 1024
"""The largest request body the desk reads (a profile is at most 256 KB)."""
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
CSRF_FIELD = "csrf_token"


def host_name(host: str) -> str:
    """The name in a Host header, without its port, brackets or final dot, in lower case."""
    host = (host or "").strip().lower()
    if host.startswith("["):  # [::1]:8000
        return host[1 : host.find("]")] if "]" in host else host
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def csrf_token() -> str:
    """The session's form token, made on first use."""
    token = session.get(CSRF_FIELD)
    if not token:
        token = session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return token


def check_host(allowed: frozenset[str]) -> None:
    name = host_name(request.host)
    if name not in allowed:
        abort(
            400,
            f"This desk does not answer to the name {name!r}: open it by a name it was started with, or start it"
            f" with --allowed-host {name} (a page of another site cannot use the desk through its own name).",
        )


def check_form() -> None:
    """A POST must carry the session's token and, where the browser names its origin, come from the desk."""
    if request.method != "POST":
        return
    if request.content_length is not None and request.content_length > MAX_BODY:
        abort(413)  # before the form is read
    sent = request.headers.get("Origin") or request.headers.get("Referer")
    if sent and urlsplit(sent).netloc.lower() != request.host.lower():  # "null" (a sandboxed frame) too
        abort(403, "This form came from another site's page: the desk takes forms from its own pages only.")
    token = session.get(CSRF_FIELD, "")
    given = request.form.get(CSRF_FIELD, "")
    if not token or not hmac.compare_digest(str(given), str(token)):
        abort(
            400,
            "This form is out of date (the desk restarted, or you logged out meanwhile) or did not come from one of"
            " the desk's pages: reload the page and send it again.",
        )


def add_headers(response):
    h = response.headers
    h["X-Frame-Options"] = "DENY"
    h["Content-Security-Policy"] = CSP
    h["X-Content-Type-Options"] = "nosniff"
    h["Referrer-Policy"] = "same-origin"
    h["Cross-Origin-Opener-Policy"] = "same-origin"
    if request.is_secure:
        h["Strict-Transport-Security"] = "max-age=31536000"
    if request.endpoint != "stylesheet":
        h["Cache-Control"] = "no-store"
    return response


class DeskSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, marked Secure whenever the request came over HTTPS (directly, or
    through a proxy the desk was told to trust)."""

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


class Throttle:
    """Failed logins per client address, in memory: after ``free`` in a row, each further attempt waits
    twice as long as the one before (up to ``longest`` seconds); a success clears the address."""

    def __init__(self, free: int = 5, longest: int = 300, clock=time.monotonic):
        self.free, self.longest, self.clock = free, longest, clock
        self._failed: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def wait(self, address: str) -> int:
        """Seconds ``address`` must wait before its next attempt is checked."""
        with self._lock:
            count, last = self._failed.get(address, (0, 0.0))
        if count < self.free:
            return 0
        delay = min(2 ** (count - self.free), self.longest)
        return max(0, int(delay - (self.clock() - last) + 0.999))

    def failed(self, address: str) -> int:
        with self._lock:
            if len(self._failed) > 10_000:  # many addresses: forget the oldest half
                for key, _ in sorted(self._failed.items(), key=lambda kv: kv[1][1])[:5_000]:
                    del self._failed[key]
            count = self._failed.get(address, (0, 0.0))[0] + 1
            self._failed[address] = (count, self.clock())
            return count

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._failed.pop(address, None)


def install(app: Flask, allowed_hosts: frozenset[str]) -> None:
    """Put every measure above on ``app``."""
    app.config.update(
        MAX_CONTENT_LENGTH=MAX_BODY,
        SESSION_COOKIE_NAME="matcher_desk",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=12 * 3600,
    )
    app.session_interface = DeskSessions()
    app.before_request(lambda: check_host(allowed_hosts))
    app.before_request(check_form)
    app.after_request(add_headers)
