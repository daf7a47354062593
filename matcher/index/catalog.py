"""Open a profiles folder or a store as an index: load, check, index — or reuse the cached index."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import (
    DUPLICATE_NAME,
    DuplicateNames,
    InvalidProfiles,
    MatcherError,
    Problem,
    ProfilesNotFound,
    UnbackedQuotes,
)
from ..paths import tidy, write_text_atomic
from ..profiles.articles import quote_problems
from ..profiles.load import PROFILE_SUFFIXES, TABLE_SUFFIXES, load_folder
from .build import build_index
from .model import Index
from .store import cache_folder, fingerprint, is_store, load_index, save_index


@dataclass
class Catalog:
    """The index of a profiles folder or a store, with the problems of the files that were skipped."""

    location: Path
    index: Index
    problems: list[Problem]
    cached: bool = False  # True when the index came from the cache
    store: bool = False  # a bulk store (``matcher import-cordis``): its own index, its aliases imported

    def bad_files(self) -> dict[Path, list[Problem]]:
        """Problems grouped by file, for files that could not be loaded."""
        out: dict[Path, list[Problem]] = {}
        for p in self.problems:
            if p.severity == "error":
                out.setdefault(p.path, []).append(p)
        return out


def _check(location: Path) -> None:
    if not location.exists():
        tidy(location)  # a store whose replacement was killed halfway (no RENAME_EXCHANGE here): put it back
    if not location.exists():
        raise ProfilesNotFound(
            f"Profiles folder '{location}' does not exist. Give --profiles DIR or set MATCHER_PROFILES."
        )
    if not location.is_dir():
        hint = ""
        if location.suffix.lower() in TABLE_SUFFIXES:
            hint = f" To make profiles of a table's rows: matcher import-table {location} --profiles FOLDER."
        elif location.suffix.lower() in PROFILE_SUFFIXES:
            hint = " Give the folder that holds it."
        raise ProfilesNotFound(f"'{location}' is not a folder of profile YAML files or a profile store.{hint}")


def _unique_names(problems: list[Problem]) -> None:
    """Two files that claim one name stop every command until the user keeps one: skipping the second (as
    before) let a file named like a real organisation, sorted first, take its place with only a warning."""
    clashes = [p for p in problems if p.code == DUPLICATE_NAME]
    if clashes:
        raise DuplicateNames(clashes)


def _build(location: Path, strict: bool) -> tuple[Index, list[Problem]]:
    loaded = load_folder(location)
    _unique_names(loaded.problems)
    if strict and loaded.errors:
        raise InvalidProfiles(loaded.errors)
    if not loaded.profiles:
        detail = f" ({len({p.path for p in loaded.errors})} file(s) had problems)" if loaded.errors else ""
        raise ProfilesNotFound(
            f"No profiles could be loaded from '{location}'{detail}. Add *.yaml profiles or check them with"
            " 'matcher validate'."
        )
    return build_index(loaded.profiles), loaded.problems


def open_catalog(location: Path | str, *, strict: bool = False, cache: bool = True) -> Catalog:
    """Index every profile under ``location``; bad files are skipped (or raise when ``strict``).

    The index is cached per folder and reused while no profile file has changed; any added, edited or
    removed file changes the folder's fingerprint and the index is rebuilt before it is used. A store is
    its own index. ``strict`` raises InvalidProfiles where a file cannot be loaded, and UnbackedQuotes where a
    profile quotes text that is not in the article it cites (checked against the seeds as they are now, never
    cached).
    """
    location = Path(location)
    _check(location)
    if is_store(location):  # a bulk store (e.g. from 'matcher import-cordis') is its own index
        tidy(location)  # what killed imports left beside it (hundreds of MB)
        index, problems = load_index(location)
        return Catalog(location, index, problems, cached=True, store=True)
    index = None
    cached = False
    if cache:
        folder = cache_folder(location)
        key = fingerprint(location)
        stamp = folder / "fingerprint"
        try:
            if stamp.read_text() == key:
                index, problems = load_index(folder / "index")
                cached = True
        except (OSError, MatcherError):
            index = None
    if index is None:
        index, problems = _build(location, strict)
        if cache:
            try:
                save_index(index, folder / "index", problems)
                write_text_atomic(stamp, key, durable=False)
            except OSError:
                pass  # a read-only cache only costs speed
    _unique_names(problems)
    if strict and any(p.severity == "error" for p in problems):
        raise InvalidProfiles([p for p in problems if p.severity == "error"])
    if strict:
        unbacked = quote_problems(index.profiles)
        if unbacked:
            raise UnbackedQuotes(unbacked)
    return Catalog(location, index, problems, cached)
