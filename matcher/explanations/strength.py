"""How much a match can be trusted: strong, moderate or weak, from its evidence.

A match is **weak** when nothing specific supports it: every term it shares is generic (common in general
text, ``background.GENERIC_FREQUENCY``: "built", "maker", "industry", "russian") and no need meets a
capability closely in meaning. It is **strong** when specific evidence supports both directions, or one
direction with a score of at least ``STRONG_SCORE``; else **moderate**.
"""

from __future__ import annotations

from .directions import Direction

STRENGTHS = ("strong", "moderate", "weak")
STRONG_SCORE = 0.05
"""On the bundled profiles the plausible one-sided matches score 0.05 and more, generic ones under 0.03."""


def specific(d: Direction) -> bool:
    """True when a direction rests on at least one specific shared term or one pair close in meaning
    (above its need's noise level, ``semantic.stand_out``)."""
    return d.defined and (any(not t.generic for t in d.terms) or any(p.close for p in d.semantic_pairs))


def strength(score: float, forward: Direction, backward: Direction) -> str:
    """``strong``, ``moderate`` or ``weak`` (see the module's docstring)."""
    f, b = specific(forward), specific(backward)
    if not (f or b):
        return "weak"
    if (f and b) or score >= STRONG_SCORE:
        return "strong"
    return "moderate"
