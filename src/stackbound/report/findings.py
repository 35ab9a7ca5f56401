"""The report's generated sentences, in either language, from a :class:`ReportData`."""

from __future__ import annotations

from typing import Literal

import numpy as np

from stackbound.analysis.bottlenecks import Runout
from stackbound.analysis.sensitivity.tornado import INTERACTION_TOTAL
from stackbound.engine.histogram import sample_percentiles
from stackbound.engine.results import PERCENTILES
from stackbound.report.dutch import discovery_nl, effect_nl, headline_nl
from stackbound.report.gather import ReportData
from stackbound.report.i18n import Lang, number, text
from stackbound.scenario.inputs import unsourced_products

__all__ = [
    "answer",
    "binding_lines",
    "discovery_lines",
    "question",
    "register_line",
    "runout_lines",
    "validation_line",
]


def question(data: ReportData, lang: Lang) -> str:
    return text(lang, "question", scenario=data.base.scenario)


def _leading_binding(data: ReportData, lang: Lang) -> str:
    """The most likely binding constraint, in the headline year, of the variant that makes
    most among the products whose specs or bills cite a source (all, if none does)."""
    base = data.base
    yearly = next(b for b in data.yearly if b.scenario == base.scenario)
    if not yearly.variants:
        return ""
    t = yearly.periods.index(str(data.year))
    unsourced = set(unsourced_products(data.loaded[0].scenario))
    eligible = [p not in unsourced for p in yearly.products]
    if not any(eligible):
        eligible = [True] * len(yearly.products)
    made = [
        float(base.annual_values("units", product)[:, base.years.index(data.year)].mean()) if ok else -np.inf
        for product, ok in zip(yearly.products, eligible, strict=True)
    ]
    v = int(np.argmax(made))
    k = int(np.argmax(yearly.probability[v, :, t]))
    return text(
        lang,
        "answer_binding",
        variant=yearly.variants[v],
        year=data.year,
        constraint=yearly.constraints[k],
        p=f"{yearly.probability[v, k, t]:.2f}",
    )


def answer(data: ReportData, lang: Lang) -> str:
    """The headline in two sentences: how many, and what binds."""
    base = data.base
    y = base.years.index(data.year)
    units = base.annual_values("units")[:, y]
    compute = base.annual_values("compute_added_h100e")[:, y]
    low, mid, high = sample_percentiles(units, PERCENTILES)
    first = text(
        lang,
        "answer",
        year=data.year,
        scenario=base.scenario,
        units=number(float(mid), lang),
        low=number(float(low), lang),
        high=number(float(high), lang),
        compute=number(float(sample_percentiles(compute, [50.0])[0]), lang),
    )
    parts = [first, _without_unsourced(data, lang), _leading_binding(data, lang), _widest_input(data, lang)]
    return " ".join(part for part in parts if part)


def _without_unsourced(data: ReportData, lang: Lang) -> str:
    """How much of the headline comes from products whose specs and bills cite no source,
    and the headline without them (empty when there are none, or when every product is)."""
    base = data.base
    y = base.years.index(data.year)
    unsourced = [p for p in unsourced_products(data.loaded[0].scenario) if p in base.products]
    if not unsourced or len(unsourced) == len(base.products):
        return ""
    total = base.annual_values("units")[:, y]
    part = np.sum([base.annual_values("units", p)[:, y] for p in unsourced], axis=0)
    if float(np.median(part)) <= 0.0:
        return ""
    share = float(np.median(np.divide(part, total, out=np.zeros_like(total), where=total > 0)))
    rest = float(sample_percentiles(total - part, [50.0])[0])
    return text(
        lang,
        "answer_unsourced",
        part=number(float(sample_percentiles(part, [50.0])[0]), lang),
        share=f"{share:.0%}",
        names=", ".join(unsourced),
        rest=number(rest, lang),
    )


def _widest_input(data: ReportData, lang: Lang) -> str:
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


def runout_lines(data: ReportData, lang: Lang) -> list[str]:
    """When each stockpile of the base runs out: probability and P5–P50–P95 month."""
    return [
        text(
            lang,
            "runout",
            stockpile=r.stockpile,
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
    totals = None if data.sobol is None else {i.factor: i.total for i in data.sobol.indices}
    effects = data.tornado.effects(totals)
    lines = [f"{e.factor}: {e.describe() if lang == 'en' else effect_nl(e)}" for e in effects if e.kind != "none"]
    idle = sum(e.kind == "none" for e in effects)
    limit = f"{INTERACTION_TOTAL:.2f}" if lang == "en" else f"{INTERACTION_TOTAL:.2f}".replace(".", ",")
    return [*lines, text(lang, "no_effect_factors", count=idle, limit=limit)] if idle else lines


def binding_lines(data: ReportData, lang: Lang) -> list[str]:
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
