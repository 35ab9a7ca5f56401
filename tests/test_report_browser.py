"""``report.html`` in a real headless browser: Debian's Chromium driven by Playwright.

The browser is conftest's (Chromium, installed with apt-get when missing). The page must
load with no console error and no request beyond the file itself, draw every chart with
data, and show on hover the value in the CSV.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from stackbound.report.gather import ReportSettings, gather
from stackbound.report.interactive import shown
from stackbound.report.write import write_report
from stackbound.scenario.loader import load_scenario

CHARTS = ("units", "compute", "production", "runway", "binding", "stranded", "comparison", "tornado", "sobol", "owned")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings = ReportSettings(samples=2_000, seed=5, sobol_samples=64, discovery=False)
    data = gather([load_scenario("china"), load_scenario("more-licences")], settings)
    return write_report(tmp_path_factory.mktemp("browser") / "out", data)


@pytest.fixture(scope="module")
def page(browser: Any, report: Path) -> Iterator[tuple[Any, list[str], list[str]]]:
    errors: list[str] = []
    requests: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "request",
        lambda request: None if request.url.startswith(("file://", "data:")) else requests.append(request.url),
    )
    page.goto((report / "report.html").as_uri(), wait_until="load")
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 10")
    yield page, errors, requests
    page.close()


def test_page_loads_offline_without_errors(page: tuple[Any, list[str], list[str]]) -> None:
    view, errors, requests = page
    view.wait_for_timeout(300)
    assert errors == []
    assert requests == []
    assert view.title().startswith("stackbound report")


def test_every_chart_renders_with_data(page: tuple[Any, list[str], list[str]]) -> None:
    view, _, _ = page
    for key in CHARTS:
        drawn = view.evaluate(
            """key => {
                const chart = document.getElementById('chart-' + key);
                if (!chart || !chart.data) return 0;
                const marks = chart.querySelectorAll('.scatterlayer .trace path, .barlayer .point path');
                return Math.min(chart.data.length, marks.length);
            }""",
            key,
        )
        assert drawn > 0, f"chart {key} drew nothing"


def test_hover_shows_the_value_in_the_csv(page: tuple[Any, list[str], list[str]], report: Path) -> None:
    view, _, _ = page
    annual = pd.read_csv(report / "data" / "annual.csv")
    row = annual[
        (annual["scenario"] == "china")
        & (annual["metric"] == "units")
        & (annual["group"] == "total")
        & (annual["year"] == 2026)
    ]
    expected = shown(float(row["p50"].iloc[0]))
    view.locator("#chart-units").scroll_into_view_if_needed()
    point = view.evaluate(
        """() => {
            const chart = document.getElementById('chart-units');
            const trace = chart.data.findIndex(t => t.name === 'china');
            const layout = chart._fullLayout, box = chart.getBoundingClientRect();
            const i = chart.data[trace].x.indexOf('2026');
            return [box.left + layout.xaxis._offset + layout.xaxis.l2p(i),
                    box.top + layout.yaxis._offset + layout.yaxis.d2p(chart.data[trace].y[i])];
        }"""
    )
    view.mouse.move(point[0] - 30, point[1] - 30)
    view.mouse.move(point[0], point[1])
    label = view.locator("#chart-units .hoverlayer .hovertext")
    label.first.wait_for(state="attached", timeout=5_000)
    assert expected in label.first.text_content()


def test_binding_timeline_renders_with_labels_in_words(page: tuple[Any, list[str], list[str]]) -> None:
    """Issue 11 §4: the binding chart is a timeline (a heatmap per constraint, cells drawn),
    its rows are product variants in words, its legend names constraints in words and
    "starved by priority", and hovering a cell names the variant, month and constraint."""
    view, _, _ = page
    view.locator("#chart-binding").scroll_into_view_if_needed()
    found = view.evaluate(
        """() => {
            const chart = document.getElementById('chart-binding');
            const heatmaps = chart.data.filter(t => t.type === 'heatmap');
            const images = chart.querySelectorAll('.heatmaplayer image, .hm image, image').length;
            const rows = Array.from(chart.querySelectorAll('.yaxislayer-above .ytick text')).map(t => t.textContent);
            const legend = Array.from(chart.querySelectorAll('.legend .legendtext')).map(t => t.textContent);
            return {heatmaps: heatmaps.length, images: images, rows: rows, legend: legend};
        }"""
    )
    assert found["heatmaps"] >= 2
    assert found["images"] >= 1, "no heatmap cells drawn"
    assert any(row.startswith("Ascend 910B") for row in found["rows"]), found["rows"]
    assert not any("/" in row for row in found["rows"]), "rows are in words, not product/variant keys"
    assert "starved by priority" in found["legend"]
    assert "CXMT HBM3" in found["legend"]
    assert "packaging" in found["legend"]
    point = view.evaluate(
        """() => {
            const chart = document.getElementById('chart-binding');
            const layout = chart._fullLayout, box = chart.getBoundingClientRect();
            const curve = chart.data.findIndex(t => t.type === 'heatmap');
            const z = chart.data[curve].z;
            const r = z.findIndex(row => row.some(v => v !== null));
            const c = z[r].findIndex(v => v !== null);
            // months read as dates on the x axis, variants as categories on the y axis
            return [box.left + layout.xaxis._offset + layout.xaxis.d2p(chart.data[curve].x[c]),
                    box.top + layout.yaxis._offset + layout.yaxis.l2p(r)];
        }"""
    )
    view.mouse.move(point[0] - 5, point[1] - 5)
    view.mouse.move(point[0], point[1])
    label = view.locator("#chart-binding .hoverlayer .hovertext")
    label.first.wait_for(state="attached", timeout=5_000)
    hover = label.first.text_content()
    assert "P=" in hover
    assert "20" in hover


def test_register_is_folded_and_filters(page: tuple[Any, list[str], list[str]]) -> None:
    view, _, _ = page
    register = view.locator("#register details.folded")
    assert register.evaluate("d => d.open") is False
    register.locator("summary").click()
    box = register.locator("input.filter")
    total = view.locator("#table-register tbody tr").count()
    box.fill("wafer starts")
    visible = view.locator("#table-register tbody tr:not([hidden])").count()
    assert 0 < visible < total
    box.fill("no such input anywhere")
    assert view.locator("#table-register tbody tr:not([hidden])").count() == 0
    assert view.locator("#table-register-none").is_visible()
    width = view.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], "the register overflows the page"
