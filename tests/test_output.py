"""Rendering and files: text fits the terminal, batch files hold the bytes the standard modules write."""

from __future__ import annotations

import csv
import io
import json
import os
import stat

import numpy as np
import pytest
from click.testing import CliRunner

from matcher.cli import cli

NAMES = ["Plain", "Comma, Inc.", 'Say "hi"', "Line\nbreak", "Ünïcode 北京", "Carriage\rreturn"]


def some_partners():
    """Three organisations' partners: one annotated (a weak row left out, so ranks 1 and 3), one not, one with none."""
    from matcher.batch.local import Partners

    return [
        Partners(
            0,
            np.array([1, 2]),
            np.array([0.5, 1 / 3]),
            np.array([0.25, 0.1]),
            np.array([np.nan, 0.2]),
            rank=np.array([1, 3]),
            strength=["strong", "moderate"],
            relation=["already partners", ""],
            reason=['=HYPERLINK("http://x")', "A needs “b”; C offers “d, e”"],
        ),
        Partners(3, np.array([5]), np.array([0.125]), None, np.array([1e-07])),
        Partners(4, np.array([], dtype=np.int64), np.array([]), None, np.array([])),
    ]


EXPECTED = [
    ("Plain", 1, "Comma, Inc.", 0.5, "strong", "already partners", '=HYPERLINK("http://x")'),
    ("Plain", 3, 'Say "hi"', 0.3333, "moderate", "", "A needs “b”; C offers “d, e”"),
    ("Line\nbreak", 1, "Carriage\rreturn", 0.125, "", "", ""),
]


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_batch_csv_and_json_lines_are_what_the_standard_modules_write(tmp_path):
    """Names with commas, quotes and line breaks, scores to 4 decimals, ranks as in the full list, in the bytes
    that csv.writer and json.dumps give; a reason that a spreadsheet would run as a formula is escaped in the
    CSV (OWASP: a leading quote), and kept as it is in JSON."""
    from matcher.output.files import BATCH_COLUMNS, write_batch

    out = tmp_path / "p.csv"
    assert write_batch(iter(some_partners()), NAMES, out, "csv") == 3
    reference = io.StringIO(newline="")
    escaped = [(*EXPECTED[0][:6], "'" + EXPECTED[0][6]), *EXPECTED[1:]]
    csv.writer(reference).writerows([BATCH_COLUMNS, *escaped])
    assert out.read_bytes() == reference.getvalue().encode("utf-8")
    back = list(csv.reader(out.open(encoding="utf-8", newline="")))[1:]
    assert [(o, int(r), p, float(s)) for o, r, p, s, *_ in back] == [row[:4] for row in EXPECTED]

    out = tmp_path / "p.jsonl"
    assert write_batch(iter(some_partners()), NAMES, out, "jsonl") == 3
    lines = out.read_text(encoding="utf-8").split("\n")
    assert lines[:-1] == [json.dumps(dict(zip(BATCH_COLUMNS, row)), ensure_ascii=False) for row in EXPECTED]
    assert lines[-1] == ""


def test_batch_parquet_holds_the_same_rows(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    from matcher.output.files import BATCH_COLUMNS, write_batch

    out = tmp_path / "p.parquet"
    assert write_batch(iter(some_partners()), NAMES, out, "parquet") == 3
    frame = pd.read_parquet(out)
    assert list(frame.columns) == list(BATCH_COLUMNS)
    assert [tuple(row) for row in frame.itertuples(index=False)] == EXPECTED
    assert write_batch(iter([]), NAMES, tmp_path / "none.parquet", "parquet") == 0


def test_match_is_compact_and_fits_80_columns():
    from matcher.output.text import render_matches
    from matcher.paths import bundled
    from matcher.workspace import open_workspace

    matcher = open_workspace(bundled("profiles")).matcher
    result = matcher.match("Gomselmash", top=5)
    compact, detail = render_matches(result, width=80), render_matches(result, detail=True, width=80)
    assert max(len(line) for line in compact.splitlines()) <= 80
    assert max(len(line) for line in detail.splitlines()) <= 80
    pairs = [line for line in compact.splitlines() if line.startswith("    — ")]
    assert len(pairs) == len(result.matches)  # one pair per partner
    assert detail.count("\n      — ") > len(pairs)
    assert "as reported: “" in detail and "as reported" not in compact


@pytest.mark.parametrize("width", [80, 100, 120])
def test_list_fits_the_terminal(width):
    from matcher.output.tables import organisations_frame, render_frame
    from matcher.paths import bundled
    from matcher.workspace import open_workspace

    frame = organisations_frame(open_workspace(bundled("profiles")).matcher.profiles)
    table = render_frame(frame, "table", width=width)
    assert max(len(line) for line in table.splitlines()) <= width
    assert table.splitlines()[1].startswith("Alibaba Cloud ")  # names stay readable
    assert table.splitlines()[-1] == "26 organisations"


def test_batch_output_and_new_profiles_follow_the_umask(tiny, tmp_path, umask_022):
    out = tmp_path / "partners.csv"
    assert invoke("batch", "-o", str(out), "--profiles", str(tiny)).exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    made = invoke(
        "new",
        "--name",
        "Omega",
        "--country",
        "RU",
        "--kind",
        "company",
        "--capability",
        "lasers",
        "--profiles",
        str(tiny),
    )
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE((tiny / "omega.yaml").stat().st_mode) == 0o644


def test_a_table_of_chinese_and_latin_names_lines_up_as_a_terminal_shows_it():
    """Each Chinese character takes two columns: the country column starts at one place on every line."""
    import pandas as pd

    from matcher.output.tables import render_frame
    from matcher.text.layout import display_width

    frame = pd.DataFrame(
        {"name": ["苏州光元精密光学有限公司", "Ehang", "НПО Лазер"], "country": ["CN", "CN", "RU"], "needs": [1, 2, 3]}
    )
    lines = render_frame(frame, "table").splitlines()[:4]
    starts = {display_width(line[: line.index(code)]) for line, code in zip(lines, ["country", "CN", "CN", "RU"])}
    assert display_width("苏州") == 4 and starts == {display_width("苏州光元精密光学有限公司") + 1}
