"""Profiles from a spreadsheet and back: one row an organisation, in CSV, TSV or XLSX.

``import_table`` reads a table (``read.py``), checks every row as ``matcher validate`` checks a file, and
against the other rows and the folder (``rows.py``), and writes one YAML file a row, all of them or none
(``write.py``); ``export_table`` writes the same columns back (``export.py``), so that a table read in and
written out again is the table it was.

Columns are found by their headers (``name``, ``Capabilities``, ``need``...), or mapped (``Offers=capabilities``,
``columns.py``). A cell of a list column holds one item a line, or items separated by ``;``. Rows are numbered
as a spreadsheet numbers them: the header is row 1.
"""

from __future__ import annotations

from ...profiles.countries import country_code
from .columns import COLUMNS, LIST_COLUMNS, RowProblem, Table, field_of, parse_mapping
from .export import export_folder, export_table, profile_row
from .read import read_table
from .rows import split_items
from .write import ImportResult, Planned, import_table

__all__ = [
    "COLUMNS",
    "LIST_COLUMNS",
    "ImportResult",
    "Planned",
    "RowProblem",
    "Table",
    "country_code",
    "export_folder",
    "export_table",
    "field_of",
    "import_table",
    "parse_mapping",
    "profile_row",
    "read_table",
    "split_items",
]
