"""The checks behind each field of a profile (pydantic, strict, unknown keys forbidden) and the messages they
give: what is wrong, on which line, and how to fix it."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from ..errors import Problem
from ..text.languages import check_language, language_hint
from ..text.layout import clip
from .countries import country_code, country_fix
from .model import KINDS, PROFILE_KEYS, SOURCE_KEYS

_FIELD_HINTS = {
    "name": "add 'name: Full Organisation Name'",
    "country": "add 'country: XX' with the ISO 3166-1 alpha-2 code, e.g. CN, RU, BY, HU",
    "kind": "add 'kind: ...', one of " + ", ".join(KINDS),
    "article": "give the file name of an article in the seeds folder",
    "quote": "copy the sentence from the article word for word",
}


def _check_country(value: str) -> str:
    import pycountry
    from pydantic_core import PydanticCustomError

    code = value.strip().upper()
    if len(code) == 2 and pycountry.countries.get(alpha_2=code) is not None:
        return code
    raise PydanticCustomError("country", "'{value}' is not an ISO 3166-1 alpha-2 country code", {"value": value})


def _check_language(value: str) -> str:
    from pydantic_core import PydanticCustomError

    code = check_language(value)
    if code is None:
        raise PydanticCustomError("language", "'{value}' is not a language matcher reads", {"value": value})
    return code


BIDI_CONTROLS = {
    "\u061c": "ARABIC LETTER MARK",
    "\u200e": "LEFT-TO-RIGHT MARK",
    "\u200f": "RIGHT-TO-LEFT MARK",
    "\u202a": "LEFT-TO-RIGHT EMBEDDING",
    "\u202b": "RIGHT-TO-LEFT EMBEDDING",
    "\u202c": "POP DIRECTIONAL FORMATTING",
    "\u202d": "LEFT-TO-RIGHT OVERRIDE",
    "\u202e": "RIGHT-TO-LEFT OVERRIDE",
    "\u2066": "LEFT-TO-RIGHT ISOLATE",
    "\u2067": "RIGHT-TO-LEFT ISOLATE",
    "\u2068": "FIRST STRONG ISOLATE",
    "\u2069": "POP DIRECTIONAL ISOLATE",
}
"""Invisible characters that reorder the text around them: in a name they can make one organisation's name
display as another's (and a file name or a ledger entry hide what it holds)."""


def _check_name(value: str) -> str:
    from pydantic_core import PydanticCustomError

    text = _check_statement(value)
    for ch in text:
        if ch in BIDI_CONTROLS:
            raise PydanticCustomError(
                "bidi",
                "holds the invisible direction control U+{code} ({what}), which can make a name display as another",
                {"code": f"{ord(ch):04X}", "what": BIDI_CONTROLS[ch]},
            )
    return text


MAX_STATEMENT_CHARS = 2_000
"""A statement (a capability, a need, a sector, a name) is a sentence or two; the longest bundled one is 136
characters. Longer text is a pasted document: it would be embedded and printed whole in every explanation."""
MAX_TEXT_CHARS = 10_000
"""A summary or a quote: a paragraph or a few."""


def _check_statement(value: str, limit: int = MAX_STATEMENT_CHARS) -> str:
    from pydantic_core import PydanticCustomError

    text = " ".join(value.split())
    if not text:
        raise PydanticCustomError("empty", "is empty", {})
    if len(text) > limit:
        raise PydanticCustomError("too_long", "is {size} characters long", {"size": f"{len(text):,}", "limit": limit})
    return text


def _check_long_text(value: str) -> str:
    return _check_statement(value, MAX_TEXT_CHARS)


def _models():
    """Build the pydantic models on first use: importing pydantic is only needed to validate files."""
    global _MODELS
    if _MODELS is not None:
        return _MODELS
    from pydantic import AfterValidator, BaseModel, ConfigDict, StrictStr, model_validator
    from pydantic_core import PydanticCustomError

    Text = Annotated[StrictStr, AfterValidator(_check_statement)]
    LongText = Annotated[StrictStr, AfterValidator(_check_long_text)]
    Name = Annotated[StrictStr, AfterValidator(_check_name)]
    Country = Annotated[StrictStr, AfterValidator(_check_country)]
    Language = Annotated[StrictStr, AfterValidator(_check_language)]

    class _Strict(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    class SourceModel(_Strict):
        article: Text
        quote: LongText
        speaker: Text | None = None
        about: Text | None = None

    class ProfileModel(_Strict):
        name: Name
        aliases: list[Name] = []
        country: Country
        city: Text | None = None
        kind: Literal[KINDS]  # type: ignore[valid-type]
        sectors: list[Text] = []
        summary: LongText | None = None
        capabilities: list[Text] = []
        needs: list[Text] = []
        partners: list[Name] = []
        sources: list[SourceModel] = []
        language: Language | None = None

        @model_validator(mode="after")
        def _has_statements(self):
            if not self.capabilities and not self.needs:
                raise PydanticCustomError("no_statements", "a profile needs at least one statement", {})
            return self

    _MODELS = (ProfileModel, SourceModel)
    return _MODELS


_MODELS = None


def _field_path(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if value is None:
        return "nothing"
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    return f"{type(value).__name__} {clip(repr(value), 60)}"


def country_hint(value: Any) -> str:
    """The fix for a country that is not a code: its code where the name is clear (``countries.country_fix``)."""
    return country_fix(value) if isinstance(value, str) and value.strip() else _FIELD_HINTS["country"]


def valid_country(value: str) -> str:
    """``value`` (a code, or an English name as a person types it on the command line or in the desk's filter)
    as an ISO 3166-1 alpha-2 code, upper case; else ValueError saying what is wrong and the fix."""
    code = country_code(value)
    if code is not None:
        return code
    raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code — {country_fix(value, names=True)}")


def problem_from_error(path: Path, err: dict, nodes) -> Problem:
    loc = tuple(err["loc"])
    kind = err["type"]
    fpath = _field_path(loc)
    value = err.get("input")
    last = loc[-1] if loc else None
    if kind == "extra_forbidden":
        allowed = SOURCE_KEYS if len(loc) > 1 else PROFILE_KEYS
        close = difflib.get_close_matches(str(last), allowed, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else "allowed keys are " + ", ".join(allowed)
        return Problem(path, "unknown key", nodes.key_line(loc), fpath, hint)
    if kind == "missing":
        return Problem(
            path,
            "required field is missing",
            nodes.value_line(loc[:-1]),
            fpath,
            _FIELD_HINTS.get(str(last), f"add '{last}:'"),
        )
    line = nodes.value_line(loc)
    if kind == "string_type":
        hint = "write it as text"
        if value is None:
            return Problem(
                path, "is empty", line, fpath, _FIELD_HINTS.get(str(last), f"write its value after '{last}:'")
            )
        if isinstance(value, bool) or isinstance(value, (int, float)):
            hint = 'put the value in quotes, e.g. country: "NO"' if last == "country" else "put it in quotes"
        return Problem(path, f"expected text, got {describe(value)}", line, fpath, hint)
    if kind == "list_type":
        return Problem(
            path,
            f"expected a list, got {describe(value)}",
            line,
            fpath,
            "write one '- item' per line, or [item one, item two]",
        )
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        hint = "write 'article: FILE' and 'quote: \"...\"' under '- '" if "sources" in loc else "write key: value pairs"
        return Problem(path, f"expected a mapping, got {describe(value)}", line, fpath, hint)
    if kind == "literal_error":
        close = difflib.get_close_matches(str(value), KINDS, n=1, cutoff=0.5)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return Problem(path, f"{value!r} is not a known kind", line, fpath, hint + "use one of " + ", ".join(KINDS))
    if kind == "country":
        return Problem(path, err["msg"], line, fpath, country_hint(value))
    if kind == "language":
        return Problem(path, err["msg"], line, fpath, language_hint(str(value)))
    if kind == "bidi":
        return Problem(path, err["msg"], line, fpath, "retype the name without it")
    if kind == "empty":
        hint = "write a statement or remove the line" if isinstance(loc[-1], int) else _FIELD_HINTS.get(str(last))
        return Problem(path, "is empty", line, fpath, hint or f"write its value after '{last}:'")
    if kind == "too_long":
        limit = err.get("ctx", {}).get("limit", MAX_STATEMENT_CHARS)
        what = "a statement is a sentence or two" if limit == MAX_STATEMENT_CHARS else "this is a paragraph or a few"
        return Problem(
            path,
            err["msg"],
            line,
            fpath,
            f"{what} (at most {limit:,} characters): shorten it, or split it into several",
        )
    if kind == "no_statements":
        return Problem(
            path,
            "the profile has no capabilities and no needs",
            1,
            "capabilities",
            "add at least one statement under 'capabilities:' or 'needs:'",
        )
    return Problem(path, err["msg"], line, fpath)  # pragma: no cover - any other pydantic error


def check_fields(data: dict, path: Path, nodes) -> tuple[Any, list[Problem]]:
    """Validate a profile's mapping: ``(model, [])``, or ``(None, problems)`` with their lines (``nodes``:
    ``load.NodeLines`` of the file)."""
    from pydantic import ValidationError

    ProfileModel, _ = _models()
    try:
        return ProfileModel.model_validate(data), []
    except ValidationError as exc:
        return None, [problem_from_error(path, e, nodes) for e in exc.errors()]
