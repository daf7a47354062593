"""Text cut to fit a line or a column: ``clip``, ``snippet`` (around the words that matter) and ``wrap``."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable


def snippet(text: str, words: Iterable[str], width: int) -> str:
    """``text`` cut to ``width`` characters around the first of ``words`` it holds (ignoring case), each cut
    marked with an ellipsis; from the start where it holds none."""
    if len(text) <= width:
        return text
    lower = text.lower()
    found = [i for i in (lower.find(w.lower()) for w in words if w) if i >= 0]
    if not found or min(found) < width // 3:
        return clip(text, width)
    start = min(min(found) - width // 3, len(text) - width + 1)
    start = text.rfind(" ", 0, start) + 1 or start  # begin at a word
    return "…" + clip(text[start:], width - 1)


def wrap(text: str, width: int) -> str:
    """Every line of ``text`` wrapped to ``width`` columns, continuation lines indented two more than it."""
    out = []
    for line in text.split("\n"):
        indent = len(line) - len(line.lstrip(" "))
        if len(line) <= width or not line.strip():
            out.append(line)
            continue
        out += textwrap.wrap(
            line.strip(),
            width=max(width, indent + 20),
            initial_indent=" " * indent,
            subsequent_indent=" " * (indent + 2),
            break_on_hyphens=False,
        )
    return "\n".join(out)


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, the cut marked with an ellipsis."""
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and the noun, singular for one: ``count(1, "candidate")`` is "1 candidate", ``count(2, ...)``
    "2 candidates" (thousands separated)."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal: two for a wide (Chinese, Japanese, Korean) character, none for a
    combining mark, one for the rest."""
    import unicodedata

    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text
    )
