"""The bundled profiles and partnerships: complete, valid, and every quote verbatim in its article."""

from pathlib import Path

import pytest
import yaml

from matcher.paths import bundled
from matcher.profiles.load import load_folder
from matcher.profiles.validate import check_sources, normalise_space

ROOT = Path(__file__).resolve().parents[1]
PROFILES, SEEDS = ROOT / "profiles", ROOT / "seeds"


@pytest.fixture(scope="module")
def loaded():
    return load_folder(PROFILES)


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
