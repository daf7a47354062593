"""File names from organisation names in any script: Latin letters, transliterated, unique in a folder.

Chinese is written in Hanyu Pinyin (pypinyin, which reads a character by the words around it: 重庆 is
"chongqing", not "zhongqing"), one word to a run of syllables as jieba segments it; every other script
(Cyrillic, Greek, accented Latin such as Hungarian ő and ű) goes through anyascii's tables, so
"Уральский центр" is "uralskiy-tsentr" and "Győri Műegyetem" is "gyori-muegyetem".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from pathlib import Path

from ..text.languages import HAN

MAX_SLUG = 80
FALLBACK = "profile"
_HAN_RUN = re.compile(f"(?:{HAN.pattern})+")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_RESERVED = frozenset("con prn aux nul com1 com2 com3 com4 com5 com6 com7 com8 com9 lpt1 lpt2 lpt3".split())
"""Names Windows will not give a file, whatever the suffix."""


def _pinyin(run: str) -> str:
    """A run of Han characters as pinyin words: 重庆大学 -> ``chongqing daxue``."""
    import jieba
    from pypinyin import Style, lazy_pinyin

    jieba.setLogLevel(60)
    return " ".join("".join(lazy_pinyin(word, style=Style.NORMAL)) for word in jieba.lcut(run))


def romanize(text: str) -> str:
    """``text`` in ASCII letters: pinyin for Chinese, anyascii's transliteration for any other script."""
    from anyascii import anyascii

    if HAN.search(text):
        text = _HAN_RUN.sub(lambda m: f" {_pinyin(m.group())} ", text)
    return anyascii(unicodedata.normalize("NFC", text))


def slugify(name: str) -> str:
    """A file name for an organisation, in lower-case ASCII: ``China-Hungary Centre`` ->
    ``china-hungary-centre``, ``Уральский центр`` -> ``uralskiy-tsentr``, ``重庆大学`` -> ``chongqing-daxue``.
    Apostrophes vanish rather than split a word (``Ural'skiy``), and a long name is cut at a word."""
    ascii_name = romanize(name).lower().replace("'", "")
    slug = _NOT_SLUG.sub("-", ascii_name).strip("-")
    if len(slug) > MAX_SLUG:
        slug = slug[: MAX_SLUG + 1].rsplit("-", 1)[0] if "-" in slug[:MAX_SLUG] else slug[:MAX_SLUG]
    if slug in _RESERVED:
        slug += "-org"
    return slug or FALLBACK


def unique_slug(name: str, folder: Path | None, taken: Collection[str] = ()) -> str:
    """``slugify(name)``, with ``-2``, ``-3``... added where ``folder`` already has a profile file of that
    name (``.yaml`` or ``.yml``, ignoring case) or ``taken`` holds it (the slugs of files about to be written)."""
    base = slugify(name)
    used = {t.casefold() for t in taken}
    if folder is not None and Path(folder).is_dir():
        used |= {p.stem.casefold() for p in Path(folder).iterdir() if p.suffix.lower() in (".yaml", ".yml")}
    n, slug = 1, base
    while slug in used:
        n += 1
        slug = f"{base}-{n}"
    return slug
