"""The report's charts as plain data (:class:`Figure`), drawn twice from the same numbers:
statically by :mod:`.charts` (matplotlib) and interactively by :mod:`.interactive` (plotly).

Kinds: ``fan`` (P50 lines, each with an optional P5–P95 band; series with a ``panel`` are
drawn as small multiples, one panel each), ``stacked`` (stacked bars, grouped by a series'
``group``), ``lines``, ``tornado`` (low and high bars around a base), ``bars`` (grouped
horizontal bars, e.g. Sobol' indices) and ``timeline`` (a :class:`~.timeline.Grid`: the
binding constraint of each variant and month).

Several scenarios share a fan chart as the base's band with the others as P50 lines, never
as overlapping bands; their paired differences from the base are small multiples.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from stackbound.analysis.compare import Comparison
from stackbound.engine.metrics import ANNUAL
from stackbound.engine.results import PERCENTILES, RunResult
from stackbound.report.gather import ReportData
from stackbound.report.i18n import Lang, text
from stackbound.report.palette import family_colours
from stackbound.report.timeline import Grid, timeline_grid
from stackbound.scenario.labels import named
from stackbound.scenario.months import format_month

__all__ = ["Figure", "Grid", "Series", "comparison_fan", "figures", "metric_fan", "units_fan", "wrapped"]

Kind = Literal["fan", "stacked", "lines", "tornado", "bars", "timeline"]
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
    colour: str | None = None
    """Its colour (``#rrggbb``), or None for the renderer's own cycle."""
    group: str = ""
    """The legend group it belongs to (a product's vendor)."""
    panel: str = ""
    """The panel of a small-multiples chart it is drawn in (empty: one plot)."""


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
    grid: Grid | None = None
    """The timeline's cells."""
    lang: Lang = "en"
    """The language of its numbers (ticks and hover values)."""
    shared: bool = True
    """Whether the panels of a small-multiples chart share their value axis."""

    @property
    def panels(self) -> tuple[str, ...]:
        """The panels in order of first appearance (empty: one plot)."""
        return tuple(dict.fromkeys(s.panel for s in self.series if s.panel))

    @property
    def drawn(self) -> bool:
        """Whether there is anything to draw."""
        return bool(self.series) or (self.grid is not None and bool(self.grid.rows))


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
    p5, p50, p95 = result.annual_percentiles(metric, group)
    years = tuple(str(y) for y in result.years)
    return Series(name or result.scenario, years, _floats(p50), _floats(p5), _floats(p95))


def _scenario_fan(results: Sequence[RunResult], metric: str, lang: Lang) -> tuple[Series, ...]:
    """The base's P50 with its P5–P95 band, every other scenario as its P50 line alone: one
    band, so that several scenarios never overlap as bands."""
    base = _annual_band(results[0], metric)
    if len(results) == 1:
        return (base,)
    others = [_annual_band(r, metric) for r in results[1:]]
    return (base, *(Series(o.name, o.x, o.y) for o in others))


def _fan_footnote(results: Sequence[RunResult], lang: Lang, version: str) -> str:
    names = ", ".join(r.scenario for r in results)
    note = text(lang, "footnote", scenario=names, seed=results[0].seed, samples=results[0].samples, version=version)
    return note if len(results) == 1 else f"{text(lang, 'fan_note', base=results[0].scenario)} {note}"


def _monthly_band(result: RunResult, metric: str, group: str, name: str = "", panel: str = "") -> Series:
    p5, p50, p95 = (result.monthly_percentile(metric, group, q) for q in PERCENTILES)
    months = tuple(format_month(m) for m in result.months)
    return Series(name or group, months, _floats(p50), _floats(p5), _floats(p95), panel=panel)


def _footnote(data: ReportData, lang: Lang, scenario: str | None = None) -> str:
    names = scenario or ", ".join(r.scenario for r in data.results)
    return text(lang, "footnote", scenario=names, seed=data.base.seed, samples=data.base.samples, version=data.version)


def units_fan(results: Sequence[RunResult], lang: Lang, version: str) -> Figure:
    """Accelerators produced per year: the base's P50 and P5–P95, other scenarios' P50."""
    units = _scenario_fan(results, "units", lang)
    note = _fan_footnote(results, lang, version)
    return Figure(
        "units",
        "fan",
        text(lang, "units_title"),
        text(lang, "year"),
        text(lang, "units_per_year"),
        units,
        note,
        lang=lang,
    )


def _fans(data: ReportData, lang: Lang) -> list[Figure]:
    compute = _scenario_fan(data.results, "compute_added_h100e", lang)
    note = _fan_footnote(data.results, lang, data.version)
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
            lang=lang,
        ),
    ]


def _product_name(data: ReportData, product: str) -> str:
    scenario = data.loaded[0].scenario
    return named(scenario, "products", product) if product in scenario.products else product


def _production(data: ReportData, lang: Lang) -> Figure:
    """Mean units per year by product, grouped by vendor (the vendor making most first, its
    products largest first), each vendor in its own family of shades."""
    base = data.base
    years = tuple(str(y) for y in base.years)
    made = {p: base.annual_mean("units", p) for p in base.products}
    made = {p: m for p, m in made.items() if float(m.max()) > 0}
    vendors: dict[str, list[str]] = {}
    for product in sorted(made, key=lambda p: -float(made[p].sum())):
        vendors.setdefault(base.vendors[product], []).append(product)
    order = sorted(vendors, key=lambda v: -sum(float(made[p].sum()) for p in vendors[v]))
    series = []
    for family, vendor in enumerate(order):
        colours = family_colours(family, len(vendors[vendor]))
        for product, colour in zip(vendors[vendor], colours, strict=True):
            name = _product_name(data, product)
            series.append(Series(name, years, _floats(made[product]), colour=colour, group=vendor))
    return Figure(
        "production",
        "stacked",
        text(lang, "production_title"),
        text(lang, "year"),
        text(lang, "units_per_year"),
        tuple(series),
        _footnote(data, lang, base.scenario),
        lang=lang,
    )


def _runway(data: ReportData, lang: Lang) -> Figure:
    base = data.base
    groups = [g for m, g in base.monthly_keys if m == "stock"]
    scenario = data.loaded[0].scenario
    series = [
        _monthly_band(base, "stock", g, named(scenario, "sources", g) if g in scenario.sources else g) for g in groups
    ]
    series = [s for s in series if s.high is not None and max(s.high) > 0]
    return Figure(
        "runway",
        "fan",
        text(lang, "runway_title"),
        text(lang, "month"),
        text(lang, "stacks_or_dies"),
        tuple(series),
        _footnote(data, lang, base.scenario),
        lang=lang,
    )


KINDS = ("logic_die", "hbm_stack", "memory", "other")
"""Component kinds in the order the stranded chart's panels show them."""


def _kind(data: ReportData, component: str) -> str:
    components = data.loaded[0].scenario.components
    kind = str(components[component].kind) if component in components else "other"
    return kind if kind in KINDS else "other"


def _stranded(data: ReportData, lang: Lang) -> Figure:
    """Stranded inventory, one panel per component kind (logic dies, HBM stacks, other
    memory), each on its own scale, so one large band does not flatten the others."""
    base = data.base
    scenario = data.loaded[0].scenario
    groups = [g for m, g in base.monthly_keys if m == "stranded"]
    series = []
    for group in groups:
        name = named(scenario, "components", group) if group in scenario.components else group
        kind = _kind(data, group)
        band = _monthly_band(base, "stranded", group, name, text(lang, f"stranded_kind_{kind}"))
        if band.high is not None and max(band.high) > 0:
            series.append((KINDS.index(kind), band))
    series.sort(key=lambda ranked: ranked[0])
    return Figure(
        "stranded",
        "fan",
        text(lang, "stranded_title"),
        text(lang, "month"),
        text(lang, "stacks_or_dies"),
        tuple(band for _, band in series),
        _footnote(data, lang, base.scenario),
        lang=lang,
        shared=False,
    )


def _binding(data: ReportData, lang: Lang) -> Figure:
    """The binding timeline: per variant and month, the most likely binding constraint."""
    grid = timeline_grid(data.monthly, data.loaded[0].scenario, lang)
    note = _footnote(data, lang, data.base.scenario)
    if grid.hidden:
        note = f"{text(lang, 'binding_hidden', count=grid.hidden)} {note}"
    return Figure(
        "binding",
        "timeline",
        text(lang, "binding_timeline_title"),
        text(lang, "month"),
        text(lang, "variant"),
        (),
        note,
        grid=grid,
        lang=lang,
    )


def _comparison(data: ReportData, lang: Lang) -> Figure | None:
    """Each scenario's paired difference from the base in units, P50 and P5–P95, one panel
    each on a shared scale (small multiples)."""
    if data.comparison is None:
        return None
    return comparison_fan(data.comparison, "units", "total", lang, _footnote(data, lang))


def comparison_fan(comparison: Comparison, metric: str, group: str, lang: Lang, footnote: str) -> Figure:
    """Each scenario's paired difference from the base in ``metric`` of ``group`` per year,
    P50 and P5–P95, one panel each on a shared scale (small multiples)."""
    frame = comparison.to_frame()
    frame = frame[(frame["metric"] == metric) & (frame["group"] == group)]
    series = []
    for scenario, rows in frame.groupby("scenario", sort=False):
        rows = rows.sort_values("year")
        years = tuple(str(y) for y in rows["year"])
        p50, p5, p95 = (_floats(rows[c]) for c in ("p50", "p5", "p95"))
        series.append(Series(str(scenario), years, p50, p5, p95, panel=str(scenario)))
    ylabel = text(lang, "change_units") if metric == "units" else f"Δ {metric.replace('_', ' ')}"
    return Figure(
        "comparison",
        "fan",
        text(lang, "comparison_title", base=comparison.base),
        text(lang, "year"),
        ylabel,
        tuple(series),
        footnote,
        lang=lang,
    )


def _held(metric: str) -> bool:
    """Whether a metric is a level held (read at the period's end), not a flow per period."""
    return any(m.name == metric and m.stock for m in ANNUAL) or metric in ("stock", "stranded", "runway")


def metric_fan(
    results: Sequence[RunResult],
    metric: str,
    group: str,
    by: Literal["year", "month"],
    lang: Lang,
    version: str,
    names: Sequence[str] = (),
) -> Figure:
    """One metric of one group per year or month: the first run's P50 with its P5–P95
    band, every other run's P50 as a line (a pinned baseline, say), each named by ``names``
    (default: its scenario). Monthly needs a series kept by month
    (``RunResult.monthly_keys``); KeyError names it otherwise."""
    base = results[0]
    if by == "month" and (metric, group) not in base.monthly_keys:
        raise KeyError(f"{metric} of {group} is not kept by month")
    names = _unique([*names, *(r.scenario for r in results[len(names) :])])
    bands = [
        _annual_band(r, metric, group, name) if by == "year" else _monthly_band(r, metric, group, name)
        for r, name in zip(results, names, strict=True)
    ]
    series = (bands[0], *(Series(b.name, b.x, b.y) for b in bands[1:]))
    title = f"{metric.replace('_', ' ').capitalize()}: {group}"
    unit = base.unit(metric)
    return Figure(
        f"fan-{metric}-{group}",
        "fan",
        title,
        text(lang, by),
        unit if not unit or _held(metric) else f"{unit} per {by}",
        series,
        _fan_footnote(results, lang, version),
        lang=lang,
    )


def _owned(data: ReportData, lang: Lang) -> Figure:
    """Compute installed and, when the scenario rents any, compute rented offshore."""
    base = data.base
    rented = _annual_band(base, "rental_h100e", name=text(lang, "rented"))
    renting = rented.high is not None and max(rented.high) > 0
    series = (_annual_band(base, "installed_h100e", name=text(lang, "owned")), *((rented,) if renting else ()))
    return Figure(
        "owned",
        "fan",
        text(lang, "owned_title" if renting else "owned_only_title"),
        text(lang, "year"),
        text(lang, "h100e"),
        series,
        _footnote(data, lang, base.scenario),
        lang=lang,
    )


def _output_label(data: ReportData, lang: Lang = "en") -> str:
    return f"{text(lang, 'units')} {data.year} ({data.base.scenario})"


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
        title = text(lang, "tornado_title", output=_output_label(data, lang))
        low_high = Figure("tornado", "tornado", title, text(lang, "units"), "", series, note, base=data.tornado.base)
        found.append(replace(low_high, lang=lang))
    if data.sobol is not None and data.sobol.indices:
        indices = data.sobol.indices[:top][::-1]
        names = _unique([i.label or i.factor for i in indices])
        detail = tuple(_detail(i.label or i.factor, i.factor) for i in indices)
        series = (
            Series(text(lang, "first_order"), names, tuple(i.first for i in indices), detail=detail),
            Series(text(lang, "total_order"), names, tuple(i.total for i in indices), detail=detail),
        )
        title = text(lang, "sobol_title", output=_output_label(data, lang))
        found.append(Figure("sobol", "bars", title, text(lang, "sobol_index"), "", series, note, lang=lang))
    return found


def figures(data: ReportData, lang: Lang) -> list[Figure]:
    """Every chart of the report, in the order the report shows them."""
    found = [
        *_fans(data, lang),
        _production(data, lang),
        _runway(data, lang),
        _binding(data, lang),
        _stranded(data, lang),
        _comparison(data, lang),
        *_sensitivity(data, lang),
        _owned(data, lang),
    ]
    return [f for f in found if f is not None and f.drawn]
