"""Which language a statement is in: English, Russian, Hungarian or Chinese, declared or detected.

The script decides most of it: Han characters are Chinese and Cyrillic words Russian whatever the
statement's language, so the only open question is which stemmer the *Latin* words of a statement get. A
statement in plain ASCII is English; one with other Latin letters (á, ő, ű, ...) is asked of py3langid's
model, restricted to English and Hungarian. A profile's ``language:`` key overrides the detection.
"""

from __future__ import annotations

import re
from functools import lru_cache

LANGUAGES = {"en": "English", "ru": "Russian", "hu": "Hungarian", "zh": "Chinese"}
"""The languages matcher stems, segments and calibrates, by ISO 639-1 code."""

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN_LETTER = re.compile(r"[^\W\d_]", re.ASCII)


@lru_cache(maxsize=1)
def _identifier():
    """py3langid's model, restricted to the two Latin-script languages matcher knows (1 s to load: the
    first non-ASCII Latin statement pays it)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)
    ident.set_languages(["en", "hu"])
    return ident


@lru_cache(maxsize=65_536)
def detect(text: str) -> str:
    """The language of one statement: ``zh``, ``ru``, ``hu`` or ``en``."""
    han = len(HAN.findall(text))
    cyrillic = len(CYRILLIC.findall(text))
    latin = len(_LATIN_LETTER.findall(text))
    if han and han >= cyrillic and han * 3 >= latin:  # a Han character carries about a word
        return "zh"
    if cyrillic and cyrillic >= latin:
        return "ru"
    if text.isascii():
        return "en"
    return _identifier().classify(text)[0]


def check_language(value: str) -> str | None:
    """``value`` as a language code matcher knows, or None."""
    code = value.strip().lower()
    return code if code in LANGUAGES else None


def language_hint(value: str) -> str:
    """How to write a language a person named another way ("Russian", "RU", "magyar")."""
    names = {name.lower(): code for code, name in LANGUAGES.items()}
    names.update({"magyar": "hu", "русский": "ru", "中文": "zh", "chinese": "zh", "mandarin": "zh"})
    code = names.get(value.strip().lower())
    known = ", ".join(f"{c} ({n})" for c, n in LANGUAGES.items())
    if code:
        return f"use {code!r}"
    return f"use one of {known}"
