"""Add or change a profile from a form: ``matcher validate``'s checks, then the file written whole.

A form gives each field as text (lists one item a line, sources as rows of article, quote and speaker);
``check_form`` turns it into a profile and gathers every problem ``matcher validate`` would report on the
file it would write — field checks, a name or alias another profile holds, quotes not in their articles,
partners that name no profile (a warning) — each with its field, so that a form can show it beside the
input. ``save_form`` writes a valid profile: a new one in a file of its own (``scaffold.create_profile``,
never over another file), a changed one in place of its file (atomically, the previous text kept beside
it as ``FILE.bak``), refusing to overwrite a file that changed since the form was filled.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import MatcherError, Problem, ProfileError
from ..paths import seeds_for, write_text_atomic
from .load import load_folder, parse_profile, read_text
from .model import Profile
from .scaffold import ProfileExists, create_profile, render_profile
from .validate import check_sources, unknown_partners

LIST_FIELDS = ("aliases", "sectors", "capabilities", "needs", "partners")
"""Fields a form gives as text, one item a line."""
TEXT_FIELDS = ("name", "country", "city", "kind", "summary", "language")
BACKUP_SUFFIX = ".bak"


class ProfileChanged(MatcherError):
    """The profile file changed after the form was filled: saving would lose someone else's edit."""


@dataclass
class FormCheck:
    """What a form would write: the fields as a profile's, and every problem, keyed by the form's field."""

    fields: dict
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def by_field(self) -> dict[str, list[Problem]]:
        """The problems of each form field (``form_field``); those of no field under ``""``."""
        out: dict[str, list[Problem]] = {}
        for p in self.problems:
            out.setdefault(form_field(p.field), []).append(p)
        return out


def form_field(problem_field: str | None) -> str:
    """The form field a problem belongs to: ``capabilities[2]`` -> ``capabilities``, ``sources[0].quote`` ->
    ``sources-0-quote``, ``sources[1]`` -> ``sources-1``."""
    if not problem_field:
        return ""
    m = re.match(r"sources\[(\d+)\](?:\.(\w+))?", problem_field)
    if m:
        return f"sources-{m.group(1)}" + (f"-{m.group(2)}" if m.group(2) else "")
    return re.split(r"[\[.]", problem_field, maxsplit=1)[0]


def fields_from_form(form) -> dict:
    """A profile's fields from a form (a mapping of text): lists split into lines, sources from the rows
    ``sources-N-article``, ``sources-N-quote``, ``sources-N-speaker`` (rows left blank are dropped)."""
    out: dict = {}
    for key in TEXT_FIELDS:
        value = (form.get(key) or "").strip()
        out[key] = value.upper() if key == "country" else value
    for key in LIST_FIELDS:
        out[key] = [line.strip() for line in (form.get(key) or "").splitlines() if line.strip()]
    sources = []
    rows = sorted({int(m.group(1)) for k in form.keys() if (m := re.fullmatch(r"sources-(\d+)-\w+", k))})
    for i in rows[:100]:
        row = {part: (form.get(f"sources-{i}-{part}") or "").strip() for part in ("article", "quote", "speaker")}
        if any(row.values()):
            sources.append({k: v for k, v in row.items() if v or k != "speaker"})
    out["sources"] = sources
    return out


def form_from_profile(profile: Profile) -> dict:
    """A profile's fields as a form shows them: text, lists one item a line, sources as rows."""
    out = {key: getattr(profile, key) or "" for key in TEXT_FIELDS}
    out |= {key: "\n".join(getattr(profile, key)) for key in LIST_FIELDS}
    for i, s in enumerate(profile.sources):
        out |= {f"sources-{i}-article": s.article, f"sources-{i}-quote": s.quote, f"sources-{i}-speaker": s.speaker}
    return out


def version(path: Path) -> str:
    """A short digest of a profile file as it is now: a form carries it, and saving checks it."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def check_form(folder: Path, fields: dict, *, original: Path | None = None) -> FormCheck:
    """Every problem of the profile ``fields`` would make in ``folder`` (in place of ``original``)."""
    folder = Path(folder)
    target = original or folder / "new profile.yaml"  # where its problems are said to be: a form shows the field
    try:
        profile = parse_profile(render_profile(fields), target)
    except ProfileError as exc:
        return FormCheck(fields, exc.problems)
    problems: list[Problem] = []
    mine = original.resolve() if original is not None else None
    others = [p for p in load_folder(folder).profiles if Path(p.path).resolve() != mine]
    taken = {n.casefold(): p for p in others for n in p.names}
    for i, name in enumerate(profile.names):
        other = taken.get(name.casefold())
        if other is not None:
            problems.append(
                Problem(
                    target,
                    f"{name!r} is already the name or an alias of {other.name!r} ({Path(other.path).name})",
                    field="name" if i == 0 else f"aliases[{i - 1}]",
                    hint="names and aliases must be unique (ignoring case): choose another, or edit that profile",
                )
            )
    problems += check_sources(profile, seeds_for(folder))
    known = set(taken) | {n.casefold() for n in profile.names}
    problems += unknown_partners(profile, known, target, "this folder", lines=False)
    return FormCheck(fields, problems)


def save_form(
    folder: Path, fields: dict, *, original: Path | None = None, expected: str | None = None
) -> tuple[Path, list[Problem]]:
    """Write the profile of ``fields``: new in ``folder``, or in place of ``original`` (whose ``version``
    must still be ``expected``, where given). Returns the file and the warnings of ``check_form``; raises
    ``ProfileError`` with its errors, written nothing."""
    check = check_form(folder, fields, original=original)
    if check.errors:
        raise ProfileError(check.errors)
    warnings = [p for p in check.problems if p.severity != "error"]
    if original is None:
        try:
            return create_profile(folder, fields), warnings
        except ProfileExists as exc:  # its file name is another profile's (EHANG! beside ehang.yaml)
            raise ProfileError([Problem(Path(folder), str(exc).rstrip("."), field="name")]) from None
    original = Path(original)
    previous = read_text(original)
    if expected is not None and version(original) != expected:
        raise ProfileChanged(
            f"{original.name} changed after this form was opened (someone else saved it): open it again,"
            " and make your change on the new text."
        )
    write_text_atomic(original.with_name(original.name + BACKUP_SUFFIX), previous)
    write_text_atomic(original, render_profile(fields))
    return original, warnings
