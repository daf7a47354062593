"""Write profiles as a table that ``import_table`` reads back unchanged: CSV, TSV or XLSX, whole or not at all,
text a spreadsheet would run as a formula kept text."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ...errors import InvalidProfiles, ProfilesNotFound
from ...index.store import is_store
from ...paths import public_mode, write_text_atomic
from ...profiles.load import load_folder
from ...profiles.model import Profile
from ...text.cells import FORMULA_START, escape_text
from .columns import COLUMNS, LIST_COLUMNS, fail

FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".xlsx": "xlsx", ".xlsm": "xlsx"}
"""The table format of each suffix ``export_table`` writes."""


def profile_row(profile: Profile) -> list[str]:
    """A profile's cells in ``COLUMNS`` order: lists one item a line (a single item holding ``;`` gets a
    line break after it, so that it is read back as one item), absent fields empty."""
    cells = []
    for name in COLUMNS:
        value = getattr(profile, name)
        if name in LIST_COLUMNS:
            items = list(value)
            text = "\n".join(items)
            if len(items) == 1 and ";" in items[0]:
                text += "\n"
            cells.append(text)
        else:
            cells.append(value or "")
    return cells


def table_format_of(out: Path, fmt: str | None) -> str:
    """``fmt``, else the format ``out``'s suffix names; TableError where it names none."""
    if fmt:
        return fmt
    found = FORMATS.get(out.suffix.lower())
    if found is None:
        raise fail(
            out,
            f"has the suffix {out.suffix or '(none)'!r}, which names no table format",
            "write to a .csv, .tsv or .xlsx file, or give --format",
        )
    return found


def export_table(profiles: Sequence[Profile], out: Path | str, fmt: str | None = None) -> int:
    """Write ``profiles`` as a table (``COLUMNS``, one row a profile, sorted by name) to ``out``, as CSV, TSV
    or XLSX (``fmt``, else from the suffix), whole or not at all; return the number of rows. Text cells that
    a spreadsheet would read as formulas are written as text (OWASP's ``'`` in CSV, a text cell in XLSX)."""
    out = Path(out)
    fmt = table_format_of(out, fmt)
    ordered = sorted(profiles, key=lambda p: (p.name.casefold(), p.name))
    rows = [profile_row(p) for p in ordered]
    if fmt in ("csv", "tsv"):
        buffer = io.StringIO()
        delimiter = "," if fmt == "csv" else "\t"
        writer = csv.writer(buffer, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        writer.writerows([escape_text(c) for c in row] for row in rows)
        write_text_atomic(out, "\ufeff" + buffer.getvalue())  # the BOM tells Excel the file is UTF-8
    else:
        _write_xlsx(out, rows)
    return len(rows)


def _write_xlsx(out: Path, rows: list[list[str]]) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    book = Workbook(write_only=True)
    ws = book.create_sheet("profiles")
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")

    def cell(value: str, header: bool = False):
        c = WriteOnlyCell(ws, value=value)
        c.data_type = "s"  # text, never a formula, whatever it begins with
        if header:
            c.font = bold
        else:
            c.alignment = wrap
        if value.startswith(FORMULA_START):
            c.quotePrefix = True  # and the spreadsheet keeps it text when the cell is edited
        return c

    ws.append([cell(h, True) for h in COLUMNS])
    for row in rows:
        ws.append([cell(v) for v in row])
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    try:
        book.save(tmp)
        os.chmod(tmp, public_mode())
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def export_folder(folder: Path | str, out: Path | str, fmt: str | None = None) -> int:
    """``export_table`` of every profile in ``folder``; raise InvalidProfiles where a file cannot be loaded
    (its organisation would be missing from the table without a word)."""
    folder = Path(folder)
    table_format_of(Path(out), fmt)  # a wrong suffix is told before the folder is read
    if is_store(folder):
        raise ProfilesNotFound(
            f"{folder} is a profile store (built by matcher import-cordis): export-table writes a folder"
            " of YAML profiles."
        )
    if not folder.is_dir():
        raise ProfilesNotFound(f"Profiles folder '{folder}' does not exist. Give --profiles DIR.")
    loaded = load_folder(folder)
    if loaded.errors:
        raise InvalidProfiles(loaded.errors)
    if not loaded.profiles:
        raise ProfilesNotFound(f"No profiles (*.yaml, *.yml) in '{folder}': nothing to export.")
    return export_table(loaded.profiles, out, fmt)
