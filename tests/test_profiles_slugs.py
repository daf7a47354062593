"""File names from names in any script: transliterated, readable, unique in the folder."""

import pytest
from click.testing import CliRunner

from matcher.cli import cli
from matcher.profiles.slugs import slugify, unique_slug


@pytest.mark.parametrize(
    "name, slug",
    [
        ("Уральский центр лазерных технологий", "uralskiy-tsentr-lazernykh-tekhnologiy"),
        ("Сибирский институт оптики", "sibirskiy-institut-optiki"),
        ("Дзяржаўны ўніверсітэт", "dzyarzhauny-universitet"),  # Belarusian ў and і
        ("华为", "huawei"),
        ("重庆", "chongqing"),  # read as a word: not "zhongqing"
        ("广州亿航智能技术有限公司 (EHang)", "guangzhou-yihang-zhineng-jishu-youxiangongsi-ehang"),
        ("Győri Műegyetem", "gyori-muegyetem"),  # Hungarian accents folded
        ("Café Ölmühle GmbH", "cafe-olmuhle-gmbh"),
        ("China-Hungary Technology Transfer Center", "china-hungary-technology-transfer-center"),
        ("Ελληνικό Ινστιτούτο", "elliniko-institoyto"),
        ("CON", "con-org"),  # a name Windows will not give a file
        ("!!!", "profile"),
    ],
)
def test_slugify_any_script(name, slug):
    assert slugify(name) == slug


def test_long_names_are_cut_at_a_word():
    slug = slugify("Научно-производственное объединение " * 6)
    assert len(slug) <= 80 and not slug.endswith("-") and slug.startswith("nauchno-proizvodstvennoe-obedinenie")


def test_unique_slug_counts_files_of_any_profile_suffix_and_those_about_to_be_written(tmp_path):
    (tmp_path / "volga.yaml").write_text("")
    (tmp_path / "volga-2.YML").write_text("")
    assert unique_slug("Volga", tmp_path) == "volga-3"
    assert unique_slug("Volga", tmp_path, taken={"volga-3"}) == "volga-4"
    assert unique_slug("Volga", tmp_path / "missing") == "volga"


def _new(folder, name):
    args = ["new", "--name", name, "--country", "RU", "--kind", "company", "--need", "x", "--profiles", str(folder)]
    return CliRunner().invoke(cli, args, catch_exceptions=False)


@pytest.mark.parametrize(
    "first, second, files",
    [
        (
            "Уральский центр лазерных технологий",
            "Сибирский институт оптики",
            ["sibirskiy-institut-optiki.yaml", "uralskiy-tsentr-lazernykh-tekhnologiy.yaml"],
        ),
        ("重庆大学", "华为技术有限公司", ["chongqingdaxue.yaml", "huaweijishuyouxiangongsi.yaml"]),
        ("Café", "Cafe!", ["cafe-2.yaml", "cafe.yaml"]),  # two names, one spelling: the second gets -2
    ],
)
def test_new_writes_two_names_in_one_script_to_two_files(tmp_path, first, second, files):
    folder = tmp_path / "profiles"
    for name in (first, second):
        result = _new(folder, name)
        assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == files
    assert CliRunner().invoke(cli, ["validate", str(folder)]).exit_code == 0
