"""The report directory: every file, the workbook, the charts, a stable structure for a
fixed seed, both languages, and the CLI around it."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from html import escape as html_escape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from stackbound.analysis.sensitivity.tornado import INTERACTION_TOTAL
from stackbound.report.findings import effect_lines
from stackbound.report.gather import ReportData, ReportSettings, gather
from stackbound.report.i18n import _TEXT, number, text
from stackbound.report.tables import TABLES
from stackbound.report.workbook import WIDE
from stackbound.report.write import write_report
from stackbound.scenario.loader import load_scenario

SEED, SAMPLES = 1, 2_000
SCENARIOS = ("china", "hbm-smuggling")
CHARTS = (
    "units",
    "compute",
    "production",
    "runway",
    "binding",
    "stranded",
    "comparison",
    "tornado",
    "sobol",
    "owned",
)
SECTIONS = (
    "question",
    "units",
    "production",
    "runway",
    "binding",
    "stranded",
    "comparison",
    "sensitivity",
    "discovery",
    "validation",
    "owned",
    "register",
    "record",
)


@pytest.fixture(scope="module")
def data() -> ReportData:
    settings = ReportSettings(samples=SAMPLES, seed=SEED, sobol_samples=64)
    return gather([load_scenario(name) for name in SCENARIOS], settings)


@pytest.fixture(scope="module")
def report(data: ReportData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(tmp_path_factory.mktemp("report") / "out", data, ("nl",))


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


def test_every_output_is_written(report: Path) -> None:
    for name in ("report.html", "report.md", "report.nl.html", "report.nl.md", "stackbound.xlsx", "manifest.json"):
        assert (report / name).is_file(), name
    for table in TABLES:
        assert (report / "data" / f"{table}.csv").is_file()
        assert (
            pd.read_parquet(report / "data" / f"{table}.parquet").shape
            == pd.read_csv(report / "data" / f"{table}.csv").shape
        )
    manifest = json.loads((report / "manifest.json").read_text())
    assert manifest["seed"] == SEED
    assert manifest["samples"] == SAMPLES
    assert [s["scenario"] for s in manifest["scenarios"]] == list(SCENARIOS)
    assert not list(report.parent.glob(".out.partial-*"))


def test_charts_are_valid_images_of_sensible_size(report: Path) -> None:
    for folder in (report / "charts", report / "charts" / "nl"):
        for key in CHARTS:
            width, height = png_size(folder / f"{key}.png")
            assert 600 <= width <= 3000, (key, width)
            assert 300 <= height <= 3000, (key, height)
            svg = (folder / f"{key}.svg").read_text(encoding="utf-8")
            assert svg.lstrip().startswith("<?xml")
            assert "<svg" in svg


def test_workbook_has_every_sheet_with_numbers(report: Path) -> None:
    book = load_workbook(report / "stackbound.xlsx", read_only=True)
    assert book.sheetnames == ["summary", *WIDE, *(name for name in TABLES if name != "summary")]
    for name in book.sheetnames:
        if name == "assumptions":  # text by nature: values, units and sources
            continue
        rows = book[name].iter_rows(min_row=2, max_row=50, values_only=True)
        numbers = [v for row in rows for v in row if isinstance(v, int | float) and not isinstance(v, bool)]
        assert numbers, f"sheet {name} has no numeric cells"
    summary = book["summary"]
    header = [c.value for c in next(summary.iter_rows(max_row=1))]
    p50 = [row[header.index("P50 (median)")] for row in summary.iter_rows(min_row=2, values_only=True)]
    # numbers, never text or empty cells (a whole number such as 2478245.0 reads back as an int)
    assert all(isinstance(v, int | float) and not isinstance(v, bool) for v in p50)
    assert len(p50) >= 5


def test_report_structure_is_stable(report: Path) -> None:
    page = (report / "report.html").read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f'<section id="{section}">' in page, section
    for key in CHARTS:
        assert f'id="chart-{key}"' in page, key
    assert "<script src=" not in page
    assert "cdn" not in page.split("<body>", 1)[1].lower()
    markdown = (report / "report.md").read_text(encoding="utf-8")
    assert [line for line in markdown.splitlines() if line.startswith("## ")] == [
        f"## {text('en', key)}"
        for key in (
            "question_heading",
            "units_heading",
            "production_heading",
            "runway_heading",
            "binding_heading",
            "stranded_heading",
            "comparison_heading",
            "sensitivity_heading",
            "discovery_heading",
            "validation_heading",
            "compute_heading",
            "register_heading",
            "record_heading",
        )
    ]
    for key in CHARTS:
        assert f"(charts/{key}.png)" in markdown


def test_report_numbers_match_the_model(data: ReportData, report: Path) -> None:
    """Every scenario's P5–P50–P95 of total units in the headline year, in summary.csv and
    annual.csv, is the percentile (inverted CDF, like every table) of the run's per-sample
    totals."""
    year = data.year
    summary = pd.read_csv(report / "data" / "summary.csv")
    annual = pd.read_csv(report / "data" / "annual.csv")
    summary = summary[(summary["metric"] == "units") & (summary["year"] == year)].set_index("scenario")
    annual = annual[(annual["metric"] == "units") & (annual["group"] == "total") & (annual["year"] == year)]
    annual = annual.set_index("scenario")
    assert list(summary.index) == list(SCENARIOS)
    for result in data.results:
        values = result.annual_values("units")[:, result.years.index(year)]
        expected = np.percentile(values, [5, 50, 95], method="inverted_cdf")
        assert expected[0] < expected[2]  # uncertain, so the three differ
        for table in (summary, annual):
            got = table.loc[result.scenario, ["p5", "p50", "p95"]].to_numpy(dtype=float)
            np.testing.assert_allclose(got, expected, rtol=1e-12, err_msg=result.scenario)


def test_headline_sentence_prints_the_tables_numbers(data: ReportData, report: Path) -> None:
    """The headline sentence, in both languages, prints the P5–P50–P95 of total units and the
    P50 of compute added in the headline year, as the tables define them (inverted CDF),
    with the report's formatter."""
    year = data.year
    base = data.base
    low, mid, high = np.percentile(
        base.annual_values("units")[:, base.years.index(year)], [5, 50, 95], method="inverted_cdf"
    )
    compute = np.percentile(
        base.annual_values("compute_added_h100e")[:, base.years.index(year)], 50, method="inverted_cdf"
    )
    for lang, page in (("en", "report.md"), ("nl", "report.nl.md")):
        numbers = {"units": mid, "low": low, "high": high, "compute": compute}
        sentence = text(
            lang, "answer", year=year, scenario=base.scenario, **{k: number(float(v), lang) for k, v in numbers.items()}
        )
        assert sentence in (report / page).read_text(encoding="utf-8"), (lang, sentence)


def test_assumptions_register_links_every_source(report: Path) -> None:
    page = (report / "report.html").read_text(encoding="utf-8")
    register = page.split('<section id="register">', 1)[1].split("</section>", 1)[0]
    sources = pd.read_csv(report / "data" / "assumptions.csv")["source"].dropna()
    urls = {part.strip().split(" ")[0] for s in sources for part in s.split(";") if part.strip().startswith("http")}
    assert urls
    for url in urls:
        assert f'href="{url}"' in register.replace("&amp;", "&"), url


def test_dutch_edition_is_dutch(report: Path) -> None:
    dutch = (report / "report.nl.md").read_text(encoding="utf-8")
    assert "## De vraag en het antwoord" in dutch
    assert "versnellers" in dutch
    assert "(charts/nl/units.png)" in dutch
    assert '<html lang="nl">' in (report / "report.nl.html").read_text(encoding="utf-8")
    binding = dutch.split("## Beperkende factoren", 1)[1].split("## ", 1)[0]
    assert "vanaf" in binding
    assert " then " not in binding
    assert "throughout" not in binding
    discovery = dutch.split("## Scenario-ontdekking", 1)[1].split("## ", 1)[0]
    assert "van de runs" in discovery


def test_both_languages_have_every_word() -> None:
    assert set(_TEXT["en"]) == set(_TEXT["nl"])


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stackbound", *args], capture_output=True, text=True, timeout=300, check=False, cwd=cwd
    )


def test_run_plot_writes_the_fan_chart(tmp_path: Path) -> None:
    done = run_cli("run", "example", "--samples", "500", "--seed", "2", "--plot", "fan.png", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert png_size(tmp_path / "fan.png")[0] >= 600
    out = tmp_path / "out"
    done = run_cli("run", "example", "--samples", "500", "--seed", "2", "--plot", "units.png", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert png_size(out / "units.png")[0] >= 600
    assert "units.png" in (out / "manifest.json").read_text(encoding="utf-8")
    for wrong in ("units.svg", str(tmp_path / "elsewhere" / "units.png")):  # refused before anything runs
        refused = run_cli("run", "example", "--samples", "500", "--plot", wrong, "--out", str(out))
        assert refused.returncode == 2, refused.stderr
        assert "--plot" in refused.stderr
        assert "Traceback" not in refused.stderr


def test_report_command(tmp_path: Path) -> None:
    target = tmp_path / "report"
    args = ("report", "china", "--samples", "500", "--seed", "3", "--no-sensitivity", "--no-discovery")
    done = run_cli(*args, "--out", str(target))
    assert done.returncode == 0, done.stderr
    assert (target / "report.html").is_file()
    assert not (target / "report.nl.html").exists()
    assert "Sensitivity was not run." in (target / "report.md").read_text(encoding="utf-8")
    again = run_cli(*args, "--out", str(target))  # an earlier report is replaced
    assert again.returncode == 0, again.stderr
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    refused = run_cli(*args, "--out", str(foreign))
    assert refused.returncode == 2
    assert "Traceback" not in refused.stderr
    assert (foreign / "notes.txt").read_text() == "keep me"


def test_factors_without_a_tornado_bar_are_explained_in_words(data: ReportData, report: Path) -> None:
    """A factor with no one-at-a-time effect is not written off as "no effect" when its total
    Sobol' index is large: each such factor gets one line, in both editions, with its total."""
    assert data.tornado is not None
    assert data.sobol is not None
    totals = {i.factor: i.total for i in data.sobol.indices}
    acting = [bar for bar in data.tornado.still if totals[bar.factor] >= INTERACTION_TOTAL]
    idle = len(data.tornado.still) - len(acting)
    lines = effect_lines(data, "en")
    assert [line.split(": ")[0] for line in lines[: len(acting)]] == [bar.label for bar in acting]  # in words
    for bar, line in zip(acting, lines, strict=False):
        assert f"total Sobol index of {totals[bar.factor]:.2f} means it acts through interactions" in line
    assert lines[len(acting) :] == ([text("en", "no_effect_factors", count=idle, limit="0.05")] if idle else [])
    html = (report / "report.html").read_text(encoding="utf-8")
    dutch = (report / "report.nl.html").read_text(encoding="utf-8")
    for en, nl in zip(lines, effect_lines(data, "nl"), strict=True):
        assert html_escape(en) in html
        assert html_escape(nl) in dutch


def test_register_table_shows_inputs_in_words_beside_their_path(data: ReportData, report: Path) -> None:
    """Issue 11 §2: the assumptions register reads in words; the YAML path stays beside it."""
    html = (report / "report.html").read_text(encoding="utf-8")
    row = data.inputs.set_index("field").loc["sources.smic_n2.wafer_starts"]
    assert row["label"] == "SMIC N+2 · wafer starts"
    assert f"<td>{html_escape(row['label'])}</td><td>sources.smic_n2.wafer_starts</td>" in html
