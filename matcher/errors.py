"""The exceptions matcher raises for problems a person can fix."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class MatcherError(Exception):
    """Base class for every error matcher reports to a user."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one profile file: where, which field, what, and how to fix it."""

    path: Path
    message: str
    line: int | None = None
    field: str | None = None
    hint: str | None = None
    severity: str = "error"  # "error" stops the profile loading; "warning" does not
    related: Path | None = None  # another file the problem involves (e.g. the other holder of a name)
    code: str | None = None  # what kind of problem, where a caller must tell (DUPLICATE_NAME)

    def __str__(self) -> str:
        where = str(self.path) + (f":{self.line}" if self.line else "")
        what = f"{self.field}: {self.message}" if self.field else self.message
        text = f"{where}: {'warning: ' if self.severity == 'warning' else ''}{what}"
        return f"{text} — {self.hint}" if self.hint else text


DUPLICATE_NAME = "duplicate-name"
"""``Problem.code`` of a name or alias that another profile file holds too."""


class ProfileError(MatcherError):
    """A profile file could not be loaded; carries every problem found in it."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def path(self) -> Path:
        return self.problems[0].path


class InvalidProfiles(MatcherError):
    """Some profiles could not be loaded and the caller asked for strict loading."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        files = len({p.path for p in self.problems if p.severity == "error"})
        super().__init__(f"{files} profile file(s) could not be loaded")


class UnbackedQuotes(InvalidProfiles):
    """Some profiles quote text that is not in the article they cite, and the caller asked for strict loading."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems)
        files = len({p.path for p in self.problems})
        self.args = (f"{files} profile file(s) quote text that is not in the article cited",)

    def __str__(self) -> str:
        return self.args[0]


class UnknownOrganisation(MatcherError):
    """No profile has this name or alias."""

    def __init__(self, name: str, suggestions: list[str]):
        self.name = name
        self.suggestions = suggestions
        msg = f"No organisation named {name!r}."
        if suggestions:
            msg += " Did you mean " + " or ".join(repr(s) for s in suggestions) + "?"
        else:
            msg += " Run 'matcher list' to see every organisation."
        super().__init__(msg)


class AmbiguousOrganisation(MatcherError):
    """A name or alias that could mean several organisations."""

    def __init__(self, name: str, candidates: list[str]):
        self.name = name
        self.candidates = candidates
        listed = "\n".join(f"  {c}" for c in candidates)
        super().__init__(
            f"{name!r} could be any of {len(candidates)} organisations; give the full name (or its id):\n{listed}"
        )


class ProfilesNotFound(MatcherError):
    """The profiles folder or store does not exist or holds no profiles."""


class UnreadableFile(MatcherError):
    """A file a user gave cannot be read as one: missing, not a regular file, or too big."""

    def __init__(self, path, message: str, hint: str | None = None, *, reason: str = "open"):
        self.path, self.message, self.hint = Path(path), message, hint
        self.reason = reason  # "open" (missing, a broken link, no permission), "kind" (not a regular file), "size"
        super().__init__(f"{path}: {message}" + (f" — {hint}" if hint else ""))


class DuplicateNames(MatcherError):
    """Two profile files claim the same name or alias, and the user has not chosen which one is meant."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        n = len(self.problems)
        super().__init__(
            f"{n} name{'s' if n > 1 else ''} claimed by two profile files; matcher will not guess which file is"
            " meant: choose one as each line above says"
        )


class StoreError(MatcherError):
    """A profile store or cached index is unreadable."""


class TableError(MatcherError):
    """A table could not be read, or rows of it are not valid profiles; carries every problem (RowProblem)."""

    def __init__(self, problems: list, *, rows: bool = False):
        self.problems = list(problems)
        self.rows = rows  # the problems are with rows, which import_table(skip_invalid=True) leaves out
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def errors(self) -> list:
        return [p for p in self.problems if p.severity == "error"]


class BadMapping(MatcherError):
    """A --map option is not HEADER=FIELD with a profile field."""


class NothingRanked(MatcherError):
    """A batch found no organisation it could rank (no profile lists needs, or none shares a term)."""
