"""What the page shows of a run, as data: the report's charts as plotly JSON (one
implementation, :mod:`stackbound.report.figures`), a fan of any metric and group, the
paired differences from a pinned run, each uncertain input's draws as a histogram, the
model graph, and the current state as an overlay file.

Nothing here computes a number the library does not: every chart is a report figure of the
run, every histogram the run's own draws (:meth:`RunResult.input_draws`).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import numpy as np
import yaml

from stackbound.analysis.compare import compare
from stackbound.analysis.graph import model_graph
from stackbound.engine.metrics import ANNUAL
from stackbound.engine.results import RunResult
from stackbound.report.figures import comparison_fan, figures, metric_fan
from stackbound.report.gather import ReportSettings, gather
from stackbound.report.i18n import Lang, text
from stackbound.report.interactive import figure_json
from stackbound.report.sankey import sankey_json
from stackbound.scenario.loader import LoadedScenario
from stackbound.scenario.yamlio import read_yaml
from stackbound.serve.scenarios import UPLOAD, load_source, source_changes
from stackbound.serve.schemas import ScenarioSource

__all__ = [
    "SERIES_CHARTS",
    "comparison_chart",
    "fan_chart",
    "graph_view",
    "input_histograms",
    "overlay_text",
    "paired",
    "run_charts",
    "series",
]

SERIES_CHARTS = ("units", "compute", "production", "runway", "binding", "stranded", "owned")
"""The report's charts of one run, in the order the page shows them."""


def run_charts(loaded: LoadedScenario, result: RunResult, version: str, lang: Lang) -> list[dict[str, Any]]:
    """The report's charts of this run (no analyses, no other scenario) as plotly JSON."""
    settings = ReportSettings(samples=result.samples, seed=result.seed, sensitivity=False, discovery=False)
    with np.errstate(all="ignore"):
        data = gather([loaded], settings, done=[result])
        drawn = [f for f in figures(data, lang) if f.key in SERIES_CHARTS]
    return [figure_json(f) for f in drawn]


def series(result: RunResult) -> dict[str, dict[str, Any]]:
    """Every annual metric with its unit, its groups and the groups also kept by month:
    what a fan chart can show."""
    found: dict[str, dict[str, Any]] = {}
    monthly = {(m, g) for m, g in result.monthly_keys}
    for metric in ANNUAL:
        groups = sorted({g for m, g in result.annual if m == metric.name})
        if not groups:
            continue
        shown = ["total", *(g for g in groups if g != "total")] if metric.level != "total" else groups
        by_month = [g for g in shown if (metric.name, g) in monthly]
        found[metric.name] = {"unit": result.unit(metric.name), "groups": shown, "monthly": by_month}
    return found


def fan_chart(
    results: list[RunResult],
    metric: str,
    group: str,
    by: Literal["year", "month"],
    lang: Lang,
    version: str,
    names: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A fan of ``metric`` of ``group``: the first run's band, the others' P50 lines."""
    with np.errstate(all="ignore"):
        return figure_json(metric_fan(results, metric, group, by, lang, version, names))


def paired(base: RunResult, other: RunResult) -> RunResult:
    """``other`` as a comparison with ``base`` names it: by its scenario, and, when that is
    the base's own (the page's A/B: one scenario, a lever moved), with the levers it sets
    otherwise, so that the answer says which run changed by how much ("china with
    tool_controls=0.5", not "china" against "china")."""
    if other.scenario != base.scenario:
        return other
    moved = [f"{name}={value}" for name, value in other.levers.items() if base.levers.get(name) != value]
    label = f"{other.scenario} with {', '.join(moved)}" if moved else f"{other.scenario} as changed"
    return dataclasses.replace(other, scenario=label)


def comparison_chart(
    base: RunResult, other: RunResult, metric: str, group: str, lang: Lang, version: str
) -> dict[str, Any]:
    """The paired differences (common random numbers) of ``other`` against ``base``."""
    other = paired(base, other)
    with np.errstate(all="ignore"):
        comparison = compare([base, other], metrics=(metric,))
        frame = comparison.to_frame()
        if not ((frame["metric"] == metric) & (frame["group"] == group)).any():
            groups = ", ".join(sorted(set(frame["group"]))) or "none"
            raise KeyError(f"no paired differences of {metric[:64]!r} for {group[:64]!r} (groups compared: {groups})")
        note = text(
            lang,
            "footnote",
            scenario=f"{base.scenario} → {other.scenario}",
            seed=base.seed,
            samples=base.samples,
            version=version,
        )
        return figure_json(comparison_fan(comparison, metric, group, lang, note))


def input_histograms(loaded: LoadedScenario, result: RunResult, bins: int) -> list[dict[str, Any]]:
    """Each uncertain input's draws in this run: ``bins`` equal bins between its P0.5 and
    P99.5 (the tails counted in the outer bins), its P5, P50, P95, mean, and the register
    field it belongs to."""
    draws = result.input_draws(loaded)
    found = []
    for given in loaded.inputs:
        values = draws[given.name].to_numpy(dtype=np.float64)
        low, p5, p50, p95, high = np.percentile(values, [0.5, 5, 50, 95, 99.5])
        if high <= low:
            low, high = low - 0.5, high + 0.5
        counts, edges = np.histogram(np.clip(values, low, high), bins=bins, range=(low, high))
        found.append(
            {
                "name": given.name,
                "field": given.group,
                "counts": counts.tolist(),
                "edges": edges.tolist(),
                "p5": float(p5),
                "p50": float(p50),
                "p95": float(p95),
                "mean": float(values.mean()),
            }
        )
    return found


def graph_view(loaded: LoadedScenario, result: RunResult, fields: list[str]) -> dict[str, Any]:
    """The model graph with each node's inputs and how often it binds in this run, and its
    Sankey chart (nodes in the graph's order)."""
    graph = model_graph(loaded.scenario, fields, result)
    title = f"{loaded.scenario.name}: sources → components → variants → packaging lines"
    return {**graph.to_document(), "figure": sankey_json(graph, title)}


def overlay_text(source: ScenarioSource) -> str:
    """The state of a request as a file that reproduces it: for a built-in, an overlay of
    only the changes (``extends`` and ``overrides``); for uploaded overlay text, that text
    with the changes merged into its ``overrides``; for an uploaded whole scenario, the
    scenario with the changes applied. The file is checked to load first (ScenarioError)."""
    loaded = load_source(source)  # every problem, before anything is written
    changes = source_changes(source)
    if source.scenario is not None:
        document: dict[str, Any] = {"stackbound": 1, "extends": source.scenario}
        if changes:
            document["overrides"] = changes
        return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    assert source.yaml is not None
    data, _ = read_yaml(source.yaml, UPLOAD)
    if not changes:
        return source.yaml
    if isinstance(data, dict) and "extends" in data:
        data["overrides"] = {**(data.get("overrides") or {}), **changes}
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    return yaml.safe_dump(loaded.data, sort_keys=False, allow_unicode=True)
