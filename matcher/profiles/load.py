"""Load organisation profiles from YAML files and validate them, reporting every problem with its line."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from ..errors import Problem, ProfileError

KINDS = (
    "company",
    "research-institute",
    "university",
    "public-body",
    "transfer-office",
    "industrial-park",
    "association",
    "other",
)
MAX_FILE_BYTES = 256 * 1024
"""A profile is a page of text; anything bigger is almost certainly not a profile."""

PROFILE_SUFFIXES = (".yaml", ".yml")

if TYPE_CHECKING:
    import yaml  # imported where profiles are parsed: a query on a cached index reads no YAML


def _loader() -> type:
    """PyYAML's C safe loader, ten times faster than its Python one; both never run code."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Source:
    """A verbatim quote from an article in the seeds folder that backs a profile."""

    article: str
    quote: str
    speaker: str | None = None  # who said it, where not the organisation itself ("Li Lifan, Shanghai Academy")


@dataclass(frozen=True)
class Profile:
    """What one organisation offers and seeks, as written in its profile file."""

    name: str
    country: str
    kind: str
    capabilities: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    city: str | None = None
    sectors: tuple[str, ...] = ()
    summary: str | None = None
    partners: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()
    language: str | None = None  # ISO 639-1 code of its statements; None: detected per statement
    path: str | None = field(default=None, compare=False)
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False, hash=False)

    @property
    def names(self) -> tuple[str, ...]:
        """The name followed by every alias."""
        return (self.name, *self.aliases)

    def line_of(self, field_path: str) -> int | None:
        """The line in the profile file where a field (e.g. ``sources[0].quote``) is written."""
        return self.lines.get(field_path)


# --------------------------------------------------------------------------- validation model

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

    from ..text.languages import check_language

    code = check_language(value)
    if code is None:
        raise PydanticCustomError("language", "'{value}' is not a language matcher reads", {"value": value})
    return code


def _check_statement(value: str) -> str:
    from pydantic_core import PydanticCustomError

    text = " ".join(value.split())
    if not text:
        raise PydanticCustomError("empty", "is empty", {})
    return text


def _models():
    """Build the pydantic models on first use: importing pydantic is only needed to validate files."""
    global _MODELS
    if _MODELS is not None:
        return _MODELS
    from pydantic import AfterValidator, BaseModel, ConfigDict, StrictStr, model_validator
    from pydantic_core import PydanticCustomError

    Text = Annotated[StrictStr, AfterValidator(_check_statement)]
    Country = Annotated[StrictStr, AfterValidator(_check_country)]
    Language = Annotated[StrictStr, AfterValidator(_check_language)]

    class _Strict(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    class SourceModel(_Strict):
        article: Text
        quote: Text
        speaker: Text | None = None

    class ProfileModel(_Strict):
        name: Text
        aliases: list[Text] = []
        country: Country
        city: Text | None = None
        kind: Literal[KINDS]  # type: ignore[valid-type]
        sectors: list[Text] = []
        summary: Text | None = None
        capabilities: list[Text] = []
        needs: list[Text] = []
        partners: list[Text] = []
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
PROFILE_KEYS = (
    "name",
    "aliases",
    "country",
    "city",
    "kind",
    "sectors",
    "summary",
    "capabilities",
    "needs",
    "partners",
    "sources",
    "language",
)
SOURCE_KEYS = ("article", "quote", "speaker")


def _field_path(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if value is None:
        return "nothing"
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    return f"{type(value).__name__} {value!r}"


def _country_hint(value: Any) -> str:
    if isinstance(value, str):
        known = {"UK": "GB", "EL": "GR", "ENGLAND": "GB", "BRITAIN": "GB"}
        if value.strip().upper() in known:
            return f"use {known[value.strip().upper()]!r}"
        import pycountry

        try:
            found = pycountry.countries.search_fuzzy(value.strip())
        except LookupError:
            found = []
        if found:
            return f"use {found[0].alpha_2!r} for {found[0].name}"
    return _FIELD_HINTS["country"]


def _problem_from_error(path: Path, err: dict, nodes: _NodeIndex) -> Problem:
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
        if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
            hint = 'put the value in quotes, e.g. country: "NO"' if last == "country" else "put it in quotes"
        return Problem(path, f"expected text, got {_describe(value)}", line, fpath, hint)
    if kind == "list_type":
        return Problem(
            path,
            f"expected a list, got {_describe(value)}",
            line,
            fpath,
            "write one '- item' per line, or [item one, item two]",
        )
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        hint = "write 'article: FILE' and 'quote: \"...\"' under '- '" if "sources" in loc else "write key: value pairs"
        return Problem(path, f"expected a mapping, got {_describe(value)}", line, fpath, hint)
    if kind == "literal_error":
        close = difflib.get_close_matches(str(value), KINDS, n=1, cutoff=0.5)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return Problem(path, f"{value!r} is not a known kind", line, fpath, hint + "use one of " + ", ".join(KINDS))
    if kind == "country":
        return Problem(path, err["msg"], line, fpath, _country_hint(value))
    if kind == "language":
        from ..text.languages import language_hint

        return Problem(path, err["msg"], line, fpath, language_hint(str(value)))
    if kind == "empty":
        return Problem(path, "is empty", line, fpath, "write a statement or remove the line")
    if kind == "no_statements":
        return Problem(
            path,
            "the profile has no capabilities and no needs",
            1,
            "capabilities",
            "add at least one statement under 'capabilities:' or 'needs:'",
        )
    return Problem(path, err["msg"], line, fpath)  # pragma: no cover - any other pydantic error


class _NodeIndex:
    """Maps field paths of a parsed YAML document to their line numbers (1-based)."""

    def __init__(self, root: yaml.Node | None):
        self.root = root

    def _walk(self, loc: Sequence[Any]) -> tuple[yaml.Node | None, yaml.Node | None]:
        import yaml

        node, key_node = self.root, None
        for part in loc:
            if isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    if k.value == part:
                        node, key_node = v, k
                        break
                else:
                    return node, None
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                node, key_node = node.value[part], None
            else:
                return node, None
        return node, key_node

    def value_line(self, loc: Sequence[Any]) -> int | None:
        node, _ = self._walk(loc)
        return node.start_mark.line + 1 if node is not None else None

    def key_line(self, loc: Sequence[Any]) -> int | None:
        node, key = self._walk(loc)
        target = key or node
        return target.start_mark.line + 1 if target is not None else None

    def lines(self) -> dict[str, int]:
        """Line of every field and list item, keyed like ``capabilities[2]``."""
        import yaml

        out: dict[str, int] = {}

        def visit(node: yaml.Node, prefix: str, depth: int) -> None:
            if depth > 3:
                return
            if isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    if isinstance(k, yaml.ScalarNode):
                        name = f"{prefix}.{k.value}" if prefix else str(k.value)
                        out[name] = k.start_mark.line + 1
                        visit(v, name, depth + 1)
            elif isinstance(node, yaml.SequenceNode):
                for i, item in enumerate(node.value):
                    out[f"{prefix}[{i}]"] = item.start_mark.line + 1
                    visit(item, f"{prefix}[{i}]", depth + 1)

        if self.root is not None:
            visit(self.root, "", 0)
        return out


def _duplicate_keys(path: Path, node: yaml.Node | None, prefix: str = "") -> list[Problem]:
    """YAML silently keeps the last of two equal keys; a profile author always means something else."""
    import yaml

    problems: list[Problem] = []
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for k, v in node.value:
            key = str(k.value)
            name = f"{prefix}.{key}" if prefix else key
            if key in seen:
                problems.append(
                    Problem(
                        path,
                        f"key appears twice (first on line {seen[key]})",
                        k.start_mark.line + 1,
                        name,
                        "merge the two into one",
                    )
                )
            else:
                seen[key] = k.start_mark.line + 1
            problems += _duplicate_keys(path, v, name)
    elif isinstance(node, yaml.SequenceNode) and prefix.startswith("sources"):
        for i, item in enumerate(node.value):
            problems += _duplicate_keys(path, item, f"{prefix}[{i}]")
    return problems


def read_text(path: Path, max_bytes: int = MAX_FILE_BYTES) -> str:
    """Read a small UTF-8 text file, refusing huge, binary or non-UTF-8 files without reading them whole."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ProfileError(
                [
                    Problem(
                        path,
                        f"file is {size:,} bytes, more than the {max_bytes:,} a profile may have",
                        hint="a profile is a page of text: check that this is the right file",
                    )
                ]
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ProfileError([Problem(path, f"cannot be read: {exc.strerror or exc}")]) from None
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise ProfileError(
            [Problem(path, "is a binary file, not YAML text", line, hint="remove it from the profiles folder")]
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ProfileError(
            [
                Problem(
                    path,
                    f"is not valid UTF-8 (byte 0x{data[exc.start]:02x})",
                    line,
                    hint="save the file with UTF-8 encoding",
                )
            ]
        ) from None


def _yaml_problem(path: Path, exc: yaml.YAMLError) -> Problem:
    import yaml

    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    if isinstance(exc, yaml.constructor.ConstructorError) and "tag" in str(exc.problem):
        tag = re.search(r"'([^']+)'", str(exc.problem))
        shown = tag.group(1).replace("tag:yaml.org,2002:", "!!") if tag else "?"
        return Problem(
            path,
            f"YAML tag {shown} is not allowed",
            line,
            hint="profiles hold plain text, lists and mappings only: remove the tag",
        )
    what = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    if context and context_mark is not None and context_mark.line + 1 != line:
        context += f" started on line {context_mark.line + 1}"
    message = f"YAML syntax error: {what}" + (f" ({context})" if context else "")
    return Problem(
        path,
        message,
        line,
        hint="check indentation and quoting; text with ':' or '#' must be in quotes",
    )


def parse_profile(text: str, path: Path | str = "<string>") -> Profile:
    """Parse and validate one profile's YAML text; raise ProfileError listing every problem."""
    path = Path(path)
    import yaml

    loader = _loader()(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        raise ProfileError([_yaml_problem(path, exc)]) from None
    except RecursionError:
        raise ProfileError([Problem(path, "is nested too deeply to be a profile")]) from None
    finally:
        loader.dispose()
    if data is None:
        raise ProfileError([Problem(path, "is empty", 1, hint="write at least name, country, kind and a statement")])
    if not isinstance(data, dict):
        raise ProfileError(
            [
                Problem(
                    path,
                    f"must be a mapping of keys (name:, country:, ...), not {_describe(data)}",
                    root.start_mark.line + 1,
                    hint="start the file with 'name: ...'",
                )
            ]
        )
    nodes = _NodeIndex(root)
    problems = _duplicate_keys(path, root)
    ProfileModel, _ = _models()
    from pydantic import ValidationError

    try:
        model = ProfileModel.model_validate(data)
    except ValidationError as exc:
        problems += [_problem_from_error(path, e, nodes) for e in exc.errors()]
        problems.sort(key=lambda p: p.line or 0)
    if problems:
        raise ProfileError(problems)
    return Profile(
        name=model.name,
        country=model.country,
        kind=model.kind,
        capabilities=tuple(model.capabilities),
        needs=tuple(model.needs),
        aliases=tuple(model.aliases),
        city=model.city,
        sectors=tuple(model.sectors),
        summary=model.summary,
        partners=tuple(model.partners),
        sources=tuple(Source(s.article, s.quote, s.speaker) for s in model.sources),
        language=model.language,
        path=str(path),
        lines=nodes.lines(),
    )


def load_profile(path: Path | str) -> Profile:
    """Load and validate one profile file."""
    path = Path(path)
    return parse_profile(read_text(path), path)


def profile_files(folder: Path) -> list[Path]:
    """The profile files of a folder, in a stable order (hidden files are skipped)."""
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in PROFILE_SUFFIXES and not p.name.startswith("."))


@dataclass
class LoadResult:
    """The profiles that loaded, and the problems of those that did not."""

    profiles: list[Profile]
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def load_files(paths: Iterable[Path]) -> LoadResult:
    """Load many profile files; a bad file becomes problems, never an exception, and never hides the others."""
    profiles: list[Profile] = []
    problems: list[Problem] = []
    owner: dict[str, Profile] = {}
    for path in paths:
        try:
            profile = load_profile(path)
        except ProfileError as exc:
            problems += exc.problems
            continue
        clashes = []
        for i, name in enumerate(profile.names):
            other = owner.get(name.casefold())
            if other is not None:
                field_name = "name" if i == 0 else f"aliases[{i - 1}]"
                k = [n.casefold() for n in other.names].index(name.casefold())
                other_line = other.line_of("name" if k == 0 else f"aliases[{k - 1}]")
                where = f"{other.path}" + (f":{other_line}" if other_line else "")
                clashes.append(
                    Problem(
                        Path(profile.path or path),
                        f"{name!r} is already used by {other.name!r} in {where}",
                        profile.line_of(field_name),
                        field_name,
                        "names and aliases must be unique (ignoring case): rename one, or merge the two files",
                        related=Path(other.path) if other.path else None,
                    )
                )
        if clashes:
            problems += clashes
            continue
        for name in profile.names:
            owner[name.casefold()] = profile
        profiles.append(profile)
    return LoadResult(profiles, problems)


def load_folder(folder: Path | str) -> LoadResult:
    """Load every profile file in a folder."""
    return load_files(profile_files(Path(folder)))


def normalise_space(text: str) -> str:
    """Collapse runs of whitespace so quotes can be compared across line breaks."""
    return " ".join(text.split())


def raw_sources(path: Path) -> Profile | None:
    """The well-formed entries of a profile file's ``sources`` even when the file as a whole is invalid
    (``validate`` checks them too, so that one missing quote does not hide another source's problems): a
    Profile holding only them, with their lines, or None where the file has no such list. Entries that
    are not an article and a quote are left as empty sources (the loader reports them)."""
    import yaml

    try:
        loader = _loader()(read_text(path))
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except (ProfileError, yaml.YAMLError, RecursionError):
        return None
    items = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return None
    sources = tuple(
        Source(item["article"], item["quote"])
        if isinstance(item, dict) and isinstance(item.get("article"), str) and isinstance(item.get("quote"), str)
        else Source("", "")
        for item in items
    )
    return Profile("", "", "other", sources=sources, path=str(path), lines=_NodeIndex(root).lines())


def check_sources(profile: Profile, seeds_dir: Path | None) -> list[Problem]:
    """Problems with a profile's sources: missing articles and quotes that are not in them verbatim
    (sources with an empty article are skipped: ``raw_sources`` leaves them for the loader to report)."""
    problems: list[Problem] = []
    path = Path(profile.path or "<profile>")
    cache: dict[str, str | None] = {}
    for i, src in enumerate(profile.sources):
        if not src.article:
            continue
        if src.article not in cache:
            article = (seeds_dir / src.article) if seeds_dir else None
            if article is None or not article.is_file() or Path(src.article).name != src.article:
                cache[src.article] = None
            else:
                cache[src.article] = normalise_space(article.read_text(encoding="utf-8", errors="replace"))
        body = cache[src.article]
        if body is None:
            problems.append(
                Problem(
                    path,
                    f"article {src.article!r} is not in {seeds_dir or 'the seeds folder'}",
                    profile.line_of(f"sources[{i}].article"),
                    f"sources[{i}].article",
                    "give the file name of an article in the seeds folder",
                )
            )
        elif normalise_space(src.quote) not in body:
            problems.append(
                Problem(
                    path,
                    f"quote does not occur in {src.article}",
                    profile.line_of(f"sources[{i}].quote"),
                    f"sources[{i}].quote",
                    "copy the text from the article word for word (line breaks and spacing may differ)",
                )
            )
    return problems
