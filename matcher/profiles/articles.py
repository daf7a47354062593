"""The seed articles that profiles quote: where each was published, and whether a quote is really in it.

A folder of articles may hold ``sources.yaml``, giving each article's title, outlet and date as published;
an article it does not list is known by its first line. Quotes are compared with the article's text as
``matcher validate`` compares them (runs of whitespace count as one space), so a quote that is not in its
article is never shown as evidence.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..errors import Problem, ProfileError, UnreadableFile
from ..paths import read_limited, seeds_for
from .load import check_expansion, load_profile, read_text, yaml_loader
from .model import Profile

SOURCES_FILE = "sources.yaml"
ARTICLE_KEYS = ("title", "outlet", "date", "url", "note")
MAX_ARTICLE_BYTES = 4 * 1024 * 1024
"""A news article is a few pages; a bigger file is not one (and is not read whole to look for a quote)."""
TITLE_CHARS = 160


@dataclass(frozen=True)
class Article:
    """Where one article was published; ``file`` is its name in the seeds folder (the link target)."""

    file: str
    title: str | None = None
    outlet: str | None = None
    date: str | None = None  # YYYY-MM-DD, as published
    url: str | None = None
    note: str | None = None  # how the above was found, where not printed in the article


@dataclass
class Articles:
    """The articles of one seeds folder, read on first use, and the problems of its ``sources.yaml``."""

    folder: Path | None
    listed: dict[str, Article] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    _texts: dict[str, str | None] = field(default_factory=dict, repr=False)
    _firsts: dict[str, Article] = field(default_factory=dict, repr=False)

    def path(self, file: str) -> Path | None:
        """The article's file, where ``file`` is a plain file name in the folder."""
        if self.folder is None or not file or Path(file).name != file:
            return None
        path = self.folder / file
        return path if path.is_file() else None

    def text(self, file: str) -> str | None:
        """The article's text with runs of whitespace as one space; None where there is no such article."""
        if file not in self._texts:
            path = self.path(file)
            try:
                self._texts[file] = normalise_space(read_text(path, MAX_ARTICLE_BYTES)) if path else None
            except ProfileError:
                self._texts[file] = None
        return self._texts[file]

    def info(self, file: str) -> Article:
        """What is known of where ``file`` was published: ``sources.yaml``'s entry, else its first line."""
        if file in self.listed:
            return self.listed[file]
        if file not in self._firsts:
            self._firsts[file] = self._first_line(file)
        return self._firsts[file]

    def _first_line(self, file: str) -> Article:
        if not self.text(file):
            return Article(file)
        first = next(
            (line.strip() for line in read_text(self.path(file), MAX_ARTICLE_BYTES).splitlines() if line.strip()), ""
        )
        title = first if len(first) <= TITLE_CHARS else first[: TITLE_CHARS - 1].rsplit(" ", 1)[0] + "…"
        return Article(file, title=title or None)

    def holds(self, file: str, quote: str) -> bool | None:
        """Whether ``quote`` occurs in ``file`` (whitespace aside); None where there is no such article."""
        text = self.text(file)
        return None if text is None else normalise_space(quote) in text


def normalise_space(text: str) -> str:
    """Collapse runs of whitespace so quotes can be compared across line breaks."""
    return " ".join(text.split())


def check_sources(
    profile: Profile, seeds_dir: Path | None, cache: dict[str, str | UnreadableFile | None] | None = None
) -> list[Problem]:
    """Problems with a profile's sources: missing articles and quotes that are not in them verbatim
    (sources with an empty article are skipped: ``raw_sources`` leaves them for the loader to report).
    ``cache`` keeps the articles read, for the next profile citing the same seeds."""
    problems: list[Problem] = []
    path = Path(profile.path or "<profile>")
    cache = {} if cache is None else cache
    for i, src in enumerate(profile.sources):
        if not src.article:
            continue
        if src.article not in cache:
            article = (seeds_dir / src.article) if seeds_dir else None
            if article is None or not os.path.lexists(article) or Path(src.article).name != src.article:
                cache[src.article] = None
            else:  # a regular file of at most MAX_ARTICLE_BYTES: a link to /dev/zero is said to be one
                try:
                    raw = read_limited(article, MAX_ARTICLE_BYTES, what="seed article")
                    cache[src.article] = normalise_space(raw.decode("utf-8", errors="replace"))
                except UnreadableFile as exc:
                    cache[src.article] = exc
        body = cache[src.article]
        if isinstance(body, UnreadableFile):
            where = f"sources[{i}].article"
            message = f"article {body.path.name} {body.message}"
            problems.append(Problem(path, message, profile.line_of(where), where, body.hint))
        elif body is None:
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


def _stamp(folder: Path) -> tuple[int, int]:
    """Changes when the folder or its sources.yaml changes: a long-running desk sees an edited file."""
    try:
        folder_time = folder.stat().st_mtime_ns
    except OSError:
        return (0, 0)
    try:
        return (folder_time, (folder / SOURCES_FILE).stat().st_mtime_ns)
    except OSError:
        return (folder_time, 0)


@lru_cache(maxsize=16)
def _load(folder: Path, stamp: tuple[int, int]) -> Articles:
    articles = Articles(folder)
    path = folder / SOURCES_FILE
    if path.is_file():
        articles.listed, articles.problems = read_sources(path)
    return articles


def articles_in(folder: Path | str | None) -> Articles:
    """The articles of a seeds folder (an empty set for None or a folder that does not exist)."""
    if folder is None or not Path(folder).is_dir():
        return Articles(None)
    folder = Path(folder).resolve()
    return _load(folder, _stamp(folder))


@lru_cache(maxsize=256)
def seeds_of(profile_path: str | None) -> Path | None:
    """The seeds folder a profile file's sources cite (``paths.seeds_for``); None for a store's records."""
    if not profile_path:
        return None
    return seeds_for(Path(profile_path).parent)


def quote_problems(profiles: Iterable[Profile]) -> list[Problem]:
    """Every source of ``profiles`` (loaded from files) whose article is missing or does not hold its quote,
    each checked against the seeds beside its profile's folder; a store's records are not checked."""
    caches: dict[Path, dict] = {}
    problems: list[Problem] = []
    for profile in profiles:
        seeds = seeds_of(profile.path)
        if seeds is None or not profile.sources:
            continue
        found = check_sources(profile, seeds, caches.setdefault(seeds, {}))
        if found and not profile.lines:  # from a cached index, which keeps no line numbers: read them
            try:
                found = check_sources(load_profile(profile.path), seeds, caches[seeds])
            except ProfileError:
                pass
        problems += found
    return problems


def read_sources(path: Path) -> tuple[dict[str, Article], list[Problem]]:
    """The entries of a ``sources.yaml``, and a problem for each one that is not as documented."""
    import yaml

    try:
        loader = yaml_loader()(read_text(path))
        try:
            root = loader.get_single_node()
            check_expansion(path, root)
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except ProfileError as exc:
        return {}, exc.problems
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        return {}, [Problem(path, f"YAML syntax error: {getattr(exc, 'problem', exc)}", line)]
    lines = _key_lines(root)
    entries = data.get("articles") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        hint = "write 'articles:' and under it one 'FILE.txt:' with title, outlet and date for each article"
        return {}, [Problem(path, "has no 'articles:' mapping", 1, "articles", hint)]
    out: dict[str, Article] = {}
    problems: list[Problem] = []
    folder = path.parent
    for file, entry in entries.items():
        where = f"articles.{file}"
        line = lines.get(where)
        if not isinstance(entry, dict):
            problems.append(Problem(path, "expected title:, outlet:, date:", line, where, "indent them under the file"))
            continue
        values: dict[str, str] = {}
        for key, value in entry.items():
            key_line = lines.get(f"{where}.{key}", line)
            if key not in ARTICLE_KEYS:
                hint = "allowed keys are " + ", ".join(ARTICLE_KEYS)
                problems.append(Problem(path, "unknown key", key_line, f"{where}.{key}", hint))
            elif key == "date" and not _is_date(value):
                hint = "write the date as published, as YYYY-MM-DD"
                problems.append(Problem(path, f"{value!r} is not a date", key_line, f"{where}.date", hint))
            elif not isinstance(value, (str, dt.date)) or not str(value).strip():
                problems.append(Problem(path, "expected text", key_line, f"{where}.{key}", "write it as text"))
            else:
                values[key] = str(value).strip()
        if not (folder / str(file)).is_file() or os.sep in str(file):
            hint = "give the file name of an article in this folder"
            problems.append(Problem(path, f"{file!r} is not an article in {folder}", line, where, hint))
        out[str(file)] = Article(str(file), **values)
    return out, problems


def _is_date(value) -> bool:
    if isinstance(value, dt.date):
        return True
    try:
        dt.date.fromisoformat(str(value))
    except ValueError:
        return False
    return True


def _key_lines(root) -> dict[str, int]:
    """Line of each key two levels down (``articles.FILE.title``), for the problems' line numbers."""
    import yaml

    out: dict[str, int] = {}

    def visit(node, prefix: str, depth: int) -> None:
        if isinstance(node, yaml.MappingNode) and depth < 3:
            for k, v in node.value:
                name = f"{prefix}.{k.value}" if prefix else str(k.value)
                out[name] = k.start_mark.line + 1
                visit(v, name, depth + 1)

    visit(root, "", 0)
    return out
