"""The report's workbook as sheets for spreadsheet readers: the summary of every year first,
then one wide sheet per headline metric (a row per product, vendor, origin and the total;
a column per year in P5, P50 and P95 blocks), then the report's long tables. Every sheet has
a unit column and headers in words; :mod:`.excel` writes them.

The long tables are the same as ``data/`` (:mod:`.tables`), where the headers stay short
names for code (``p50``, ``first_conf``).
"""

from __future__ import annotations

import pandas as pd

from stackbound.engine.results import PERCENTILES, RunResult
from stackbound.report.gather import ReportData
from stackbound.report.tables import tables

__all__ = ["HEADERS", "WIDE", "wide_table", "workbook_sheets"]

WIDE = {
    "Units produced": "units",
    "Units delivered": "units_delivered",
    "Compute added": "compute_added_h100e",
    "Compute installed": "installed_h100e",
}
"""The wide sheets: sheet name -> headline metric."""
BLOCKS = {5.0: "P5", 50.0: "P50", 95.0: "P95"}
HEADERS = {
    "scenario": "Scenario",
    "year": "Year",
    "metric": "Metric",
    "group": "Product, vendor, origin or total",
    "level": "Row is a",
    "name": "Name",
    "unit": "Unit",
    "mean": "Mean",
    "p5": "P5 (5th percentile)",
    "p50": "P50 (median)",
    "p95": "P95 (95th percentile)",
    "month": "Month",
    "percentile_relative_error": "Percentile relative error (share)",
    "variant": "Product variant",
    "product": "Product",
    "period": "Year",
    "constraint": "Binding constraint",
    "probability": "Probability it binds (while active)",
    "inactive": "Share of samples inactive",
    "starved_by_priority": "Probability starved by priority",
    "method": "Method",
    "factor": "Input or group of inputs (field paths)",
    "label": "Input in words",
    "low": "Output with input at P10",
    "high": "Output with input at P90",
    "swing": "Swing (high − low)",
    "first": "First-order Sobol index",
    "first_conf": "First-order index, 95% confidence half-width",
    "total": "Total Sobol index",
    "total_conf": "Total index, 95% confidence half-width",
    "output": "Output",
    "id": "Estimate",
    "kind": "Kind",
    "claim": "Claim",
    "published_low": "Published (low)",
    "published_high": "Published (high)",
    "tolerance": "Tolerance",
    "band_low": "Accepted band (low)",
    "band_high": "Accepted band (high)",
    "inside": "Model range overlaps",
    "definition": "Definition",
    "source": "Source",
    "date": "Date",
    "grade": "Grade",
    "field": "Field path",
    "value": "Value as written",
    "uncertain": "Uncertain",
    "inputs": "Random inputs",
    "assumption": "Assumption",
    "note": "Note",
    "stackbound": "stackbound version",
    "seed": "Seed",
    "samples": "Samples",
    "digest": "Scenario hash",
    "files": "Files read",
    "simulate_seconds": "Simulation time (s)",
}
"""Every table column in words, for the workbook's header rows."""
SENSITIVITY_UNITS = {"tornado": "units", "sobol": "share of variance"}


def _levels(result: RunResult, metric: str) -> list[tuple[str, str]]:
    """The rows of a wide sheet: (what the row is, its group), products then vendors,
    origins and the total."""
    groups = result.groups(metric)
    found = []
    for group in groups:
        if group in result.products:
            level = "product"
        elif group in result.vendors.values():
            level = "vendor"
        elif group in result.origins.values():
            level = "origin"
        else:
            level = "total" if group == "total" else "group"
        found.append((level, group))
    return found


def wide_table(results: tuple[RunResult, ...], metric: str) -> pd.DataFrame:
    """One row per scenario and product, vendor, origin and total; per year its P5, then
    per year its P50, then per year its P95 (columns ``P5 2025``, ..., ``P95 2028``)."""
    rows = []
    for result in results:
        if metric not in result.metrics():
            continue
        for level, group in _levels(result, metric):
            pct = result.annual_percentiles(metric, group)
            row: dict[str, object] = {
                "scenario": result.scenario,
                "level": level,
                "name": group,
                "unit": result.unit(metric),
            }
            for q, values in zip(PERCENTILES, pct, strict=True):
                row |= {f"{BLOCKS[q]} {year}": float(v) for year, v in zip(result.years, values, strict=True)}
            rows.append(row)
    return pd.DataFrame(rows)


def _sensitivity_units(table: pd.DataFrame) -> pd.DataFrame:
    if table.empty:
        return table.assign(unit=pd.Series(dtype=str))
    return table.assign(unit=table["method"].map(SENSITIVITY_UNITS))


def workbook_sheets(data: ReportData, found: dict[str, pd.DataFrame] | None = None) -> dict[str, pd.DataFrame]:
    """Every sheet, in order: the summary, the wide sheets, then the long tables (``found``:
    the report's tables, when already made)."""
    long = dict(tables(data) if found is None else found)
    sheets = {"summary": long.pop("summary")}
    for name, metric in WIDE.items():
        wide = wide_table(data.results, metric)
        if not wide.empty:
            sheets[name] = wide
    long["sensitivity"] = _sensitivity_units(long["sensitivity"])
    return sheets | long
