"""What a profile says, as read: ``Profile`` and its ``Source`` quotes, and the kinds of organisation."""

from __future__ import annotations

from dataclasses import dataclass, field

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
SOURCE_KEYS = ("article", "quote", "speaker", "about")


@dataclass(frozen=True)
class Source:
    """A verbatim quote from an article in the seeds folder that backs a profile: whose words, and about what
    where not the organisation itself (the output then credits them, never offering them as its own)."""

    article: str
    quote: str
    speaker: str | None = None  # who said it, where not the organisation itself ("Li Lifan (professor, SASS)")
    about: str | None = None  # what the remark is about, where not the organisation itself ("Russia")


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
