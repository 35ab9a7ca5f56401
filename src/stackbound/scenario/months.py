"""Calendar months as integers: ``year * 12 + (month - 1)``.

Months are the engine's only clock. Scenario files write them ``YYYY-MM``, from
:data:`FIRST_YEAR` to :data:`LAST_YEAR`.
"""

from __future__ import annotations

import datetime as dt
import re

from stackbound.scenario.text import excerpt

__all__ = [
    "FIRST_MONTH",
    "FIRST_YEAR",
    "LAST_MONTH",
    "LAST_YEAR",
    "MONTH_PATTERN",
    "format_month",
    "is_month",
    "parse_month",
]

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
FIRST_YEAR = 1950
LAST_YEAR = 2150
FIRST_MONTH = FIRST_YEAR * 12
LAST_MONTH = LAST_YEAR * 12 + 11


def parse_month(text: object) -> int:
    """``"2025-12"`` (or a YAML date) to a month index; ValueError if it is not a month."""
    if isinstance(text, dt.date):
        year, month = text.year, text.month
    else:
        match = MONTH_PATTERN.match(str(text).strip()) if isinstance(text, str | int) else None
        if match is None:
            raise ValueError(f"expected a month written YYYY-MM, got {excerpt(text)}")
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            raise ValueError(f"month must be 01 to 12, got {excerpt(text)}")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(
            f"a month must lie between {FIRST_YEAR}-01 and {LAST_YEAR}-12, got {format_month(year * 12 + month - 1)}"
        )
    return year * 12 + month - 1


def is_month(text: object) -> bool:
    """Whether ``text`` reads as a month."""
    try:
        parse_month(text)
    except ValueError:
        return False
    return True


def format_month(index: int) -> str:
    """A month index back to ``YYYY-MM``."""
    year, month0 = divmod(int(index), 12)
    return f"{year:04d}-{month0 + 1:02d}"
