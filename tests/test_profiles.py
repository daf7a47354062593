"""Profiles: every bundled profile loads and quotes its article verbatim; no YAML input crashes the loader."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.errors import ProfileError
from matcher.paths import bundled
from matcher.profiles.articles import check_sources, normalise_space
from matcher.profiles.load import load_folder, parse_profile

ROOT = Path(__file__).resolve().parents[1]

PROFILES, SEEDS = ROOT / "profiles", ROOT / "seeds"


@pytest.fixture(scope="module")
def loaded():
    return load_folder(PROFILES)


VALID = """name: Good
country: CN
kind: company
capabilities:
  - laser scanning
needs: [drone platforms]
sources:
  - article: a.txt
    quote: "a quote"
"""

yaml_scalars = st.one_of(st.text(max_size=20), st.integers(), st.floats(allow_nan=False), st.booleans(), st.none())

yaml_values = st.recursive(
    yaml_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12,
)


@st.composite
def mutated(draw):
    """The valid profile with a few characters inserted, deleted or replaced."""
    text = VALID
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        ch = draw(st.sampled_from(list(":-[]{}!&*#'\"\n\t |>%@`") + ["!!python/object:os.system ", "\x00", "é"]))
        if op == "insert":
            text = text[:i] + ch + text[i:]
        elif op == "delete":
            text = text[:i] + text[i + 1 :]
        else:
            text = text[:i] + ch + text[i + 1 :]
    return text


def _parse_only_raises_profile_error(text):
    try:
        parse_profile(text, "fuzz.yaml")
    except ProfileError as exc:
        assert exc.problems and all(str(p).startswith("fuzz.yaml") for p in exc.problems)


def test_all_bundled_profiles_load(loaded):
    assert [str(p) for p in loaded.problems] == []
    assert len(loaded.profiles) >= 20


def test_every_quote_is_verbatim(loaded):
    problems = [str(p) for profile in loaded.profiles for p in check_sources(profile, SEEDS)]
    assert problems == []
    assert all(profile.sources for profile in loaded.profiles)


@pytest.mark.parametrize(
    "name",
    [
        "Ehang",
        "CASIC",
        "Huawei",
        "MTS",
        "Gomselmash",
        "Zongshen",
        "China-Hungary technology transfer centre",
        "Guangdong CIS International Alliance for Scientific and Technological Cooperation",
        "Russian Academy of Sciences",
        "Alibaba",
        "Alibaba Cloud",
        "Tencent",
        "Baidu",
        "Telecom Malaysia",
        "Sanjiang-Volat",
        "China-Belarus Great Stone Industrial Park",
    ],
)
def test_required_organisations_present(loaded, name):
    names = {n.casefold() for p in loaded.profiles for n in p.names}
    assert name.casefold() in names


def test_partnerships_are_quoted_and_resolve(loaded):
    data = yaml.safe_load((SEEDS / "partnerships.yaml").read_text(encoding="utf-8"))
    names = {n.casefold() for p in loaded.profiles for n in p.names}
    assert len(data["partnerships"]) >= 4
    for item in data["partnerships"]:
        assert all(n.casefold() in names for n in item["between"]), item["between"]
        body = normalise_space((SEEDS / item["article"]).read_text(encoding="utf-8"))
        assert normalise_space(item["quote"]) in body


def test_seed_articles_are_unchanged():
    shared = ROOT.parent / "shared" / "seeds"
    if not shared.is_dir():
        pytest.skip("../shared/seeds is not beside this checkout")
    for article in shared.glob("*.txt"):
        assert (SEEDS / article.name).read_bytes() == article.read_bytes()


def test_bundled_location_finds_the_profiles():
    assert sorted(p.name for p in bundled("profiles").glob("*.yaml")) == sorted(p.name for p in PROFILES.glob("*.yaml"))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_random_text(text):
    _parse_only_raises_profile_error(text)


@settings(max_examples=300, deadline=None)
@given(mutated())
def test_mutated_profile(text):
    _parse_only_raises_profile_error(text)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "name",
                "country",
                "kind",
                "needs",
                "capabilities",
                "sources",
                "aliases",
                "partners",
                "sectors",
                "city",
                "summary",
                "oops",
            ]
        ),
        yaml_values,
    )
)
def test_random_structures(data):
    import yaml

    _parse_only_raises_profile_error(yaml.safe_dump(data))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(mutated(), st.binary(max_size=100).map(lambda b: b.decode("latin-1"))))
def test_bad_neighbour_never_loses_the_good_profile(tmp_path, text):
    (tmp_path / "good.yaml").write_text(VALID, encoding="utf-8")
    (tmp_path / "other.yaml").write_text(text, encoding="utf-8", errors="surrogateescape")
    loaded = load_folder(tmp_path)
    assert "Good" in [p.name for p in loaded.profiles]  # good.yaml sorts first: it is never the one skipped
    assert len(loaded.profiles) + len({p.path for p in loaded.errors}) == 2


def test_language_key_is_validated(tmp_path):
    body = "name: X\ncountry: RU\nkind: company\nlanguage: Russian\ncapabilities: [лазеры]\n"
    with pytest.raises(ProfileError) as err:
        parse_profile(body, tmp_path / "x.yaml")
    assert str(err.value) == (
        f"{tmp_path / 'x.yaml'}:4: language: 'Russian' is not a language matcher reads — use 'ru'"
    )
    assert parse_profile(body.replace("Russian", "RU"), tmp_path / "x.yaml").language == "ru"


@pytest.mark.parametrize("field", ["name", "aliases", "partners"])
def test_a_direction_control_in_a_name_is_refused(tmp_path, field):
    """A right-to-left override can make one organisation's name display as another's: refused, with the fix."""
    evil = "Acme \u202eSGNIDLOH\u202c"
    value = evil if field == "name" else [evil]
    body = yaml.safe_dump({"name": "Good", "country": "RU", "kind": "company", "capabilities": ["lasers"]})
    data = yaml.safe_load(body)
    data[field] = value
    with pytest.raises(ProfileError) as err:
        parse_profile(yaml.safe_dump(data, allow_unicode=True), tmp_path / "x.yaml")
    message = str(err.value)
    assert "U+202E (RIGHT-TO-LEFT OVERRIDE)" in message and "retype the name without it" in message


@pytest.mark.parametrize(
    "text, message",
    [
        # a country code nobody has: no fuzzy guess from the letters of some subdivision's name
        (
            "name: A\ncountry: XX\nkind: company\nneeds: [x]\n",
            "2: country: 'XX' is not an ISO 3166-1 alpha-2 country"
            " code — write its ISO 3166-1 alpha-2 code (e.g. RU, CN, HU)",
        ),
        ("name: A\ncountry: Hungary\nkind: company\nneeds: [x]\n", "country code — use 'HU' for Hungary"),
        ("name:\ncountry: CN\nkind: company\nneeds: [x]\n", "1: name: is empty — add 'name: Full Organisation Name'"),
        (
            "name: A\ncountry: CN\nkind: company\nneeds:\n\t- x\n",
            "5: YAML syntax error: found character that cannot"
            " start any token (while scanning for the next token) — indent with spaces: YAML does not allow tabs there",
        ),
        (
            "name: A\ncountry: CN\nkind: company\nneeds: [" + "laser " * 400 + "]\n",
            "4: needs[0]: is 2,399"
            " characters long — a statement is a sentence or two (at most 2,000 characters): shorten it, or split it",
        ),
        (
            "name: A\ncountry: CN\nkind: company\nneeds: [x]\nsummary: " + "a " * 5001 + "\n",
            "5: summary: is 10,001 characters long — this is a paragraph or a few (at most 10,000 characters)",
        ),
    ],
)
def test_each_field_problem_says_what_to_write(tmp_path, text, message):
    path = tmp_path / "a.yaml"
    path.write_text(text)
    with pytest.raises(ProfileError) as err:
        parse_profile(text, path)
    assert message in str(err.value)


def test_a_file_that_is_not_a_mapping_is_quoted_in_part_only(tmp_path):
    """A profile that is a link to some other text file (a password file, a log) must not print it."""
    path = tmp_path / "link.yaml"
    secret = "root:x:0:0:root:/root:/bin/bash " * 100
    with pytest.raises(ProfileError) as err:
        parse_profile(secret, path)
    assert "must be a mapping of keys" in str(err.value) and len(str(err.value)) < 250


def test_a_table_given_to_validate_points_to_import_table(tmp_path):
    from matcher.profiles.load import load_profile

    path = tmp_path / "orgs.csv"
    path.write_text("name,country\nA,CN\n")
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    assert f"is a table, not a profile — bring its rows in with: matcher import-table {path}" in str(err.value)
