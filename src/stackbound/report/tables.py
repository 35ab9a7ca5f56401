"""The report's tables (numbers as numbers), shared by ``data/``, the workbook, the HTML
and the Markdown."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from stackbound.analysis.validate import validation_table
from stackbound.engine.results import RunResult
from stackbound.report.gather import ReportData

__all__ = ["TABLES", "tables"]

SUMMARY_METRICS = ("units", "units_delivered", "compute_added_h100e", "installed_h100e", "rental_h100e")


def summary(data: ReportData) -> pd.DataFrame:
    """Per scenario, metric and year (every year of the run): total units and compute,
    P5–P50–P95, with the unit; rental only when the scenario rents any."""
    rows = []
    for result in data.results:
        table = result.annual_table()
        chosen = table[table["group"] == "total"]
        for metric in SUMMARY_METRICS:
            found = chosen[chosen["metric"] == metric]
            if metric == "rental_h100e" and not (found["p95"] > 0).any():
                continue
            for record in found.to_dict("records"):
                rows.append(
                    {
                        "scenario": result.scenario,
                        "year": int(record["year"]),
                        "metric": metric,
                        "unit": result.unit(metric),
                        **{k: float(record[k]) for k in ("mean", "p5", "p50", "p95")},
                    }
                )
    return pd.DataFrame(rows, columns=["scenario", "year", "metric", "unit", "mean", "p5", "p50", "p95"])


def _stack(frames: list[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
    tagged = [frame.assign(scenario=name) for name, frame in frames]
    table = pd.concat(tagged, ignore_index=True)
    return table[["scenario", *[c for c in table.columns if c != "scenario"]]]


def _with_unit(result: RunResult, table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(unit=table["metric"].map(result.unit))


def annual(data: ReportData) -> pd.DataFrame:
    return _stack([(r.scenario, _with_unit(r, r.annual_table())) for r in data.results])


def monthly(data: ReportData) -> pd.DataFrame:
    """Every scenario's monthly table, months written ``YYYY-MM`` (text in files and sheets)."""
    table = _stack([(r.scenario, r.monthly_table()) for r in data.results])
    return table.assign(month=table["month"].astype(str))


def bottlenecks(data: ReportData) -> pd.DataFrame:
    return _stack([(b.scenario, b.to_frame()) for b in data.yearly])


def sensitivity(data: ReportData) -> pd.DataFrame:
    columns = ["method", "factor", "label", "low", "high", "swing", "first", "first_conf", "total", "total_conf"]
    frames = []
    if data.tornado is not None:
        frames.append(data.tornado.to_frame().assign(method="tornado"))
    if data.sobol is not None:
        frames.append(data.sobol.to_frame().assign(method="sobol"))
    if not frames:
        return pd.DataFrame(columns=columns)
    table = pd.concat(frames, ignore_index=True).reindex(columns=columns)
    return table.assign(scenario=data.base.scenario, output=f"units {data.year}")


def validation(data: ReportData) -> pd.DataFrame:
    return validation_table(list(data.validation))


def assumptions(data: ReportData) -> pd.DataFrame:
    return data.inputs


def run_record(data: ReportData) -> pd.DataFrame:
    rows = [
        {
            "scenario": r.scenario,
            "stackbound": data.version,
            "seed": r.seed,
            "samples": r.samples,
            "digest": r.digest,
            "files": "; ".join(loaded.files),
            "simulate_seconds": float(r.timings.get("simulate_seconds", 0.0)),
        }
        for loaded, r in zip(data.loaded, data.results, strict=True)
    ]
    return pd.DataFrame(rows)


TABLES: dict[str, Callable[[ReportData], pd.DataFrame]] = {
    "summary": summary,
    "annual": annual,
    "monthly": monthly,
    "bottlenecks": bottlenecks,
    "sensitivity": sensitivity,
    "validation": validation,
    "assumptions": assumptions,
    "run_record": run_record,
}
"""Every table, in workbook order; the name is the sheet and the file name in ``data/``."""


def tables(data: ReportData) -> dict[str, pd.DataFrame]:
    return {name: make(data) for name, make in TABLES.items()}
