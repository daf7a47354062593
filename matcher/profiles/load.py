"""Load organisation profiles from YAML files and validate them, reporting every problem with its line."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Problem, ProfileError
from .model import Profile, Source
from .schema import check_fields, describe

MAX_FILE_BYTES = 256 * 1024
"""A profile is a page of text; anything bigger is almost certainly not a profile."""

PROFILE_SUFFIXES = (".yaml", ".yml")

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


def yaml_problem(path: Path, exc: yaml.YAMLError) -> Problem:
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

    loader = yaml_loader()(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        raise ProfileError([yaml_problem(path, exc)]) from None
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


def raw_sources(path: Path) -> Profile | None:
    """The well-formed entries of a profile file's ``sources`` even when the file as a whole is invalid
    (``validate`` checks them too, so that one missing quote does not hide another source's problems): a
    Profile holding only them, with their lines, or None where the file has no such list. Entries that
    are not an article and a quote are left as empty sources (the loader reports them)."""
    import yaml

    try:
        loader = yaml_loader()(read_text(path))
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
    return Profile("", "", "other", sources=sources, path=str(path), lines=NodeLines(root).lines())
