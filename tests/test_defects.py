"""Defects found by trying matcher as a new user would, each pinned by a test."""

from __future__ import annotations

import os
import stat

import pytest
from click.testing import CliRunner

from matcher.cli import cli

from .conftest import write_profile


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


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


def test_batch_refuses_an_unknown_extension(tiny, tmp_path):
    result = invoke("batch", "-o", str(tmp_path / "p.txt"), "--profiles", str(tiny))
    assert result.exit_code == 2
    assert "cannot tell the format of p.txt: name it .csv, .jsonl or .parquet, or give --format." in result.output
    assert not (tmp_path / "p.txt").exists()
    assert invoke("batch", "-o", str(tmp_path / "p.txt"), "--format", "csv", "--profiles", str(tiny)).exit_code == 0


def test_batch_with_nothing_to_rank_fails_and_keeps_the_old_file(tmp_path):
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


def test_country_option_suggests_the_code(tiny):
    result = invoke("match", "--org", "Alpha", "--country", "Russia", "--profiles", str(tiny))
    assert result.exit_code == 2
    assert "'Russia' is not an ISO 3166-1 alpha-2 country code — use 'RU' for Russian Federation." in result.output


def test_import_cordis_onto_a_profile_does_not_suggest_force(tmp_path):
    target = tmp_path / "ehang.yaml"
    target.write_text("name: Ehang\n")
    for extra in ((), ("--force",)):
        result = invoke("import-cordis", str(tmp_path), "--before", "2024-01-01", "-o", str(target), *extra)
        assert result.exit_code == 1
        assert "exists and is not a matcher store; refusing to replace it. Give another -o." in result.output
        assert "--force" not in result.output
    assert target.read_text() == "name: Ehang\n"


def test_list_says_one_organisation(tiny):
    result = invoke("list", "--country", "DE", "--profiles", str(tiny))
    assert result.exit_code == 0
    assert result.output.splitlines()[-1] == "1 organisation"


def test_existing_partners_are_marked_and_new_only_leaves_them_out():
    """Gomselmash lists Zongshen and its joint venture as partners: both marked, both gone with --new-only."""
    import json

    from matcher.paths import bundled

    args = ("match", "--org", "Gomselmash", "--profiles", str(bundled("profiles")), "--format", "json")
    data = json.loads(invoke(*args).output)
    relations = {m["name"]: m["relation"] for m in data["matches"]}
    assert relations["Zongshen"] == "partner" and relations["Zongshen-Gomselmash"] == "partner"
    assert all(r is None for name, r in relations.items() if name not in ("Zongshen", "Zongshen-Gomselmash"))
    text = invoke(*args[:-2]).output
    assert "Zongshen (CN, company) — score" in text and "· already partners" in text
    new = json.loads(invoke(*args, "--new-only").output)
    assert {"Zongshen", "Zongshen-Gomselmash"}.isdisjoint(m["name"] for m in new["matches"])


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


def test_sector_filter_matches_word_forms():
    from matcher.paths import bundled

    result = invoke("list", "--sector", "Drone", "--profiles", str(bundled("profiles")), "--format", "csv")
    assert result.exit_code == 0
    assert [line.split(",")[0] for line in result.output.splitlines()[1:]] == ["Ehang"]


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


def test_match_is_compact_and_fits_80_columns():
    from matcher.output.text import render_matches
    from matcher.paths import bundled
    from matcher.workspace import open_workspace

    matcher = open_workspace(bundled("profiles")).matcher
    result = matcher.match("Gomselmash", top=5)
    compact, detail = render_matches(result, width=80), render_matches(result, detail=True, width=80)
    assert max(len(line) for line in compact.splitlines()) <= 80
    assert max(len(line) for line in detail.splitlines()) <= 80
    assert compact.count("needs “") == len(result.matches)  # one pair per partner
    assert detail.count("needs “") > compact.count("needs “")
    assert "as reported: “" in detail and "as reported" not in compact


def test_snippet_is_centred_on_the_matched_words():
    from matcher.text.layout import snippet

    quote = "A long introduction that says nothing in particular about anything, " * 3 + "then laser mapping at last."
    cut = snippet(quote, ["laser"], 60)
    assert "laser mapping" in cut and cut.startswith("…") and len(cut) <= 60
    assert snippet("short quote", ["laser"], 60) == "short quote"


def test_a_quote_is_credited_to_its_speaker(tmp_path):
    import shutil

    from matcher.paths import bundled

    shutil.copytree(bundled("seeds"), tmp_path / "seeds")
    quote = "Our cooperation will mostly focus on industry applications, namely pipeline inspection"
    write_profile(
        tmp_path / "p",
        "a",
        name="A",
        country="CN",
        kind="company",
        needs=["pipeline inspection"],
        sources=[{"article": "000_601ee1cda363bd9a.txt", "quote": quote, "speaker": "Hu Huazhi, Ehang"}],
    )
    write_profile(tmp_path / "p", "b", name="B", country="RU", kind="company", capabilities=["pipeline inspection"])
    result = invoke("match", "--org", "A", "--detail", "--profiles", str(tmp_path / "p"))
    assert result.exit_code == 0, result.output
    assert "need (said by Hu Huazhi, Ehang): “Our cooperation" in " ".join(result.output.split())


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


def test_a_joint_venture_is_marked_related_even_unlisted(tmp_path):
    """Neither lists the other as a partner, but the venture's name holds the parent's: related, and left
    out by --new-only."""
    import json

    folder = tmp_path / "p"
    write_profile(
        folder,
        "volat",
        name="Volat",
        country="BY",
        kind="company",
        capabilities=["heavy truck chassis"],
        needs=["hydraulic axles"],
    )
    write_profile(
        folder,
        "jv",
        name="Sanjiang-Volat",
        country="CN",
        kind="company",
        capabilities=["hydraulic axles"],
        needs=["heavy truck chassis"],
    )
    write_profile(folder, "other", name="Truckworks", country="CN", kind="company", capabilities=["hydraulic axles"])
    data = json.loads(invoke("match", "--org", "Volat", "--profiles", str(folder), "--format", "json").output)
    assert {m["name"]: m["relation"] for m in data["matches"]} == {"Sanjiang-Volat": "related", "Truckworks": None}
    new = json.loads(
        invoke("match", "--org", "Volat", "--new-only", "--profiles", str(folder), "--format", "json").output
    )
    assert [m["name"] for m in new["matches"]] == ["Truckworks"]
    assert "· related organisation" in invoke("match", "--org", "Volat", "--profiles", str(folder)).output
