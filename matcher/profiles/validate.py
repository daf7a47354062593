"""Check profile files thoroughly: everything the loader checks, plus sources, articles (and the seeds' sources.yaml)
and partners."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import Problem
from ..paths import seeds_for
from .articles import articles_in, check_sources
from .load import load_files, load_folder, profile_files, raw_sources


@dataclass
class Report:
    """The files checked and every problem found in them."""

    files: list[Path]
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def files_with_errors(self) -> int:
        return len({p.path for p in self.errors})

    def summary(self) -> str:
        warnings = len(self.problems) - len(self.errors)
        n = len(self.files)
        text = f"{n} profile{'' if n == 1 else 's'}, {self.files_with_errors} with problems"
        return text + (f", {warnings} warning(s)" if warnings else "")


def where(path: Path) -> Path:
    """``path`` made absolute through its folder, the file itself as named: a profile that is a link is
    checked with the folder it is in, and a broken link or a loop of links is a file that does not load
    (``Path.resolve`` raised on a loop)."""
    path = Path(path)
    return Path(os.path.realpath(path.parent)) / path.name


def validate(paths: Iterable[Path]) -> Report:
    """Check the given profile files and folders, each against the rest of its folder (names, partners)."""
    wanted: list[Path] = []
    for path in paths:
        path = Path(path)
        wanted += profile_files(path) if path.is_dir() else [path]
    wanted_set = {where(p) for p in wanted}
    problems: list[Problem] = []
    seen_seeds: set[Path] = set()
    folders = sorted({where(p).parent for p in wanted})
    for folder in folders:
        loaded = load_folder(folder)
        # files given by name that the folder scan does not pick up (other suffix, hidden): load them on their own
        scanned = {where(f) for f in profile_files(folder)}
        extra = [p for p in wanted if where(p).parent == folder and where(p) not in scanned]
        if extra:
            more = load_files(extra)
            loaded.profiles += more.profiles
            loaded.problems += more.problems
        names = {n.casefold() for p in loaded.profiles for n in p.names}
        seeds = seeds_for(folder)
        if seeds not in seen_seeds:  # the articles' sources.yaml, once per seeds folder
            seen_seeds.add(seeds)
            problems += articles_in(seeds).problems
        for problem in loaded.problems:
            if where(problem.path) in wanted_set or (problem.related and where(problem.related) in wanted_set):
                problems.append(problem)
        loaded_paths = {where(Path(p.path)) for p in loaded.profiles if p.path}
        for bad in sorted({where(p.path) for p in loaded.errors} & wanted_set - loaded_paths):
            partial = raw_sources(bad)  # the file did not load: still check the sources it has
            if partial is not None:
                problems += check_sources(partial, seeds)
        for profile in loaded.profiles:
            path = Path(profile.path or "")
            if where(path) not in wanted_set:
                continue
            problems += check_sources(profile, seeds)
            problems += unknown_partners(profile, names, path, str(folder))
    problems.sort(key=lambda p: (str(p.path), p.line or 0))
    return Report(wanted, problems)


def unknown_partners(profile, known: set[str], path: Path, folder: str, *, lines: bool = True) -> list[Problem]:
    """A warning for each of ``profile``'s partners that names no profile in ``folder`` (``known``: its names
    and aliases, case-folded), at the partner's line where ``lines`` (a form shows it by its field instead)."""
    return [
        Problem(
            path,
            f"{partner!r} names no profile in {folder}",
            profile.line_of(f"partners[{i}]") if lines else None,
            f"partners[{i}]",
            "check the spelling, or add a profile for it",
            severity="warning",
        )
        for i, partner in enumerate(profile.partners)
        if partner.casefold() not in known
    ]
