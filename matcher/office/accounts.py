"""The review desk's accounts: who may read, who may record and edit, who manages the others.

Accounts live in the ledger's database (its ``users`` table, ledger schema 2), so that an office keeps its
decisions and the people who made them in one file. Passwords are hashed with Argon2id (argon2-cffi's
defaults, RFC 9106's low-memory profile: 64 MiB a hash), never kept. A wrong password is counted on the
account; after ``FREE_FAILURES`` in a row, each further attempt must wait twice as long as the one before
(up to ``MAX_WAIT`` seconds), and is refused unchecked until then. A name that has no account costs the
same hash as one that has, so that a login does not tell which names exist.
"""

from __future__ import annotations

import sqlite3
import threading
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone

from ..text.layout import count
from .ledger import Ledger, LedgerError

ROLES = ("viewer", "editor", "admin")
"""Each role may do what the roles before it may: viewers read, editors record decisions and edit profiles,
admins manage accounts."""
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
MAX_NAME = 64
FREE_FAILURES = 3
"""Wrong passwords in a row an account may have before each further attempt must wait."""
MAX_WAIT = 300
"""The longest wait (seconds) between attempts on one account."""

_HASHING = threading.BoundedSemaphore(2)
"""Hashes computed at once: each takes 64 MiB, and a burst of logins must not take the server's memory."""


class AccountError(LedgerError):
    """An account cannot be added, changed or found, or a name, role or password is not valid."""


class LoginFailed(AccountError):
    """The name or the password is wrong (which of the two is not said)."""


class LoginThrottled(AccountError):
    """Too many wrong passwords in a row: the account takes no attempt for a while."""

    def __init__(self, wait: int):
        self.wait = wait
        super().__init__(f"Too many failed logins for this account: try again in {count(wait, 'second')}.")


@dataclass(frozen=True)
class User:
    """One account, without its password."""

    name: str
    role: str
    created_at: str
    changed_at: str  # when the password or the role last changed: sessions from before it end
    failed_logins: int  # wrong passwords since the last login
    failed_total: int  # every failed attempt, ever
    last_failed_at: str | None
    last_login_at: str | None

    def may(self, role: str) -> bool:
        """True when this account may do what ``role`` may."""
        return allows(self.role, role)


def allows(role: str, needed: str) -> bool:
    """True when ``role`` may do what ``needed`` may (an admin may edit, an editor may read)."""
    return ROLES.index(role) >= ROLES.index(needed)


def _hasher():
    from argon2 import PasswordHasher  # only where a password is checked or set

    return PasswordHasher()


def hash_password(password: str) -> str:
    """An Argon2id hash of ``password`` (checked first: ``check_password``)."""
    check_password(password)
    with _HASHING:
        return _hasher().hash(password)


def check_password(password: str) -> None:
    """Raise ``AccountError`` unless ``password`` is one an account may have."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"The password has {len(password)} characters: give at least {MIN_PASSWORD}.")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"The password has {len(password):,} characters: keep it under {MAX_PASSWORD:,}.")


def check_name(name: str) -> str:
    """``name`` as an account's name (spaces around it removed); ``AccountError`` where it cannot be one."""
    name = (name or "").strip()
    if not name:
        raise AccountError("The account's name is empty: give the name it will be recorded under, e.g. 'Anna Kiss'.")
    if len(name) > MAX_NAME:
        raise AccountError(f"The account's name has {len(name)} characters: keep it under {MAX_NAME}.")
    if any(unicodedata.category(c)[0] == "C" for c in name):
        raise AccountError(f"The account's name {name!r} holds control characters: write it as plain text.")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(f"{role!r} is not a role: use one of {', '.join(ROLES)}.")
    return role


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")  # a session started this second must still end


_DUMMY: list[str] = []


def _dummy_hash() -> str:
    """A hash to check a password against where the name has no account (the same cost either way)."""
    if not _DUMMY:
        _DUMMY.append(hash_password("not a password of anyone"))
    return _DUMMY[0]


class Accounts:
    """The accounts of one ledger (``Ledger``, opened by the caller): add, list, change, remove, log in."""

    COLUMNS = "name, role, created_at, changed_at, failed_logins, failed_total, last_failed_at, last_login_at"

    def __init__(self, ledger: Ledger):
        self.ledger = ledger
        self.db = ledger.db

    def _run(self, sql: str, args=()) -> sqlite3.Cursor:
        try:
            return self.db.execute(sql, args)
        except sqlite3.DatabaseError as exc:
            raise AccountError(f"{self.ledger.path}: {exc}: check the file, or give another --ledger.") from None

    def users(self) -> list[User]:
        """Every account, by name."""
        rows = self._run(f"SELECT {self.COLUMNS} FROM users ORDER BY name COLLATE NOCASE")
        return [User(*row) for row in rows]

    def get(self, name: str) -> User | None:
        """The account called ``name`` (ignoring case), or None."""
        row = self._run(f"SELECT {self.COLUMNS} FROM users WHERE name = ?", ((name or "").strip(),)).fetchone()
        return User(*row) if row else None

    def count(self) -> int:
        return self._run("SELECT count(*) FROM users").fetchone()[0]

    def require(self, name: str) -> User:
        """The account called ``name``; ``AccountError`` naming the accounts there are where none is."""
        user = self.get(name)
        if user is None:
            known = ", ".join(u.name for u in self.users()) or "none yet"
            raise AccountError(f"No account named {name!r} in {self.ledger.path} (accounts: {known}).")
        return user

    def add(self, name: str, role: str, password: str) -> User:
        """A new account; ``AccountError`` where the name is taken (ignoring case) or anything is not valid."""
        name, role = check_name(name), check_role(role)
        digest = hash_password(password)
        now = _stamp(_now())
        try:
            self.db.execute(
                "INSERT INTO users (name, role, password, created_at, changed_at) VALUES (?, ?, ?, ?, ?)",
                (name, role, digest, now, now),
            )
        except sqlite3.IntegrityError:
            taken = self.get(name)
            raise AccountError(
                f"There is already an account named {taken.name if taken else name!r}: choose another name, or"
                " change its password (matcher users passwd NAME)."
            ) from None
        except sqlite3.DatabaseError as exc:
            raise AccountError(f"{self.ledger.path}: {exc}: check the file, or give another --ledger.") from None
        return self.require(name)

    def remove(self, name: str) -> User:
        """Remove an account (its events keep its name). The last admin cannot be removed while others remain."""
        user = self.require(name)
        if user.role == "admin" and self._admins() == 1 and self.count() > 1:
            raise AccountError(f"{user.name!r} is the last admin: make another account admin first.")
        self._run("DELETE FROM users WHERE name = ?", (user.name,))
        return user

    def set_password(self, name: str, password: str) -> User:
        """A new password for an account; its sessions end and its failed logins are forgiven."""
        user = self.require(name)
        digest = hash_password(password)
        self._run(
            "UPDATE users SET password = ?, changed_at = ?, failed_logins = 0 WHERE name = ?",
            (digest, _stamp(_now()), user.name),
        )
        return self.require(user.name)

    def set_role(self, name: str, role: str) -> User:
        """Another role for an account (the last admin keeps its role); its sessions end."""
        user, role = self.require(name), check_role(role)
        if user.role == "admin" and role != "admin" and self._admins() == 1:
            raise AccountError(f"{user.name!r} is the last admin: make another account admin first.")
        self._run("UPDATE users SET role = ?, changed_at = ? WHERE name = ?", (role, _stamp(_now()), user.name))
        return self.require(user.name)

    def _admins(self) -> int:
        return self._run("SELECT count(*) FROM users WHERE role = 'admin'").fetchone()[0]

    def wait(self, user: User, now: datetime | None = None) -> int:
        """Seconds ``user`` must wait before a password is checked again (0: it may try now)."""
        if user.failed_logins < FREE_FAILURES or not user.last_failed_at:
            return 0
        delay = min(2 ** (user.failed_logins - FREE_FAILURES), MAX_WAIT)
        passed = ((now or _now()) - datetime.fromisoformat(user.last_failed_at)).total_seconds()
        return max(0, int(delay - passed + 0.999))

    def authenticate(self, name: str, password: str) -> User:
        """The account whose name and password these are; ``LoginFailed`` (counted on the account, if any) or
        ``LoginThrottled`` (the attempt is counted, not checked) otherwise."""
        from argon2.exceptions import InvalidHashError, VerificationError

        user = self.get(name)
        if user is not None:
            wait = self.wait(user)
            if wait:
                self._run("UPDATE users SET failed_total = failed_total + 1 WHERE name = ?", (user.name,))
                raise LoginThrottled(wait)
        row = self._run("SELECT password FROM users WHERE name = ?", (user.name,)).fetchone() if user else None
        digest = row[0] if row else _dummy_hash()
        try:
            with _HASHING:
                _hasher().verify(digest, (password or "")[:MAX_PASSWORD])
        except (VerificationError, InvalidHashError):
            if user is not None:
                self._run(
                    "UPDATE users SET failed_logins = failed_logins + 1, failed_total = failed_total + 1,"
                    " last_failed_at = ? WHERE name = ?",
                    (_stamp(_now()), user.name),
                )
            raise LoginFailed("Wrong name or password.") from None
        if user is None:  # the dummy hash's own password: never an account
            raise LoginFailed("Wrong name or password.")
        self._run("UPDATE users SET failed_logins = 0, last_login_at = ? WHERE name = ?", (_stamp(_now()), user.name))
        return self.require(user.name)
