"""Every JSON document stackbound writes goes through here: strict JSON, no NaN.

Extreme but legal inputs (``1e308``, huge sigmas) can make a mean or a percentile
infinite or NaN, which strict parsers reject. :func:`finite_document` turns each such
number into ``null`` and says where it was; :func:`json_text` dumps with
``allow_nan=False``, so a non-finite number that slipped through raises instead of
writing invalid JSON.
"""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["CONTEXT", "finite_document", "json_text"]

CONTEXT = ("scenario", "id", "year", "quarter", "month", "metric", "group", "variant", "constraint")
"""Fields of a row that say which row a non-finite number sat in."""


def _describe(number: float) -> str:
    return "nan" if math.isnan(number) else ("inf" if number > 0 else "-inf")


def _finite(value: Any, where: str, row: dict[str, Any], found: list[dict[str, Any]]) -> Any:
    if isinstance(value, dict):
        return {k: _finite(v, f"{where}/{k}", value, found) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v, f"{where}/{i}", {}, found) for i, v in enumerate(value)]
    if isinstance(value, float | np.floating) and not math.isfinite(value):
        context = {k: row[k] for k in CONTEXT if k in row and not isinstance(row[k], float | dict | list)}
        found.append({"path": where, **context, "field": where.rsplit("/", 1)[-1], "value": _describe(float(value))})
        return None
    return value


def finite_document(document: Any) -> tuple[Any, list[dict[str, Any]]]:
    """``document`` with every non-finite number as None, and one entry per number
    replaced: its JSON pointer (``path``), the row's identifying fields (:data:`CONTEXT`),
    the ``field`` and its ``value`` (``"inf"``, ``"-inf"`` or ``"nan"``).

    >>> finite_document({"annual": [{"metric": "units", "p95": float("inf")}]})[1]
    [{'path': '/annual/0/p95', 'metric': 'units', 'field': 'p95', 'value': 'inf'}]
    """
    found: list[dict[str, Any]] = []
    return _finite(document, "", {}, found), found


def _default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_text(document: Any, *, ascii_only: bool = False) -> str:
    """``document`` as indented, strict JSON text with a final newline (NaN raises)."""
    return json.dumps(document, indent=2, ensure_ascii=ascii_only, allow_nan=False, default=_default) + "\n"
