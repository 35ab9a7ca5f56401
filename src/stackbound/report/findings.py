"""The report's generated sentences, in either language, from a :class:`ReportData`; the
headline sentences also from a run alone (:class:`RunFindings`), which the terminal opens with."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np

from stackbound.analysis.bottlenecks import Bottlenecks, Runout, Segment, bottlenecks_by_month_and_year
from stackbound.engine.annual import SOURCED, UNSOURCED, UNSOURCED_SHARE
from stackbound.engine.results import RunResult
from stackbound.report.dutch import discovery_nl, effect_nl, headline_nl
from stackbound.report.gather import ReportData, headline_year
from stackbound.report.i18n import Lang, number, text
from stackbound.report.timeline import constraint_label, variant_label
from stackbound.scenario.inputs import unsourced_products
from stackbound.scenario.labels import named
from stackbound.scenario.loader import LoadedScenario
from stackbound.scenario.months import format_month

if TYPE_CHECKING:  # pandas, and the sensitivity methods' SciPy and SALib, load only where they are used
    from stackbound.analysis.compare import Comparison
    from stackbound.analysis.sensitivity.tornado import TornadoResult

__all__ = [
    "NOISE",
    "Findings",
    "RunFindings",
    "answer",
    "binding_lines",
    "discovery_lines",
    "question",
    "register_line",
    "run_findings",
    "runout_lines",
    "scenarios_line",
    "signed_number",
    "validation_line",
    "years_lines",
]

NOISE = 0.5
"""Differences smaller than this read as 0: annual totals are kept as float32, so
differences between separate runs carry rounding residue of that order."""


class Findings(Protocol):
    """What the headline sentences read: a report's :class:`ReportData`, or a run's
    :class:`RunFindings`."""

    @property
    def loaded(self) -> Sequence[LoadedScenario]: ...
    @property
    def results(self) -> Sequence[RunResult]: ...
    @property
    def year(self) -> int: ...
    @property
    def monthly(self) -> Bottlenecks: ...
    @property
    def yearly(self) -> Sequence[Bottlenecks]: ...
    @property
    def comparison(self) -> Comparison | None: ...
    @property
    def tornado(self) -> TornadoResult | None: ...
    @property
    def base(self) -> RunResult: ...


@dataclass(frozen=True, eq=False)
class RunFindings:
    """What the headline sentences of runs read, without a sensitivity analysis: the base
    (first) run's binding constraints and, when asked for, the others against it."""

    loaded: tuple[LoadedScenario, ...]
    results: tuple[RunResult, ...]
    year: int
    monthly: Bottlenecks
    yearly: tuple[Bottlenecks, ...]
    comparison: Comparison | None
    tornado: TornadoResult | None = None

    @property
    def base(self) -> RunResult:
        return self.results[0]


def run_findings(
    loaded: Sequence[LoadedScenario], results: Sequence[RunResult], comparison: Comparison | None = None
) -> RunFindings:
    """The findings of ``results`` (the base first, with its scenario first in ``loaded``)
    and, if given, the later ones against the base (:func:`~stackbound.analysis.compare.compare`)."""
    base = results[0]
    monthly, yearly = bottlenecks_by_month_and_year(base)
    return RunFindings(
        loaded=tuple(loaded),
        results=tuple(results),
        year=headline_year(base),
        monthly=monthly,
        yearly=(yearly,),
        comparison=comparison,
    )


def signed_number(value: float, lang: Lang = "en") -> str:
    """A difference with its sign, as :func:`number` writes it; within :data:`NOISE` of 0, '0'."""
    if abs(value) < NOISE:
        return "0"
    return f"+{number(value, lang)}" if value > 0 else number(value, lang)


def question(data: Findings, lang: Lang) -> str:
    return text(lang, "question", scenario=data.base.scenario)


def _leading(data: Findings) -> tuple[Bottlenecks, int, int, int] | None:
    """The base's yearly bottlenecks, the variant that makes most in the headline year among
    the products whose specs or bills cite a source (all, if none does), its most likely
    binding constraint then, and that year's index."""
    base = data.base
    yearly = next(b for b in data.yearly if b.scenario == base.scenario)
    if not yearly.variants:
        return None
    t = yearly.periods.index(str(data.year))
    unsourced = set(unsourced_products(data.loaded[0].scenario))
    eligible = [p not in unsourced for p in yearly.products]
    if not any(eligible):
        eligible = [True] * len(yearly.products)
    made = [
        float(base.annual_mean("units", product)[base.years.index(data.year)]) if ok else -np.inf
        for product, ok in zip(yearly.products, eligible, strict=True)
    ]
    v = int(np.argmax(made))
    return yearly, v, int(np.argmax(yearly.probability[v, :, t])), t


def _leading_binding(data: Findings, lang: Lang) -> str:
    """The most likely binding constraint of the leading variant in the headline year, and
    the months it is the most likely one (its span in the month-by-month story)."""
    leading = _leading(data)
    if leading is None:
        return ""
    yearly, v, k, t = leading
    variant, constraint = yearly.variants[v], yearly.constraints[k]
    p = f"{yearly.probability[v, k, t]:.2f}"
    scenario = data.loaded[0].scenario
    sentence = text(
        lang,
        "answer_binding",
        variant=variant_label(scenario, variant, yearly.products[v]),
        year=data.year,
        constraint=constraint_label(scenario, constraint, lang),
        p=p,
    )
    span = _span(data, variant, constraint)
    if span is None:
        return sentence
    months = data.base.months
    if span.last != int(months[-1]):
        since = text(lang, "answer_span", first=format_month(span.first), last=format_month(span.last))
    elif span.first != int(months[0]):
        since = text(lang, "answer_since", first=format_month(span.first))
    else:
        since = text(lang, "answer_throughout")
    return f"{sentence} {since}"


def _span(data: Findings, variant: str, constraint: str) -> Segment | None:
    """The first span of ``variant``'s month-by-month story in which ``constraint`` is the
    most likely to bind and which reaches into the headline year (None: there is none)."""
    headline = next((h for h in data.monthly.headlines if h.variant == variant), None)
    if headline is None:
        return None
    return next(
        (s for s in headline.segments if s.label == constraint and s.first // 12 <= data.year <= s.last // 12), None
    )


def answer(data: Findings, lang: Lang) -> str:
    """The headline in two to four sentences: how many, how much of it rests on unsourced
    products, what binds and from when, and which input moves it most (with a tornado)."""
    base = data.base
    y = base.years.index(data.year)
    low, mid, high = base.annual_percentiles("units")[:, y]
    compute = base.annual_percentiles("compute_added_h100e", q=[50.0])[0, y]
    first = text(
        lang,
        "answer",
        year=data.year,
        scenario=base.scenario,
        units=number(float(mid), lang),
        low=number(float(low), lang),
        high=number(float(high), lang),
        compute=number(float(compute), lang),
    )
    parts = [first, _without_unsourced(data, lang), _leading_binding(data, lang), _widest_input(data, lang)]
    return " ".join(part for part in parts if part)


def years_lines(data: Findings, lang: Lang) -> list[str]:
    """Units produced and compute added in every year of the base, P50 with the P5–P95 range."""
    base = data.base
    return [
        text(lang, key, series=_series(base, metric, lang))
        for key, metric in (("answer_years", "units"), ("answer_compute_years", "compute_added_h100e"))
    ]


def _series(result: RunResult, metric: str, lang: Lang) -> str:
    pct = result.annual_percentiles(metric)
    return ", ".join(
        f"{year} {number(float(pct[1, y]), lang)} ({number(float(pct[0, y]), lang)}–{number(float(pct[2, y]), lang)})"
        for y, year in enumerate(result.years)
    )


def scenarios_line(data: Findings, lang: Lang) -> str:
    """How each later scenario changes the units the base produces in the headline year,
    paired per sample, largest gain first; those that change nothing, named together."""
    comparison = data.comparison
    if comparison is None:
        return ""
    found = [d for d in comparison.differences if d.metric == "units" and d.group == "total" and d.year == data.year]
    changed = sorted((d for d in found if max(abs(d.p5), abs(d.p50), abs(d.p95)) >= NOISE), key=lambda d: -d.p50)
    unchanged = [d.scenario for d in found if d not in changed]
    changes = ", ".join(
        text(
            lang,
            "answer_change",
            scenario=d.scenario,
            p50=signed_number(d.p50, lang),
            low=signed_number(d.p5, lang),
            high=signed_number(d.p95, lang),
        )
        for d in changed
    )
    parts = [text(lang, "answer_scenarios", base=comparison.base, year=data.year, changes=changes)] if changed else []
    if unchanged:
        parts.append(text(lang, "answer_unchanged", year=data.year, names=", ".join(unchanged)))
    return " ".join(parts)


def _without_unsourced(data: Findings, lang: Lang) -> str:
    """How much of the headline comes from products whose specs and bills cite no source,
    and the headline without them (empty when there are none, or when every product is):
    the P50s of their units, of their share of each sample's units and of the others' units."""
    base = data.base
    y = base.years.index(data.year)
    unsourced = [p for p in unsourced_products(data.loaded[0].scenario) if p in base.products]
    if not unsourced or len(unsourced) == len(base.products):
        return ""
    part = float(base.annual_percentiles("units", UNSOURCED, [50.0])[0, y])
    if part <= 0.0:
        return ""
    share = float(base.annual_percentiles(UNSOURCED_SHARE, "total", [50.0])[0, y])
    rest = float(base.annual_percentiles("units", SOURCED, [50.0])[0, y])
    return text(
        lang,
        "answer_unsourced",
        part=number(part, lang),
        share=f"{share:.0%}",
        names=", ".join(named(data.loaded[0].scenario, "products", p) for p in unsourced),
        rest=number(rest, lang),
    )


def _widest_input(data: Findings, lang: Lang) -> str:
    """Which input moves the headline most one at a time, and whether it has a source."""
    if data.tornado is None or not data.tornado.bars:
        return ""
    bar = max(data.tornado.bars, key=lambda b: b.swing)
    known = {i.name: i for i in data.loaded[0].inputs}
    provenances = [known[name].provenance for name in bar.inputs if name in known]
    sourced = [p for p in provenances if p is not None and p.source]
    key = "answer_widest_sourced" if sourced and len(sourced) == len(provenances) else "answer_widest_unsourced"
    return text(lang, key, label=bar.label or bar.factor)


def _month(runout: Runout, which: Literal["p5", "p50", "p95"], lang: Lang) -> str:
    """A run-out percentile as a month, or the language's word for never."""
    return text(lang, "never") if getattr(runout, which) is None else runout.label(which)


def runout_lines(data: Findings, lang: Lang) -> list[str]:
    """When each stockpile of the base runs out: probability and P5–P50–P95 month."""
    sources = data.loaded[0].scenario.sources
    return [
        text(
            lang,
            "runout",
            stockpile=named(data.loaded[0].scenario, "sources", r.stockpile) if r.stockpile in sources else r.stockpile,
            p=f"{r.probability:.0%}",
            p50=_month(r, "p50", lang),
            p5=_month(r, "p5", lang),
            p95=_month(r, "p95", lang),
        )
        for r in data.monthly.runouts
    ]


def effect_lines(data: ReportData, lang: Lang) -> list[str]:
    """The factors the tornado shows no bar for, in words: each that may act through
    interactions (a large total Sobol' index, or no Sobol' analysis to tell), then one line
    counting those that do not matter at all."""
    if data.tornado is None:
        return []
    from stackbound.analysis.sensitivity.tornado import INTERACTION_TOTAL  # loaded with the tornado already

    totals = None if data.sobol is None else {i.factor: i.total for i in data.sobol.indices}
    effects = data.tornado.effects(totals)
    lines = [f"{e.factor}: {e.describe() if lang == 'en' else effect_nl(e)}" for e in effects if e.kind != "none"]
    idle = sum(e.kind == "none" for e in effects)
    limit = f"{INTERACTION_TOTAL:.2f}" if lang == "en" else f"{INTERACTION_TOTAL:.2f}".replace(".", ",")
    return [*lines, text(lang, "no_effect_factors", count=idle, limit=limit)] if idle else lines


def binding_lines(data: Findings, lang: Lang) -> list[str]:
    """The base's binding story per variant."""
    return [h.text if lang == "en" else headline_nl(h) for h in data.monthly.headlines]


def discovery_lines(data: ReportData, lang: Lang) -> list[str]:
    if data.discovery is None:
        return [text(lang, "no_discovery")]
    found = data.discovery
    if lang == "nl":
        return discovery_nl(found)
    return [found.summary(), *(f"{b.role}: {b.describe(found.outcome)}" for b in found.boxes[1:])]


def validation_line(data: ReportData, lang: Lang) -> str:
    inside = sum(1 for case in data.validation if case.inside)
    return text(lang, "validation_text", inside=inside, total=len(data.validation))


def register_line(data: ReportData, lang: Lang) -> str:
    table = data.inputs
    counts = table["grade"].value_counts()
    return text(
        lang,
        "register_text",
        count=len(table),
        a=int(counts.get("A", 0)),
        b=int(counts.get("B", 0)),
        c=int(counts.get("C", 0)),
        assumed=int((table["assumption"] != "").sum()),
    )
