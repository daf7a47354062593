"""Words: tokens and stems per language, Chinese segmentation, generic words, text cut to fit."""

from __future__ import annotations

import pytest

from matcher.text.analyser import Analyzer, Text, default_stop_words
from matcher.text.languages import detect
from matcher.workspace import open_workspace


def analyzer() -> Analyzer:
    return Analyzer(stop_words=default_stop_words(), multilingual=True)


@pytest.mark.parametrize(
    "text, language",
    [
        ("laser mapping of pipelines", "en"),
        ("лазерное картографирование трубопроводов", "ru"),
        ("管道激光测绘", "zh"),
        ("csővezetékek lézeres térképezése", "hu"),
        ("5G网络设备", "zh"),
        ("naïve café logistics platform", "en"),
    ],
)
def test_detect_language(text, language):
    assert detect(text) == language


def test_russian_inflections_meet():
    """Russian words are stemmed in Russian: the nominative and the genitive plural give the same terms."""
    a = analyzer()
    assert a.stems("беспилотные летательные аппараты") == a.stems("беспилотных летательных аппаратов")


def test_hungarian_stemming_and_stop_words():
    a = analyzer()
    assert a.stems("drónok") == a.stems("drónokat")
    assert len(a.stems("halgazdálkodás és haltenyésztés")) == 2  # "és" (and) is a stop word


def test_chinese_is_segmented_into_words():
    """jieba splits a run of Han characters into words, and Latin words inside keep the English path."""
    terms = analyzer().stems("工业无人机平台和5G网络")
    assert "无人机" in terms and "平台" in terms and "5g" in terms
    assert "和" not in terms  # a stop word (and one character)


def test_declared_language_overrides_detection():
    """Without accents a Hungarian word reads as English; a profile's language: key says otherwise."""
    a = analyzer()
    assert a.stems(Text("dronokat", "hu")) == a.stems(Text("dronok", "hu"))
    assert a.stems("dronokat") != a.stems("dronok")


def test_ascii_text_is_analysed_as_before():
    """The multilingual analyser leaves English text exactly as the English-only one reads it."""
    text = "Laser mapping and modelling technologies for UAV pipeline inspection"
    assert analyzer()(text) == Analyzer(stop_words=default_stop_words())(text)


def test_background_weights_generic_words_down(write_profile, tmp_path):
    """Two terms in as many profiles: the generic word ("built") weighs less than the specific one ("laser")."""
    folder = tmp_path / "p"
    write_profile(folder, "a", name="A", country="CN", kind="company", capabilities=["laser systems built here"])
    write_profile(folder, "b", name="B", country="RU", kind="company", needs=["laser systems built elsewhere"])
    index = open_workspace(folder).matcher.index
    idf = dict(zip(index.terms, index.idf))
    assert idf["built"] < idf["laser"] - 1.0


def test_snippet_is_centred_on_the_matched_words():
    from matcher.text.layout import snippet

    quote = "A long introduction that says nothing in particular about anything, " * 3 + "then laser mapping at last."
    cut = snippet(quote, ["laser"], 60)
    assert "laser mapping" in cut and cut.startswith("…") and len(cut) <= 60
    assert snippet("short quote", ["laser"], 60) == "short quote"


@pytest.mark.parametrize(
    "value, escaped",
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Ehang", "Ehang"),
        (-0.5, -0.5),  # a number is written as a number
    ],
)
def test_formula_like_cells_are_escaped(value, escaped):
    from matcher.text.cells import escape_cell, unescape_cell

    assert escape_cell(value) == escaped
    if isinstance(value, str):
        assert unescape_cell(escape_cell(value)) == value
