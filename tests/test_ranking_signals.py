"""Need rankings in a store: each signal worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from matcher.errors import MatcherError
from matcher.explanations.matching import Matcher
from matcher.index.build import build_index
from matcher.index.model import Index
from matcher.profiles.model import Profile
from matcher.ranking.signals import Need, signals, statement_similarity

R = 1 / math.sqrt(2)


def _index(profiles, **kw) -> Index:
    return build_index(profiles, weighting="bm25", min_df=1, documents=True, **kw)


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


def test_a_model_with_a_signal_this_version_lacks_is_refused_not_misread(small):
    small.model = {"weights": {"text": 1.0, "closest": 1.0, "hunch": 2.0}}
    with pytest.raises(MatcherError, match=r"\(hunch\).*another version.*import-cordis"):
        Matcher(small).match_need("hydrogen")
    small.model = {"weights": {"text": 1.0, "kind:unicorn": 1.0}}
    with pytest.raises(MatcherError, match="kind:unicorn"):
        Matcher(small).match_need("hydrogen")
