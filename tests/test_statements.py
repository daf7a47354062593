"""Statement-level similarity and country affinity of need ranking, on profiles small enough to work by hand.

Every capability below is two words that no other capability uses, except "hydrogen" where stated, so each
statement document is a pair of equal weights: (1/sqrt 2, 1/sqrt 2) over its two words.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from matcher.errors import MatcherError
from matcher.explanations.matching import Matcher
from matcher.index.build import build_index
from matcher.index.model import Index
from matcher.index.store import load_index, save_index
from matcher.profiles.model import Profile
from matcher.ranking.signals import Need, signals, statement_similarity

R = 1 / math.sqrt(2)


def _index(profiles, **kw) -> Index:
    return build_index(profiles, weighting="bm25", min_df=1, documents=True, **kw)


@pytest.fixture
def small() -> Index:
    return _index(
        [
            Profile("Xeno", "DE", "company", capabilities=("hydrogen storage", "battery recycling")),
            Profile("Ypsilon", "FR", "company", capabilities=("hydrogen storage",)),  # the same text: one document
            # a need is no capability: Zeta seeks hydrogen storage, it does not offer it
            Profile("Zeta", "IT", "company", capabilities=("solar panels",), needs=("hydrogen storage",)),
        ]
    )


def test_documents_are_distinct_texts_on_single_words(small):
    docs = small.docs
    assert docs.vectors.shape[0] == 3  # "hydrogen storage" is one document for both organisations
    assert all(" " not in small.terms[t] for t in docs.vectors.indices)  # word pairs carry no weight
    np.testing.assert_allclose(docs.vectors.data, R, rtol=1e-6)
    # Xeno's two documents share no word: the norm of their sum is sqrt 2
    np.testing.assert_allclose(docs.norms, [math.sqrt(2), 1.0, 1.0])


def test_closest_and_together_by_hand(small):
    closest, together = statement_similarity(small, small.doc_vector("hydrogen"))
    # "hydrogen" meets "hydrogen storage" at cos 1/sqrt 2, and nothing else
    np.testing.assert_allclose(closest, [R, R, 0.0], rtol=1e-6)
    np.testing.assert_allclose(together, [R / math.sqrt(2), R, 0.0], rtol=1e-6)  # Xeno's other record dilutes it
    closest, together = statement_similarity(small, small.doc_vector("hydrogen battery"))
    # the need is (R, R) over two words: cos 1/2 with each of Xeno's records, 1/2 with Ypsilon's
    np.testing.assert_allclose(closest, [1.0, 0.5, 0.0], rtol=1e-6)
    np.testing.assert_allclose(together, [1.0 / math.sqrt(2), 0.5, 0.0], rtol=1e-6)


def test_closest_counts_the_three_best_statements_only():
    caps = ("hydrogen alpha", "hydrogen beta", "hydrogen gamma", "hydrogen delta")
    index = _index(
        [
            Profile("Wide", "DE", "company", capabilities=caps),
            Profile("Other", "FR", "company", capabilities=("solar panels",)),
        ]
    )
    idf_h, idf_w = math.log(6 / 5) + 1, math.log(6 / 2) + 1  # 5 documents: "hydrogen" in 4, each other word in 1
    cos = idf_h / math.hypot(idf_h, idf_w)  # the need "hydrogen" against each of Wide's records
    closest, together = statement_similarity(index, index.doc_vector("hydrogen"))
    assert closest[0] == pytest.approx(3 * cos)
    # the sum of Wide's four record vectors: 4 idf_h on "hydrogen", idf_w on each other word, over one norm
    summed = math.sqrt(16 * idf_h**2 + 4 * idf_w**2) / math.hypot(idf_h, idf_w)
    assert together[0] == pytest.approx(4 * cos / summed)
    assert closest[1] == together[1] == 0.0


def test_explanation_terms_add_up_to_each_statement_signal(small):
    small.model = {"weights": {"text": 1.0, "closest": 2.0, "together": 3.0}}
    m = Matcher(small).match_need("hydrogen battery", top=1).matches[0]
    assert m.name == "Xeno"
    shares = {s.signal: s for s in m.explanation.signals}
    assert shares["closest"].contribution == pytest.approx(2.0 * 1.0)
    assert shares["together"].contribution == pytest.approx(3.0 / math.sqrt(2))
    for name in ("closest", "together"):
        s = shares[name]
        assert sum(t.contribution for t in s.terms) == pytest.approx(s.contribution)
        assert {t.term for t in s.terms} == {"hydrogen", "battery"}
    assert (
        "“hydrogen storage” 0.50" in shares["closest"].detail and "“battery recycling” 0.50" in shares["closest"].detail
    )
    assert sum(s.contribution for s in m.explanation.signals) == pytest.approx(m.score)


def test_documents_survive_the_store(small, tmp_path):
    save_index(small, tmp_path / "store")
    loaded, _ = load_index(tmp_path / "store")
    for text in ("hydrogen", "battery recycling"):
        got = statement_similarity(loaded, loaded.doc_vector(text))
        want = statement_similarity(small, small.doc_vector(text))
        np.testing.assert_array_equal(got, want)


def test_a_model_that_needs_documents_on_an_index_without_them_says_so():
    index = build_index([Profile("Xeno", "DE", "company", capabilities=("hydrogen storage",))], weighting="bm25")
    assert index.docs is None
    index.model = {"weights": {"text": 1.0, "closest": 1.0}}
    with pytest.raises(MatcherError, match="import-cordis .* --force"):
        Matcher(index).match_need("hydrogen")


def test_country_affinity_by_hand():
    # Alpha (DE) worked with Beta and Gamma (FR); Delta (IT) with nobody
    index = _index(
        [
            Profile("Alpha", "DE", "company", capabilities=("hydrogen storage",), partners=("Beta", "Gamma")),
            Profile("Beta", "FR", "company", capabilities=("battery recycling",)),
            Profile("Gamma", "FR", "company", capabilities=("solar panels",)),
            Profile("Delta", "IT", "company", capabilities=("wind blades",)),
        ]
    )
    codes, country_of, lift = index.country_lift
    assert list(codes) == ["DE", "FR", "IT"] and list(country_of) == [0, 1, 1, 2]
    # DE-FR joint work counted both ways: pairs DE->FR 2, FR->DE 2; add-one smoothing over 3 countries
    given_de = np.array([0 + 1, 2 + 1, 0 + 1]) / (2 + 3)
    overall = np.array([2 + 1, 2 + 1, 0 + 1]) / (4 + 3)
    np.testing.assert_allclose(lift[0], given_de / overall)
    sig, _ = signals(index, Need("hydrogen", seeker=0), index.transform("hydrogen"), ["country_affinity"])
    np.testing.assert_allclose(sig["country_affinity"], np.log1p((given_de / overall)[[0, 1, 1, 2]]))
    unknown, _ = signals(index, Need("hydrogen", country="JP"), index.transform("hydrogen"), ["country_affinity"])
    assert not unknown["country_affinity"].any()  # a country with no joint work on record: no evidence either way


def test_documents_do_not_depend_on_the_organisation_weighting(small):
    tfidf = build_index(small.profiles, weighting="tfidf", min_df=1, documents=True)
    for name in ("vectors", "postings"):
        a, b = getattr(tfidf.docs, name), getattr(small.docs, name)
        np.testing.assert_array_equal(a.indptr, b.indptr)
        np.testing.assert_array_equal(a.indices, b.indices)
        np.testing.assert_allclose(a.data, b.data, rtol=1e-6)
    np.testing.assert_allclose(tfidf.docs.norms, small.docs.norms)


def test_documents_of_texts_without_a_content_word():
    index = _index([Profile("Empty", "DE", "company", capabilities=("the and of",))])
    assert index.docs.vectors.shape == (1, 0)
    closest, together = statement_similarity(index, index.doc_vector("hydrogen"))
    assert closest.tolist() == [0.0] and together.tolist() == [0.0]


@pytest.fixture
def consortium() -> Index:
    """Seeker worked with Pal on "hydrogen storage" and with Quill on "battery recycling"; Rook holds the
    same "hydrogen storage" text but never worked with Seeker; Tern is in Seeker's city."""
    return _index(
        [
            Profile(
                "Seeker",
                "DE",
                "university",
                capabilities=("hydrogen storage", "battery recycling"),
                partners=("Pal", "Quill"),
                city="Berlin",
            ),
            Profile("Pal", "FR", "company", capabilities=("hydrogen storage", "wind blades")),
            Profile("Quill", "IT", "company", capabilities=("battery recycling",)),
            Profile("Rook", "ES", "company", capabilities=("hydrogen storage",)),
            Profile("Tern", "DE", "company", capabilities=("solar panels",), city=" berlin "),
            Profile("Umber", "US", "company", capabilities=("solar cells",), city="Berlin"),  # Berlin, New Hampshire
        ]
    )


def test_past_close_is_the_best_project_shared_with_the_seeker(consortium):
    names = ["past_close", "same_city"]
    sig, _ = signals(consortium, Need("hydrogen", seeker=0), consortium.transform("hydrogen"), names)
    # "hydrogen" meets "hydrogen storage" at 1/sqrt 2; Rook has the text but no joint work with Seeker
    np.testing.assert_allclose(sig["past_close"], [0.0, R, 0.0, 0.0, 0.0, 0.0], rtol=1e-6)
    need = "hydrogen battery"  # cos 1/2 with each of the two shared projects
    sig, _ = signals(consortium, Need(need, seeker=0), consortium.transform(need), names)
    np.testing.assert_allclose(sig["past_close"], [0.0, 0.5, 0.5, 0.0, 0.0, 0.0], rtol=1e-6)
    # the same city within the same country, whatever the case and spacing
    assert sig["same_city"].tolist() == [0.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    none, _ = signals(consortium, Need(need), consortium.transform(need), names)
    assert not none["past_close"].any() and not none["same_city"].any()  # no seeker: no evidence either way


def test_past_close_explains_the_shared_project_and_its_terms(consortium, tmp_path):
    consortium.model = {"weights": {"text": 1.0, "past_close": 2.0, "same_city": 0.5}}
    save_index(consortium, tmp_path / "store")
    for index in (consortium, load_index(tmp_path / "store")[0]):
        matches = Matcher(index).match_need("hydrogen", org="Seeker", top=5).matches
        assert matches[0].name == "Pal"
        shares = {s.signal: s for s in matches[0].explanation.signals}
        s = shares["past_close"]
        assert s.contribution == pytest.approx(2.0 * R)
        assert s.detail == "“hydrogen storage” 0.71"
        assert sum(t.contribution for t in s.terms) == pytest.approx(s.contribution)
        assert [t.term for t in s.terms] == ["hydrogen"]
        tern = next(m for m in matches if m.name == "Tern")
        city = {s.signal: s for s in tern.explanation.signals}["same_city"]
        assert (city.contribution, city.detail, city.label) == (0.5, " berlin ", "same city as the seeker")
        assert sum(x.contribution for x in matches[0].explanation.signals) == pytest.approx(matches[0].score)


def test_a_model_with_a_signal_this_version_lacks_is_refused_not_misread(small):
    small.model = {"weights": {"text": 1.0, "closest": 1.0, "hunch": 2.0}}
    with pytest.raises(MatcherError, match=r"\(hunch\).*another version.*import-cordis"):
        Matcher(small).match_need("hydrogen")
    small.model = {"weights": {"text": 1.0, "kind:unicorn": 1.0}}
    with pytest.raises(MatcherError, match="kind:unicorn"):
        Matcher(small).match_need("hydrogen")
