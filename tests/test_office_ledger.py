"""The outcome ledger: events, funnel, errors, and two writers at once."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from matcher.cli import cli
from matcher.office.ledger import SCHEMA_VERSION, Ledger, LedgerError


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


WRITER = textwrap.dedent(
    """
    import sys
    from matcher.office.ledger import Ledger
    with Ledger(sys.argv[1]) as ledger:
        for i in range(int(sys.argv[3])):
            ledger.record(sys.argv[2], f"Org {i}", "proposed", note=f"{sys.argv[2]} {i}")
    print("done")
    """
)


def test_funnel_of_ten_events_worked_out_by_hand(tmp_path):
    """Four pairs: AB goes proposed -> met -> signed; AC proposed -> contacted -> declined; AD proposed -> met;
    BC already-partners. Reached: proposed 3 (AB, AC, AD), contacted 3, accepted 2, met 2, negotiating 1,
    signed 1, implemented 0; ended: declined 1 (AC), already-partners 1 (BC)."""
    with Ledger(tmp_path / "m.db") as ledger:
        for a, b, stage, when in [
            ("A", "B", "proposed", "2026-01-05"),
            ("A", "C", "proposed", "2026-01-05"),
            ("A", "D", "proposed", "2026-01-06"),
            ("C", "A", "contacted", "2026-01-10"),  # either order names the same pair
            ("A", "B", "met", "2026-02-01"),
            ("A", "D", "met", "2026-02-03"),
            ("A", "B", "negotiating", "2026-03-01"),
            ("A", "C", "declined", "2026-03-02"),
            ("B", "A", "signed", "2026-04-01"),
            ("B", "C", "already-partners", "2026-04-02"),
        ]:
            ledger.record(a, b, stage, when=when, reason="no-fit" if stage == "declined" else None)
        funnel = ledger.funnel()
        assert [(s.stage, s.pairs) for s in funnel.steps] == [
            ("proposed", 3),
            ("contacted", 3),
            ("accepted", 2),
            ("met", 2),
            ("negotiating", 1),
            ("signed", 1),
            ("implemented", 0),
        ]
        assert [s.conversion for s in funnel.steps][1:4] == [1.0, 2 / 3, 1.0]
        assert funnel.outcomes == {"declined": 1, "not-relevant": 0, "already-partners": 1}
        assert funnel.pairs == 4
        assert [(s.stage, s.pairs) for s in ledger.funnel(since="2026-02-02").steps][:4] == [
            ("proposed", 2),
            ("contacted", 2),
            ("accepted", 2),
            ("met", 2),
        ]
        assert ledger.funnel(org="D").steps[3].pairs == 1
        assert [e.stage for e in ledger.history("A", "B")] == ["signed", "negotiating", "met", "proposed"]


def test_history_newest_first_and_notes_through_bound_parameters(tiny, tmp_path):
    db = tmp_path / "m.db"
    note = "'); DROP TABLE events;--"
    for stage, when in (("proposed", "2026-01-01"), ("met", "2026-03-01")):
        assert (
            invoke(
                "record",
                "Alpha",
                "Beta",
                "--stage",
                stage,
                "--when",
                when,
                "--note",
                note,
                "--by",
                "ana",
                "--ledger",
                str(db),
                "--profiles",
                str(tiny),
            ).exit_code
            == 0
        )
    data = json.loads(
        invoke("history", "Beta", "--ledger", str(db), "--profiles", str(tiny), "--format", "json").output
    )
    assert [(e["stage"], e["when"], e["note"], e["recorded_by"]) for e in data] == [
        ("met", "2026-03-01", note, "ana"),
        ("proposed", "2026-01-01", note, "ana"),
    ]
    assert sqlite3.connect(db).execute("SELECT count(*) FROM events").fetchone() == (2,)


@pytest.mark.parametrize(
    "args, message",
    [
        (["Alpha", "Betta", "--stage", "met"], "No organisation named 'Betta'. Did you mean 'Beta'?"),
        (["Alpha", "Beta", "--stage", "met", "--reason", "no-fit"], "A reason goes with declined or not-relevant"),
        (["Alpha", "Beta", "--stage", "met", "--when", "12/05/2026"], "'12/05/2026' is not a date: write it as"),
        (["Alpha", "Alpha Labs", "--stage", "met"], "are the same organisation"),
        (["Alpha", "Beta", "--stage", "married"], "Invalid value for '--stage'"),
    ],
)
def test_record_errors(tiny, tmp_path, args, message):
    result = invoke("record", *args, "--ledger", str(tmp_path / "m.db"), "--profiles", str(tiny))
    assert result.exit_code in (1, 2)
    assert message in result.output
    assert "Traceback" not in result.output


def test_not_a_ledger_newer_schema_and_read_only(tmp_path):
    text = tmp_path / "notes.db"
    text.write_text("hello, this is not a database at all" * 100)
    with pytest.raises(LedgerError, match="is not a matcher ledger"):
        Ledger(text)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)")
    with pytest.raises(LedgerError, match="is an SQLite database but not a matcher ledger"):
        Ledger(other)
    newer = tmp_path / "newer.db"
    Ledger(newer).close()
    con = sqlite3.connect(newer)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()
    with pytest.raises(LedgerError, match="written by a newer matcher"):
        Ledger(newer)


def test_read_only_ledger(tmp_path, monkeypatch):
    ro = tmp_path / "ro.db"
    with Ledger(ro) as ledger:
        ledger.record("A", "B", "met")
    os.chmod(ro, 0o444)
    if os.geteuid() == 0:  # root writes a 0444 file anyway: open the database read-only instead
        real = sqlite3.connect
        monkeypatch.setattr(sqlite3, "connect", lambda path, **kw: real(f"file:{path}?mode=ro", uri=True, **kw))
    with pytest.raises(LedgerError, match="cannot be written .* check its permissions, or give another --ledger"):
        with Ledger(ro) as ledger:
            ledger.record("A", "C", "met")


def test_two_processes_lose_no_event(tmp_path):
    db = str(tmp_path / "m.db")
    Ledger(db).close()  # created (and migrated) once, as the first record would
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, db, who, "500"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for who in ("Alpha", "Beta")
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert all("locked" not in err for _, err in outs)
    with Ledger(db) as ledger:
        assert len(ledger.history()) == 1000
        assert ledger.db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_process_killed_while_writing_leaves_the_ledger_intact(tmp_path):
    db = str(tmp_path / "m.db")
    Ledger(db).close()
    proc = subprocess.Popen([sys.executable, "-c", WRITER, db, "Alpha", "100000"], stdout=subprocess.PIPE)
    import time

    deadline = time.time() + 30
    while time.time() < deadline:  # wait until it has written some
        time.sleep(0.2)
        con = sqlite3.connect(db, timeout=10)
        n = con.execute("SELECT count(*) FROM events").fetchone()[0]
        con.close()
        if n > 50:
            break
    proc.kill()
    proc.wait()
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] > 50
    with Ledger(db) as ledger:
        ledger.record("Alpha", "Beta", "met")  # and it still takes writes
