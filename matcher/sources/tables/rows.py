"""Rows to profiles: each row's cells as profile fields, checked as ``matcher validate`` checks a file, and
against the other rows and the profiles already in the folder."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import ProfileError
from ...profiles.countries import country_code, country_fix
from ...profiles.load import parse_profile
from ...profiles.model import KINDS, Profile
from ...profiles.scaffold import render_profile
from ...text.languages import LANGUAGES
from .columns import LIST_COLUMNS, REQUIRED, CellIssue, RowProblem, Table

MAX_CELL_CHARS = 20_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LANGUAGE_NAMES = {"magyar": "hu", "русский": "ru", "中文": "zh", "mandarin": "zh"}
_WHAT = {
    "name": "the organisation's name",
    "country": "its country (a code such as RU, or a name)",
    "kind": "one of " + ", ".join(KINDS),
}
"""What a required cell holds, for the hint of an empty one."""


def split_items(text: str) -> list[str]:
    """A list cell's items: one a line where the cell has line breaks, else separated by ``;``."""
    parts = text.splitlines() if ("\n" in text or "\r" in text) else text.split(";")
    return [p.strip() for p in parts if p.strip()]


def _kind(value: str) -> str:
    slug = "-".join(value.strip().casefold().replace("_", " ").replace("-", " ").split())
    return slug if slug in KINDS else value.strip()


def _language(value: str) -> str:
    names = {name.casefold(): code for code, name in LANGUAGES.items()} | _LANGUAGE_NAMES
    text = value.strip()
    return names.get(text.casefold(), text.casefold() if text.casefold() in LANGUAGES else text)


def _cell_problem(text: str) -> tuple[str, str] | None:
    """What is wrong with a cell's text whatever its column (too long, a control character), and the fix."""
    if len(text) > MAX_CELL_CHARS:
        message = f"holds {len(text):,} characters, more than the {MAX_CELL_CHARS:,} a cell may"
        return message, "shorten it: a statement is a sentence or two"
    bad = _CONTROL.search(text)
    if bad:
        return f"holds the control character U+{ord(bad.group()):04X}", "remove it (most programs do not show it)"
    return None


def _value(name: str, text: str) -> tuple[object, tuple[str, str] | None]:
    """A cell's text as the value of field ``name``, and the problem with it (what, fix), if any."""
    if name in LIST_COLUMNS:
        return split_items(text), None
    if not text.strip():
        return None, None
    if name == "country":
        code = country_code(text)
        return code, None if code else (
            f"{text.strip()!r} is not a country matcher knows",
            country_fix(text, names=True),
        )
    if name == "kind":
        return _kind(text), None
    if name == "language":
        return _language(text), None
    return text.strip(), None


def row_fields(table: Table, number: int, cells: list) -> tuple[dict, list[RowProblem]]:
    """The profile fields of one row, and the problems of its cells."""
    fields: dict = {}
    problems: list[RowProblem] = []
    padded = cells + [""] * (len(table.fields) - len(cells))
    for header, name, cell in zip(table.headers, table.fields, padded):
        if name is None:
            continue
        if isinstance(cell, CellIssue):
            problems.append(RowProblem(table.path, number, header, cell.message, cell.hint))
            continue
        text = str(cell)
        wrong = _cell_problem(text)
        if wrong is None:
            fields[name], wrong = _value(name, unicodedata.normalize("NFC", text))
        if wrong is not None:
            problems.append(RowProblem(table.path, number, header, *wrong))
    told = {p.field for p in problems}
    for name in REQUIRED:
        header = table.header_of(name)
        if name in table.present and not fields.get(name) and header not in told:
            problems.append(RowProblem(table.path, number, header, "is empty", f"fill in {_WHAT[name]}"))
    return fields, problems


def profile_problems(table: Table, number: int, exc: ProfileError) -> list[RowProblem]:
    """The loader's problems with a row's profile, told by column."""
    out = []
    for p in exc.problems:
        root = re.split(r"[.\[]", p.field or "", maxsplit=1)[0]
        if root == "capabilities" and "no capabilities and no needs" in p.message:
            columns = [table.header_of(f) for f in ("capabilities", "needs") if f in table.present]
            hint = "fill in at least one statement (items separated by ';', or one a line)"
            message = "the organisation has no capabilities and no needs"
            out.append(RowProblem(table.path, number, " or ".join(columns) or "capabilities", message, hint))
            continue
        hint = "fill in the cell" if root and p.message == "required field is missing" else p.hint
        out.append(RowProblem(table.path, number, table.header_of(root) if root else None, p.message, hint))
    return out


@dataclass
class Row:
    """A valid row: its number, its profile, its fields, and the profile of the folder it updates."""

    number: int
    profile: Profile
    fields: dict
    old: Profile | None = None


@dataclass
class Checked:
    """Every row checked: the valid ones, the problems of the others, and the names the table gives."""

    rows: list[Row] = field(default_factory=list)
    errors: list[RowProblem] = field(default_factory=list)
    seen: dict[str, int] = field(default_factory=dict)  # casefolded name or alias -> first row giving it
    claimed: dict[str, int] = field(default_factory=dict)  # existing profile file -> the row that updates it


def check_rows(table: Table, folder: Path, existing: list[Profile], *, update: bool, tick) -> Checked:
    """Check every row as a profile, against the rows before it and the profiles of ``folder``."""
    owner = {n.casefold(): p for p in existing for n in p.names}
    checked = Checked()
    for number, cells in table.rows:
        tick(1)
        fields, problems = row_fields(table, number, cells)
        profile, old = None, None
        try:
            profile = parse_profile(render_profile(fields), folder / "row.yaml")
        except ProfileError as exc:  # every problem of the row at once: those of columns not yet told
            told = {p.field for p in problems}
            problems += [
                p for p in profile_problems(table, number, exc) if not told & set((p.field or "").split(" or "))
            ]
        if problems:
            profile = None
        if profile is not None:
            problems += _repeated_names(table, number, profile, checked.seen)
            old, clash = _holder(table, number, profile, owner, folder, update, checked.claimed)
            problems += clash
        if problems:
            checked.errors += problems
            continue
        for name in profile.names:
            checked.seen.setdefault(name.casefold(), number)
        checked.rows.append(Row(number, profile, fields, old))
    return checked


def _repeated_names(table: Table, number: int, profile: Profile, seen: dict[str, int]) -> list[RowProblem]:
    """A problem for each name or alias of the row that an earlier row gives too."""
    problems = []
    for i, name in enumerate(profile.names):
        first = seen.get(name.casefold())
        if first is not None and first != number:
            column = table.header_of("name" if i == 0 else "aliases")
            hint = "names and aliases must be unique (ignoring case): merge the two rows, or drop the alias"
            problems.append(
                RowProblem(table.path, number, column, f"{name!r} is also a name or alias on row {first}", hint)
            )
    return problems


def _holder(
    table: Table,
    number: int,
    profile: Profile,
    owner: dict[str, Profile],
    folder: Path,
    update: bool,
    claimed: dict[str, int],
) -> tuple[Profile | None, list[RowProblem]]:
    """The profile of the folder the row names (which it updates), and the problems of that: a name already
    taken without ``update``, two profiles named, or a profile another row updates."""
    column = table.header_of("name")
    holders = {p.path: p for n in profile.names if (p := owner.get(n.casefold())) is not None}
    if not holders:
        return None, []
    if len(holders) > 1:
        listed = " and ".join(f"{p.name!r} ({Path(p.path).name})" for p in holders.values())
        message = f"names {len(holders)} profiles already in {folder}: {listed}"
        hint = "a row updates one profile: check the row's name and aliases"
        return None, [RowProblem(table.path, number, column, message, hint)]
    old = next(iter(holders.values()))
    if not update:
        taken = next(n for n in profile.names if n.casefold() in {m.casefold() for m in old.names})
        message = f"{taken!r} is already the name or an alias of {old.name!r} in {old.path}"
        kept = f"{Path(old.path).name}.bak"
        hint = f"give --update to rewrite that file (the old one is kept as {kept}), or take the row out"
        return old, [RowProblem(table.path, number, column, message, hint)]
    if old.path in claimed:
        message = f"{old.path} is updated by row {claimed[old.path]} already"
        return old, [
            RowProblem(table.path, number, column, message, "a profile is updated by one row: merge the two rows")
        ]
    claimed[old.path] = number
    return old, []


def partner_warnings(table: Table, folder: Path, existing: list[Profile], checked: Checked) -> list[RowProblem]:
    """A warning for each partner a valid row names that is no profile of the folder as it will be, nor a row."""
    replaced = {id(r.old) for r in checked.rows if r.old is not None}
    names = {n.casefold() for p in existing if id(p) not in replaced for n in p.names} | set(checked.seen)
    warnings = []
    for row in checked.rows:
        for partner in row.profile.partners:
            if partner.casefold() not in names:
                message = f"{partner!r} names no profile in {folder} or in the table"
                hint = "check the spelling, or add a row for it"
                warnings.append(
                    RowProblem(table.path, row.number, table.header_of("partners"), message, hint, "warning")
                )
    return warnings
