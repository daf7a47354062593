"""Open a profiles folder as a ready Matcher: load, check, index."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import InvalidProfiles, Problem, ProfilesNotFound
from .matching import Matcher
from .profiles import load_folder


@dataclass
class Catalog:
    """A matcher over a profiles folder, with the problems of the files that were skipped."""

    location: Path
    matcher: Matcher
    problems: list[Problem]

    def bad_files(self) -> dict[Path, list[Problem]]:
        """Problems grouped by file, for files that could not be loaded."""
        out: dict[Path, list[Problem]] = {}
        for p in self.problems:
            if p.severity == "error":
                out.setdefault(p.path, []).append(p)
        return out


def open_catalog(location: Path | str, *, strict: bool = False) -> Catalog:
    """Load and index every profile under ``location``; bad files are skipped (or raise when ``strict``)."""
    location = Path(location)
    if not location.exists():
        raise ProfilesNotFound(
            f"Profiles folder '{location}' does not exist. Give --profiles DIR or set MATCHER_PROFILES."
        )
    if not location.is_dir():
        raise ProfilesNotFound(f"'{location}' is not a folder of profile YAML files.")
    loaded = load_folder(location)
    if strict and loaded.errors:
        raise InvalidProfiles(loaded.errors)
    if not loaded.profiles:
        detail = f" ({len({p.path for p in loaded.errors})} file(s) had problems)" if loaded.errors else ""
        raise ProfilesNotFound(
            f"No profiles could be loaded from '{location}'{detail}. Add *.yaml profiles or check them with"
            " 'matcher validate'."
        )
    return Catalog(location, Matcher.from_profiles(loaded.profiles), loaded.problems)
