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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from ..errors import MatcherError
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

SCHEMA_VERSION = 1
APPLICATION_ID = 0x4D415443  # "MATC": marks the file as a matcher ledger
ENV_LEDGER = "MATCHER_LEDGER"
BUSY_MS = 10_000
MAX_NOTE = 4_000


class LedgerError(MatcherError):
    """The ledger cannot be opened or written, or an event is not valid."""


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
    if value is None:
        return date.today().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise LedgerError(f"{value!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-05-12.") from None


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
}


class Ledger:
    """One ledger file. ``Ledger(path)`` opens (or creates) it; use it as a context manager to close it."""

    def __init__(self, path: str | os.PathLike, *, create: bool = True):
        self.path = Path(path)
        if not self.path.exists() and not create:
            raise LedgerError(f"No ledger at {self.path}: record an event first (matcher record A B --stage ...).")
        if self.path.is_dir():
            raise LedgerError(f"{self.path} is a folder, not a ledger file: give --ledger FILE.db.")
        if not self.path.exists() and not self.path.parent.is_dir():
            raise LedgerError(f"Folder {self.path.parent} does not exist: create it or give another --ledger.")
        try:
            self.db = sqlite3.connect(self.path, timeout=BUSY_MS / 1000, isolation_level=None)
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise LedgerError(self._explain(exc)) from None

    def _explain(self, exc: sqlite3.DatabaseError) -> str:
        text = str(exc)
        if "not a database" in text or "file is encrypted" in text:
            return f"{self.path} is not a matcher ledger (not an SQLite database): give another --ledger."
        if "readonly" in text or "read-only" in text or "unable to open" in text:
            return f"{self.path} cannot be written ({text}): check its permissions, or give another --ledger."
        return f"{self.path}: {text}."

    def _migrate(self) -> None:
        db = self.db
        app, version = (
            db.execute("PRAGMA application_id").fetchone()[0],
            db.execute("PRAGMA user_version").fetchone()[0],
        )
        tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if tables and app != APPLICATION_ID:
            raise LedgerError(f"{self.path} is an SQLite database but not a matcher ledger: give another --ledger.")
        if version > SCHEMA_VERSION:
            raise LedgerError(
                f"{self.path} was written by a newer matcher (ledger schema {version}, this one reads up to"
                f" {SCHEMA_VERSION}): upgrade matcher (pip install -U matcher)."
            )
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.execute("PRAGMA journal_mode = WAL")
        if version == SCHEMA_VERSION:
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]  # another process may have migrated it
            for step in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[step]:
                    db.execute(statement)
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

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
    ) -> Event:
        """Append one event (one transaction) and return it. Names are the profiles' names, as given."""
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
        a, b = pair_key(org_a, org_b)
        row = (a, b, stage, reason, note or None, _day(when), by or _login(), _now())
        try:
            with self._write():
                cur = self.db.execute(
                    "INSERT INTO events (org_a, org_b, stage, reason, note, happened, recorded_by, recorded_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
        except sqlite3.DatabaseError as exc:
            raise LedgerError(self._explain(exc)) from None
        return Event(cur.lastrowid, *row)

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
