"""Every numeric option has a range and every date one form (issue #33): ``--min-score nan`` once hid every
match with exit 0, ``--before 20240101`` compared as text against ISO dates, ``--dask local:100000`` would
start 100,000 processes; and what the system refuses (a missing folder, a full disk) is one line, not a
traceback."""

from __future__ import annotations

import errno

import pytest
from click.testing import CliRunner

from matcher.cli import cli
from matcher.dates import iso_day


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize(
    "args, message",
    [
        (["match", "--org", "Alpha", "--min-score", "nan"], "'--min-score': 'nan' is not a number: give a score of 0"),
        (["match", "--org", "Alpha", "--min-score", "inf"], "'--min-score': 'inf' is not a number"),
        (["match", "--org", "Alpha", "--min-score", "-0.1"], "'--min-score': -0.1 is not in the range x>=0."),
        (["report", "--org", "Alpha", "-o", "r.html", "--min-score", "nan"], "'--min-score': 'nan' is not a number"),
        (["match", "--org", "Alpha", "--top", "1000001"], "'--top': 1000001 is not in the range 1<=x<=1000."),
        (["batch", "-o", "b.csv", "--top", "100000"], "'--top': 100000 is not in the range 1<=x<=1000."),
        (["batch", "-o", "b.csv", "--workers", "100000"], "'--workers': 100000 is not in the range 1<=x<=256."),
        (["evaluate", "--k", "0"], "'--k': 0 is not in the range 1<=x<=1000."),
    ],
)
def test_numeric_options_have_a_range(tiny, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = invoke(*args, "--profiles", str(tiny))
    assert result.exit_code == 2
    assert result.output.splitlines()[-1].startswith(f"Error: Invalid value for {message}")


def test_dask_local_workers_have_a_range(tiny, tmp_path):
    result = invoke("batch", "-o", str(tmp_path / "b.csv"), "--dask", "local:100000", "--profiles", str(tiny))
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "Error: --dask 'local:100000': write local:N with N a number of workers from 1 to 256, e.g. local:2."
    )


@pytest.mark.parametrize("text", ["20260512", "2026-W20-2", "2026-5-12", "12/05/2026", "2026-05-12T10:00", ""])
def test_dates_are_written_yyyy_mm_dd_only(text):
    with pytest.raises(ValueError, match="write it as YYYY-MM-DD"):
        iso_day(text)


def test_a_date_must_exist():
    assert iso_day(" 2026-05-12 ").isoformat() == "2026-05-12"
    with pytest.raises(ValueError, match="'2026-02-30' is not a day of the calendar"):
        iso_day("2026-02-30")


def test_import_cordis_takes_iso_dates_only(tmp_path):
    result = invoke("import-cordis", str(tmp_path), "--before", "20240101", "-o", str(tmp_path / "store"))
    assert result.exit_code == 1
    assert result.output == "Error: --before: '20240101' is not a date; write it as YYYY-MM-DD, e.g. 2023-07-01.\n"


def test_funnel_plot_into_a_missing_folder_is_one_line(tmp_path):
    """It ended in a traceback from matplotlib."""
    result = invoke("funnel", "--ledger", str(tmp_path / "l.db"), "--plot", "/nonexistent/x.png")
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        "Error: Invalid value for --plot: folder /nonexistent does not exist: create it first."
    )


def test_what_the_system_refuses_is_one_line(tiny, tmp_path, monkeypatch):
    """The net under every command: an OSError nobody expected (here a full disk) is one line, exit 1."""
    import matcher.output.files as files

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "b.csv"))

    monkeypatch.setattr(files, "write_batch", full)
    monkeypatch.setattr("matcher.cli.data.write_batch", full)
    result = invoke("batch", "-o", str(tmp_path / "b.csv"), "--profiles", str(tiny))
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {tmp_path / 'b.csv'}: No space left on device — check the path, its permissions and the free space,"
        " then run again.\n"
    )
