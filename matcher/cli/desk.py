"""The review desk: matcher serve."""

from __future__ import annotations

import errno
import logging
import os

import click

from ..office.accounts import Accounts
from ..web.app import make_server
from ..web.desk import LOCAL_HOSTS, Settings
from ..web.security import host_name
from .options import ledger_option, opened, profiles_option, semantic_option, workspace

WILDCARDS = ("0.0.0.0", "::", "")
STORE_READ_ONLY = (
    "These profiles are a store built by matcher import-cordis: its records are read-only here (import the"
    " grants again to change them)."
)
BUNDLED_READ_ONLY = (
    "These are the profiles bundled with matcher, read-only: start the desk with --profiles DIR on a folder of"
    " your own (matcher new starts ./profiles with a copy of them)."
)


@click.command(name="serve")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (0.0.0.0: every address of this machine). Give the names people will type with"
    " --allowed-host.",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    help="A name the desk answers to, besides localhost and --host (repeatable): the name in the address people"
    " open, e.g. desk.example.org. Requests for any other name are refused (DNS rebinding).",
)
@click.option(
    "--no-login",
    is_flag=True,
    help="One user, no accounts: decisions are recorded under your login name. Only on this machine (127.0.0.1).",
)
@click.option(
    "--behind-proxy",
    "proxy",
    metavar="ADDRESS",
    help="The address of a reverse proxy in front of the desk (e.g. 127.0.0.1): its X-Forwarded-Proto, -Host"
    " and -For are believed (HTTPS marks the session cookie Secure); anyone else's are dropped.",
)
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64), help="Requests served at once.")
@semantic_option
@ledger_option
@profiles_option
def serve_command(port, host, allowed_hosts, no_login, proxy, threads, semantic, ledger_path, profiles):
    """Run the review desk: the office's matches, decisions, agenda and profiles in a browser.

    People log in with an account in the ledger (matcher users add); viewers
    read, editors record decisions and edit profiles, admins manage
    accounts. It runs on waitress with several threads, answers only to
    localhost, --host and --allowed-host names, and takes forms only from its
    own pages. Behind a reverse proxy with HTTPS, give --behind-proxy (see
    docs/desk.md). Profiles are read again when they change on disk.

    \b
    Example:
        matcher serve --no-login
        matcher users add "Anna Kiss" --role admin --ledger office.db
        matcher serve --ledger office.db --host 0.0.0.0 --allowed-host desk.example.org
    """
    ws = workspace(profiles, ledger=ledger_path, semantic=semantic, ledger_required=False)
    opened(ws)  # the same checks and warnings as every command, before the server starts
    local = host in ("127.0.0.1", "localhost", "::1")
    if no_login and not local:
        raise click.UsageError(
            f"--no-login serves this machine only, and --host {host} may be reachable from others: drop --host, or"
            " add accounts (matcher users add NAME --role admin) and serve without --no-login."
        )
    if not no_login:
        _check_accounts(ws)
    names = set(LOCAL_HOSTS) | {host_name(h) for h in allowed_hosts}
    if host not in WILDCARDS:
        names.add(host_name(host))
    read_only = STORE_READ_ONLY if ws.is_store else BUNDLED_READ_ONLY if ws.bundled else ""
    secret = os.environ.get("MATCHER_SECRET_KEY", "").encode()
    settings = Settings(
        ws.location,
        ws.ledger_path,
        semantic=semantic,
        login=not no_login,
        read_only=read_only,
        allowed_hosts=frozenset(names),
        proxy=proxy or "",
        secret_key=secret,
    )
    try:
        server = make_server(settings, workspace=ws, host=host, port=port, threads=threads)
    except OSError as exc:
        raise click.ClickException(_bind_error(exc, host, port)) from None
    who = "one user, no login" if no_login else "logins required"
    shown = "localhost" if host in WILDCARDS else host
    click.echo(f"Review desk on http://{shown}:{port}/ ({who}) — profiles {ws.location}, ledger {ws.ledger_path}.")
    click.echo(f"It answers to: {', '.join(sorted(names))}. Ctrl-C stops it.")
    # logins (and failed ones, with the address they came from) and waitress's own news, on standard error
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    server.run()


def _bind_error(exc: OSError, host: str, port: int) -> str:
    """Why the desk cannot listen on ``host:port``, and what to do."""
    if exc.errno == errno.EADDRINUSE:
        return f"Port {port} on {host} is in use (another desk or server?): stop it, or choose another with --port."
    if exc.errno == errno.EACCES:
        return f"Not allowed to listen on port {port}: ports below 1024 need privileges; choose --port 8000 or above."
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"Cannot listen on {host}: it is not an address of this machine; use --host 127.0.0.1 or 0.0.0.0."
    return f"Cannot listen on {host}:{port}: {exc.strerror or exc}."


def _check_accounts(ws) -> None:
    """Refuse to serve with logins where nobody could log in."""
    book = ws.ledger()
    count = 0
    if book is not None:
        with book:
            count = Accounts(book).count()
    if not count:
        raise click.ClickException(
            f"No accounts in {ws.ledger_path} yet: add one (matcher users add NAME --role admin"
            f" --ledger {ws.ledger_path}), or run matcher serve --no-login for one user on this machine."
        )
