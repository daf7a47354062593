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
    assert "2 meetings in 2 slots at 1 table, none between partners or related organisations." in result.output
    assert "participants with a meeting  3 of 4 with a good candidate  bound 3" in result.output
    assert "total score                  2.000                         bound 2.000 (gap 0.00%)" in result.output
    assert "No meeting for 1: Gamma (seats went to others)." in result.output
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert list(rows[0]) == ["Slot", "Start", "Table", "Organisation", "Meets", "Strength", "Score", "Why"]
    assert [(r["Slot"], r["Start"], r["Table"]) for r in rows] == [
        ("1", "2026-05-20 09:00", "1"),
        ("2", "2026-05-20 09:20", "1"),
    ]
    assert {frozenset((r["Organisation"], r["Meets"])) for r in rows} == {
        frozenset(("Alpha", "Beta")),
        frozenset(("Alpha", "Epsilon")),
    }
    assert all(r["Score"] == "1.000" and r["Strength"] == "strong" for r in rows)
    assert "laser scanning" in rows[0]["Why"]
    with Ledger(db) as ledger:
        assert sorted(e.stage for e in ledger.history()) == ["proposed", "proposed"]
    again = CliRunner().invoke(
        cli, [*args[:-5], "--by", "participant", "-o", str(tmp_path / "a.html"), "--profiles", str(tiny)]
    )
    assert again.exit_code == 0, again.output
    page = (tmp_path / "a.html").read_text()
    assert "<h2>Alpha</h2>" in page and '<th scope="col">Meets</th>' in page and "<td>1.000</td>" in page
    assert "<h2>Gamma</h2>" in page and page.count("<td>free</td>") == 4  # Beta, Epsilon one slot each; Gamma two


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


def _schedule(tiny, tmp_path, *extra, who: bytes = b"Alpha\nBeta\nGamma\nEpsilon\n"):
    from click.testing import CliRunner

    from matcher.cli import cli

    (tmp_path / "who.txt").write_bytes(who)
    args = ["schedule", "--slots", "2", "--tables", "1", "--participants", str(tmp_path / "who.txt")]
    args += ["-o", str(tmp_path / "a.csv"), "--profiles", str(tiny), *extra]
    return CliRunner().invoke(cli, args)


@pytest.mark.parametrize(
    "extra, code, message",
    [
        (["--slots", "1000000"], 2, "Invalid value for '--slots': 1000000 is not in the range 1<=x<=48."),
        (["--tables", "100000"], 2, "Invalid value for '--tables': 100000 is not in the range 1<=x<=1000."),
        (["--candidates", "5000"], 2, "Invalid value for '--candidates': 5000 is not in the range 1<=x<=50."),
        (["--slot-minutes", "0"], 2, "Invalid value for '--slot-minutes': 0 is not in the range 1<=x<=240."),
        (["--time-limit", "nan"], 2, "Invalid value for '--time-limit'"),
        (["--time-limit", "inf"], 2, "Invalid value for '--time-limit'"),
        (["--max-per-org", "3"], 2, "Invalid value for --max-per-org: 3 is more than the 2 slots."),
        (["--min-per-org", "2", "--max-per-org", "1"], 2, "Invalid value for --min-per-org: 2 is more than"),
        (
            ["--start", "9999-12-31 23:59"],
            2,
            "Invalid value for --start: 2 slots of 20 minutes from 9999-12-31 23:59 would end after the year"
            " 9999: start earlier.",
        ),
        (["--start", "25:00"], 2, "Invalid value for --start: '25:00': write a time, e.g. 09:00, or a date"),
        (["--start", "tomorrow"], 2, "Invalid value for --start: 'tomorrow': write a time"),
    ],
)
def test_schedule_refuses_limits_it_cannot_plan(tiny, tmp_path, extra, code, message):
    result = _schedule(tiny, tmp_path, *extra)
    assert result.exit_code == code and message in result.output, result.output
    assert "Traceback" not in result.output and not (tmp_path / "a.csv").exists()


@pytest.mark.parametrize(
    "who, message",
    [
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "is not a text file: list one name a line, or write a CSV with the"),
        (b"Alpha\n" * 200_000, "is larger than 1 MiB, too large to be a list: list one name a line"),
        ("Alpha\nBéta\n".encode("latin-1"), "who.txt:2: not UTF-8 text: save it as UTF-8"),
        (b"nmae,cap\nAlpha,1\n", "who.txt:1: unknown column 'nmae': list one name a line, or write a CSV"),
        (b"name,unavailable\nAlpha,5\nBeta,\n", "who.txt:2: slot 5 is not one of the event's slots (1 to 2)."),
        (b"name,cap\nAlpha,-1\nBeta,\n", "who.txt:2: cap is -1: write 0 or more meetings, or leave it empty."),
        (b"name,cap\nAlpha,1,2\nBeta,\n", "who.txt:2: more fields than columns"),
        (b"# who comes\n\nAlpha\nBetta\n", "who.txt:4: No organisation named 'Betta'. Did you mean 'Beta'?"),
    ],
)
def test_schedule_participants_file_gets_one_clear_line(tiny, tmp_path, who, message):
    result = _schedule(tiny, tmp_path, who=who)
    assert result.exit_code == 1 and message in result.output, result.output
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1
    assert str(tmp_path / "who.txt") in result.output and not (tmp_path / "a.csv").exists()


@pytest.mark.parametrize(
    "asked, message",
    [
        (b"\0\0\0\0binary", "asked.csv is not a text file: write a CSV with the columns org_a,org_b"),
        (b"a,b\nAlpha,Beta\n", "asked.csv:1: unknown column 'a': write a CSV with the columns org_a,org_b"),
        (b"org_a,priority\nAlpha,1\n", "asked.csv:1: the requests need the columns org_a,org_b"),
        (b"org_a,org_b,priority\nAlpha,Beta,-1\n", "asked.csv:2: priority must be a number of 0 or more, not '-1'."),
        (b"org_a,org_b,priority\nAlpha,Beta,inf\n", "asked.csv:2: priority must be a number of 0 or more"),
        (b"org_a,org_b\nAlpha,Alpha Labs\n", "asked.csv:2: asks Alpha to meet itself: name two organisations."),
        (b"org_a,org_b\n" + b"Alpha,Beta\n" * 100_000, "asked.csv is larger than 1 MiB"),
    ],
)
def test_schedule_requests_file_gets_one_clear_line(tiny, tmp_path, asked, message):
    (tmp_path / "asked.csv").write_bytes(asked)
    result = _schedule(tiny, tmp_path, "--requests", str(tmp_path / "asked.csv"))
    assert result.exit_code == 1 and message in result.output, result.output
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1


def test_schedule_starts_at_a_time_of_day_today(tiny, tmp_path):
    import csv
    from datetime import date

    result = _schedule(tiny, tmp_path, "--start", "13:30", "--slot-minutes", "15")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((tmp_path / "a.csv").read_text().splitlines()))
    assert [r["Start"] for r in rows] == [f"{date.today():%Y-%m-%d} 13:30", f"{date.today():%Y-%m-%d} 13:45"]


def test_schedule_reads_an_endless_file_in_bounded_memory(tiny, tmp_path):
    from click.testing import CliRunner

    from matcher.cli import cli

    args = ["schedule", "--slots", "2", "--tables", "1", "--participants", "/dev/zero", "-o", str(tmp_path / "a.csv")]
    result = CliRunner().invoke(cli, [*args, "--profiles", str(tiny)])
    assert result.exit_code == 1 and result.output.startswith("Error: /dev/zero is larger than 1 MiB"), result.output


@pytest.fixture
def partners_event(tmp_path, write_profile):
    """Five profiles where the best matches are between organisations that already work together.

    Orion needs laser scanning and offers drone platforms; Vega, its listed partner, and Deneb (signed with
    Orion in the ledger) offer the one and need the other: 1.0 each. Vega Robotics (its name holds Vega's:
    related) needs laser scanning and offers drone platforms: 1.0 with Vega and with Deneb. Lyra offers laser
    scanning and needs fish farming: 0.25 with Orion and with Vega Robotics (declined in the ledger).
    """
    folder = tmp_path / "profiles"
    drones = {"capabilities": ["drone platforms"], "needs": ["laser scanning"]}
    lasers = {"capabilities": ["laser scanning"], "needs": ["drone platforms"]}
    write_profile(folder, "orion", name="Orion", country="CN", kind="company", partners=["Vega"], **drones)
    write_profile(folder, "vega", name="Vega", country="RU", kind="company", **lasers)
    write_profile(folder, "vega-robotics", name="Vega Robotics", country="RU", kind="company", **drones)
    write_profile(folder, "deneb", name="Deneb", country="DE", kind="company", **lasers)
    write_profile(
        folder, "lyra", name="Lyra", country="HU", kind="university", capabilities=["laser scanning"], needs=["fish"]
    )
    db = tmp_path / "m.db"
    assert (
        invoke(
            "record", "Orion", "Deneb", "--stage", "signed", "--ledger", str(db), "--profiles", str(folder)
        ).exit_code
        == 0
    )
    assert (
        invoke(
            "record",
            "Lyra",
            "Vega Robotics",
            "--stage",
            "declined",
            "--reason",
            "no-fit",
            "--ledger",
            str(db),
            "--profiles",
            str(folder),
        ).exit_code
        == 0
    )
    return folder, db


def _held(folder, db, tmp_path, *extra) -> set[frozenset]:
    import csv

    out = tmp_path / "agenda.csv"
    args = ["schedule", "--slots", "2", "--tables", "2", "-o", str(out), "--ledger", str(db), "--profiles", str(folder)]
    result = invoke(*args, *extra)
    assert result.exit_code == 0, result.output
    return {frozenset((r["Organisation"], r["Meets"])) for r in csv.DictReader(out.read_text().splitlines())}


def test_partners_never_meet(partners_event, tmp_path):
    """Left out: Orion-Vega (listed partners), Vega-Vega Robotics (related by name), Orion-Deneb (signed),
    Lyra-Vega Robotics (declined). That leaves Vega Robotics-Deneb (1.0) and Orion-Lyra (0.25): Vega has no
    one it may meet, and the summary says so."""
    held = _held(*partners_event, tmp_path)
    assert held == {frozenset(("Vega Robotics", "Deneb")), frozenset(("Orion", "Lyra"))}
    result = invoke(
        "schedule",
        "--slots",
        "2",
        "--tables",
        "2",
        "-o",
        str(tmp_path / "a.csv"),
        "--ledger",
        str(partners_event[1]),
        "--profiles",
        str(partners_event[0]),
    )
    assert "No meeting for 1: Vega (no one to meet)." in result.output


def test_include_partners_lets_them_meet_but_not_the_declined(partners_event, tmp_path):
    """A networking event: partners, related and signed pairs are candidates again (every meeting of 1.0),
    so more of the best matches are held; the declined Lyra-Vega Robotics still is not."""
    held = _held(*partners_event, tmp_path, "--include-partners")
    partners = {frozenset(p) for p in (("Orion", "Vega"), ("Vega", "Vega Robotics"), ("Orion", "Deneb"))}
    assert held & partners and frozenset(("Lyra", "Vega Robotics")) not in held
    assert len(held) == 4


def test_schedule_json_states_each_level(tiny, tmp_path):
    import json

    result = _schedule(tiny, tmp_path, "-o", str(tmp_path / "a.json"), "--by", "participant")
    assert result.exit_code == 0, result.output
    agenda = json.loads((tmp_path / "a.json").read_text())
    levels = {lv["level"]: lv for lv in agenda["levels"]}
    assert levels["participants"] == {"level": "participants", "value": 3.0, "bound": 3.0, "of": 4}
    assert levels["idle gaps"]["value"] == 0 and agenda["partners_included"] is False
    gamma = [r for r in agenda["meetings"] if r["organisation"] == "Gamma"]
    assert [(r["slot"], r["meets"], r["score"]) for r in gamma] == [(1, "free", None), (2, "free", None)]
    alpha = [r["score"] for r in agenda["meetings"] if r["organisation"] == "Alpha" and r["score"] is not None]
    assert alpha == pytest.approx([1.0, 1.0])
