"""The report's charts as plain data (:class:`Figure`), drawn twice from the same numbers:
statically by :mod:`.charts` (matplotlib) and interactively by :mod:`.interactive` (plotly).

Kinds: ``fan`` (P50 lines, each with an optional P5–P95 band), ``stacked`` (stacked areas),
``lines``, ``tornado`` (low and high bars around a base) and ``bars`` (grouped horizontal
bars, e.g. Sobol' indices).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from stackbound.engine.histogram import sample_percentiles
from stackbound.engine.results import PERCENTILES, RunResult
from stackbound.report.gather import ReportData
from stackbound.report.i18n import Lang, text
from stackbound.scenario.months import format_month

__all__ = ["Figure", "Series", "figures", "units_fan", "wrapped"]

Kind = Literal["fan", "stacked", "lines", "tornado", "bars"]
LABEL_WIDTH = 30
LABEL_LINES = 2
"""A bar's label is wrapped to lines of this many characters, at most this many lines, so
the plot keeps its width however long a label is; the whole label and its field paths hover."""


@dataclass(frozen=True)
class Series:
    """One named series; ``low``/``high`` make a band (or the tornado's bars)."""

    name: str
    x: tuple[str, ...]
    y: tuple[float, ...]
    low: tuple[float, ...] | None = None
    high: tuple[float, ...] | None = None
    detail: tuple[str, ...] | None = None
    """Per x, what hovering shows beside the value: a factor's label in full and its field paths."""


@dataclass(frozen=True)
class Figure:
    key: str
    """File name stem under ``charts/`` and the HTML element id."""
    kind: Kind
    title: str
    xlabel: str
    ylabel: str
    series: tuple[Series, ...]
    footnote: str
    base: float | None = None
    """The tornado's base value."""


def wrapped(label: str, width: int = LABEL_WIDTH, lines: int = LABEL_LINES) -> tuple[str, ...]:
    """``label`` in at most ``lines`` lines of at most ``width`` characters, the last ending
    in ``…`` when the label is longer."""
    found = textwrap.wrap(label, width, break_on_hyphens=False) or [""]
    if len(found) <= lines:
        return tuple(found)
    rest = " ".join(found[lines - 1 :])
    return (*found[: lines - 1], rest[: width - 1].rstrip() + "…")


def _unique(names: Sequence[str]) -> tuple[str, ...]:
    """Category names, a repeated one numbered (charts merge equal categories)."""
    seen: dict[str, int] = {}
    found = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        found.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return tuple(found)


def _detail(label: str, factor: str) -> str:
    """A factor's hover text: its label and each field path on a line."""
    paths = factor.replace(" + ", "\n+ ").replace(" - ", "\n- ")
    return label if label == factor else f"{label}\n{paths}"


def _floats(values: object) -> tuple[float, ...]:
    return tuple(float(v) for v in np.asarray(values, dtype=np.float64).ravel())


def _annual_band(result: RunResult, metric: str, group: str = "total", name: str | None = None) -> Series:
    values = result.annual_values(metric, group)
    p5, p50, p95 = sample_percentiles(values, PERCENTILES)
    years = tuple(str(y) for y in result.years)
    return Series(name or result.scenario, years, _floats(p50), _floats(p5), _floats(p95))


def _monthly_band(result: RunResult, metric: str, group: str) -> Series:
    p5, p50, p95 = (result.monthly_percentile(metric, group, q) for q in PERCENTILES)
    months = tuple(format_month(m) for m in result.months)
    return Series(group, months, _floats(p50), _floats(p5), _floats(p95))


def _footnote(data: ReportData, lang: Lang, scenario: str | None = None) -> str:
    names = scenario or ", ".join(r.scenario for r in data.results)
    return text(lang, "footnote", scenario=names, seed=data.base.seed, samples=data.base.samples, version=data.version)


def units_fan(results: Sequence[RunResult], lang: Lang, version: str) -> Figure:
    """Accelerators produced per year, P50 and P5–P95, one line per scenario."""
    units = tuple(_annual_band(r, "units") for r in results)
    names = ", ".join(r.scenario for r in results)
    note = text(lang, "footnote", scenario=names, seed=results[0].seed, samples=results[0].samples, version=version)
    return Figure(
        "units", "fan", text(lang, "units_title"), text(lang, "year"), text(lang, "units_per_year"), units, note
    )


def _fans(data: ReportData, lang: Lang) -> list[Figure]:
    compute = tuple(_annual_band(r, "compute_added_h100e") for r in data.results)
    note = _footnote(data, lang)
    return [
        units_fan(data.results, lang, data.version),
        Figure(
            "compute",
            "fan",
            text(lang, "compute_title"),
            text(lang, "year"),
            text(lang, "h100e_per_year"),
            compute,
            note,
        ),
    ]


def _production(data: ReportData, lang: Lang) -> Figure:
    base = data.base
    years = tuple(str(y) for y in base.years)
    series = []
    for product in base.products:
        mean = base.annual_values("units", product).mean(axis=0)
        if float(mean.max()) > 0:
            series.append(Series(product, years, _floats(mean)))
    series.sort(key=lambda s: -sum(s.y))
    return Figure(
        "production",
        "stacked",
        text(lang, "production_title"),
        text(lang, "year"),
        text(lang, "units_per_year"),
        tuple(series),
        _footnote(data, lang, base.scenario),
    )


def _monthly(data: ReportData, lang: Lang, key: str, metric: str, ylabel: str) -> Figure:
    base = data.base
    groups = [g for m, g in base.monthly_keys if m == metric]
    series = [_monthly_band(base, metric, g) for g in groups]
    series = [s for s in series if s.high is not None and max(s.high) > 0]
    return Figure(
        key,
        "fan",
        text(lang, f"{key}_title"),
        text(lang, "month"),
        ylabel,
        tuple(series),
        _footnote(data, lang, base.scenario),
    )


def _binding(data: ReportData, lang: Lang) -> Figure:
    """Per constraint, the share of active variant-months it bound, by month."""
    base = data.base
    counts = np.asarray(base.binding_counts, dtype=np.float64).sum(axis=0)
    active = counts[1:].sum(axis=0)
    share = np.divide(counts[1:], active, out=np.zeros_like(counts[1:]), where=active > 0)
    months = tuple(format_month(m) for m in base.months)
    series = tuple(
        Series(name, months, _floats(share[k]))
        for k, name in enumerate(base.constraint_names[1:])
        if float(share[k].max()) > 0.01
    )
    return Figure(
        "binding",
        "lines",
        text(lang, "binding_title"),
        text(lang, "month"),
        text(lang, "probability"),
        series,
        _footnote(data, lang, base.scenario),
    )


def _comparison(data: ReportData, lang: Lang) -> Figure | None:
    if data.comparison is None:
        return None
    frame = data.comparison.to_frame()
    frame = frame[(frame["metric"] == "units") & (frame["group"] == "total")]
    series = []
    for scenario, rows in frame.groupby("scenario", sort=False):
        rows = rows.sort_values("year")
        years = tuple(str(y) for y in rows["year"])
        series.append(Series(str(scenario), years, _floats(rows["p50"]), _floats(rows["p5"]), _floats(rows["p95"])))
    return Figure(
        "comparison",
        "fan",
        text(lang, "comparison_title", base=data.base.scenario),
        text(lang, "year"),
        text(lang, "change_units"),
        tuple(series),
        _footnote(data, lang),
    )


def _owned(data: ReportData, lang: Lang) -> Figure:
    base = data.base
    series = (
        _annual_band(base, "installed_h100e", name=text(lang, "owned")),
        _annual_band(base, "rental_h100e", name=text(lang, "rented")),
    )
    return Figure(
        "owned",
        "fan",
        text(lang, "owned_title"),
        text(lang, "year"),
        text(lang, "h100e"),
        series,
        _footnote(data, lang, base.scenario),
    )


def _output_label(data: ReportData) -> str:
    return f"units {data.year} ({data.base.scenario})"


def _sensitivity(data: ReportData, lang: Lang, top: int = 12) -> list[Figure]:
    found = []
    note = _footnote(data, lang, data.base.scenario)
    if data.tornado is not None and data.tornado.bars:
        bars = data.tornado.bars[:top][::-1]
        names = _unique([b.label or b.factor for b in bars])
        detail = tuple(_detail(b.label or b.factor, b.factor) for b in bars)
        series = (
            Series(text(lang, "low"), names, tuple(b.low for b in bars), detail=detail),
            Series(text(lang, "high"), names, tuple(b.high for b in bars), detail=detail),
        )
        title = text(lang, "tornado_title", output=_output_label(data))
        found.append(Figure("tornado", "tornado", title, text(lang, "units"), "", series, note, base=data.tornado.base))
    if data.sobol is not None and data.sobol.indices:
        indices = data.sobol.indices[:top][::-1]
        names = _unique([i.label or i.factor for i in indices])
        detail = tuple(_detail(i.label or i.factor, i.factor) for i in indices)
        series = (
            Series(text(lang, "first_order"), names, tuple(i.first for i in indices), detail=detail),
            Series(text(lang, "total_order"), names, tuple(i.total for i in indices), detail=detail),
        )
        title = text(lang, "sobol_title", output=_output_label(data))
        found.append(Figure("sobol", "bars", title, text(lang, "sobol_index"), "", series, note))
    return found


def figures(data: ReportData, lang: Lang) -> list[Figure]:
    """Every chart of the report, in the order the report shows them."""
    found = [
        *_fans(data, lang),
        _production(data, lang),
        _monthly(data, lang, "runway", "stock", text(lang, "stacks_or_dies")),
        _binding(data, lang),
        _monthly(data, lang, "stranded", "stranded", text(lang, "stacks_or_dies")),
        _comparison(data, lang),
        *_sensitivity(data, lang),
        _owned(data, lang),
    ]
    return [f for f in found if f is not None and f.series]
