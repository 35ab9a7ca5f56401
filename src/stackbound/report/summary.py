"""Summaries of a run as plain data: the JSON document of ``stackbound run --format json``.

::

    {"scenario": str, "seed": int, "samples": int, "digest": str,
     "annual": [{"year", "metric", "group", "mean", "p5", "p50", "p95"}, ...],
     "binding": [{"variant", "year", "constraint", "probability", "starved_by_priority"}, ...]}
"""

from __future__ import annotations

from typing import Any

from stackbound.analysis.records import clean_value
from stackbound.engine.results import RunResult

__all__ = ["HEADLINE_METRICS", "summary_document"]

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


def summary_document(result: RunResult, metrics: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The run as one JSON-ready document; ``metrics`` defaults to every annual metric."""
    table = result.annual_table()
    if metrics is not None:
        table = table[table["metric"].isin(metrics)]
    annual = [
        {
            "year": int(r["year"]),
            "metric": str(r["metric"]),
            "group": str(r["group"]),
            **{k: clean_value(r[k]) for k in ("mean", "p5", "p50", "p95")},
        }
        for r in table.to_dict("records")
    ]
    binding = [
        {
            "variant": str(r["variant"]),
            "year": int(r["year"]),
            "constraint": str(r["constraint"]),
            "probability": clean_value(r["probability"]),
            "starved_by_priority": clean_value(r["starved_by_priority"]),
        }
        for r in result.binding_table().to_dict("records")
    ]
    return {
        "scenario": result.scenario,
        "seed": result.seed,
        "samples": result.samples,
        "digest": result.digest,
        "exact": result.exact,
        "levers": result.levers,
        "annual": annual,
        "binding": binding,
    }
