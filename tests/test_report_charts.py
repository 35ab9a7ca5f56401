"""Issue 11 §4: charts that read at a glance — the binding timeline (static and interactive),
one band per fan chart, production grouped by vendor, stranded inventory and scenario
differences as small multiples, Dutch axes, the folded register, and a report for a
non-China scenario without empty sections."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from stackbound.analysis.bottlenecks import MOSTLY
from stackbound.report import charts
from stackbound.report.document import question, sections
from stackbound.report.figures import Figure, figures
from stackbound.report.gather import ReportData, ReportSettings, gather
from stackbound.report.html import html_page
from stackbound.report.i18n import text
from stackbound.report.interactive import fragment, shown
from stackbound.report.palette import family_colours, shaded
from stackbound.report.timeline import constraint_label, variant_label
from stackbound.scenario.loader import load_scenario

FIXTURE = Path(__file__).parent / "fixtures" / "blackwell.yaml"
QUICK = ReportSettings(samples=400, seed=2, sensitivity=False, discovery=False)


@pytest.fixture(scope="module")
def china() -> ReportData:
    return gather([load_scenario(n) for n in ("china", "more-licences", "hbm-smuggling")], QUICK)


@pytest.fixture(scope="module")
def blackwell() -> ReportData:
    return gather([load_scenario(str(FIXTURE))], QUICK)


def by_key(found: list[Figure]) -> dict[str, Figure]:
    return {f.key: f for f in found}


def test_binding_timeline_is_per_variant_and_month(china: ReportData) -> None:
    """Each cell is that variant's own most likely constraint and its probability, never an
    average over variants; starved and inactive follow the binding story's threshold."""
    figure = by_key(figures(china, "en"))["binding"]
    grid = figure.grid
    assert figure.kind == "timeline"
    assert grid is not None
    monthly, scenario = china.monthly, china.loaded[0].scenario
    shown_variants = [monthly.variants.index(name) for name in grid.row_names]
    never = [v for v in range(len(monthly.variants)) if (monthly.inactive[v] >= MOSTLY).all()]
    assert grid.hidden == len(never)
    assert not set(never) & set(shown_variants)
    assert text("en", "binding_hidden", count=grid.hidden) in figure.footnote
    assert len(grid.columns) == len(china.base.months)
    for r, v in enumerate(shown_variants):
        for t in range(len(grid.columns)):
            k = grid.cells[r][t]
            if monthly.inactive[v, t] >= MOSTLY:
                assert k == -1
                assert not grid.starved[r][t]
                continue
            best = int(np.argmax(monthly.probability[v, :, t]))
            assert grid.categories[k] == constraint_label(scenario, monthly.constraints[best], "en")
            assert grid.probability[r][t] == pytest.approx(monthly.probability[v, best, t])
            assert grid.starved[r][t] == bool(monthly.starved[v, t] >= MOSTLY)
    assert any(any(row) for row in grid.starved), "china has variants starved by priority"
    assert len(set(grid.colours)) == len(grid.categories)


def test_a_variant_bound_throughout_shows_certain(blackwell: ReportData) -> None:
    """B300 is packaging-bound in (nearly) every sample: one row, one colour, near full shade."""
    grid = by_key(figures(blackwell, "en"))["binding"].grid
    assert grid is not None
    assert grid.rows == ("B300-class",)  # the product in words; its only variant is not named
    assert grid.categories == ("packaging",)
    assert min(grid.probability[0]) > 0.8


def test_variant_labels_are_words() -> None:
    scenario = load_scenario("china").scenario
    assert variant_label(scenario, "ascend910c/hbm2e", "ascend910c") == "Ascend 910C · HBM2E"
    assert variant_label(scenario, "ascend950pr/huawei_hbm", "ascend950pr") == "Ascend 950PR · Huawei HBM"


def test_timeline_draws_static_and_interactive(china: ReportData, tmp_path: Path) -> None:
    figure = by_key(figures(china, "en"))["binding"]
    assert figure.grid is not None
    png, svg = charts.save(figure, tmp_path)
    assert png.stat().st_size > 10_000
    drawing = svg.read_text(encoding="utf-8")
    for label in (*figure.grid.categories, figure.grid.starved_label, "Ascend 910B"):
        assert label in drawing, label
    html = fragment(figure)
    data = json.loads(re.search(r"Plotly\.newPlot\(\s*\"chart-binding\",\s*(\[.*?\]),\s*\{", html, re.S).group(1))  # type: ignore[union-attr]
    heatmaps = [t for t in data if t["type"] == "heatmap"]
    assert {t["name"] for t in heatmaps} >= set(figure.grid.categories)
    assert any(t.get("name") == figure.grid.starved_label and t["mode"] == "markers" for t in data)
    assert "P=" in json.dumps(heatmaps[0]["customdata"])


def test_shading_runs_from_pale_to_full() -> None:
    assert shaded("#0072b2", 1.0) == "#0072b2"
    pale = shaded("#0072b2", 0.0)
    assert all(int(pale[i : i + 2], 16) > 200 for i in (1, 3, 5))


def test_fans_have_one_band(china: ReportData) -> None:
    """Several scenarios: the base's band, the others as P50 lines only."""
    for key in ("units", "compute"):
        figure = by_key(figures(china, "en"))[key]
        assert [s.low is not None for s in figure.series] == [True, False, False]
        assert figure.series[0].name == "china"
        assert text("en", "fan_note", base="china") in figure.footnote


def test_comparison_and_stranded_are_small_multiples(china: ReportData, tmp_path: Path) -> None:
    found = by_key(figures(china, "en"))
    comparison = found["comparison"]
    assert comparison.panels == ("more-licences", "hbm-smuggling")
    assert comparison.shared
    stranded = found["stranded"]
    assert stranded.panels[0] == "logic dies"
    assert "HBM stacks" in stranded.panels
    assert not stranded.shared
    png, _ = charts.save(stranded, tmp_path)
    assert png.stat().st_size > 10_000
    assert "xaxis3" in fragment(stranded)


def test_production_is_grouped_by_vendor_with_distinct_colours(china: ReportData, tmp_path: Path) -> None:
    figure = by_key(figures(china, "en"))["production"]
    groups = [s.group for s in figure.series]
    assert groups == sorted(groups, key=groups.index), "a vendor's products are together"
    colours = [s.colour for s in figure.series]
    assert None not in colours
    assert len(set(colours)) == len(colours)
    assert "Nvidia H20" in [s.name for s in figure.series]  # products in words
    html = fragment(figure)
    assert "legendgrouptitle" in html
    assert '"x":1.02' in html.replace(" ", "")
    png, _ = charts.save(figure, tmp_path)
    assert png.stat().st_size > 10_000


def test_family_colours_are_distinct() -> None:
    assert len(set(family_colours(0, 6))) == 6
    assert set(family_colours(0, 3)).isdisjoint(family_colours(1, 3))


def test_dutch_axes_and_numbers(china: ReportData) -> None:
    dutch = by_key(figures(china, "nl"))
    assert dutch["units"].xlabel == "jaar"
    assert dutch["units"].ylabel == "eenheden per jaar"
    assert dutch["binding"].grid is not None
    assert dutch["binding"].grid.starved_label == "verdrongen door hogere prioriteit"
    assert dutch["stranded"].panels[0] == "logische chips"
    assert dutch["units"].lang == "nl"
    assert '"separators":",."' in fragment(dutch["units"]).replace(" ", "")
    assert shown(1234567.0, "nl") == "1.234.567"
    assert shown(0.5, "nl") == "0,5"
    mpl = charts.draw(dutch["units"])
    try:
        ticks = [t.get_text() for t in mpl.axes[0].get_yticklabels()]
    finally:
        charts.plt.close(mpl)
    assert any("mln" in t for t in ticks), ticks


def test_register_is_folded_searchable_and_wrapped(china: ReportData) -> None:
    found = figures(china, "en")
    parts = sections(china, "en", {f.key for f in found})
    page = html_page("t", "en", parts, found)
    register = page.split('<section id="register">', 1)[1].split("</section>", 1)[0]
    assert register.count('<details class="folded">') == 1
    assert 'class="filter"' in register
    assert 'data-table="table-register"' in register
    assert '<table id="table-register" class="fixed">' in register
    assert "overflow-wrap: anywhere" in page


def test_non_china_report_has_no_empty_sections(blackwell: ReportData) -> None:
    found = figures(blackwell, "en")
    keys = {f.key for f in found}
    assert "runway" not in keys
    assert "comparison" not in keys
    parts = {s.key: s for s in sections(blackwell, "en", keys)}
    for empty in ("runway", "comparison", "validation"):
        assert empty not in parts, empty
    assert all(c in keys for s in parts.values() for c in s.charts)
    owned = by_key(found)["owned"]
    assert len(owned.series) == 1
    assert owned.title == text("en", "owned_only_title")
    asked = question(blackwell, "en")
    assert asked.startswith("Scenario blackwell — Nvidia Blackwell (B300-class) supply 2025-2026: how many")
    assert "stockpiles" not in asked
    assert "imports" not in asked
    assert "2025-01 to 2026-12" in asked
    assert "can blackwell actually build" not in asked


def test_china_question_names_what_runs_short(china: ReportData) -> None:
    asked = question(china, "en")
    assert "logic wafers, memory wafers, stockpiles, imports and packaging" in asked
    dutch = question(china, "nl")
    assert dutch.startswith("Scenario china — ")
    assert "toeleveringsketen" in dutch
