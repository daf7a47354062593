"""Text cells a spreadsheet will not run: the OWASP escaping of CSV injection, for every CSV matcher writes.

A spreadsheet reads a cell beginning with ``=``, ``+``, ``-`` or ``@`` as a formula (``=HYPERLINK(...)``
sends data away, ``=cmd|' /C calc'!A0`` runs a program), and a leading tab or carriage return can hide one.
OWASP's advice: start such a cell with a single quote, which the spreadsheet shows as text, and quote every
field (``csv.QUOTE_ALL``). ``unescape_cell`` undoes it, so a table matcher writes reads back unchanged.
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value):
    """``value`` with a ``'`` before it where it is text that begins like a formula; anything else as it is
    (numbers are written as numbers: a negative score is not an injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def escape_row(row):
    """``escape_cell`` on every cell of a row (a list, or a dict's values)."""
    if isinstance(row, dict):
        return {k: escape_cell(v) for k, v in row.items()}
    return [escape_cell(v) for v in row]


def unescape_cell(text: str) -> str:
    """The text ``escape_cell`` was given: one leading ``'`` removed where a formula character (or another
    ``'``, see ``escape_text``) follows it."""
    if text.startswith("'") and text[1:].startswith((*FORMULA_START, "'")):
        return text[1:]
    return text


def escape_text(value: str) -> str:
    """``escape_cell`` for a writer whose tables are read back by ``unescape_cell``: a text already beginning
    with ``'`` gets one more, so that it survives the round trip unchanged."""
    if value.startswith("'"):
        return "'" + value
    return escape_cell(value)
