"""The seed articles profiles quote: where each was published (seeds/sources.yaml, else its first line), whose
words each quote is, and whether it is really in its article; --strict fails on a quote that is not."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from matcher.cli import cli
from matcher.errors import ProfileError, UnbackedQuotes
from matcher.index.catalog import open_catalog
from matcher.profiles.articles import articles_in, quote_problems
from matcher.profiles.load import load_folder, parse_profile

from .support import ARTICLE

ROOT = Path(__file__).resolve().parents[1]


def test_a_source_says_whose_words_and_about_what():
    text = (
        "name: A\ncountry: CN\nkind: company\nneeds: [x]\nsources:\n- article: a.txt\n  quote: Q\n"
        "  speaker: Hunter Zhang (vice president, Ehang)\n  about: Russia\n"
    )
    src = parse_profile(text).sources[0]
    assert (src.speaker, src.about) == ("Hunter Zhang (vice president, Ehang)", "Russia")
    with pytest.raises(ProfileError, match=r"sources\[0\].concerns: unknown key — allowed keys are article, quote"):
        parse_profile(text.replace("about:", "concerns:"))


def test_an_article_is_known_by_its_entry_else_by_its_first_line(tmp_path):
    (tmp_path / "a.txt").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "b.txt").write_text("\n  " + "Long title " * 30 + "\nbody\n", encoding="utf-8")
    (tmp_path / "sources.yaml").write_text("articles:\n  b.txt:\n    outlet: CGTN\n    date: 2018-09-15\n")
    articles = articles_in(tmp_path)
    assert articles.problems == []
    assert articles.info("a.txt").title == "Volga Lasers in the news"
    assert articles.info("b.txt").outlet == "CGTN" and articles.info("b.txt").date == "2018-09-15"
    assert articles.holds("a.txt", "Volga Lasers scans pipelines\nfrom the air.") is True  # spacing aside
    assert articles.holds("a.txt", "Volga Lasers builds rockets.") is False
    assert articles.holds("missing.txt", "x") is None and articles.info("missing.txt").title is None
    assert articles.holds("../a.txt", "x") is None  # a plain file name in the folder, never a path
    assert articles_in(None).info("a.txt").title is None


def test_a_long_first_line_is_cut_at_a_word(tmp_path):
    (tmp_path / "a.txt").write_text("word " * 100, encoding="utf-8")
    title = articles_in(tmp_path).info("a.txt").title
    assert len(title) <= 160 and title.endswith("word…")


def test_sources_yaml_problems_are_reported_by_validate(quoted, tmp_path):
    folder = quoted("Volga Lasers scans pipelines from the air.")
    (tmp_path / "seeds" / "sources.yaml").write_text(
        "articles:\n  a.txt:\n    title: News\n    date: 15.09.2018\n    publisher: X\n  gone.txt:\n    title: Gone\n"
    )
    result = CliRunner().invoke(cli, ["validate", str(folder)])
    seeds = (tmp_path / "seeds" / "sources.yaml").resolve()
    assert f"{seeds}:4: articles.a.txt.date: '15.09.2018' is not a date — write the date as published" in result.output
    assert f"{seeds}:5: articles.a.txt.publisher: unknown key — allowed keys are title" in result.output
    assert f"{seeds}:6: articles.gone.txt: 'gone.txt' is not an article in" in result.output
    assert result.exit_code == 1


def test_a_sources_yaml_without_articles(tmp_path):
    (tmp_path / "sources.yaml").write_text("- a.txt\n")
    assert [str(p) for p in articles_in(tmp_path).problems] == [
        f"{tmp_path / 'sources.yaml'}:1: articles: has no 'articles:' mapping — write 'articles:' and under it one"
        " 'FILE.txt:' with title, outlet and date for each article"
    ]


def test_a_quote_not_in_its_article_fails_strict_and_only_strict(quoted):
    folder = quoted("Volga Lasers builds rockets.")
    assert [p.field for p in quote_problems(load_folder(folder).profiles)] == ["sources[0].quote"]
    with pytest.raises(UnbackedQuotes, match="1 profile file"):
        open_catalog(folder, strict=True)
    open_catalog(folder)  # cached now: strict still checks the quotes
    with pytest.raises(UnbackedQuotes):
        open_catalog(folder, strict=True)

    args = ["match", "--org", "Sky Drones", "--profiles", str(folder)]
    assert CliRunner().invoke(cli, args).exit_code == 0
    result = CliRunner().invoke(cli, [*args, "--strict"])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {folder / 'volga.yaml'}:8: sources[0].quote: quote does not occur in a.txt — copy the text from the"
        " article word for word (line breaks and spacing may differ)\n"
        "Error: 1 profile file(s) quote text that is not in the article cited (--strict). Copy each quote from its"
        " article word for word; without --strict those statements are shown without their quotes, flagged.\n"
    )


def test_quotes_in_their_articles_pass_strict(quoted):
    folder = quoted("Volga Lasers scans pipelines from the air.")
    assert quote_problems(load_folder(folder).profiles) == []
    assert open_catalog(folder, strict=True).index.profiles


def test_bundled_articles_are_all_described():
    articles = articles_in(ROOT / "seeds")
    assert articles.problems == []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        info = articles.info(path.name)
        assert path.name in articles.listed and info.title, path.name
        assert (info.outlet and info.date) or info.note, path.name  # what is unknown is said so


def test_bundled_quotes_are_all_in_their_articles():
    assert quote_problems(load_folder(ROOT / "profiles").profiles) == []


def test_bundled_speakers_are_named_in_their_articles():
    for profile in load_folder(ROOT / "profiles").profiles:
        for src in profile.sources:
            if src.speaker and not src.speaker.startswith(("unnamed", "the ")):
                name = src.speaker.split(" (")[0]
                text = (ROOT / "seeds" / src.article).read_text(encoding="utf-8")
                assert name.casefold() in " ".join(text.split()).casefold(), (profile.name, name)
