"""Summaries of a run as plain data: the JSON document of ``stackbound run --format json``.

::

    {"scenario": str, "seed": int, "samples": int, "digest": str, "exact": bool,
     "keep": "annual,quarterly" | "annual" | "none", "percentile_relative_error": float,
     "levers": {name: str},
     "annual": [{"year", "metric", "group", "mean", "p5", "p50", "p95"}, ...],
     "binding": [{"variant", "year", "constraint", "probability", "starved_by_priority"}, ...],
     "non_finite": [{"path", "year", "metric", "group", "field", "value"}, ...]}

``keep`` is what the run kept per sample (:mod:`~stackbound.engine.keep`);
``percentile_relative_error`` bounds how far the annual percentiles may lie from the exact
ones: 0 when per-sample values were kept, else the histograms' bin width.

A number that is not finite (an overflow from extreme inputs) is written as null and
listed under ``non_finite`` (see :func:`~stackbound.report.jsondoc.finite_document`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from stackbound.engine.histogram import RELATIVE_ERROR
from stackbound.engine.keep import keeps_annual
from stackbound.engine.results import RunResult
from stackbound.report.jsondoc import finite_document

__all__ = ["HEADLINE_METRICS", "non_finite_warning", "summary_document"]

HEADLINE_METRICS = (
    "units",
    "units_delivered",
    "dies_consumed",
    "hbm_stacks_consumed",
    "compute_added_h100e",
    "effective_compute_added_h100e",
    "stranded_dies",
    "stranded_hbm_stacks",
    "value_usd",
    "domestic_share_units",
)


def _number(value: Any) -> float:
    """A table cell as a float rounded to 6 decimals (NaN and infinities kept as they are)."""
    return round(float(value), 6)


def _tables(result: RunResult, metrics: tuple[str, ...] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    with np.errstate(all="ignore"):  # overflow is reported in the document, not as a warning
        return result.annual_table(metrics), result.binding_table()


def summary_document(result: RunResult, metrics: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The run as one JSON-ready document; ``metrics`` defaults to every annual metric."""
    table, binding_table = _tables(result, metrics)
    annual = [
        {
            "year": int(r["year"]),
            "metric": str(r["metric"]),
            "group": str(r["group"]),
            **{k: _number(r[k]) for k in ("mean", "p5", "p50", "p95")},
        }
        for r in table.to_dict("records")
    ]
    binding = [
        {
            "variant": str(r["variant"]),
            "year": int(r["year"]),
            "constraint": str(r["constraint"]),
            "probability": _number(r["probability"]),
            "starved_by_priority": _number(r["starved_by_priority"]),
        }
        for r in binding_table.to_dict("records")
    ]
    rows, non_finite = finite_document({"annual": annual, "binding": binding})
    return {
        "scenario": result.scenario,
        "seed": result.seed,
        "samples": result.samples,
        "digest": result.digest,
        "exact": result.exact,
        "keep": result.keep,
        "percentile_relative_error": 0.0 if keeps_annual(result.keep) else RELATIVE_ERROR,
        "levers": result.levers,
        **rows,
        "non_finite": non_finite,
    }


def non_finite_warning(documents: list[dict[str, Any]]) -> str | None:
    """One line saying how many numbers of these documents were not finite, or None."""
    counts = {d["scenario"]: len(d["non_finite"]) for d in documents if d.get("non_finite")}
    if not counts:
        return None
    where = ", ".join(f"{name}: {count}" for name, count in counts.items())
    return (
        f"warning: some results are not finite numbers (overflow from extreme inputs?) ({where}); "
        'JSON writes them as null and lists each under "non_finite"'
    )
