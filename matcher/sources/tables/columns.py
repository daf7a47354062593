"""What a table's columns hold: the profile fields by header or ``--map``, and the problems of a header row.

A problem of a table is told as a spreadsheet numbers its rows (the header is row 1) and by the column's header
as written in the file: ``FILE:row N: column: what — fix``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ...errors import BadMapping, TableError

COLUMNS = (
    "name",
    "aliases",
    "country",
    "city",
    "kind",
    "sectors",
    "capabilities",
    "needs",
    "partners",
    "language",
    "summary",
)
"""The columns of a table, in the order ``export_table`` writes them: every profile field but ``sources``."""
LIST_COLUMNS = frozenset({"aliases", "sectors", "capabilities", "needs", "partners"})
REQUIRED = ("name", "country", "kind")
SINGULAR = {
    "alias": "aliases",
    "sector": "sectors",
    "capability": "capabilities",
    "need": "needs",
    "partner": "partners",
}


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong with a table: which row (as the spreadsheet numbers it) and column, what, how to fix it."""

    path: Path
    row: int | None  # None: the table as a whole
    field: str | None  # the column's header as written in the file
    message: str
    hint: str | None = None
    severity: str = "error"

    def __str__(self) -> str:
        where = str(self.path) + (f":row {self.row}" if self.row else "")
        what = f"{self.field}: {self.message}" if self.field else self.message
        text = f"{where}: {'warning: ' if self.severity == 'warning' else ''}{what}"
        return f"{text} — {self.hint}" if self.hint else text


@dataclass(frozen=True)
class CellIssue:
    """A cell that holds something other than text (a formula, a number, an error value)."""

    message: str
    hint: str


@dataclass
class Table:
    """A table as read: its headers, the profile field of each column, and its rows of cells."""

    path: Path
    format: str  # csv, tsv or xlsx
    header_row: int
    headers: list[str]
    fields: list[str | None]  # per column: the profile field, or None for a column left out
    rows: list[tuple[int, list[str | CellIssue]]]  # (row number, cells) of every row that is not blank
    blank_rows: int = 0
    sheet: str | None = None

    def header_of(self, name: str) -> str:
        """The header of the column that holds field ``name`` (the field itself where no column does)."""
        return next((h for h, f in zip(self.headers, self.fields) if f == name), name)

    @property
    def present(self) -> frozenset[str]:
        """The profile fields the table has a column for."""
        return frozenset(f for f in self.fields if f)


def fail(path: Path, message: str, hint: str | None = None, row: int | None = None) -> TableError:
    """A TableError of one problem with the table as a whole (or with one row of it)."""
    return TableError([RowProblem(path, row, None, message, hint)])


def is_blank(cell) -> bool:
    """An empty cell: nothing, or only whitespace."""
    return cell is None or (isinstance(cell, str) and not cell.strip())


def normal_header(header: str) -> str:
    """A header as compared: case, runs of spaces, ``_`` and ``-`` aside."""
    return " ".join(re.sub(r"[_\-]+", " ", header).split()).casefold()


def field_of(header: str) -> str | None:
    """The profile field a header names (``Capabilities``, ``capability``, ``Need``), or None."""
    h = normal_header(header).replace(" ", "")
    if h in COLUMNS:
        return h
    return SINGULAR.get(h)


def parse_mapping(values: Iterable[str]) -> dict[str, str | None]:
    """``--map`` options (``"Company=name,Offers=capabilities"``, repeatable) as {header: field}; an empty
    field (``"Notes="``) leaves the column out. Raises BadMapping naming what is wrong."""
    out: dict[str, str | None] = {}
    for value in values:
        for item in filter(None, (v.strip() for v in value.split(","))):
            if "=" not in item:
                raise BadMapping(
                    f"{item!r} is not HEADER=FIELD: write e.g. 'Offers=capabilities'"
                    " (or 'Notes=' to leave a column out)."
                )
            header, target = (s.strip() for s in item.split("=", 1))
            if not header:
                raise BadMapping(f"{item!r} names no column: write the column's header before '='.")
            if not target:
                out[normal_header(header)] = None
                continue
            name = field_of(target)
            if name is None:
                close = difflib.get_close_matches(target.casefold(), COLUMNS, n=1, cutoff=0.6)
                hint = f"did you mean {close[0]!r}?" if close else "fields are " + ", ".join(COLUMNS)
                raise BadMapping(f"{target!r} (in {item!r}) is not a profile field — {hint}")
            out[normal_header(header)] = name
    return out


def letter(i: int) -> str:
    """The spreadsheet's letter of column ``i`` (0: A)."""
    from openpyxl.utils import get_column_letter

    return get_column_letter(i + 1)


def decide_columns(table: Table, raw_headers: list, mapping: dict[str, str | None]) -> list[RowProblem]:
    """Decide each column's field from its header and ``mapping`` (setting ``table.headers`` and
    ``table.fields``); the problems of the header row."""
    path, row = table.path, table.header_row
    headers = ["" if h is None or isinstance(h, CellIssue) else str(h).strip() for h in raw_headers]
    width = max([len(headers), *(len(cells) for _, cells in table.rows)], default=0)
    headers += [""] * (width - len(headers))
    table.headers, table.fields = headers, []
    problems = [
        RowProblem(path, row, f"column {letter(i)}", f"header {raw.message}", raw.hint)
        for i, raw in enumerate(raw_headers)
        if isinstance(raw, CellIssue)
    ]
    problems += _unknown_mapped(table, mapping)
    first: dict[str, str] = {}
    for i, header in enumerate(headers):
        target, problem = _column(table, i, header, mapping, first)
        if problem is not None:
            problems.append(problem)
        if target is not None:
            first[target] = header
        table.fields.append(target)
    return problems + _missing_columns(path, row, first)


def _unknown_mapped(table: Table, mapping: dict[str, str | None]) -> list[RowProblem]:
    """A problem for each ``--map`` header the table does not have."""
    known = {normal_header(h) for h in table.headers if h}
    problems = []
    for key in mapping:
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
            listed = "its columns are " + ", ".join(repr(h) for h in table.headers if h)
            hint = f"did you mean {close[0]!r}?" if close else listed
            message = f"--map names a column {key!r} that the table does not have"
            problems.append(RowProblem(table.path, table.header_row, None, message, hint))
    return problems


def _column(
    table: Table, i: int, header: str, mapping: dict[str, str | None], first: dict[str, str]
) -> tuple[str | None, RowProblem | None]:
    """The field of column ``i`` (None: left out), and the problem with its header, if any."""
    path, row = table.path, table.header_row
    if not header:
        filled = [n for n, cells in table.rows if i < len(cells) and not is_blank(cells[i])]
        if not filled:
            return None, None
        hint = (
            "give the column a header (e.g. 'summary'), or, in CSV, put a cell holding the separator in double quotes"
        )
        return None, RowProblem(path, row, f"column {letter(i)}", f"has a value on row {filled[0]} but no header", hint)
    key = normal_header(header)
    target = mapping[key] if key in mapping else field_of(header)
    if key not in mapping and target is None:
        close = difflib.get_close_matches(key.replace(" ", ""), COLUMNS, n=1, cutoff=0.6)
        hint = (
            f"map it: --map '{header}={close[0] if close else 'FIELD'}' (fields: {', '.join(COLUMNS)}),"
            f" or leave it out: --map '{header}='"
        )
        return None, RowProblem(path, row, header, "is not a profile field", hint)
    if target is not None and target in first:
        hint = f"merge the two columns, or leave one out: --map '{header}='"
        message = f"is a second column for {target!r} (after {first[target]!r})"
        return None, RowProblem(path, row, header, message, hint)
    return target, None


def _missing_columns(path: Path, row: int, first: dict[str, str]) -> list[RowProblem]:
    """A problem for each required field no column holds, and for a table without statements."""
    problems = []
    for name in REQUIRED:
        if name not in first:
            hint = f"add a '{name}' column, or name the column that holds it: --map 'HEADER={name}'"
            problems.append(RowProblem(path, row, None, f"no column for {name!r}", hint))
    if "capabilities" not in first and "needs" not in first:
        hint = "add a 'capabilities' or 'needs' column (or map one: --map 'Offers=capabilities')"
        problems.append(RowProblem(path, row, None, "no column for capabilities or needs", hint))
    return problems
