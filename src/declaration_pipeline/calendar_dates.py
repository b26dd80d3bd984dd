"""Dates written in sources, checked as real calendar dates: one rule for references.bib and signatories.yaml."""

from __future__ import annotations

import re
from datetime import date

# YYYY, YYYY-MM or YYYY-MM-DD (ISO 8601's calendar forms, as biblatex reads them)
_ISO_PARTS = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def is_calendar_date(text: str, *, whole_day: bool = True) -> bool:
    """`text` is a real day written YYYY-MM-DD; unless `whole_day`, also YYYY or YYYY-MM with a real month."""
    match = _ISO_PARTS.fullmatch(text)
    if not match or (whole_day and match.group(3) is None):
        return False
    year, month, day = (int(part) if part else 1 for part in match.groups())
    try:
        date(year, month, day)  # raises for month 13 or 30 February
    except ValueError:
        return False
    return True


def is_biblatex_date(text: str) -> bool:
    """biblatex's `date`: a calendar date, or a range `start/end` open at either end (`2020/`, `../2020`)."""
    start, slash, end = text.partition("/")
    if not slash:
        return is_calendar_date(text, whole_day=False)
    ends = (start, end)
    if all(part in ("", "..") for part in ends):
        return False
    return all(part in ("", "..") or is_calendar_date(part, whole_day=False) for part in ends)
