"""The profile commands: new, validate, list and show."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from matcher.cli import cli
from matcher.profiles.scaffold import create_profile


def invoke(*args, **kw):
    return CliRunner().invoke(cli, list(args), **kw)


def test_new_from_options_writes_a_valid_profile(tiny):
    result = invoke(
        "new",
        "--name",
        "Volga Lasers",
        "--country",
        "ru",
        "--kind",
        "company",
        "--capability",
        "laser scanning",
        "--need",
        "drone platforms",
        "--profiles",
        str(tiny),
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    path = tiny / "volga-lasers.yaml"
    assert result.output == f"Wrote {path}. Check it with: matcher validate {path}\n"
    assert path.read_text().startswith("name: Volga Lasers\ncountry: RU\nkind: company\n")
    assert invoke("validate", str(path)).exit_code == 0
    ranked = json.loads(invoke("match", "--org", "Alpha", "--profiles", str(tiny), "--format", "json").output)
    assert "Volga Lasers" in [m["name"] for m in ranked["matches"]]


def test_new_interactive(tiny):
    answers = "Volga Lasers\nXX\nRussia\ncompany\nlaser scanning\n\ndrone platforms\n\n"
    result = invoke("new", "--profiles", str(tiny), input=answers, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (
        "'XX' is not an ISO 3166-1 alpha-2 country code — write its ISO 3166-1 code (e.g. RU) or its English"
        in result.output
    )
    text = (tiny / "volga-lasers.yaml").read_text()
    assert "\ncountry: RU\n" in text  # a country's English name is taken, as import-table takes it
    assert "capabilities:\n- laser scanning\nneeds:\n- drone platforms\n" in text


@pytest.mark.parametrize(
    "args, message",
    [
        (["--name", "beta"], "'beta' is already the name or an alias of 'Beta'"),
        (["--name", "New", "--alias", "ALPHA LABS"], "'ALPHA LABS' is already the name or an alias of 'Alpha'"),
        (["--name", "New", "--country", "XX"], "'XX' is not an ISO 3166-1 alpha-2 country code — write its ISO"),
        (["--name", "New", "--country", "Korea"], "it could be KP (Korea, Democratic People's Republic of) or KR"),
    ],
)
def test_new_refuses(tiny, args, message):
    base = {"--country": "RU", "--kind": "company", "--need": "x"}
    full = list(args) + [x for k, v in base.items() if k not in args for x in (k, v)]
    before = sorted(p.name for p in tiny.iterdir())
    result = invoke("new", *full, "--profiles", str(tiny))
    assert result.exit_code in (1, 2)
    assert message in result.output
    assert sorted(p.name for p in tiny.iterdir()) == before  # nothing written, no temp file left


def test_new_never_overwrites_a_file(tiny):
    (tiny / "volga.yaml").write_text("# not a profile yet\n")
    result = invoke(
        "new", "--name", "Volga", "--country", "RU", "--kind", "company", "--need", "x", "--profiles", str(tiny)
    )
    assert result.exit_code == 0, result.output
    assert f"Wrote {tiny / 'volga-2.yaml'}." in result.output
    assert (tiny / "volga.yaml").read_text() == "# not a profile yet\n"


def test_new_interrupted_leaves_no_file(tiny, monkeypatch):
    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        create_profile(tiny, {"name": "Half", "country": "CN", "kind": "other", "needs": ["x"]})
    assert not (tiny / "half.yaml").exists()
    assert not [p for p in tiny.iterdir() if p.name.startswith(".new-")]


def test_validate_reports_everything(write_profile, tiny, tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.txt").write_text("Alpha makes drones.\nIt also   makes boats.")
    write_profile(
        tiny,
        "zeta",
        name="Zeta",
        country="CN",
        kind="company",
        needs=["x"],
        partners=["Nobody"],
        sources=[
            {"article": "a.txt", "quote": "makes drones. It also makes boats."},
            {"article": "a.txt", "quote": "makes planes"},
            {"article": "missing.txt", "quote": "x"},
        ],
    )
    (tiny / "typo.yaml").write_text("name: Typo\ncountry: Russia\nkind: company\ncapabilites: [x]\nneeds: ['  ']\n")
    (tiny / "copy.yaml").write_text("name: Other\naliases: [GAMMA]\ncountry: CN\nkind: other\nneeds: [x]\n")
    result = invoke("validate", "--profiles", str(tiny))
    assert result.exit_code == 1
    out = result.output.splitlines()
    assert out[0].startswith(
        f"{tiny / 'gamma.yaml'}:1: name: 'Gamma' is already used by 'Other' in {tiny / 'copy.yaml'}:2 — names"
    )
    assert out[1:5] == [
        f"{tiny / 'typo.yaml'}:2: country: 'Russia' is not an ISO 3166-1 alpha-2 country code — use 'RU' for"
        " Russian Federation",
        f"{tiny / 'typo.yaml'}:4: capabilites: unknown key — did you mean 'capabilities'?",
        f"{tiny / 'typo.yaml'}:5: needs[0]: is empty — write a statement or remove the line",
        f"{tiny / 'zeta.yaml'}:7: warning: partners[0]: 'Nobody' names no profile in {tiny} — check the spelling,"
        " or add a profile for it",
    ]
    assert out[5].startswith(f"{tiny / 'zeta.yaml'}:12: sources[1].quote: quote does not occur in a.txt")
    assert out[6].startswith(f"{tiny / 'zeta.yaml'}:13: sources[2].article: article 'missing.txt' is not in")
    assert out[-1] == "8 profiles, 3 with problems, 1 warning(s)"


def test_validate_one_file_checks_names_against_its_folder(write_profile, tiny):
    path = write_profile(tiny, "aaa", name="BETA", country="CN", kind="other", needs=["x"])
    result = invoke("validate", str(path))
    assert result.exit_code == 1
    assert f"beta.yaml:1: name: 'Beta' is already used by 'BETA' in {path}:1" in result.output
    assert result.output.splitlines()[-1] == "1 profile, 1 with problems"


def test_validate_clean_folder(tiny):
    result = invoke("validate", str(tiny))
    assert (result.exit_code, result.output) == (0, "5 profiles, 0 with problems\n")


def test_list_table_and_filters(tiny):
    result = invoke("list", "--profiles", str(tiny), catch_exceptions=False)
    lines = result.output.splitlines()
    assert lines[0].split() == ["name", "country", "kind", "city", "offers", "seeks", "sectors"]
    assert [line.split()[0] for line in lines[1:-1]] == ["Alpha", "Beta", "Delta", "Epsilon", "Gamma"]
    assert lines[-1] == "5 organisations"
    csv = invoke("list", "--profiles", str(tiny), "--country", "RU", "--format", "csv").output
    assert csv.splitlines() == [
        "name,country,kind,city,capabilities,needs,sectors",
        "Beta,RU,research-institute,,1,1,",
        "Gamma,RU,university,,1,1,",
    ]
    data = json.loads(invoke("list", "--profiles", str(tiny), "--kind", "university", "--format", "json").output)
    assert data == [
        {
            "name": "Gamma",
            "country": "RU",
            "kind": "university",
            "city": "",
            "capabilities": 1,
            "needs": 1,
            "sectors": "",
        }
    ]


def test_list_by_sector():
    result = invoke("list", "--sector", "AGRICULTURAL MACHINERY", "--format", "csv")
    assert [line.split(",")[0] for line in result.output.splitlines()[1:]] == [
        "Gomselmash",
        "Zongshen",
        "Zongshen-Gomselmash",
    ]


def test_show(tiny):
    result = invoke("show", "alpha labs", "--profiles", str(tiny), catch_exceptions=False)
    assert result.output.splitlines()[:2] == ["Alpha (CN, company)", "also known as: Alpha Labs"]
    assert "  - laser scanning\n      terms: laser, laser scanning, scanning\n" in result.output
    assert invoke("show", "Nobody", "--profiles", str(tiny)).exit_code == 2


def test_show_bundled_with_sources():
    result = invoke("show", "Ehang", catch_exceptions=False)
    assert "Sources:\n  “Guangzhou-based company Ehang is one of China's leading drone makers." in result.output
    assert "” — “China-Russia Cooperation: Guangdong companies to benefit from partnership”, CGTN, 15 Sep 2018\n" in (
        result.output
    )
    assert "000_601ee1cda363bd9a.txt" not in result.output  # the file name is not for reading


def test_validate_reports_every_source_problem_of_a_file_that_does_not_load(tmp_path):
    """A missing quote made the file fail to load and hid a missing article and a quote not in its article."""
    import shutil

    from matcher.paths import bundled

    shutil.copytree(bundled("seeds"), tmp_path / "seeds")
    path = tmp_path / "profiles" / "x.yaml"
    path.parent.mkdir()
    path.write_text(
        "name: X Lab\ncountry: RU\nkind: company\ncapabilities: [lasers]\nsources:\n"
        "  - article: 000_601ee1cda363bd9a.txt\n"
        "  - article: nope.txt\n    quote: anything\n"
        "  - article: 000_601ee1cda363bd9a.txt\n    quote: not in the article at all\n"
    )
    result = invoke("validate", str(path.parent))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{path}:6: sources[0].quote: required field is missing — copy the sentence from the article word for word",
        f"{path}:7: sources[1].article: article 'nope.txt' is not in {tmp_path / 'seeds'} — give the file name of an"
        " article in the seeds folder",
        f"{path}:10: sources[2].quote: quote does not occur in 000_601ee1cda363bd9a.txt — copy the text from the"
        " article word for word (line breaks and spacing may differ)",
        "1 profile, 1 with problems",
    ]


def test_validate_refuses_a_store_and_an_empty_folder(tmp_path):
    import json

    store = tmp_path / "store"
    store.mkdir()
    (store / "meta.json").write_text(json.dumps({"store": True}))
    result = invoke("validate", str(store))
    assert result.exit_code == 2 and "is a profile store (built by matcher import-cordis)" in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    result = invoke("validate", str(empty))
    assert result.exit_code == 1
    assert f"Error: No profile files (*.yaml, *.yml) in {empty}. Give a profiles folder." in result.output


def test_new_outside_a_profiles_folder_keeps_the_bundled_profiles(tmp_path, monkeypatch):
    """matcher new used to create ./profiles holding only the new profile, which then hid the bundled ones."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MATCHER_PROFILES", raising=False)
    refused = invoke("new", "--name", "Ehang", "--country", "CN", "--kind", "company", "--capability", "x")
    assert refused.exit_code == 2 and "'Ehang' is already the name or an alias of 'Ehang'" in refused.output
    assert not (tmp_path / "profiles").exists()
    made = invoke(
        "new",
        "--name",
        "Volga Lasers",
        "--country",
        "RU",
        "--kind",
        "company",
        "--capability",
        "airborne laser scanning",
        "--need",
        "drone makers",
    )
    assert made.exit_code == 0, made.output
    assert made.output.startswith("Created profiles with a copy of the 26 bundled profiles")
    assert len(list((tmp_path / "profiles").glob("*.yaml"))) == 27
    assert invoke("match", "--org", "Ehang").exit_code == 0
    assert " 1. Ehang (CN, company)" in invoke("match", "--org", "Volga Lasers").output


def test_interactive_new_rejects_a_taken_name_at_once(tiny):
    answers = "Alpha\nOmega\nRU\ncompany\nlasers\n\ndrones\n\n"
    result = CliRunner().invoke(cli, ["new", "--profiles", str(tiny)], input=answers)
    assert result.exit_code == 0, result.output
    first_prompts = result.output.split("Country code")[0]
    assert "'Alpha' is already the name or an alias of 'Alpha'" in first_prompts
    assert "  capability: " in result.output and "capabilitie" not in result.output
    assert (tiny / "omega.yaml").exists()


def test_list_says_one_organisation(tiny):
    result = invoke("list", "--country", "DE", "--profiles", str(tiny))
    assert result.exit_code == 0
    assert result.output.splitlines()[-1] == "1 organisation"


def test_sector_filter_matches_word_forms():
    from matcher.paths import bundled

    result = invoke("list", "--sector", "Drone", "--profiles", str(bundled("profiles")), "--format", "csv")
    assert result.exit_code == 0
    assert [line.split(",")[0] for line in result.output.splitlines()[1:]] == ["Ehang"]
