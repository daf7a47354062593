"""What became of each match: an append-only ledger of events in SQLite, its funnel, and its decisions.

One event says that a pair of organisations (by profile name) reached a stage on a date, with an optional
reason code and note, and who recorded it. Nothing is updated or deleted: a pair's current stage is its
latest event. The database is opened in WAL mode with a busy timeout, every write is one transaction, the
schema is versioned (``PRAGMA user_version``) and migrated in place, and SQL takes bound parameters only.
"""

from __future__ import annotations

import getpass
import os
import sqlite3
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from ..dates import iso_day
from ..errors import MatcherError
from ..profiles.schema import BIDI_CONTROLS
from ..ranking.ranker import Exclusions

PIPELINE = ("proposed", "contacted", "accepted", "met", "negotiating", "signed", "implemented")
"""The stages a pair moves through, in order; the funnel counts how many pairs reached each."""
OUTCOMES = ("declined", "not-relevant", "already-partners")
"""Stages that end a pair's way through the pipeline."""
STAGES = ("proposed", "contacted", "accepted", "declined", "met", "negotiating", "signed", "implemented") + (
    "not-relevant",
    "already-partners",
)
REASONS = ("too-early", "no-fit", "no-capacity", "commercial-route-unclear", "no-response", "other")
"""Why a pair was declined or not relevant (the codes brokerage platforms use)."""
WITH_REASON = ("declined", "not-relevant")
LEFT_OUT = ("declined", "not-relevant")
"""A pair whose latest stage is one of these is left out of ``match`` and ``batch`` (unless asked back)."""
PARTNERS = ("signed", "implemented", "already-partners")
"""A pair whose latest stage is one of these already works together: ``--new-only`` leaves it out, and so does an
event's agenda unless partners are let in (``office.candidates``)."""

SCHEMA_VERSION = 2  # 2: the desk's accounts (``office.accounts``)
APPLICATION_ID = 0x4D415443  # "MATC": marks the file as a matcher ledger
ENV_LEDGER = "MATCHER_LEDGER"
BUSY_MS = 10_000
MAX_NOTE = 4_000


class LedgerError(MatcherError):
    """The ledger cannot be opened or written, or an event is not valid."""


class StageGoesBack(LedgerError):
    """An event would move a pair back in the pipeline (and ``force`` was not given)."""


class FutureDate(LedgerError):
    """An event is dated after today (and ``force`` was not given)."""


@dataclass(frozen=True)
class Event:
    """One recorded step of one pair."""

    id: int
    org_a: str
    org_b: str
    stage: str
    reason: str | None
    note: str | None
    when: str  # the date it happened, YYYY-MM-DD
    recorded_by: str
    recorded_at: str  # UTC, ISO 8601


@dataclass(frozen=True)
class FunnelStep:
    stage: str
    pairs: int  # pairs that reached this stage or a later one
    conversion: float | None  # pairs here / pairs at the previous stage (None for the first)


@dataclass(frozen=True)
class Funnel:
    """How many pairs reached each stage of the pipeline, and how many ended otherwise."""

    steps: list[FunnelStep]
    outcomes: dict[str, int]  # declined, not-relevant, already-partners: pairs whose latest stage it is
    pairs: int
    org: str | None = None
    since: str | None = None

    @classmethod
    def empty(cls, org: str | None = None, since: str | None = None) -> Funnel:
        """The funnel of a ledger that holds no event yet (or does not exist yet)."""
        return cls([FunnelStep(s, 0, None) for s in PIPELINE], dict.fromkeys(OUTCOMES, 0), 0, org, since)


def ledger_location(option: str | os.PathLike | None, profiles_location: Path, bundled: bool) -> Path:
    """``--ledger PATH``, else $MATCHER_LEDGER, else ``matcher.db`` beside the profiles folder in use (for
    the bundled profiles, which live inside the installed package: ``matcher.db`` in the current folder)."""
    if option:
        return Path(option)
    if os.environ.get(ENV_LEDGER):
        return Path(os.environ[ENV_LEDGER])
    if bundled:
        return Path("matcher.db")
    return Path(profiles_location).resolve().parent / "matcher.db"


def pair_key(a: str, b: str) -> tuple[str, str]:
    """A pair's key, the same whichever side is named first."""
    return (a, b) if a.casefold() <= b.casefold() else (b, a)


def _day(value: str | date | None) -> str:
    """``value`` as YYYY-MM-DD (today where None); anything else written is a LedgerError."""
    if value is None:
        return date.today().isoformat()
    try:
        return iso_day(value).isoformat()
    except ValueError as exc:
        raise LedgerError(f"{exc}.") from None


MAX_RECORDER = 100


def _recorder(by: str | None) -> str:
    """Who records an event: ``by``, checked to be a name (no control characters, no invisible direction
    controls that would make it display as another), else the login name."""
    if by is None or not by.strip():
        return _login()
    by = by.strip()
    if len(by) > MAX_RECORDER:
        raise LedgerError(f"--by has {len(by)} characters: give a name of at most {MAX_RECORDER}.")
    for ch in by:
        if ch in BIDI_CONTROLS or unicodedata.category(ch) == "Cc":
            what = BIDI_CONTROLS.get(ch, "a control character")
            raise LedgerError(f"--by {by!r} holds U+{ord(ch):04X} ({what}): retype the name without it.")
    return by


_MIGRATIONS = {
    1: [
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            org_a TEXT NOT NULL,
            org_b TEXT NOT NULL,
            stage TEXT NOT NULL,
            reason TEXT,
            note TEXT,
            happened TEXT NOT NULL,
            recorded_by TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        )""",
        "CREATE INDEX events_pair ON events (org_a, org_b, id)",
        "CREATE INDEX events_b ON events (org_b)",
    ],
    2: [  # the review desk's accounts: who may read, record and manage (office/accounts.py)
        """CREATE TABLE users (
            name TEXT PRIMARY KEY COLLATE NOCASE,
            role TEXT NOT NULL,
            password TEXT NOT NULL,
            created_at TEXT NOT NULL,
            changed_at TEXT NOT NULL,
            failed_logins INTEGER NOT NULL DEFAULT 0,
            failed_total INTEGER NOT NULL DEFAULT 0,
            last_failed_at TEXT,
            last_login_at TEXT
        )""",
    ],
}


class Ledger:
    """One ledger file. ``Ledger(path)`` opens (or creates) it; use it as a context manager to close it.

    ``read_only`` opens it for reading alone (``history``, ``funnel``, the exclusions of ``match``): nothing is
    created, migrated or locked for writing, and a ledger on a read-only file system still reads."""

    def __init__(self, path: str | os.PathLike, *, create: bool = True, read_only: bool = False):
        self.path = Path(path)
        self.read_only = read_only
        if not self.path.exists() and (not create or read_only):
            raise LedgerError(f"No ledger at {self.path}: record an event first (matcher record A B --stage ...).")
        if self.path.is_dir():
            raise LedgerError(f"{self.path} is a folder, not a ledger file: give --ledger FILE.db.")
        if self.path.exists() and not self.path.is_file():
            raise LedgerError(f"{self.path} is not a regular file (a device or a pipe): give --ledger FILE.db.")
        if not self.path.exists() and not self.path.parent.is_dir():
            raise LedgerError(f"Folder {self.path.parent} does not exist: create it or give another --ledger.")
        try:
            if read_only:
                self.db = self._open_read_only()
            else:
                _create(self.path)
                self.db = sqlite3.connect(self.path, timeout=BUSY_MS / 1000, isolation_level=None)
                self.db.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
                self._migrate()
        except sqlite3.DatabaseError as exc:
            raise LedgerError(self._explain(exc)) from None
        except OSError as exc:
            why = exc.strerror or exc
            raise LedgerError(f"{self.path} cannot be created ({why}): check its folder's permissions.") from None

    def _open_read_only(self) -> sqlite3.Connection:
        """The ledger opened for reading only; where even that fails for want of a writable folder (a
        read-only file system cannot hold the WAL's shared-memory file), opened as immutable."""
        uri = self.path.absolute().as_uri()
        for query in ("?mode=ro", "?mode=ro&immutable=1"):
            db = sqlite3.connect(uri + query, uri=True, timeout=BUSY_MS / 1000, isolation_level=None)
            try:
                db.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
                self._check(db)
                return db
            except sqlite3.OperationalError as exc:
                db.close()
                cannot_share = "unable to open" in str(exc) or "readonly" in str(exc)
                if not cannot_share or "immutable" in query:
                    raise
        raise AssertionError("unreachable")

    def _explain(self, exc: sqlite3.DatabaseError) -> str:
        text = str(exc)
        if "not a database" in text or "file is encrypted" in text:
            return f"{self.path} is not a matcher ledger (not an SQLite database): give another --ledger."
        if "readonly" in text or "read-only" in text or "unable to open" in text:
            return f"{self.path} cannot be written ({text}): check its permissions, or give another --ledger."
        return f"{self.path}: {text}."

    @staticmethod
    def _state(db: sqlite3.Connection, *, in_transaction: bool = False) -> tuple[int, int, int]:
        """The application id, the schema version and the number of tables, read in one transaction: read
        one by one, a first writer's migration could commit between them (a fresh ledger's 4 first writers
        failed 8 rounds in 125 with "not a matcher ledger")."""
        if not in_transaction:
            db.execute("BEGIN")
        try:
            return (
                db.execute("PRAGMA application_id").fetchone()[0],
                db.execute("PRAGMA user_version").fetchone()[0],
                db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0],
            )
        finally:
            if not in_transaction:
                db.execute("COMMIT")

    def _check(self, db: sqlite3.Connection, *, in_transaction: bool = False) -> int:
        """The schema version, once the file is known to be a ledger this matcher can read."""
        app, version, tables = self._state(db, in_transaction=in_transaction)
        if tables and app != APPLICATION_ID:
            raise LedgerError(f"{self.path} is an SQLite database but not a matcher ledger: give another --ledger.")
        if version > SCHEMA_VERSION:
            raise LedgerError(
                f"{self.path} was written by a newer matcher (ledger schema {version}, this one reads up to"
                f" {SCHEMA_VERSION}): upgrade matcher (pip install -U matcher)."
            )
        self.empty = version == 0 and not tables  # created, nothing recorded yet
        return version

    def _migrate(self) -> None:
        db = self.db
        _wal(db)
        if self._check(db) == SCHEMA_VERSION:
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            version = self._check(db, in_transaction=True)  # another process may have migrated it meanwhile
            for step in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[step]:
                    db.execute(statement)
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self.empty = False

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def record(
        self,
        org_a: str,
        org_b: str,
        stage: str,
        *,
        reason: str | None = None,
        note: str | None = None,
        when: str | date | None = None,
        by: str | None = None,
        force: bool = False,
    ) -> Event:
        """Append one event (one transaction) and return it. Names are the profiles' names, as given.

        A stage that goes back in the pipeline (``met`` after ``negotiating``, or before a ``contacted``
        dated later) and a date in the future are refused (``StageGoesBack``, ``FutureDate``) unless
        ``force``: both are more often a slip than what happened."""
        if org_a.casefold() == org_b.casefold():
            raise LedgerError(f"{org_a!r} and {org_b!r} are the same organisation: name two different ones.")
        if stage not in STAGES:
            raise LedgerError(f"{stage!r} is not a stage: use one of {', '.join(STAGES)}.")
        if reason is not None and reason not in REASONS:
            raise LedgerError(f"{reason!r} is not a reason code: use one of {', '.join(REASONS)}.")
        if reason is not None and stage not in WITH_REASON:
            raise LedgerError(f"A reason goes with {' or '.join(WITH_REASON)}, not {stage!r}.")
        if note is not None and len(note) > MAX_NOTE:
            raise LedgerError(f"The note has {len(note):,} characters; keep it under {MAX_NOTE:,}.")
        day = _day(when)
        if not force and day > date.today().isoformat():
            raise FutureDate(
                f"{day} is in the future (today is {date.today().isoformat()}): give the day it happened"
                " (--when YYYY-MM-DD), or --force to record it as it is."
            )
        a, b = pair_key(org_a, org_b)
        row = (a, b, stage, reason, note or None, day, _recorder(by), _now())
        try:
            with self._write():
                if not force:
                    self._check_order(a, b, stage, day)
                cur = self.db.execute(
                    "INSERT INTO events (org_a, org_b, stage, reason, note, happened, recorded_by, recorded_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
        except sqlite3.DatabaseError as exc:
            raise LedgerError(self._explain(exc)) from None
        return Event(cur.lastrowid, *row)

    def _check_order(self, a: str, b: str, stage: str, day: str) -> None:
        """Raise ``StageGoesBack`` where ``stage`` on ``day`` comes after a later pipeline stage of the pair,
        or before an earlier one (its neighbours by date; an outcome such as declined between them starts
        the pair afresh)."""
        if stage not in PIPELINE:
            return
        events = self.db.execute(
            "SELECT stage, happened FROM events WHERE org_a = ? AND org_b = ? ORDER BY happened, id", (a, b)
        ).fetchall()
        before = [e for e in events if e[1] <= day]
        after = [e for e in events if e[1] > day]
        rank = PIPELINE.index(stage)
        if before and before[-1][0] in PIPELINE and PIPELINE.index(before[-1][0]) > rank:
            was, on = before[-1]
            raise StageGoesBack(
                f"{a} – {b} reached {was} on {on}: {stage} on {day} would go back. Give the stage it reached,"
                " or --force to record it as it is."
            )
        if after and after[0][0] in PIPELINE and PIPELINE.index(after[0][0]) < rank:
            then, on = after[0]
            raise StageGoesBack(
                f"{a} – {b} is recorded as {then} on {on}, later than {day}: {stage} on {day} would make it go"
                " back then. Check the date, or --force to record it as it is."
            )

    def _write(self):
        """A transaction that takes the write lock at once (waiting up to the busy timeout for it)."""
        ledger = self

        class _Tx:
            def __enter__(self):
                ledger.db.execute("BEGIN IMMEDIATE")

            def __exit__(self, kind, *rest):
                ledger.db.execute("COMMIT" if kind is None else "ROLLBACK")
                return False

        return _Tx()

    def history(self, a: str | None = None, b: str | None = None, *, since: str | None = None) -> list[Event]:
        """The events, newest first: all of them, those of organisation ``a``, or of the pair ``a``, ``b``."""
        sql, args = "SELECT * FROM events WHERE 1 = 1", []
        if a is not None and b is not None:
            sql += " AND org_a = ? AND org_b = ?"
            args += list(pair_key(a, b))
        elif a is not None:
            sql += " AND (org_a = ? OR org_b = ?)"
            args += [a, a]
        if since is not None:
            sql += " AND happened >= ?"
            args.append(_day(since))
        sql += " ORDER BY happened DESC, id DESC"
        if self.empty:  # a file created by a writer that has not yet made the tables (read alone)
            return []
        try:
            return [Event(*row) for row in self.db.execute(sql, args)]
        except sqlite3.DatabaseError as exc:
            raise LedgerError(self._explain(exc)) from None

    def latest(self, org: str | None = None) -> dict[tuple[str, str], Event]:
        """Each pair's current event (its latest by date, then by record), keyed by ``pair_key``."""
        out: dict[tuple[str, str], Event] = {}
        for event in reversed(self.history(org)):
            out[(event.org_a, event.org_b)] = event
        return out

    def funnel(self, org: str | None = None, since: str | None = None) -> Funnel:
        """How many pairs reached each pipeline stage (by the furthest stage any of their events reached),
        the conversion from each to the next, and how many pairs ended declined, not relevant or partners."""
        furthest: dict[tuple[str, str], int] = {}
        for event in self.history(org, since=since):
            key = (event.org_a, event.org_b)
            if event.stage in PIPELINE:
                furthest[key] = max(furthest.get(key, -1), PIPELINE.index(event.stage))
            else:
                furthest.setdefault(key, -1)
        outcomes = dict.fromkeys(OUTCOMES, 0)
        start = _day(since) if since else ""
        for event in self.latest(org).values():
            if event.stage in OUTCOMES and event.when >= start:
                outcomes[event.stage] += 1
        steps, previous = [], None
        for i, stage in enumerate(PIPELINE):
            reached = sum(1 for f in furthest.values() if f >= i)
            steps.append(FunnelStep(stage, reached, (reached / previous if previous else None) if i else None))
            previous = reached
        return Funnel(steps, outcomes, len(furthest), org, _day(since) if since else None)


def _create(path: Path) -> None:
    """Create the ledger's file, empty, with the umask's permissions (SQLite would make it 0644 whatever the
    umask), by one process alone (O_EXCL): the others find it there. An empty file is an empty database."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except FileExistsError:
        return
    os.close(fd)


def _wal(db: sqlite3.Connection) -> None:
    """Put the ledger in WAL mode (readers and a writer at once). The switch needs the file to itself: where
    other first writers hold it, it is tried again until the busy timeout."""
    deadline = time.monotonic() + BUSY_MS / 1000
    while True:
        try:
            mode = db.execute("PRAGMA journal_mode").fetchone()[0]
            if mode == "wal" or db.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal":
                return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
        if time.monotonic() > deadline:
            return  # the rollback journal is as safe, only slower with many readers
        time.sleep(0.005)


def _login() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def reason_for(stage: str, reason: str | None) -> str | None:
    """``reason`` where ``stage`` takes one (declined, not relevant), else None: a form may send both."""
    return reason if stage in WITH_REASON else None


def exclusions(
    events: Iterable[Event],
    find_row: Callable[[str], int | None],
    *,
    seeker: tuple[str, int] | None = None,
    left_out: Sequence[str] = LEFT_OUT,
    partners: Sequence[str] = PARTNERS,
) -> Exclusions:
    """The ledger's current events (``Ledger.latest``) as the one value a ranking takes, by index rows
    (``find_row`` of each name): the pairs at a ``left_out`` stage, those at a ``partners`` stage, and every
    pair's stage and date. With ``seeker`` (its profile name and row), only its own pairs are read, the
    other side of each found by name."""
    out: dict[int, set[int]] = {}
    mates: dict[int, set[int]] = {}
    stages: dict[tuple[int, int], tuple[str, str]] = {}

    def add(a: int, b: int, stage: str) -> None:
        for wanted, into in ((left_out, out), (partners, mates)):
            if stage in wanted:
                into.setdefault(a, set()).add(b)
                into.setdefault(b, set()).add(a)

    for event in events:
        if seeker is not None:
            a = seeker[1]
            b = find_row(event.org_b if event.org_a == seeker[0] else event.org_a)
            if b is not None and b != a:
                stages[(a, b)] = (event.stage, event.when)  # the latest event of a row's pairs counts
        else:
            a, b = find_row(event.org_a), find_row(event.org_b)
            if a is not None and b is not None:
                stages[(a, b)] = stages[(b, a)] = (event.stage, event.when)
                add(a, b, event.stage)
    if seeker is not None:
        for (a, b), (stage, _) in stages.items():
            add(a, b, stage)
    freeze = lambda rows: {r: frozenset(s) for r, s in rows.items()}  # noqa: E731
    return Exclusions(freeze(out), freeze(mates), stages)
