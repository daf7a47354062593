"""The review desk: matcher serve."""

from __future__ import annotations

import click

from .options import ledger_option, opened, profiles_option, semantic_option, workspace


@click.command(name="serve")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. The desk has no login: anyone who can reach it can record decisions, so give"
    " another address only on a network you trust.",
)
@semantic_option
@ledger_option
@profiles_option
def serve_command(port, host, semantic, ledger_path, profiles):
    """Run the review desk: a local web page to review matches and record decisions.

    Pages: the organisations (with a search box), one organisation's matches
    with buttons that record a decision in the ledger, one pair's full
    explanation, and the funnel. Profiles and the ledger are read again on
    every page, so changes on disk show at once. Needs pip install
    'matcher[web]'.

    \b
    Example:
        matcher serve
        matcher serve --port 8080 --profiles profiles --ledger office.db
    """
    try:
        from ..web.app import serve  # the web extra (Flask): imported only to serve
    except ImportError:
        raise click.ClickException("The review desk needs Flask: pip install 'matcher[web]'.") from None
    ws = workspace(profiles, ledger=ledger_path)
    opened(ws)  # the same checks and warnings as every command, before the server starts
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"Warning: the desk has no login, and {host} may be reachable from other machines.", err=True)
    click.echo(
        f"Review desk on http://{host}:{port}/ — profiles {ws.location}, ledger {ws.ledger_path}. Ctrl-C stops it."
    )
    serve(ws.location, ws.ledger_path, host=host, port=port, semantic=semantic)
