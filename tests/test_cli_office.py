"""The office commands: record, history, funnel and schedule, and what the ledger changes in match and batch."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from matcher.cli import cli
from matcher.office.ledger import Ledger


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


def test_cli_funnel_table_json_csv_and_plot(tmp_path):
    db = tmp_path / "m.db"
    with Ledger(db) as ledger:
        ledger.record("Ehang", "MTS", "proposed", when="2026-01-01")
        ledger.record("Ehang", "MTS", "met", when="2026-02-01")
    from matcher.paths import bundled

    base = ["--ledger", str(db), "--profiles", str(bundled("profiles"))]
    table = invoke("funnel", *base)
    assert table.exit_code == 0, table.output
    assert "met               1  100%" in table.output and "ended: declined 0" in table.output
    data = json.loads(invoke("funnel", *base, "--format", "json").output)
    assert data["steps"][3] == {"stage": "met", "pairs": 1, "conversion": 1.0}
    csv = invoke("funnel", *base, "--format", "csv").output.splitlines()
    assert csv[0] == "stage,pairs,conversion" and csv[4] == "met,1,1.0"
    plotted = invoke("funnel", *base, "--plot", str(tmp_path / "f.png"))
    assert plotted.exit_code == 0, plotted.output
    assert (tmp_path / "f.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert invoke("funnel", *base, "--plot", str(tmp_path / "f.gif")).exit_code == 2


def test_declined_pair_leaves_match_and_comes_back(tiny, tmp_path):
    db = str(tmp_path / "m.db")
    before = json.loads(invoke("match", "--org", "Alpha", "--profiles", str(tiny), "--format", "json").output)
    assert [m["name"] for m in before["matches"]] == ["Beta", "Epsilon", "Gamma"]
    recorded = invoke(
        "record",
        "alpha labs",
        "Beta",
        "--stage",
        "declined",
        "--reason",
        "no-capacity",
        "--ledger",
        db,
        "--profiles",
        str(tiny),
    )
    assert recorded.exit_code == 0, recorded.output
    assert recorded.output.startswith("Recorded Alpha – Beta: declined (no-capacity) on ")
    invoke(
        "record", "Gamma", "Alpha", "--stage", "met", "--when", "2026-05-12", "--ledger", db, "--profiles", str(tiny)
    )
    after = invoke("match", "--org", "Alpha", "--ledger", db, "--profiles", str(tiny))
    assert " Beta " not in after.output
    assert "(1 organisation left out: declined or not relevant in the ledger; --show-declined brings them back)" in (
        after.output
    )
    assert "Gamma (RU, university) — score 0.250 · one-sided · strong · met 2026-05-12" in after.output
    back = json.loads(
        invoke(
            "match", "--org", "Alpha", "--ledger", db, "--show-declined", "--profiles", str(tiny), "--format", "json"
        ).output
    )
    assert [(m["name"], m["stage"]) for m in back["matches"]] == [
        ("Beta", "declined"),
        ("Epsilon", None),
        ("Gamma", "met"),
    ]


def test_signed_pairs_are_partners_and_batch_follows_the_ledger(tiny, tmp_path):
    db = str(tmp_path / "m.db")
    invoke("record", "Alpha", "Epsilon", "--stage", "signed", "--ledger", db, "--profiles", str(tiny))
    invoke(
        "record",
        "Alpha",
        "Beta",
        "--stage",
        "not-relevant",
        "--reason",
        "other",
        "--ledger",
        db,
        "--profiles",
        str(tiny),
    )
    data = json.loads(
        invoke("match", "--org", "Alpha", "--ledger", db, "--profiles", str(tiny), "--format", "json").output
    )
    assert {m["name"]: m["relation"] for m in data["matches"]} == {"Epsilon": "partner", "Gamma": None}
    new = json.loads(
        invoke(
            "match", "--org", "Alpha", "--new-only", "--ledger", db, "--profiles", str(tiny), "--format", "json"
        ).output
    )
    assert [m["name"] for m in new["matches"]] == ["Gamma"]
    out = tmp_path / "b.csv"
    assert invoke("batch", "-o", str(out), "--ledger", db, "--profiles", str(tiny)).exit_code == 0
    rows = [line.split(",")[:3] for line in out.read_text().splitlines()[1:]]
    assert [p for o, _, p in rows if o == "Alpha"] == ["Epsilon", "Gamma"]
    assert "Alpha" not in [p for o, _, p in rows if o == "Beta"]  # both sides lose each other
    invoke("batch", "-o", str(out), "--new-only", "--ledger", db, "--profiles", str(tiny))
    rows = [line.split(",")[:3] for line in out.read_text().splitlines()[1:]]
    assert [p for o, _, p in rows if o == "Alpha"] == ["Gamma"]


def test_cli_errors_are_one_line(tiny, tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"\0" * 4096)
    result = invoke("record", "Alpha", "Beta", "--stage", "met", "--ledger", str(bad), "--profiles", str(tiny))
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1


def test_schedule_cli_writes_the_agenda_and_records_it(tiny, tmp_path):
    """Alpha, Beta, Gamma and Epsilon, 2 slots at 1 table. Alpha-Beta and Alpha-Epsilon score 1.0, every other
    pair less (Alpha-Gamma 0.25); one meeting a slot, so Alpha meets Beta in one and Epsilon in the other:
    2.0, which is also the bound."""
    import csv

    from click.testing import CliRunner

    from matcher.cli import cli
    from matcher.office.ledger import Ledger

    who = tmp_path / "who.txt"
    who.write_text("Alpha\nBeta\nGamma\nEpsilon\n")
    out, db = tmp_path / "agenda.csv", tmp_path / "m.db"
    args = [
        "schedule",
        "--slots",
        "2",
        "--tables",
        "1",
        "--participants",
        str(who),
        "--start",
        "2026-05-20 09:00",
        "-o",
        str(out),
        "--record",
        "--ledger",
        str(db),
        "--profiles",
        str(tiny),
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "2 meetings, total score 2.000 (best pair first: 2.000); bound 2.000, gap 0.00%" in result.output
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert list(rows[0]) == ["slot", "start", "table", "org_a", "org_b", "score", "reason"]
    assert [(r["slot"], r["start"], r["table"]) for r in rows] == [
        ("1", "2026-05-20 09:00", "1"),
        ("2", "2026-05-20 09:20", "1"),
    ]
    assert {frozenset((r["org_a"], r["org_b"])) for r in rows} == {
        frozenset(("Alpha", "Beta")),
        frozenset(("Alpha", "Epsilon")),
    }
    assert all(float(r["score"]) == 1.0 for r in rows) and "laser scanning" in rows[0]["reason"]
    with Ledger(db) as ledger:
        assert sorted(e.stage for e in ledger.history()) == ["proposed", "proposed"]
    again = CliRunner().invoke(
        cli, [*args[:-5], "--by", "participant", "-o", str(tmp_path / "a.html"), "--profiles", str(tiny)]
    )
    assert again.exit_code == 0, again.output
    assert "<h2>Alpha</h2>" in (tmp_path / "a.html").read_text()


@pytest.mark.parametrize(
    "lines, extra, message",
    [
        ("Alpha\nBetta\n", [], "who.txt:2: No organisation named 'Betta'. Did you mean 'Beta'?"),
        ("Alpha\nAlpha\n", [], "Alpha listed twice"),
        ("name,unavailable\nAlpha,1;2\nBeta,\n", [], "Warning: Alpha cannot attend any of the 2 slots"),
        ("Alpha\nBeta\n", ["--slots", "0"], "Invalid value for '--slots'"),
        ("Alpha\nBeta\n", ["-o", "agenda.txt"], "the agenda is written as .csv, .json or .html"),
    ],
)
def test_schedule_bad_input(tiny, tmp_path, lines, extra, message):
    from click.testing import CliRunner

    from matcher.cli import cli

    who = tmp_path / "who.txt"
    who.write_text(lines)
    args = [
        "schedule",
        "--slots",
        "2",
        "--tables",
        "1",
        "--participants",
        str(who),
        "-o",
        str(tmp_path / "a.csv"),
        "--profiles",
        str(tiny),
        *extra,
    ]
    result = CliRunner().invoke(cli, args)
    assert message in result.output
    assert "Traceback" not in result.output
