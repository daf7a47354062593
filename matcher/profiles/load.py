"""Load organisation profiles from YAML files and validate them, reporting every problem with its line."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DUPLICATE_NAME, Problem, ProfileError, UnreadableFile
from ..paths import read_limited
from .model import Profile, Source
from .schema import check_fields, describe

MAX_FILE_BYTES = 256 * 1024
"""A profile is a page of text; anything bigger is almost certainly not a profile."""
MAX_EXPANDED = 4 * MAX_FILE_BYTES
"""Characters a profile's YAML may hold once its aliases (``*name``) are followed: a few repeated lines pass,
while 233 KB of aliases of aliases (a "billion laughs") expanded to gigabytes and killed the process."""

PROFILE_SUFFIXES = (".yaml", ".yml")
TABLE_SUFFIXES = (".csv", ".tsv", ".xlsx", ".xls", ".ods")
"""Files ``matcher import-table`` reads, which ``validate`` given one points to."""

if TYPE_CHECKING:
    import yaml  # imported where profiles are parsed: a query on a cached index reads no YAML


def yaml_loader() -> type:
    """PyYAML's C safe loader, ten times faster than its Python one; both never run code."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class NodeLines:
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


def duplicate_keys(path: Path, node: yaml.Node | None, prefix: str = "") -> list[Problem]:
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
            problems += duplicate_keys(path, v, name)
    elif isinstance(node, yaml.SequenceNode) and prefix.startswith("sources"):
        for i, item in enumerate(node.value):
            problems += duplicate_keys(path, item, f"{prefix}[{i}]")
    return problems


def read_text(path: Path, max_bytes: int = MAX_FILE_BYTES) -> str:
    """Read a small UTF-8 text file, refusing huge, binary or non-UTF-8 files, and anything but a regular
    file (a link to ``/dev/zero``, a named pipe), without reading them whole (``paths.read_limited``)."""
    try:
        data = read_limited(path, max_bytes, what="profile")
    except UnreadableFile as exc:
        hint = {
            "size": "a profile is a page of text: check that this is the right file",
            "kind": "remove it from the profiles folder",
        }.get(exc.reason, exc.hint)
        raise ProfileError([Problem(path, exc.message, hint=hint)]) from None
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


def yaml_problem(path: Path, exc: yaml.YAMLError, text: str = "") -> Problem:
    """One line for a YAML error: where, what, and the fix (``text``, the file's, tells a tab from other
    characters where libyaml's message does not)."""
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
    hint = "check indentation and quoting; text with ':' or '#' must be in quotes"
    lines = text.splitlines()
    tabbed = line is not None and 0 < line <= len(lines) and "\t" in lines[line - 1]
    if "tab character" in what or "'\\t'" in what or (tabbed and "cannot start any token" in what):
        hint = "indent with spaces: YAML does not allow tabs there"
    return Problem(path, message, line, hint=hint)


class _Expands(Exception):
    """A YAML document whose aliases expand past MAX_EXPANDED, or refer to themselves."""


def expanded_size(root: yaml.Node | None, limit: int = MAX_EXPANDED) -> int:
    """Characters (and nodes) of a composed YAML document as constructing it would repeat them, aliases
    followed: each node is sized once, so a bomb of aliases of aliases costs no more than its file. Raises
    ``_Expands`` past ``limit``, or where an alias refers to a node that holds it."""
    import yaml

    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise _Expands("an alias refers to the list or mapping that holds it")
        open_nodes.add(key)
        if isinstance(node, yaml.MappingNode):
            n = 1 + sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            n = 1 + sum(size(item) for item in node.value)
        else:
            n = 1 + len(node.value)
        open_nodes.discard(key)
        if n > limit:
            raise _Expands(f"its aliases (*name) repeat it to more than {limit:,} characters")
        sizes[key] = n
        return n

    return size(root) if root is not None else 0


def check_expansion(path: Path, root: yaml.Node | None) -> None:
    """Raise a ProfileError where the YAML document ``root`` expands past MAX_EXPANDED (``expanded_size``)."""
    try:
        expanded_size(root)
    except _Expands as exc:
        hint = "write the text out; a profile needs no aliases (&name, *name)"
        raise ProfileError([Problem(path, f"YAML: {exc}", hint=hint)]) from None
    except RecursionError:
        raise ProfileError([Problem(path, "is nested too deeply to be a profile")]) from None


def compose(text: str, path: Path) -> tuple[yaml.Node | None, Any]:
    """The node tree and the data of one YAML document, checked to expand within MAX_EXPANDED before it is
    constructed; a YAML error or a bomb of aliases becomes a ProfileError."""
    import yaml

    loader = yaml_loader()(text)
    try:
        root = loader.get_single_node()
        check_expansion(path, root)
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        raise ProfileError([yaml_problem(path, exc, text)]) from None
    except RecursionError:
        raise ProfileError([Problem(path, "is nested too deeply to be a profile")]) from None
    finally:
        loader.dispose()
    return root, data


def parse_profile(text: str, path: Path | str = "<string>") -> Profile:
    """Parse and validate one profile's YAML text; raise ProfileError listing every problem."""
    path = Path(path)
    root, data = compose(text, path)
    if data is None:
        raise ProfileError([Problem(path, "is empty", 1, hint="write at least name, country, kind and a statement")])
    if not isinstance(data, dict):
        raise ProfileError(
            [
                Problem(
                    path,
                    f"must be a mapping of keys (name:, country:, ...), not {describe(data)}",
                    root.start_mark.line + 1,
                    hint="start the file with 'name: ...'",
                )
            ]
        )
    nodes = NodeLines(root)
    problems = duplicate_keys(path, root)
    model, invalid = check_fields(data, path, nodes)
    if invalid:
        problems += invalid
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
        sources=tuple(Source(s.article, s.quote, s.speaker, s.about) for s in model.sources),
        language=model.language,
        path=str(path),
        lines=nodes.lines(),
    )


def load_profile(path: Path | str) -> Profile:
    """Load and validate one profile file."""
    path = Path(path)
    if path.suffix.lower() in TABLE_SUFFIXES:
        raise ProfileError(
            [Problem(path, "is a table, not a profile", hint=f"bring its rows in with: matcher import-table {path}")]
        )
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
                        "names and aliases must be unique (ignoring case): keep one file (rename the other to end"
                        " in .off and it is no longer read), give each its own name, or merge the two",
                        related=Path(other.path) if other.path else None,
                        code=DUPLICATE_NAME,
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


def raw_sources(path: Path) -> Profile | None:
    """The well-formed entries of a profile file's ``sources`` even when the file as a whole is invalid
    (``validate`` checks them too, so that one missing quote does not hide another source's problems): a
    Profile holding only them, with their lines, or None where the file has no such list. Entries that
    are not an article and a quote are left as empty sources (the loader reports them)."""
    try:
        root, data = compose(read_text(path), path)
    except ProfileError:
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
    return Profile("", "", "other", sources=sources, path=str(path), lines=NodeLines(root).lines())
