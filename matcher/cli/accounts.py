"""The review desk's accounts: matcher users add, list, remove and passwd."""

from __future__ import annotations

import sys

import click

from ..office.accounts import ROLES, Accounts
from ..office.ledger import Ledger
from ..output.tables import render_users
from .options import ledger_option, library_errors, profiles_option, workspace


def _ledger(ledger_path, profiles, *, create: bool = False, write: bool = False) -> Ledger:
    ws = workspace(profiles, ledger=ledger_path, ledger_required=False)
    with library_errors():
        book = ws.ledger(create=create, write=write)
    if book is None:
        raise click.ClickException(
            f"No ledger at {ws.ledger_path} yet: add an account first (matcher users add NAME --role admin)."
        )
    return book


def _password() -> str:
    """The new password: asked twice on a terminal, else the first line of standard input."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    line = sys.stdin.readline()
    if not line.strip():
        raise click.UsageError("No password on standard input: pipe it in (one line), or run this in a terminal.")
    return line.rstrip("\r\n")


@click.group(name="users")
def users_group():
    """Manage the review desk's accounts, kept in the ledger's database.

    Viewers read; editors also record decisions and edit profiles; admins
    also manage accounts. Passwords are hashed (Argon2id), never stored.

    \b
    Example:
        matcher users add "Anna Kiss" --role admin
        matcher users list
    """


@users_group.command(name="add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What the account may do.")
@ledger_option
@profiles_option
def add_command(name, role, ledger_path, profiles):
    """Add an account; its password is asked twice (or read from standard input).

    \b
    Example:
        matcher users add "Anna Kiss" --role editor
        echo "$PASSWORD" | matcher users add robot --role viewer --ledger office.db
    """
    with _ledger(ledger_path, profiles, create=True) as book, library_errors():
        account = Accounts(book).add(name, role, _password())
    click.echo(f"Added {account.name} ({account.role}) to {book.path}.")


@users_group.command(name="list")
@click.option("--format", "fmt", type=click.Choice(("table", "json", "csv")), default="table", show_default=True)
@ledger_option
@profiles_option
def list_command(fmt, ledger_path, profiles):
    """The accounts: name, role, last login and failed logins.

    \b
    Example:
        matcher users list
        matcher users list --format json
    """
    with _ledger(ledger_path, profiles) as book, library_errors():
        listed = Accounts(book).users()
    click.echo(render_users(listed, fmt), nl=False)


@users_group.command(name="remove")
@click.argument("name")
@ledger_option
@profiles_option
def remove_command(name, ledger_path, profiles):
    """Remove an account (the events it recorded keep its name).

    \b
    Example:
        matcher users remove "Anna Kiss"
    """
    with _ledger(ledger_path, profiles, write=True) as book, library_errors(param="NAME"):
        account = Accounts(book).remove(name)
    click.echo(f"Removed {account.name} from {book.path}.")


@users_group.command(name="passwd")
@click.argument("name")
@ledger_option
@profiles_option
def passwd_command(name, ledger_path, profiles):
    """Set an account's password (asked twice, or read from standard input); its sessions end.

    \b
    Example:
        matcher users passwd "Anna Kiss"
    """
    with _ledger(ledger_path, profiles, write=True) as book:
        accounts = Accounts(book)
        with library_errors(param="NAME"):
            accounts.require(name)  # before the password is asked for
        with library_errors():
            account = accounts.set_password(name, _password())
    click.echo(f"New password for {account.name} in {book.path}.")
