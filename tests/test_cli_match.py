import csv
import io
import json

import numpy as np
import pytest
from click.testing import CliRunner

from matcher.cli import cli
from matcher.cli.matching import match_command


def run(args, **kw):
    return CliRunner().invoke(match_command, args, **kw)


def test_table_output(tiny):
    result = run(["--org", "Alpha", "--profiles", str(tiny)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Partners for Alpha (CN, company): top 3 of 4 candidates"
    ranked = [line.strip() for line in lines if line[:3].strip().rstrip(".").isdigit()]
    assert ranked[0].startswith("1. Beta (RU, research-institute) — score 1.000 · mutual")
    assert ranked[2].startswith("3. Gamma (RU, university) — score 0.250 · one-sided")
    assert "Alpha needs “laser scanning”" in result.output
    assert "— Beta offers “laser scanning”" in result.output
    assert "Epsilon lists no needs, so the score rests on what it offers Alpha." in result.output


def test_json_output(tiny):
    result = run(["--org", "alpha labs", "--profiles", str(tiny), "--format", "json"], catch_exceptions=False)
    data = json.loads(result.output)
    assert data["org"] == "Alpha"
    assert [m["name"] for m in data["matches"]] == ["Beta", "Epsilon", "Gamma"]
    first = data["matches"][0]
    assert set(first) >= {"rank", "name", "score", "forward", "backward", "explanation"}
    assert first["rank"] == 1 and first["score"] == 1.0
    assert data["matches"][1]["backward"] is None
    pair = first["explanation"]["forward"]["pairs"][0]
    assert pair["need"] == "laser scanning" and pair["capability"] == "laser scanning"


def test_group_and_standalone_are_the_same(tiny):
    a = CliRunner().invoke(cli, ["match", "--org", "Alpha", "--profiles", str(tiny)])
    b = run(["--org", "Alpha", "--profiles", str(tiny)])
    assert a.exit_code == 0 and a.output == b.output


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["--org", "Alpah"], 2, "No organisation named 'Alpah'. Did you mean 'Alpha'?"),
        (["--org", "Zzzz"], 2, "No organisation named 'Zzzz'. Run 'matcher list'"),
        (["--org", "Alpha", "--country", "Russia"], 2, "'Russia' is not an ISO 3166-1 alpha-2 country code"),
        (["--org", "Alpha", "--kind", "startup"], 2, "'startup' is not one of"),
        (["--org", "Alpha", "--top", "0"], 2, "0 is not in the range x>=1"),
        (["--org", "Alpha", "--min-score", "-1"], 2, "-1.0 is not in the range x>=0"),
    ],
)
def test_usage_errors(tiny, args, code, message):
    result = run([*args, "--profiles", str(tiny)])
    assert result.exit_code == code
    assert message in result.output
    assert "Traceback" not in result.output


def test_missing_profiles_folder(tmp_path):
    result = run(["--org", "Alpha", "--profiles", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert f"Error: Profiles folder '{tmp_path / 'nope'}' does not exist" in result.output


def test_country_filter_accepts_lists(tiny):
    result = run(["--org", "Alpha", "--profiles", str(tiny), "--country", "ru,hu", "--format", "json"])
    assert [m["name"] for m in json.loads(result.output)["matches"]] == ["Beta", "Epsilon", "Gamma"]


def test_profiles_location_order(tiny, tmp_path, monkeypatch):
    """--profiles beats $MATCHER_PROFILES, which beats ./profiles, which beats the bundled set."""
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "solo.yaml").write_text("name: Solo\ncountry: CN\nkind: other\nneeds: [laser scanning]\n")
    monkeypatch.chdir(tmp_path)  # tmp_path/profiles is the tiny set
    assert "Partners for Alpha" in run(["--org", "Alpha"]).output
    monkeypatch.setenv("MATCHER_PROFILES", str(other))
    assert "No organisation named 'Alpha'" in run(["--org", "Alpha"]).output
    assert run(["--org", "Alpha", "--profiles", str(tiny)]).exit_code == 0
    monkeypatch.delenv("MATCHER_PROFILES")
    monkeypatch.chdir(other)  # no ./profiles here: the bundled profiles are used
    assert run(["--org", "Ehang"]).exit_code == 0


def test_batch_writes_every_organisations_top_partners(tiny, tmp_path):
    out = tmp_path / "partners.csv"
    result = CliRunner().invoke(cli, ["batch", "--profiles", str(tiny), "-o", str(out), "--top", "3"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    alpha = [(r["rank"], r["partner"]) for r in rows if r["org"] == "Alpha"]
    assert alpha == [("1", "Beta"), ("2", "Epsilon"), ("3", "Gamma")]  # as match ranks them
    assert [float(r["score"]) for r in rows if r["org"] == "Alpha"] == pytest.approx([1.0, 1.0, 0.25])
    assert [r["partner"] for r in rows if r["org"] == "Delta"] == ["Gamma"]  # Gamma needs the fish farming it offers
    jsonl = tmp_path / "p.jsonl"
    assert CliRunner().invoke(cli, ["batch", "--profiles", str(tiny), "-o", str(jsonl)]).exit_code == 0
    first = json.loads(jsonl.read_text().splitlines()[0])
    assert list(first) == ["org", "rank", "partner", "score", "forward", "backward"]
    assert first["org"] == "Alpha" and first["partner"] == "Beta" and first["rank"] == 1
    assert rows[0].keys() == first.keys()


def test_interrupted_batch_leaves_no_file(tiny, tmp_path, monkeypatch):
    import matcher.batch.local

    calls = []
    real = matcher.batch.local.Partners

    def interrupted(*a):
        calls.append(1)
        if len(calls) == 3:  # after two organisations' rows have been written
            raise KeyboardInterrupt
        return real(*a)

    monkeypatch.setattr(matcher.batch.local, "Partners", interrupted)
    out = tmp_path / "partners.csv"
    result = CliRunner().invoke(cli, ["batch", "--profiles", str(tiny), "-o", str(out)])
    assert result.exit_code != 0 and len(calls) == 3
    assert list(tmp_path.glob("*partners*")) == []


NAMES = ["Plain", "Comma, Inc.", 'Say "hi"', "Line\nbreak", "Ünïcode 北京", "Carriage\rreturn"]


def some_partners():
    """Three organisations' partners: one with both sides, one listing no needs, one with no partner."""
    from matcher.batch.local import Partners

    return [
        Partners(0, np.array([1, 2]), np.array([0.5, 1 / 3]), np.array([0.25, 0.1]), np.array([np.nan, 0.2])),
        Partners(3, np.array([5]), np.array([0.125]), None, np.array([1e-07])),
        Partners(4, np.array([], dtype=np.int64), np.array([]), None, np.array([])),
    ]


# the rows of some_partners(), by hand: None where a side is missing (no needs, or the partner lists none)
EXPECTED = [
    ("Plain", 1, "Comma, Inc.", 0.5, 0.25, None),
    ("Plain", 2, 'Say "hi"', 1 / 3, 0.1, 0.2),
    ("Line\nbreak", 1, "Carriage\rreturn", 0.125, None, 1e-07),
]


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
