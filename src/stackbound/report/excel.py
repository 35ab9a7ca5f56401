"""``stackbound.xlsx``: one sheet per report table, numbers stored as numbers with a
number format, a bold frozen header row and column widths that fit.

Text is the user's (scenario, vendor and product names, sources): control characters
Excel cannot hold become U+FFFD, and text that starts with ``=`` stays text, never a formula.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

# openpyxl ships no type information (types-openpyxl is a separate, dev-only stub package)
from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

__all__ = ["write_workbook"]

FORMATS = {"probability": "0.000", "share": "0.0%", "first": "0.000", "total": "0.000"}
"""Number formats by column name; other floats get thousands separators."""
INTEGER = "#,##0"
DECIMAL = "#,##0.###"


def _value(value: object) -> object:
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Period):  # a month: as people write it, 2025-03
        return str(value)
    if hasattr(value, "item"):  # a numpy scalar: store the plain number
        return value.item()
    return value


def _format(column: str, series: pd.Series) -> str | None:
    if column in FORMATS:
        return FORMATS[column]
    if pd.api.types.is_bool_dtype(series):
        return None
    if pd.api.types.is_integer_dtype(series) or column in ("year", "seed", "samples"):
        return "0" if column == "year" else INTEGER
    if pd.api.types.is_float_dtype(series):
        return DECIMAL
    return None


def _append(sheet: Any, values: list[object]) -> None:
    """Append a row of cleaned values; text that looks like a formula is kept as text (a
    cell made here, typed as a string, in place of the value). Appending is linear: looking
    the new row up again (``sheet[sheet.max_row]``) rescans every cell, row after row."""
    sheet.append([_text_cell(sheet, v) for v in map(_value, values)])


def _text_cell(sheet: Any, value: object) -> object:
    if not (isinstance(value, str) and value.startswith("=")):
        return value
    cell = Cell(sheet, value=value)
    cell.data_type = "s"
    return cell


def _sheet(book: Workbook, name: str, table: pd.DataFrame, headers: Mapping[str, str]) -> None:
    sheet = book.create_sheet(name[:31])
    _append(sheet, [headers.get(str(c), str(c)) for c in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.itertuples(index=False):
        _append(sheet, list(row))
    for j, column in enumerate(table.columns, start=1):
        number_format = _format(str(column), table[column])
        letter = get_column_letter(j)
        if number_format is not None:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=j, max_col=j):
                cell.number_format = number_format
        header = headers.get(str(column), str(column))
        width = max([len(header), *(len(str(v)) for v in table[column].head(200))], default=8)
        sheet.column_dimensions[letter].width = min(60, width + 2)
    sheet.freeze_panes = "A2"


def write_workbook(path: Path, tables: dict[str, pd.DataFrame], headers: Mapping[str, str] | None = None) -> None:
    """One sheet per table, in the order given; ``headers`` gives columns their words in the
    header row (number formats still follow the column's own name)."""
    book = Workbook()
    default = book.active
    if default is not None:
        book.remove(default)
    for name, table in tables.items():
        _sheet(book, name, table, headers or {})
    book.save(path)
