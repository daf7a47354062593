"""The multilingual signal: meanings across words and languages, and its explanation."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from matcher.cli import cli
from matcher.ranking import meaning as semantic
from matcher.workspace import open_workspace

needs_extra = pytest.mark.skipif(not semantic.available(), reason="needs pip install '.[multilingual]'")


@pytest.fixture
def multilingual(write_profile, tmp_path):
    """An English drone maker and a fish farm, and a Russian, a Chinese and a Hungarian profile.

    - Tomsk (Russian) offers laser mapping and gas-leak detection and needs drones: the same needs, in
      other words and another language, as the drone maker offers (no word in common);
    - Shenzhen Drones (Chinese) offers drone platforms;
    - Debrecen Farm (Hungarian) needs drones too, and offers fish farming in Hungarian.
    """
    folder = tmp_path / "profiles"
    write_profile(
        folder,
        "skyworks",
        name="Skyworks",
        country="CN",
        kind="company",
        capabilities=["UAV platforms and multirotor drones for industrial inspection"],
        needs=["laser mapping and modelling technology", "gas leak detection sensors"],
    )
    write_profile(
        folder,
        "fishco",
        name="Fishco",
        country="NO",
        kind="company",
        capabilities=["salmon fish farming and aquaculture feed"],
        needs=["buyers of frozen seafood"],
    )
    write_profile(
        folder,
        "tomsk",
        name="Tomsk Institute",
        country="RU",
        kind="research-institute",
        capabilities=["лазерное картографирование и трёхмерное моделирование", "обнаружение утечек газа"],
        needs=["беспилотные летательные аппараты для промышленной инспекции"],
    )
    write_profile(
        folder,
        "shenzhen",
        name="Shenzhen Drones",
        country="CN",
        kind="company",
        capabilities=["工业无人机平台和多旋翼无人机"],
        needs=["激光测绘技术"],
    )
    write_profile(
        folder,
        "debrecen",
        name="Debrecen Farm",
        country="HU",
        kind="company",
        language="hu",
        capabilities=["halgazdálkodás és haltenyésztés"],
        needs=["drónok a mezőgazdasági területek megfigyelésére"],
    )
    return folder


def semantic_combined(f, b, m):
    from matcher.ranking.score import combine

    return combine(f, b, m.forward is not None, m.backward is not None, weights=False)[0]


def test_chinese_profiles_match_on_segmented_words(write_profile, multilingual):
    """Without the extra, a Chinese need meets a Chinese capability through jieba's words; across
    languages nothing is shared."""
    write_profile(multilingual, "wuhan", name="Wuhan Survey", country="CN", kind="company", needs=["无人机平台"])
    matcher = open_workspace(multilingual).matcher
    top = matcher.match("Wuhan Survey").matches[0]
    assert top.name == "Shenzhen Drones"
    assert {t.term for t in top.explanation.forward.terms} >= {"无人机", "平台", "无人机 平台"}
    assert matcher.explain("Shenzhen Drones", "Skyworks").explanation.forward.pairs == []


@needs_extra
def test_russian_profile_finds_the_english_drone_maker(multilingual):
    """No shared word, yet the Russian institute's best partner is the drone maker, through meaning."""
    matcher = open_workspace(multilingual, semantic=True).matcher
    result = matcher.match("Tomsk Institute", top=3)
    assert result.matches[0].name == "Skyworks"
    forward = result.matches[0].explanation.forward
    assert forward.pairs == [] and forward.semantic_pairs
    pair = forward.semantic_pairs[0]
    assert pair.need_language == "ru" and pair.capability_language == "en"
    assert pair.need.startswith("беспилотные")


@needs_extra
def test_hungarian_and_chinese_profiles_meet_their_english_partners(multilingual):
    matcher = open_workspace(multilingual, semantic=True).matcher
    assert matcher.match("Debrecen Farm", top=1).matches[0].name in ("Skyworks", "Shenzhen Drones")
    names = [m.name for m in matcher.match("Shenzhen Drones", top=2).matches]
    assert "Fishco" not in names and ("Skyworks" in names or "Tomsk Institute" in names)


@needs_extra
def test_explanation_parts_add_up_with_the_meaning_signal(multilingual):
    """A direction's score is its shared terms' pairs plus its meaning pairs; the shares add up to 1."""
    matcher = open_workspace(multilingual, semantic=True).matcher
    for a, b in (("Tomsk Institute", "Skyworks"), ("Skyworks", "Tomsk Institute"), ("Debrecen Farm", "Skyworks")):
        m = matcher.explain(a, b)
        for d in (m.explanation.forward, m.explanation.backward):
            if not d.defined or d.score == 0:
                continue
            parts = sum(p.contribution for p in d.pairs) + sum(p.contribution for p in d.semantic_pairs)
            assert parts == pytest.approx(d.score)
            assert sum(p.share for p in d.pairs) + sum(p.share for p in d.semantic_pairs) == pytest.approx(1.0)
        f, b = m.forward or 0.0, m.backward or 0.0
        assert m.score == pytest.approx(float(semantic_combined(f, b, m)))


@needs_extra
def test_same_topic_across_languages_beats_other_topics_within_one():
    """Calibrated, "laser mapping" in Russian is closer to it in English than to another English topic."""
    cache = semantic.EmbeddingCache(None)
    centre = semantic.centroids(cache)
    texts = ["laser mapping of pipelines", "лазерное картографирование трубопроводов", "salmon fish farming"]
    v = semantic.calibrate(cache.embed(texts), ["en", "ru", "en"], centre)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2
    assert semantic.similarity(np.array([v[0] @ v[2]]))[0] == 0.0  # other topic: below the floor


@needs_extra
def test_embeddings_are_cached_and_the_cli_ranks_by_meaning(multilingual, monkeypatch):
    """The second run embeds nothing; `match` shows the meaning pair in the statements' own languages."""
    monkeypatch.setenv("MATCHER_SEMANTIC", "1")
    runner = CliRunner()
    first = runner.invoke(cli, ["match", "--org", "Tomsk Institute", "--profiles", str(multilingual)])
    assert first.exit_code == 0, first.output
    assert " 1. Skyworks" in first.output
    # compact: the strongest pair, here Skyworks' need for gas-leak sensors met by the Russian offer
    assert "— Tomsk Institute offers “обнаружение утечек газа”" in first.output
    assert "close in meaning [en ~ ru]" in first.output
    detail = runner.invoke(cli, ["match", "--org", "Tomsk Institute", "--detail", "--profiles", str(multilingual)])
    assert "[ru]" in detail.output and "~ “UAV platforms" in detail.output
    from matcher.index.store import cache_folder

    cache = semantic.EmbeddingCache(cache_folder(multilingual) / "embeddings.npz")
    index = open_workspace(multilingual).matcher.index
    assert semantic.Semantic.pending(index, cache.path) == 0
    assert len(cache.vectors) >= len(index.stmt_org)


def test_without_the_extra_match_says_so_once(multilingual, monkeypatch):
    monkeypatch.delenv("MATCHER_SEMANTIC")
    monkeypatch.setattr(semantic, "available", lambda: False)
    runner = CliRunner()
    args = ["match", "--org", "Skyworks", "--profiles", str(multilingual)]
    first, second = runner.invoke(cli, args), runner.invoke(cli, args)
    assert first.exit_code == 0 and second.exit_code == 0
    assert "pip install 'matcher[multilingual]'" in first.stderr
    assert "multilingual" not in second.stderr
    required = runner.invoke(cli, [*args, "--semantic"])
    assert required.exit_code == 1
    assert "Error: Matching by meaning needs the multilingual extra" in required.stderr
