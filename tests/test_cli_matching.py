"""The matching commands: match, explain (and their errors)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from matcher.cli import cli
from matcher.cli.matching import match_command


def run(args, **kw):
    return CliRunner().invoke(match_command, args, **kw)


def invoke(*args, **kw):
    return CliRunner().invoke(cli, list(args), **kw)


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
        (["--org", "Alpha", "--country", "Narnia"], 2, "'Narnia' is not an ISO 3166-1 alpha-2 country code"),
        (["--org", "Alpha", "--kind", "startup"], 2, "'startup' is not one of"),
        (["--org", "Alpha", "--top", "0"], 2, "0 is not in the range 1<=x<=1000"),
        (["--org", "Alpha", "--min-score", "-1"], 2, "-1.0 is not in the range x>=0"),
    ],
)
def test_usage_errors(tiny, args, code, message):
    result = run([*args, "--profiles", str(tiny)])
    assert result.exit_code == code
    assert message in result.output
    assert "Traceback" not in result.output


def test_country_filter_accepts_lists(tiny):
    result = run(["--org", "Alpha", "--profiles", str(tiny), "--country", "ru,hu", "--format", "json"])
    assert [m["name"] for m in json.loads(result.output)["matches"]] == ["Beta", "Epsilon", "Gamma"]


def test_explain_pair_outside_top(tiny):
    result = invoke("explain", "Alpha", "Gamma", "--profiles", str(tiny), catch_exceptions=False)
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == "Alpha and Gamma (RU, university): score 0.250 · one-sided · strong"
    assert "Gamma offers what Alpha needs: 1.000 (100% of the score)" in result.output
    assert "Nothing Alpha offers matches what Gamma needs." in result.output
    data = json.loads(invoke("explain", "Alpha", "Beta", "--profiles", str(tiny), "--format", "json").output)
    assert data["explanation"]["backward"]["pairs"][0]["need"] == "drone platforms"


@pytest.mark.parametrize(
    "args, message",
    [
        (["Alpha", "Alpah"], "Invalid value for ORG_B: No organisation named 'Alpah'. Did you mean 'Alpha'?"),
        (["Alpha", "alpha labs"], "'Alpha' and 'alpha labs' are the same organisation"),
    ],
)
def test_explain_errors(tiny, args, message):
    result = invoke("explain", *args, "--profiles", str(tiny))
    assert result.exit_code == 2
    assert message in result.output


def test_country_option_takes_a_name_and_lists_the_countries_a_name_may_be(tiny):
    by_code = invoke("match", "--org", "Alpha", "--country", "RU", "--profiles", str(tiny), "--format", "json")
    by_name = invoke("match", "--org", "Alpha", "--country", "Russia", "--profiles", str(tiny), "--format", "json")
    assert by_name.exit_code == 0 and by_name.output == by_code.output
    result = invoke("match", "--org", "Alpha", "--country", "Korea", "--profiles", str(tiny))
    assert result.exit_code == 2
    assert "'Korea' is not an ISO 3166-1 alpha-2 country code — it could be KP" in result.output
