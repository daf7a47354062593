"""The commands for many profiles: batch (formats, errors, interruptions) and import-cordis."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner

from matcher.cli import cli


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


def test_batch_writes_every_organisations_top_partners(tiny, tmp_path):
    out = tmp_path / "partners.csv"
    result = CliRunner().invoke(cli, ["batch", "--profiles", str(tiny), "-o", str(out), "--top", "3"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    alpha = [(r["rank"], r["partner"]) for r in rows if r["org"] == "Alpha"]
    assert alpha == [("1", "Beta"), ("2", "Epsilon"), ("3", "Gamma")]  # as match ranks them
    assert [float(r["score"]) for r in rows if r["org"] == "Alpha"] == pytest.approx([1.0, 1.0, 0.25])
    assert [(r["strength"], r["relation"]) for r in rows if r["org"] == "Alpha"] == [("strong", "")] * 3
    assert rows[0]["reason"] == "Alpha needs “laser scanning”; Beta offers “laser scanning”"
    # Gamma needs the fish farming Delta offers, only generic words in common: weak, left out as match leaves it
    assert [r["partner"] for r in rows if r["org"] == "Delta"] == []
    everything = tmp_path / "all.csv"
    assert invoke("batch", "--profiles", str(tiny), "-o", str(everything), "--top", "3", "--all").exit_code == 0
    delta = [r for r in csv.DictReader(everything.open(encoding="utf-8")) if r["org"] == "Delta"]
    assert [(r["partner"], r["strength"]) for r in delta] == [("Gamma", "weak")]
    jsonl = tmp_path / "p.jsonl"
    assert CliRunner().invoke(cli, ["batch", "--profiles", str(tiny), "-o", str(jsonl)]).exit_code == 0
    first = json.loads(jsonl.read_text().splitlines()[0])
    assert list(first) == ["org", "rank", "partner", "score", "strength", "relation", "reason"]
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


def test_batch_refuses_an_unknown_extension(tiny, tmp_path):
    result = invoke("batch", "-o", str(tmp_path / "p.txt"), "--profiles", str(tiny))
    assert result.exit_code == 2
    assert "cannot tell the format of p.txt: name it .csv, .jsonl or .parquet, or give --format." in result.output
    assert not (tmp_path / "p.txt").exists()
    assert invoke("batch", "-o", str(tmp_path / "p.txt"), "--format", "csv", "--profiles", str(tiny)).exit_code == 0


def test_batch_with_nothing_to_rank_fails_and_keeps_the_old_file(write_profile, tmp_path):
    folder = tmp_path / "p"
    write_profile(folder, "a", name="A", country="CN", kind="company", capabilities=["laser scanning"])
    write_profile(folder, "b", name="B", country="RU", kind="company", capabilities=["fish farming"])
    out = tmp_path / "partners.csv"
    out.write_text("old\n")
    result = invoke("batch", "-o", str(out), "--profiles", str(folder))
    assert result.exit_code == 1
    assert f"Error: No organisation could be ranked, so {out} was not written." in result.output
    assert "None of the 2 organisations lists needs." in result.output
    assert out.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_interrupted_batch_keeps_the_old_file(tiny, tmp_path, monkeypatch):
    """Ctrl-C while the rows are written: no partial file replaces the old one, and no temporary is left."""
    import matcher.batch

    real = matcher.batch.all_top_partners

    def interrupted(*args, **kwargs):
        for i, partners in enumerate(real(*args, **kwargs)):
            if i == 2:
                raise KeyboardInterrupt
            yield partners

    monkeypatch.setattr(matcher.batch, "all_top_partners", interrupted)
    out = tmp_path / "partners.csv"
    out.write_text("old\n")
    result = invoke("batch", "-o", str(out), "--profiles", str(tiny))
    assert result.exit_code != 0
    assert out.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["partners.csv", "profiles"]


def test_import_cordis_onto_a_profile_does_not_suggest_force(tmp_path):
    target = tmp_path / "ehang.yaml"
    target.write_text("name: Ehang\n")
    for extra in ((), ("--force",)):
        result = invoke("import-cordis", str(tmp_path), "--before", "2024-01-01", "-o", str(target), *extra)
        assert result.exit_code == 1
        assert "exists and is not a matcher store; refusing to replace it. Give another -o." in result.output
        assert "--force" not in result.output
    assert target.read_text() == "name: Ehang\n"
