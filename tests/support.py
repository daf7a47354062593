"""What several test modules share: the scoring engines to run a test under, and hypothesis strategies for
small sets of profiles over a ten-word vocabulary, so that terms meet often and every score is easy to reason
about."""

from __future__ import annotations

import pytest
from hypothesis import strategies as st

from matcher.profiles.model import Profile

try:
    import numba  # noqa: F401

    HAS_NUMBA = True
except ImportError:
    HAS_NUMBA = False

needs_numba = pytest.mark.skipif(not HAS_NUMBA, reason="numba is not installed (no wheel for this platform)")

ENGINES = [pytest.param(False, id="numpy"), pytest.param(True, id="compiled", marks=needs_numba)]

SYMMETRY_WORDS = ["laser", "drone", "battery", "grain", "harvest", "cloud", "network", "sensor", "rocket", "engine"]

statement = st.lists(st.sampled_from(SYMMETRY_WORDS), min_size=1, max_size=5).map(" ".join)


@st.composite
def profile_sets(draw):
    """2 to 6 profiles, each with up to 3 capabilities and needs (at least one statement)."""
    n = draw(st.integers(2, 6))
    out = []
    for i in range(n):
        caps = draw(st.lists(statement, max_size=3))
        needs = draw(st.lists(statement, min_size=0 if caps else 1, max_size=3))
        out.append(Profile(name=f"Org{i}", country="CN", kind="company", capabilities=tuple(caps), needs=tuple(needs)))
    return out


ARTICLE = "Volga Lasers in the news\nVolga Lasers scans   pipelines from the air.\n"
"""A seed article with a title line and a sentence whose spacing a quote need not copy."""
