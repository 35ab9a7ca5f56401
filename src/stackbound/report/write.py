"""Write a whole report directory, atomically::

report.html          self-contained, interactive (plotly.js embedded)
report.md            the same findings, charts as PNG
report.nl.html/.md   the Dutch edition, when asked for (charts under charts/nl/)
charts/              every chart as PNG and SVG
stackbound.xlsx      the summary of every year, a wide sheet per headline metric, the tables
data/                the same tables as CSV and Parquet
manifest.json        the run record and every file written (``files``)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from stackbound.engine.results import RunResult
from stackbound.report import charts
from stackbound.report.atomic import atomic_directory, write_file_atomically, write_manifest
from stackbound.report.document import sections
from stackbound.report.excel import write_workbook
from stackbound.report.figures import figures, units_fan
from stackbound.report.gather import ReportData
from stackbound.report.html import html_page
from stackbound.report.i18n import Lang, text
from stackbound.report.markdown import markdown_page
from stackbound.report.tables import tables
from stackbound.report.workbook import HEADERS, workbook_sheets

__all__ = ["write_fan_chart", "write_report"]


def _edition(folder: Path, data: ReportData, lang: Lang) -> list[str]:
    suffix = "" if lang == "en" else f".{lang}"
    chart_dir = "charts" if lang == "en" else f"charts/{lang}"
    found = figures(data, lang)
    written = []
    for figure in found:
        written += [str(p.relative_to(folder)) for p in charts.save(figure, folder / chart_dir)]
    title = text(lang, "title", scenario=data.base.scenario)
    parts = sections(data, lang, {f.key for f in found})
    (folder / f"report{suffix}.html").write_text(html_page(title, lang, parts, found), encoding="utf-8")
    (folder / f"report{suffix}.md").write_text(markdown_page(title, parts, found, chart_dir), encoding="utf-8")
    return [*written, f"report{suffix}.html", f"report{suffix}.md"]


def _data(folder: Path, found: dict[str, pd.DataFrame]) -> list[str]:
    (folder / "data").mkdir()
    written = []
    for name, table in found.items():
        table.to_csv(folder / "data" / f"{name}.csv", index=False)
        table.astype({c: str for c in table.columns if table[c].dtype == object}).to_parquet(
            folder / "data" / f"{name}.parquet", index=False
        )
        written += [f"data/{name}.csv", f"data/{name}.parquet"]
    return written


def write_report(target: Path, data: ReportData, languages: Sequence[Lang] = ("en",)) -> Path:
    """Write the report of ``data`` to ``target`` (replacing an earlier stackbound output)."""
    with atomic_directory(target) as staging, np.errstate(all="ignore"):  # extreme inputs: no raw warnings
        written = []
        for lang in dict.fromkeys(("en", *languages)):
            written += _edition(staging, data, lang)
        found = tables(data)
        write_workbook(staging / "stackbound.xlsx", workbook_sheets(data, found), HEADERS)
        written += ["stackbound.xlsx", *_data(staging, found)]
        manifest = {
            "stackbound": data.version,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "report": True,
            "seed": data.base.seed,
            "samples": data.base.samples,
            "scenarios": [{"scenario": r.scenario, "digest": r.digest} for r in data.results],
            "timings": data.timings,
            "outputs": written,
        }
        write_manifest(staging, manifest)
    return target


def write_fan_chart(path: Path, results: Sequence[RunResult], version: str) -> Path:
    """The main fan chart (units per year, every scenario) as one PNG, for ``run --plot``,
    written through a temporary sibling and a rename."""
    write_file_atomically(path, lambda temporary: charts.save_png(units_fan(results, "en", version), temporary), ".png")
    return path
