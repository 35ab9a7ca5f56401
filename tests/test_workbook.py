"""Issue 11 §5: the workbook for spreadsheet readers — a summary of every year, a wide sheet
per headline metric (rows = product, vendor, origin, total; columns = years in P5, P50, P95
blocks), a unit column everywhere and headers in words."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook

from stackbound.report.gather import ReportData, ReportSettings, gather
from stackbound.report.workbook import WIDE, wide_table
from stackbound.report.write import write_report
from stackbound.scenario.loader import load_scenario

FIXTURE = Path(__file__).parent / "fixtures" / "blackwell.yaml"


@pytest.fixture(scope="module")
def data() -> ReportData:
    settings = ReportSettings(samples=400, seed=3, sobol_samples=16, discovery=False)
    return gather([load_scenario("china"), load_scenario("more-licences")], settings)


@pytest.fixture(scope="module")
def book(data: ReportData, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[object, ...]]]:
    target = write_report(tmp_path_factory.mktemp("workbook") / "out", data)
    workbook = load_workbook(target / "stackbound.xlsx", read_only=True)
    return {name: list(workbook[name].iter_rows(values_only=True)) for name in workbook.sheetnames}


def test_sheets_in_order(book: dict[str, list[tuple[object, ...]]]) -> None:
    assert list(book)[: 1 + len(WIDE)] == ["summary", *WIDE]
    for name in ("annual", "monthly", "bottlenecks", "sensitivity", "validation", "assumptions", "run_record"):
        assert name in book


def test_wide_sheet_has_rows_by_product_vendor_origin_and_year_blocks(
    book: dict[str, list[tuple[object, ...]]], data: ReportData
) -> None:
    header, *rows = book["Units produced"]
    years = data.base.years
    assert header[:4] == ("Scenario", "Row is a", "Name", "Unit")
    assert header[4:] == tuple(f"{p} {y}" for p in ("P5", "P50", "P95") for y in years)
    levels = {row[1] for row in rows}
    assert levels == {"product", "vendor", "origin", "total"}
    names = {(row[0], row[2]) for row in rows}
    assert {("china", "Huawei"), ("china", "domestic"), ("china", "total"), ("more-licences", "total")} <= names
    assert all(row[3] == "units" for row in rows)
    total = next(row for row in rows if row[0] == "china" and row[2] == "total")
    values = data.base.annual_values("units")
    expected = np.percentile(values, [5, 50, 95], axis=0, method="inverted_cdf").ravel()
    np.testing.assert_allclose(np.asarray(total[4:], dtype=float), expected, rtol=1e-6)


def test_every_numeric_sheet_has_a_unit_column(book: dict[str, list[tuple[object, ...]]]) -> None:
    for name in ("summary", *WIDE, "annual", "monthly", "sensitivity", "validation"):
        assert "Unit" in book[name][0], name


def test_headers_are_words(book: dict[str, list[tuple[object, ...]]]) -> None:
    for name, rows in book.items():
        for header in rows[0]:
            assert isinstance(header, str)
            assert "_" not in header, (name, header)  # no first_conf, starved_by_priority
    assert "First-order index, 95% confidence half-width" in book["sensitivity"][0]


def test_summary_covers_every_year(book: dict[str, list[tuple[object, ...]]], data: ReportData) -> None:
    header, *rows = book["summary"]
    year = header.index("Year")
    for scenario in ("china", "more-licences"):
        found = {row[year] for row in rows if row[0] == scenario and row[2] == "units"}
        assert found == set(data.base.years), scenario
    p50 = [row[header.index("P50 (median)")] for row in rows]
    assert all(isinstance(v, int | float) and not isinstance(v, bool) for v in p50)


def test_no_rental_rows_without_rental(tmp_path: Path) -> None:
    settings = ReportSettings(samples=200, seed=1, sensitivity=False, discovery=False)
    data = gather([load_scenario(str(FIXTURE))], settings)
    target = write_report(tmp_path / "out", data)
    summary = list(load_workbook(target / "stackbound.xlsx", read_only=True)["summary"].iter_rows(values_only=True))
    assert "rental_h100e" not in {row[2] for row in summary[1:]}
    assert not wide_table(data.results, "units").empty
