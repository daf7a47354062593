"""Countries as profiles hold them (ISO 3166-1 alpha-2 codes), read from a code or an English name, and the fix
to suggest for one matcher does not know: the same for a YAML file, ``matcher new``, the ``--country`` filters
and a spreadsheet's cells (pycountry's tables)."""

from __future__ import annotations

import re

_COUNTRY_NAMES = {
    "uk": "GB",
    "britain": "GB",
    "great britain": "GB",
    "england": "GB",
    "el": "GR",
    "turkey": "TR",
    "ivory coast": "CI",
}
"""Names and codes people write that pycountry's tables do not hold (EU usage: UK, EL)."""


def country_code(value: str) -> str | None:
    """An ISO 3166-1 alpha-2 code for a code (``RU``, ``RUS``) or an English name (``Russia``, ``Viet Nam``),
    or None where the name is unknown or could be several countries."""
    import pycountry  # 60 ms: only where a country is given

    text = value.strip()
    if not text:
        return None
    if text.casefold() in _COUNTRY_NAMES:
        return _COUNTRY_NAMES[text.casefold()]
    try:
        return pycountry.countries.lookup(text).alpha_2
    except LookupError:
        pass
    if len(text) <= 3:  # an unknown code: a fuzzy search finds countries by the letters of their subdivisions
        return None
    try:
        found = pycountry.countries.search_fuzzy(text)
    except LookupError:
        return None
    wanted = text.casefold()

    def opens(name: str) -> bool:  # "Russia" opens "Russian Federation", "Iran" "Iran, Islamic Republic of"
        first = re.split(r"[\s,(]+", name.casefold(), maxsplit=1)[0]
        return first.startswith(wanted) and len(first) - len(wanted) <= 2 or name.casefold().startswith(wanted + " ")

    starts = [c for c in found if any(opens(getattr(c, a, "")) for a in ("name", "common_name", "official_name"))]
    return starts[0].alpha_2 if len(starts) == 1 else None


def country_fix(text: str, *, names: bool = False) -> str:
    """How to write a country matcher does not know: its code where the name is clear, the countries it may
    be, else a code (or, where ``names`` are read too, as on the command line and in tables, a name)."""
    import pycountry

    code = country_code(text)
    if code is not None:
        return f"use {code!r} for {pycountry.countries.get(alpha_2=code).name}"
    found = []
    if len(text.strip()) > 3:
        try:
            found = pycountry.countries.search_fuzzy(text.strip())
        except LookupError:
            found = []
    if found:
        return "it could be " + " or ".join(f"{c.alpha_2} ({c.name})" for c in found[:3]) + ": write its code"
    if names:
        return "write its ISO 3166-1 code (e.g. RU) or its English name (e.g. Russia)"
    return "write its ISO 3166-1 alpha-2 code (e.g. RU, CN, HU)"
