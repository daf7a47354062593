"""The desk's accounts: kept in the ledger (schema 2), passwords hashed, failed logins counted and slowed;
and the commands that manage them (matcher users add, list, remove, passwd)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from matcher.cli import cli
from matcher.office import accounts as accounts_module
from matcher.office.accounts import AccountError, Accounts, LoginFailed, LoginThrottled, allows
from matcher.office.ledger import SCHEMA_VERSION, Ledger

PASSWORD = "correct horse battery"


def test_an_old_ledger_gains_the_accounts_table_and_keeps_its_events(tmp_path):
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)  # a ledger as schema 1 wrote it
    con.execute(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, org_a TEXT NOT NULL, org_b TEXT NOT NULL, stage TEXT NOT NULL,"
        " reason TEXT, note TEXT, happened TEXT NOT NULL, recorded_by TEXT NOT NULL, recorded_at TEXT NOT NULL)"
    )
    con.execute("INSERT INTO events VALUES (1, 'A', 'B', 'met', NULL, NULL, '2026-01-05', 'ann', '2026-01-05')")
    con.execute("PRAGMA application_id = 1296127043")
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    with Ledger(path) as book:
        assert [e.stage for e in book.history()] == ["met"]
        assert Accounts(book).users() == []
        assert book.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2


def test_add_log_in_and_no_password_is_kept(tmp_path):
    with Ledger(tmp_path / "m.db") as book:
        accounts = Accounts(book)
        anna = accounts.add("  Anna Kiss ", "editor", PASSWORD)
        assert (anna.name, anna.role, anna.failed_logins) == ("Anna Kiss", "editor", 0)
        stored = book.db.execute("SELECT password FROM users").fetchone()[0]
        assert PASSWORD not in stored and stored.startswith("$argon2id$")
        assert accounts.authenticate("anna kiss", PASSWORD).last_login_at is not None  # names ignore case
        with pytest.raises(LoginFailed, match="Wrong name or password"):
            accounts.authenticate("Anna Kiss", "wrong password")
        with pytest.raises(LoginFailed, match="Wrong name or password"):  # the same answer for a name unknown
            accounts.authenticate("Nobody", PASSWORD)
        assert accounts.get("Anna Kiss").failed_logins == 1
        assert accounts.authenticate("Anna Kiss", PASSWORD).failed_logins == 0


def test_roles_are_ordered():
    assert allows("admin", "editor") and allows("editor", "viewer") and allows("viewer", "viewer")
    assert not allows("viewer", "editor") and not allows("editor", "admin")


@pytest.mark.parametrize(
    "name, role, password, message",
    [
        ("", "editor", PASSWORD, "The account's name is empty"),
        ("A\x07B", "editor", PASSWORD, "holds control characters"),
        ("x" * 65, "editor", PASSWORD, "keep it under 64"),
        ("Anna", "boss", PASSWORD, "'boss' is not a role: use one of viewer, editor, admin."),
        ("Anna", "editor", "short", "The password has 5 characters: give at least 8."),
    ],
)
def test_bad_accounts_are_refused_with_the_fix(tmp_path, name, role, password, message):
    with Ledger(tmp_path / "m.db") as book, pytest.raises(AccountError, match=message.replace("(", r"\(")):
        Accounts(book).add(name, role, password)


def test_failed_logins_are_counted_and_slowed(tmp_path, monkeypatch):
    with Ledger(tmp_path / "m.db") as book:
        accounts = Accounts(book)
        accounts.add("Anna", "viewer", PASSWORD)
        for _ in range(accounts_module.FREE_FAILURES):
            with pytest.raises(LoginFailed):
                accounts.authenticate("Anna", "guess guess")
        anna = accounts.get("Anna")
        assert anna.failed_logins == anna.failed_total == 3
        with pytest.raises(LoginThrottled, match="try again in 1 second[.]"):
            accounts.authenticate("Anna", PASSWORD)  # refused unchecked, even with the right password
        assert accounts.get("Anna").failed_total == 4
        later = datetime.now(timezone.utc) + timedelta(seconds=2)
        assert accounts.wait(accounts.get("Anna"), later) == 0
        book.db.execute("UPDATE users SET failed_logins = 12")
        assert accounts.wait(accounts.get("Anna")) == 300  # doubling, up to MAX_WAIT


def test_password_and_role_changes_mark_the_account_changed_and_the_last_admin_stays(tmp_path):
    with Ledger(tmp_path / "m.db") as book:
        accounts = Accounts(book)
        ada = accounts.add("Ada", "admin", PASSWORD)
        accounts.add("Ed", "editor", PASSWORD)
        with pytest.raises(AccountError, match="'Ada' is the last admin"):
            accounts.set_role("Ada", "viewer")
        with pytest.raises(AccountError, match="'Ada' is the last admin"):
            accounts.remove("Ada")
        assert accounts.set_password("Ada", "another password").changed_at != ada.changed_at
        with pytest.raises(AccountError, match="There is already an account named 'Ed'"):
            accounts.add("ED", "viewer", PASSWORD)
        with pytest.raises(AccountError, match=r"No account named 'Eve' .* \(accounts: Ada, Ed\)"):
            accounts.remove("Eve")
        assert accounts.remove("Ed").name == "Ed"
        assert [u.name for u in accounts.users()] == ["Ada"]


def users(*args, input=None):
    return CliRunner().invoke(cli, ["users", *args], input=input)


def test_users_commands(tmp_path):
    ledger = str(tmp_path / "office.db")
    added = users("add", "Anna Kiss", "--role", "admin", "--ledger", ledger, input=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    assert added.output == f"Added Anna Kiss (admin) to {ledger}.\n"
    assert users("add", "Ed", "--role", "editor", "--ledger", ledger, input="pw\n").output == (
        "Error: The password has 2 characters: give at least 8.\n"
    )
    assert users("add", "Ed", "--role", "editor", "--ledger", ledger, input="").exit_code == 2
    assert users("add", "Ed", "--role", "editor", "--ledger", ledger, input=PASSWORD + "\n").exit_code == 0
    listed = users("list", "--ledger", ledger)
    assert listed.exit_code == 0 and "Anna Kiss" in listed.output and listed.output.endswith("2 accounts\n")
    rows = json.loads(users("list", "--format", "json", "--ledger", ledger).output)
    assert [(r["name"], r["role"]) for r in rows] == [("Anna Kiss", "admin"), ("Ed", "editor")]
    assert users("passwd", "Ed", "--ledger", ledger, input="new password 2\n").output == (
        f"New password for Ed in {ledger}.\n"
    )
    wrong = users("passwd", "Eve", "--ledger", ledger, input="new password 2\n")
    assert wrong.exit_code == 2 and "No account named 'Eve'" in wrong.output
    with Ledger(ledger) as book:
        assert Accounts(book).authenticate("Ed", "new password 2").name == "Ed"
    assert users("remove", "Ed", "--ledger", ledger).output == f"Removed Ed from {ledger}.\n"
    missing = users("list", "--ledger", str(tmp_path / "none.db"))
    assert missing.exit_code == 1 and "No ledger at" in missing.output
