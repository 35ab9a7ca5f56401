"""Calendar months as integers: ``year * 12 + (month - 1)``.

Months are the engine's only clock. Scenario files write them ``YYYY-MM``.
"""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["MONTH_PATTERN", "format_month", "is_month", "parse_month"]

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: object) -> int:
    """``"2025-12"`` (or a YAML date) to a month index; ValueError if it is not a month."""
    if isinstance(text, dt.date):
        return text.year * 12 + text.month - 1
    match = MONTH_PATTERN.match(str(text).strip())
    if match is None:
        raise ValueError(f"expected a month written YYYY-MM, got {text!r}")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 01 to 12, got {text!r}")
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
