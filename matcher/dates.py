"""Dates as people type them on the command line and in forms: ISO ``YYYY-MM-DD`` only, checked to exist."""

from __future__ import annotations

import re
from datetime import date

ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def iso_day(value: str | date) -> date:
    """``value`` as a date where it is written ``YYYY-MM-DD`` (or is one): ``date.fromisoformat`` alone also
    takes ``20260512`` and ``2026-W20-2`` (Python 3.11), which a person who typed them did not mean as dates.
    Raises ValueError with the sentence to show."""
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if ISO_DAY.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"{value!r} is not a day of the calendar: write it as YYYY-MM-DD, e.g. 2026-05-12"
            ) from None
    raise ValueError(f"{value!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-05-12")
