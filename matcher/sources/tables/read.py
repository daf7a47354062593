"""Read a CSV, TSV or XLSX table whole or not at all: bounded in size, rows, and what a workbook unpacks to;
formulas, binary files and text that is not UTF-8 refused with the fix.

The stdlib ``csv`` module and openpyxl read the files, not pandas' readers: pandas gives a formula's cached
value instead of the formula and pads a ragged row, hiding two of the problems to report.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import re
from pathlib import Path

from ...errors import TableError
from ...text.cells import unescape_cell
from .columns import CellIssue, Table, decide_columns, fail, is_blank

MAX_TABLE_BYTES = 32 * 1024 * 1024
"""A table of 100,000 organisations is a few megabytes; anything bigger is not read."""
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
"""What an .xlsx may unpack to (a workbook is a zip: a small file can unpack to gigabytes)."""
MAX_ROWS = 100_000

BIG_FILE_HINT = "split the table into files of at most {limit}"
EMPTY_HINT = "write a header row (name, country, kind, capabilities, needs, ...) and one row an organisation"
RESAVE_HINT = "open it in Excel or LibreOffice and save it again as .xlsx, or as CSV UTF-8"
_SEPARATORS = (",", ";", "\t")
_FORMULA = re.compile(r"=|[+\-@]\S.*[(|!]", re.S)
"""A formula (``=...``), or one a spreadsheet starts with + - @ (``+cmd|' /C calc'!A0``, ``@SUM(A1)``)."""


def read_table(path: Path | str, mapping: dict[str, str | None] | None = None, sheet: str | None = None) -> Table:
    """Read a CSV, TSV or XLSX table and decide what each column holds; raise TableError listing every
    problem with the file or its header row (the rows themselves are checked by ``import_table``)."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_TABLE_BYTES:
            limit = f"{MAX_TABLE_BYTES // 2**20} MB"
            message = f"is {size:,} bytes, more than the {MAX_TABLE_BYTES:,} a table may have"
            raise fail(path, message, BIG_FILE_HINT.format(limit=limit))
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise fail(path, f"cannot be read: {exc.strerror or exc}") from None
    fmt = table_format(path, head)
    if fmt == "xlsx":
        table, header = _read_xlsx(path, sheet)
    else:
        if sheet:
            raise fail(path, f"is a {fmt.upper()} file, which has no sheets", "leave out --sheet")
        table, header = _read_text(path, fmt)
    problems = decide_columns(table, header, mapping or {})
    if problems:
        raise TableError(problems)
    return table


def table_format(path: Path, head: bytes) -> str:
    """The table's format, from its first bytes where they tell (a zip is a workbook), else its suffix."""
    suffix = path.suffix.lower()
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise fail(
            path,
            "is an Excel 97-2003 workbook (.xls) or an encrypted one, which matcher does not read",
            "save it as an Excel Workbook (.xlsx) without a password, or as CSV UTF-8",
        )
    if suffix in (".xlsx", ".xlsm"):
        hint = "check that this is the right file, or give it the suffix of its format"
        raise fail(path, "is not an Excel workbook (not a zip file)", hint)
    if suffix in (".ods", ".numbers", ".xls"):
        raise fail(path, f"is a {suffix} file, which matcher does not read", "save it as .xlsx, or as CSV UTF-8")
    if suffix in (".yaml", ".yml"):
        raise fail(path, "is a profile, not a table", f"check it with: matcher validate {path}")
    return "tsv" if suffix in (".tsv", ".tab") else "csv"


# --------------------------------------------------------------------------- CSV and TSV


def _decode(path: Path, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode Text" is UTF-16 with a byte-order mark
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        message = f"is a binary file, not CSV text (a NUL byte on line {line})"
        raise fail(path, message, "give a CSV, TSV or XLSX table")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise fail(
            path,
            f"is not valid UTF-8 (byte 0x{data[exc.start]:02x} on line {line})",
            "save it as 'CSV UTF-8 (Comma delimited)' in Excel, or choose UTF-8 in the program that wrote it",
        ) from None


def _separator(text: str, fmt: str) -> str:
    """Tab for TSV; for CSV the separator the header line uses most (Excel writes ';' in many countries)."""
    if fmt == "tsv":
        return "\t"
    header = next((line for line in text.splitlines() if line.strip()), "")
    outside = re.sub(r'"[^"]*"', "", header)
    return max(_SEPARATORS, key=lambda s: (outside.count(s), s == ","))


def _text_cell(raw: str) -> str | CellIssue:
    text = unescape_cell(raw) if raw.startswith("'") else raw
    if text is raw and _FORMULA.match(raw.lstrip()):
        shown = raw.strip()
        shown = shown if len(shown) <= 40 else shown[:39] + "…"
        return CellIssue(
            f"begins like a spreadsheet formula ({shown!r})",
            "matcher reads text, not formulas: write the value itself (text that really begins with one of = + - @"
            " is written with a ' before it)",
        )
    return text


def _read_text(path: Path, fmt: str) -> tuple[Table, list]:
    text = _decode(path, path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_separator(text, fmt), strict=True)
    table = Table(path, fmt, 0, [], [], [])
    header: list | None = None
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            if header is None:
                if any(c.strip() for c in cells):
                    header, table.header_row = cells, number
                continue
            if not any(c.strip() for c in cells):
                table.blank_rows += 1
                continue
            _room_for_a_row(table, number, "table")
            table.rows.append((number, [_text_cell(c) for c in cells]))
    except csv.Error as exc:
        hint = (
            "check the double quotes around that row: a quote that opens a cell must close it, and a quote"
            " inside a cell is written twice"
        )
        raise fail(path, f"cannot be read as {fmt.upper()}: {exc}", hint, row=number + 1) from None
    if header is None:
        raise fail(path, "is empty", EMPTY_HINT)
    return table, header


def _room_for_a_row(table: Table, number: int | None, what: str) -> None:
    if len(table.rows) >= MAX_ROWS:
        hint = BIG_FILE_HINT.format(limit=f"{MAX_ROWS:,} rows")
        raise fail(table.path, f"the {what} has more than {MAX_ROWS:,} rows", hint, row=number)


# --------------------------------------------------------------------------- XLSX


def _xlsx_cell(cell) -> str | CellIssue | None:
    value, kind = cell.value, getattr(cell, "data_type", None)
    if value is None:
        return None
    if kind == "f" or type(value).__name__ in ("ArrayFormula", "DataTableFormula"):
        shown = str(getattr(value, "text", value))
        shown = shown if len(shown) <= 40 else shown[:39] + "…"
        return CellIssue(
            f"is a formula ({shown}), not text",
            "matcher reads values only: replace it by the text it shows (copy the column, then Paste Special → Values)",
        )
    if kind == "e":
        return CellIssue(f"holds the error {value}", "correct the cell or empty it")
    retype = "format the column as Text and type the value again"
    if isinstance(value, bool):
        hint = "type the text, or format the column as Text"
        return CellIssue(f"expected text, got the logical value {str(value).upper()}", hint)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return CellIssue(f"expected text, got the date {value}", retype)
    if isinstance(value, (int, float)):
        return CellIssue(f"expected text, got the number {value:g}", retype)
    return str(value)


def _check_unpacked(path: Path) -> None:
    """Refuse a workbook that is not a zip, or that unpacks to more than MAX_UNPACKED_BYTES."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            unpacked = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise fail(path, f"is not a readable .xlsx workbook ({exc})", RESAVE_HINT) from None
    if unpacked > MAX_UNPACKED_BYTES:
        message = f"unpacks to {unpacked:,} bytes, more than the {MAX_UNPACKED_BYTES:,} a table may"
        raise fail(path, message, BIG_FILE_HINT.format(limit=f"{MAX_ROWS:,} rows"))


def _read_xlsx(path: Path, sheet: str | None) -> tuple[Table, list]:
    _check_unpacked(path)
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises a dozen kinds on a damaged workbook: each is one message
        raise fail(path, f"cannot be read as a workbook ({type(exc).__name__}: {exc})", RESAVE_HINT) from None
    try:
        ws = _worksheet(path, book, sheet)
        table = Table(path, "xlsx", 0, [], [], [], sheet=ws.title)
        try:
            header = _sheet_rows(table, ws)
        except TableError:
            raise
        except Exception as exc:  # a damaged sheet fails as it is streamed
            message = f"sheet {ws.title!r} cannot be read ({type(exc).__name__}: {exc})"
            raise fail(path, message, RESAVE_HINT) from None
    finally:
        book.close()
    if header is None:
        raise fail(path, f"sheet {table.sheet!r} is empty", EMPTY_HINT)
    while header and is_blank(header[-1]):
        header.pop()
    return table, header


def _worksheet(path: Path, book, sheet: str | None):
    """The sheet named ``sheet``, else the first."""
    sheets = [ws for ws in book.worksheets if hasattr(ws, "iter_rows")]
    if sheet is None:
        if not sheets:
            raise fail(path, "has no worksheet", RESAVE_HINT)
        return sheets[0]
    names = [ws.title for ws in sheets]
    if sheet not in names:
        close = difflib.get_close_matches(sheet, names, n=1)
        hint = (f"did you mean {close[0]!r}? " if close else "") + "its sheets are " + ", ".join(map(repr, names))
        raise fail(path, f"has no sheet {sheet!r}", hint)
    return book[sheet]


def _sheet_rows(table: Table, ws) -> list | None:
    """Read the rows of a sheet into ``table``; return its header row (None for an empty sheet)."""
    header = None
    for cells in ws.iter_rows():
        values = [_xlsx_cell(c) for c in cells]
        number = next((c.row for c in cells if getattr(c, "row", None)), None)
        if header is None:
            if any(not is_blank(v) for v in values):
                header, table.header_row = values, number or 1
            continue
        if all(is_blank(v) for v in values):
            table.blank_rows += 1
            continue
        _room_for_a_row(table, number, "sheet")
        while values and is_blank(values[-1]):
            values.pop()
        table.rows.append((number, ["" if v is None else v for v in values]))
    return header
