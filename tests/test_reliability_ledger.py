"""The ledger (issue #33): a new file's first writers do not race, what is recorded is checked (dates written
YYYY-MM-DD and not in the future, stages that do not go back, names that display as what they are) unless
``--force``, and the commands that only read open it read-only, so that they work on a read-only file system.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from matcher.cli import cli
from matcher.office.ledger import FutureDate, Ledger, LedgerError, StageGoesBack

WRITERS, EVENTS = 4, 300

WRITER = textwrap.dedent(
    """
    import sys, time
    from matcher.office.ledger import Ledger, LedgerError
    path, who, n, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    while time.time() < start:  # every writer's first record at the same moment, on a file nobody made
        pass
    errors = 0
    for i in range(n):
        try:
            with Ledger(path) as book:  # opened and closed for each event, as one command each would
                book.record(f"Org {who}", f"Partner {i}", "proposed", when="2026-01-01")
        except LedgerError as exc:
            errors += 1
            print(exc, file=sys.stderr)
    print(errors)
    """
)


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize("start_from, events", [("no file", EVENTS), ("an empty file", 50)])
def test_first_writers_of_a_new_ledger_do_not_race(tmp_path, start_from, events):
    """4 writers x 300 events from no file at all (and x 50 from an empty one: the race is in the first
    events): 8 rounds in 125 once failed with "not a matcher ledger" or "database is locked"."""
    db = tmp_path / "new.db"
    if start_from == "an empty file":
        db.touch()
    start = time.time() + 2.0  # past every writer's start-up
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db), str(w), str(events), str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(WRITERS)
    ]
    results = [p.communicate(timeout=240) for p in procs]
    assert [out.strip() for out, _ in results] == ["0"] * WRITERS, [err for _, err in results]
    with Ledger(db, read_only=True) as book:
        recorded = book.history()
    assert len(recorded) == WRITERS * events
    assert len({e.id for e in recorded}) == WRITERS * events


ROUNDS = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from matcher.office.ledger import Ledger, LedgerError
    folder, who, rounds, start, gap = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), 0.2
    errors = 0
    for r in range(rounds):
        while time.time() < start + r * gap:  # all writers at once, on a new file each round
            pass
        for i in range(3):
            try:
                with Ledger(folder / f"round-{r}.db") as book:
                    book.record(f"Org {who}", f"Partner {i}", "proposed", when="2026-01-01")
            except LedgerError as exc:
                errors += 1
                print(exc, file=sys.stderr)
    print(errors)
    """
)


def test_first_writers_of_many_new_ledgers_do_not_race(tmp_path):
    """The race is in a file's first moments: 20 new files, each with 4 first writers at the same instant
    (the old code failed this test 2 times in 3)."""
    rounds, start = 20, time.time() + 2.0
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", ROUNDS, str(tmp_path), str(w), str(rounds), str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for w in range(WRITERS)
    ]
    results = [p.communicate(timeout=240) for p in procs]
    assert [out.strip() for out, _ in results] == ["0"] * WRITERS, [err for _, err in results]
    for r in range(rounds):
        with Ledger(tmp_path / f"round-{r}.db", read_only=True) as book:
            assert len(book.history()) == 3 * WRITERS


def test_a_new_ledger_takes_the_umasks_permissions(tmp_path):
    """It was 0644 under umask 002, where every other output is 0664."""
    previous = os.umask(0o002)
    try:
        with Ledger(tmp_path / "m.db") as book:
            book.record("A", "B", "met", when="2026-01-01")
    finally:
        os.umask(previous)
    assert (tmp_path / "m.db").stat().st_mode & 0o777 == 0o664


def test_an_empty_ledger_file_reads_as_no_events(tmp_path):
    (tmp_path / "m.db").touch()
    with Ledger(tmp_path / "m.db", read_only=True) as book:
        assert book.history() == [] and book.funnel().pairs == 0
    assert (tmp_path / "m.db").stat().st_size == 0  # reading wrote nothing


def test_reading_changes_nothing_and_refuses_what_is_not_a_ledger(tmp_path):
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)")
    before = other.read_bytes()
    with pytest.raises(LedgerError, match="is an SQLite database but not a matcher ledger"):
        Ledger(other, read_only=True)
    assert other.read_bytes() == before
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.db")
        with pytest.raises(LedgerError, match="is not a regular file .*: give --ledger FILE.db"):
            Ledger(tmp_path / "pipe.db")


def _read_only_mount_works(folder: Path) -> bool:
    if not shutil.which("unshare") or not sys.platform.startswith("linux"):
        return False
    probe = f"mount --bind {folder} {folder} && mount -o remount,bind,ro {folder}"
    return subprocess.run(["unshare", "-rm", "sh", "-c", probe], capture_output=True).returncode == 0


def test_read_only_commands_work_on_a_read_only_file_system(tiny, tmp_path):
    """history and funnel failed there, though they only read. The folder is mounted read-only in a user
    and mount namespace of its own (``unshare -rm``, no privilege needed); skipped where that is not allowed."""
    office = tmp_path / "office"
    office.mkdir()
    db = office / "m.db"
    assert invoke("record", "Alpha", "Beta", "--stage", "met", "--when", "2026-01-02", "--ledger", str(db),
                  "--profiles", str(tiny)).exit_code == 0  # fmt: skip
    if not _read_only_mount_works(office):
        pytest.skip("no unprivileged read-only bind mount here")
    matcher = f"{sys.executable} -m matcher"
    script = (
        f"mount --bind {office} {office} && mount -o remount,bind,ro {office}"
        f" && {matcher} history --ledger {db} --format csv && {matcher} funnel --ledger {db} --format csv"
        f" && {matcher} match --org Alpha --ledger {db} --profiles {tiny}"
        f"; {matcher} record Alpha Gamma --stage met --ledger {db} --profiles {tiny}"
    )
    run = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, timeout=120)
    assert "2026-01-02,Alpha,Beta,met" in run.stdout
    assert "met,1," in run.stdout
    assert "Partners for Alpha" in run.stdout and "met 2026-01-02" in run.stdout
    assert run.stderr.splitlines()[-1].startswith(f"Error: {db} cannot be written")  # writing still says why
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    "when, message",
    [
        ("20260512", "'20260512' is not a date: write it as YYYY-MM-DD, e.g. 2026-05-12."),
        ("2026-W20-2", "'2026-W20-2' is not a date: write it as YYYY-MM-DD"),
        ("2026-02-30", "'2026-02-30' is not a day of the calendar: write it as YYYY-MM-DD, e.g. 2026-05-12."),
        ("9999-12-31", "9999-12-31 is in the future (today is {today}): give the day it happened (--when"),
    ],
)
def test_dates_are_iso_and_not_in_the_future(tiny, tmp_path, when, message):
    db = tmp_path / "m.db"
    args = ["record", "Alpha", "Beta", "--stage", "met", "--when", when, "--ledger", str(db), "--profiles", str(tiny)]
    result = invoke(*args)
    assert result.exit_code == 1
    assert result.output.startswith("Error: " + message.format(today=date.today().isoformat()))


def test_a_future_date_is_recorded_with_force(tiny, tmp_path):
    db = tmp_path / "m.db"
    later = (date.today() + timedelta(days=30)).isoformat()
    base = ["record", "Alpha", "Beta", "--stage", "met", "--when", later, "--ledger", str(db), "--profiles", str(tiny)]
    assert invoke(*base).exit_code == 1
    result = invoke(*base, "--force")
    assert result.exit_code == 0 and f"met on {later}" in result.output
    assert invoke("history", "--since", "2026-0101", "--ledger", str(db)).exit_code == 1  # --since: ISO too


def test_a_stage_may_not_go_back_unless_forced(tiny, tmp_path):
    db = tmp_path / "m.db"

    def record(stage: str, when: str, *extra: str):
        return invoke("record", "Alpha", "Beta", "--stage", stage, "--when", when, *extra,
                      "--ledger", str(db), "--profiles", str(tiny))  # fmt: skip

    assert record("met", "2026-03-01").exit_code == 0
    back = record("proposed", "2026-03-05")
    assert back.exit_code == 1
    assert back.output == (
        "Error: Alpha – Beta reached met on 2026-03-01: proposed on 2026-03-05 would go back. Give the stage it"
        " reached, or --force to record it as it is.\n"
    )
    assert record("contacted", "2026-02-01").exit_code == 0  # earlier, by date: history filled in, not a step back
    later = record("negotiating", "2026-02-15")  # before met (2026-03-01), after contacted: fine
    assert later.exit_code == 1 and "is recorded as met on 2026-03-01, later than 2026-02-15" in later.output
    assert record("declined", "2026-04-01", "--reason", "no-fit").exit_code == 0
    assert record("proposed", "2026-05-01").exit_code == 0  # after an outcome the pair starts afresh
    assert record("contacted", "2026-05-02").exit_code == 0
    assert record("proposed", "2026-05-03", "--force").exit_code == 0


def test_stage_checks_in_the_library(tmp_path):
    with Ledger(tmp_path / "m.db") as book:
        book.record("A", "B", "signed", when="2026-01-10")
        with pytest.raises(StageGoesBack):
            book.record("B", "A", "met", when="2026-01-11")
        with pytest.raises(FutureDate):
            book.record("A", "C", "met", when=date.today() + timedelta(days=1))
        assert book.record("B", "A", "met", when="2026-01-11", force=True).stage == "met"


@pytest.mark.parametrize("by", ["\u202eevil", "Ann\nBob", "x" * 101])
def test_who_records_is_a_name(tmp_path, by):
    with Ledger(tmp_path / "m.db") as book, pytest.raises(LedgerError, match="--by"):
        book.record("A", "B", "met", when="2026-01-01", by=by)


def test_schedule_record_leaves_pairs_that_are_further_on(tiny, tmp_path):
    """A scheduled meeting is recorded as proposed, but not for a pair that already met (no step back)."""
    db = tmp_path / "m.db"
    base = ["--ledger", str(db), "--profiles", str(tiny)]
    assert invoke("record", "Alpha", "Beta", "--stage", "met", "--when", "2026-01-02", *base).exit_code == 0
    result = invoke("schedule", "--slots", "2", "--tables", "2", "-o", str(tmp_path / "a.csv"), "--record", *base)
    assert result.exit_code == 0, result.output
    with Ledger(db, read_only=True) as book:
        latest = book.latest()
    assert latest[("Alpha", "Beta")].stage == "met"
    proposed = [pair for pair, e in latest.items() if e.stage == "proposed"]
    assert f"Recorded {len(proposed)} meetings as proposed" in result.output
