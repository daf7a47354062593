"""The workspace: where profiles and the ledger are found, and how files that cannot be loaded are reported."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from matcher.cli import cli
from matcher.cli.matching import match_command

BAD = {
    "syntax": (
        "name: Broken\ncountry: [CN\n",
        "syntax.yaml:3: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence"
        " started on line 2)",
    ),
    "unknown_key": (
        "name: Typo\ncountry: CN\nkind: company\ncapabilites: [x]\nneeds: [y]\n",
        "unknown_key.yaml:4: capabilites: unknown key — did you mean 'capabilities'?",
    ),
    "missing": (
        "name: NoCountry\nkind: company\nneeds: [x]\n",
        "missing.yaml:1: country: required field is missing",
    ),
    "wrong_type": (
        "name: Listy\ncountry: CN\nkind: company\nneeds: just text\n",
        "wrong_type.yaml:4: needs: expected a list, got str 'just text'",
    ),
    "bad_country": (
        "name: Ru\ncountry: Russia\nkind: company\nneeds: [x]\n",
        "bad_country.yaml:2: country: 'Russia' is not an ISO 3166-1 alpha-2 country code — use 'RU'",
    ),
    "tag": (
        "name: !!python/object/apply:os.system ['touch PWNED']\ncountry: CN\nkind: company\nneeds: [x]\n",
        "tag.yaml:1: YAML tag !!python/object/apply:os.system is not allowed",
    ),
    "no_statements": ("name: Empty\ncountry: CN\nkind: company\n", "no_statements.yaml:1: capabilities:"),
}


@pytest.fixture
def folder(tiny):
    for slug, (text, _) in BAD.items():
        (tiny / f"{slug}.yaml").write_text(text)
    (tiny / "binary.yaml").write_bytes(b"name: X\n\x00\x01\x02")
    (tiny / "latin1.yaml").write_bytes("name: Caf\xe9\n".encode("latin-1"))
    (tiny / "huge.yaml").write_text("name: Big\n# " + "x" * 600_000 + "\n")
    return tiny


def run(args, **kw):
    return CliRunner().invoke(match_command, args, **kw)


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


def test_each_bad_file_warns_once_and_the_rest_rank(folder, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(match_command, ["--org", "Alpha", "--profiles", str(folder)])
    assert result.exit_code == 0
    err = result.stderr
    for _, expected in BAD.values():
        assert expected in err
    assert "binary.yaml:2: is a binary file" in err
    assert "latin1.yaml:1: is not valid UTF-8 (byte 0xe9) — save the file with UTF-8 encoding" in err
    assert "huge.yaml: file is" in err
    warnings = [line for line in err.splitlines() if line.startswith("Warning: skipped")]
    assert len(warnings) == len(BAD) + 3
    assert "Traceback" not in err
    assert not (tmp_path / "PWNED").exists()
    assert "1. Beta" in result.stdout  # the good profiles are still ranked


def test_strict_exits_1(folder):
    result = CliRunner().invoke(match_command, ["--org", "Alpha", "--profiles", str(folder), "--strict"])
    assert result.exit_code == 1
    assert "profile file(s) could not be loaded (--strict)" in result.output
    assert "Traceback" not in result.output


def test_all_bad_is_a_clear_error(tmp_path):
    (tmp_path / "a.yaml").write_text("name: [\n")
    result = CliRunner().invoke(match_command, ["--org", "A", "--profiles", str(tmp_path)])
    assert result.exit_code == 1
    assert "No profiles could be loaded from" in result.output


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


def test_missing_profiles_folder(tmp_path):
    result = run(["--org", "Alpha", "--profiles", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert f"Error: Profiles folder '{tmp_path / 'nope'}' does not exist" in result.output


def test_ledger_is_found_beside_the_profiles(write_profile, tiny, monkeypatch):
    write_profile(tiny, "zeta", name="Zeta", country="DE", kind="company", capabilities=["laser scanning"])
    monkeypatch.delenv("MATCHER_LEDGER", raising=False)
    assert invoke("record", "Alpha", "Zeta", "--stage", "proposed", "--profiles", str(tiny)).exit_code == 0
    assert (tiny.parent / "matcher.db").exists()
    monkeypatch.setenv("MATCHER_LEDGER", str(tiny.parent / "env.db"))
    assert invoke("record", "Alpha", "Zeta", "--stage", "met", "--profiles", str(tiny)).exit_code == 0
    assert (tiny.parent / "env.db").exists()
