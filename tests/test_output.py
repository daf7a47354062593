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
    """Three organisations' partners: one with both sides, one listing no needs, one with no partner."""
    from matcher.batch.local import Partners

    return [
        Partners(0, np.array([1, 2]), np.array([0.5, 1 / 3]), np.array([0.25, 0.1]), np.array([np.nan, 0.2])),
        Partners(3, np.array([5]), np.array([0.125]), None, np.array([1e-07])),
        Partners(4, np.array([], dtype=np.int64), np.array([]), None, np.array([])),
    ]


EXPECTED = [
    ("Plain", 1, "Comma, Inc.", 0.5, 0.25, None),
    ("Plain", 2, 'Say "hi"', 1 / 3, 0.1, 0.2),
    ("Line\nbreak", 1, "Carriage\rreturn", 0.125, None, 1e-07),
]


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.mark.parametrize("arrow", [True, False], ids=["pyarrow", "python"])
def test_batch_csv_and_json_lines_are_what_the_standard_modules_write(tmp_path, monkeypatch, arrow):
    """Names with commas, quotes and line breaks, missing sides and full-precision floats, in the bytes
    that csv.writer and json.dumps give, and read back exactly: the same whether pyarrow assembles the
    rows or Python does."""
    from matcher.output import files as report
    from matcher.output.files import BATCH_COLUMNS, write_batch

    if arrow:
        pytest.importorskip("pyarrow")
        monkeypatch.setattr(report, "ARROW_MIN", 0)
    else:
        monkeypatch.setattr(report, "_pyarrow", lambda: None)
    monkeypatch.setattr(report, "BLOCK_ORGS", 2)  # three organisations: two blocks, joined seamlessly

    out = tmp_path / "p.csv"
    assert write_batch(iter(some_partners()), NAMES, out, "csv") == 3
    reference = io.StringIO(newline="")
    csv.writer(reference).writerows([BATCH_COLUMNS, *EXPECTED])
    assert out.read_bytes() == reference.getvalue().encode("utf-8")
    back = list(csv.reader(out.open(encoding="utf-8", newline="")))[1:]
    assert [(o, int(r), p, float(s)) for o, r, p, s, _, _ in back] == [row[:4] for row in EXPECTED]

    out = tmp_path / "p.jsonl"
    assert write_batch(iter(some_partners()), NAMES, out, "jsonl") == 3
    lines = out.read_text(encoding="utf-8").split("\n")
    assert lines[:-1] == [json.dumps(dict(zip(BATCH_COLUMNS, row)), ensure_ascii=False) for row in EXPECTED]
    assert lines[-1] == ""


def test_arrow_writes_floats_as_repr_does():
    """Arrow's text of a float must be ``repr``'s, whatever the value: scores' range at random, and the
    values where the two notations part (0, 1, exponents, subnormals), with NaN as the missing text."""
    pa = pytest.importorskip("pyarrow")
    import pyarrow.compute as pc

    from matcher.output.files import _float_texts

    rng = np.random.default_rng(0)
    bits = (rng.integers(0, 2**52, 20_000, dtype=np.int64) | (1023 << 52)).view(np.float64)  # [1, 2)
    edges = [0.0, 1.0, 2.0, 1e-4, np.nextafter(1e-4, 0), 1e-5, 5e-324, 1e-300, 0.999999999999, 1e16, np.nan]
    x = np.concatenate([rng.random(20_000), np.exp(rng.uniform(-25, 0, 20_000)), bits - 1, bits, edges])
    got = _float_texts(x, "", pa, pc).to_pylist()
    assert got == ["" if v != v else repr(v) for v in x.tolist()]


def test_batch_parquet_holds_the_same_rows(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    from matcher.output.files import BATCH_COLUMNS, write_batch

    out = tmp_path / "p.parquet"
    assert write_batch(iter(some_partners()), NAMES, out, "parquet") == 3
    frame = pd.read_parquet(out)
    assert list(frame.columns) == list(BATCH_COLUMNS)
    got = [tuple(None if isinstance(v, float) and v != v else v for v in row) for row in frame.itertuples(index=False)]
    assert got == EXPECTED
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
