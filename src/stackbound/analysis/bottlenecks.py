"""Which input binds, from when, and what it costs: the bottleneck analysis of a run.

For each variant (``product/variant``; a product with one bill has one) and each month or
year:

- the probability that each constraint set its output, over the sample-months it was
  active (the constraints are each component inventory, packaging capacity, the demand
  cap and market demand);
- apart from those: the share of sample-months it was *inactive* (outside its launch
  window), and the probability it was *starved by priority* (its binding limit had been
  drawn down by higher-priority variants).

Binding is recorded per variant, so a product with several bills (an HBM2E bill and an
HBM3 fallback) has one row per bill; the probability that "the product" is bound by X is
not defined when its bills are bound by different limits.

What a limit costs is :func:`stackbound.analysis.lost.lost_output`: the paired difference,
sample by sample, between a run with that limit alone lifted and the run itself. It needs
the scenario and extra runs, so it lives apart from :func:`bottlenecks`, which only reads a
result.

Stranded dies and HBM stacks (held while a partner component or packaging binds), months
of runway left in each stockpile (P5–P50–P95 from the monthly histograms, read at the end
of each period and rounded to whole months, which runway always is) and the month each
stockpile runs out (exact, per sample) complete the picture.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from stackbound.analysis.records import clean_value, records
from stackbound.engine.histogram import sample_percentiles
from stackbound.engine.results import PERCENTILES, RunResult
from stackbound.errors import SimulationError
from stackbound.scenario.months import format_month

__all__ = [
    "Band",
    "Bottlenecks",
    "Headline",
    "Period",
    "Runout",
    "Segment",
    "bottlenecks",
    "bottlenecks_by_month_and_year",
]

Period = Literal["month", "year"]
FloatArray = NDArray[np.float64]
INACTIVE = "inactive"
MOSTLY = 0.5
"""A month is shown as inactive in a headline when the variant is inactive in at least
this share of samples; a span is flagged starved by priority from this mean probability."""
HOLD = 0.1
"""A headline span goes on while its constraint's probability stays within this of the
most likely one's, so that near-ties do not break the story into one-month spans."""


# ------------------------------------------------------------------ result types


@dataclass(frozen=True)
class Segment:
    """Consecutive months in which the same constraint was the most likely to bind (or the
    variant was mostly inactive). ``probability`` is the lowest monthly probability of
    ``label`` in the segment; ``starved`` the mean probability of starvation by priority."""

    label: str
    first: int
    last: int
    probability: float
    starved: float

    def describe(self) -> str:
        if self.label == INACTIVE:
            return INACTIVE
        text = f"{self.label} ({_probability_text(self.probability)}"
        if self.starved >= MOSTLY:
            text += ", starved by priority"
        return text + ")"


@dataclass(frozen=True)
class Headline:
    """The binding story of one variant, month by month, as segments."""

    variant: str
    product: str
    segments: tuple[Segment, ...]

    @property
    def text(self) -> str:
        """``accel_a/hbm2e: packaging (P≥0.9) until 2025-06, then hbm2e (P≥0.5) from 2025-07``."""
        if len(self.segments) == 1:
            return f"{self.variant}: {self.segments[0].describe()} throughout"
        parts = []
        for i, segment in enumerate(self.segments):
            if i == 0:
                parts.append(f"{segment.describe()} until {format_month(segment.last)}")
            elif i == len(self.segments) - 1:
                parts.append(f"then {segment.describe()} from {format_month(segment.first)}")
            else:
                parts.append(f"then {segment.describe()} {format_month(segment.first)} to {format_month(segment.last)}")
        return f"{self.variant}: " + ", ".join(parts)


@dataclass(frozen=True, eq=False)
class Band:
    """Mean and P5–P50–P95 of one monthly series, read at the end of each period."""

    name: str
    mean: FloatArray
    p5: FloatArray
    p50: FloatArray
    p95: FloatArray


@dataclass(frozen=True)
class Runout:
    """When one stockpile first runs empty: calendar month indices at P5, P50 and P95
    (None: not within the horizon), and the probability it runs out within the horizon."""

    stockpile: str
    probability: float
    p5: int | None
    p50: int | None
    p95: int | None

    def label(self, which: Literal["p5", "p50", "p95"]) -> str:
        month: int | None = getattr(self, which)
        return "never" if month is None else format_month(month)


@dataclass(frozen=True, eq=False)
class Bottlenecks:
    """The bottleneck analysis of one run; arrays are indexed (variant, constraint, period)."""

    scenario: str
    seed: int
    samples: int
    by: Period
    periods: tuple[str, ...]
    variants: tuple[str, ...]
    products: tuple[str, ...]
    """The product of each variant."""
    constraints: tuple[str, ...]
    """Every constraint that can bind an active variant ('inactive' is not one)."""
    probability: FloatArray
    """(variants, constraints, periods): P(constraint binds | variant active)."""
    inactive: FloatArray
    """(variants, periods): share of sample-months the variant was inactive."""
    starved: FloatArray
    """(variants, periods): P(starved by priority | variant active)."""
    headlines: tuple[Headline, ...]
    stranded: tuple[Band, ...]
    runway: tuple[Band, ...]
    runouts: tuple[Runout, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per variant, period and constraint: the probability it binds (given
        active), with the variant's inactive share and starvation probability."""
        rows = []
        for v, variant in enumerate(self.variants):
            for t, period in enumerate(self.periods):
                for k, constraint in enumerate(self.constraints):
                    rows.append(
                        {
                            "variant": variant,
                            "product": self.products[v],
                            "period": period,
                            "constraint": constraint,
                            "probability": float(self.probability[v, k, t]),
                            "inactive": float(self.inactive[v, t]),
                            "starved_by_priority": float(self.starved[v, t]),
                        }
                    )
        columns = ["variant", "product", "period", "constraint", "probability", "inactive", "starved_by_priority"]
        return pd.DataFrame(rows, columns=columns)

    def stranded_frame(self) -> pd.DataFrame:
        """Stranded inventory per component at the end of each period."""
        return _bands_frame(self.stranded, "component", self.periods)

    def runway_frame(self) -> pd.DataFrame:
        """Months of runway left in each stockpile at the end of each period."""
        return _bands_frame(self.runway, "stockpile", self.periods)

    def runout_frame(self) -> pd.DataFrame:
        rows = [
            {
                "stockpile": r.stockpile,
                "probability_runs_out": r.probability,
                "p5": r.label("p5"),
                "p50": r.label("p50"),
                "p95": r.label("p95"),
            }
            for r in self.runouts
        ]
        return pd.DataFrame(rows, columns=["stockpile", "probability_runs_out", "p5", "p50", "p95"])

    def headlines_document(self) -> list[dict[str, Any]]:
        """Each variant's binding story as JSON-ready data (``to_document()["headlines"]``,
        without building the rest)."""
        return [_headline_document(h) for h in self.headlines]

    def to_document(self) -> dict[str, Any]:
        """Everything as plain JSON-ready data."""
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "samples": self.samples,
            "by": self.by,
            "headlines": self.headlines_document(),
            "binding": records(self.to_frame()),
            "stranded": records(self.stranded_frame()),
            "runway": records(self.runway_frame()),
            "runout": records(self.runout_frame()),
        }


# ------------------------------------------------------------------ the analysis


def bottlenecks(result: RunResult, by: Period = "year") -> Bottlenecks:
    """The bottleneck analysis of ``result``, by month or by year."""
    if by not in ("month", "year"):
        raise SimulationError(f"bottlenecks: by must be 'month' or 'year', got {by!r}")
    monthly = _monthly(result)
    return monthly if by == "month" else _yearly(result, monthly)


def bottlenecks_by_month_and_year(result: RunResult) -> tuple[Bottlenecks, Bottlenecks]:
    """:func:`bottlenecks` of ``result`` by month and by year (the findings of a run read
    both): the yearly analysis reads the monthly one's headlines, bands and run-out months
    instead of computing them again."""
    monthly = _monthly(result)
    return monthly, _yearly(result, monthly)


def _monthly(result: RunResult) -> Bottlenecks:
    counts = np.asarray(result.binding_counts, dtype=np.float64)
    probability, inactive, starved = _binding(counts, np.asarray(result.starved_counts, dtype=np.float64))
    products = tuple(v.split("/", 1)[0] for v in result.variants)
    return Bottlenecks(
        scenario=result.scenario,
        seed=result.seed,
        samples=result.samples,
        by="month",
        periods=tuple(format_month(m) for m in result.months),
        variants=result.variants,
        products=products,
        constraints=result.constraint_names[1:],
        probability=probability,
        inactive=inactive,
        starved=starved,
        headlines=tuple(
            _headline(result, v, products[v], probability, inactive, starved) for v in range(len(result.variants))
        ),
        stranded=tuple(_band(result, key) for key in result.monthly_keys if key[0] == "stranded"),
        runway=tuple(_band(result, ("runway_months", s), whole=True) for s in result.stockpiles),
        runouts=tuple(_runout(result, s) for s in range(len(result.stockpiles))),
    )


def _yearly(result: RunResult, monthly: Bottlenecks) -> Bottlenecks:
    """The analysis by year: the binding counts added up over each year's months, the
    bands read at each year's last month, the headlines and run-out months as by month."""
    period = np.searchsorted(np.asarray(result.years), result.months // 12)
    membership = (period[:, None] == np.arange(len(result.years))[None, :]).astype(np.float64)
    ends = np.asarray([np.flatnonzero(period == y)[-1] for y in range(len(result.years))], dtype=np.int64)
    counts = np.asarray(result.binding_counts, dtype=np.float64)
    probability, inactive, starved = _binding(counts @ membership, result.starved_counts @ membership)
    return dataclasses.replace(
        monthly,
        by="year",
        periods=tuple(str(y) for y in result.years),
        probability=probability,
        inactive=inactive,
        starved=starved,
        stranded=tuple(_at(band, ends) for band in monthly.stranded),
        runway=tuple(_at(band, ends) for band in monthly.runway),
    )


def _binding(counts: FloatArray, starved: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """From sample-month counts (variants, codes, periods) and starved counts (variants,
    periods): P(each constraint | active), the inactive share and P(starved | active)."""
    total = counts.sum(axis=1)
    active = total - counts[:, 0]
    safe = np.where(active > 0, active, 1.0)
    probability = np.where(active[:, None] > 0, counts[:, 1:] / safe[:, None], 0.0)
    inactive = np.divide(counts[:, 0], total, out=np.zeros_like(total), where=total > 0)
    return probability, inactive, np.where(active > 0, starved / safe, 0.0)


def _headline(
    result: RunResult, v: int, product: str, probability: FloatArray, inactive: FloatArray, starved: FloatArray
) -> Headline:
    """Month by month, the constraint most likely to bind ``v`` (or inactive), as segments;
    the constraint of the month before is kept while within :data:`HOLD` of the most likely."""
    names = result.constraint_names[1:]
    labels: list[str] = []
    chances: list[float] = []
    for t in range(len(result.months)):
        if inactive[v, t] >= MOSTLY:
            labels.append(INACTIVE)
            chances.append(float(inactive[v, t]))
            continue
        k = int(np.argmax(probability[v, :, t]))
        if labels and labels[-1] in names:
            before = names.index(labels[-1])
            if probability[v, before, t] >= probability[v, k, t] - HOLD:
                k = before
        labels.append(names[k])
        chances.append(float(probability[v, k, t]))
    segments, start = [], 0
    for t in range(1, len(labels) + 1):
        if t == len(labels) or labels[t] != labels[start]:
            segments.append(
                Segment(
                    labels[start],
                    int(result.months[start]),
                    int(result.months[t - 1]),
                    min(chances[start:t]),
                    float(starved[v, start:t].mean()),
                )
            )
            start = t
    return Headline(result.variants[v], product, tuple(segments))


def _band(result: RunResult, key: tuple[str, str], whole: bool = False) -> Band:
    """Mean and percentiles of every month; ``whole`` rounds the percentiles of a series
    that only takes whole values (runway months) to the nearest, removing the histogram's
    error wherever it is under half a unit."""
    metric, group = key
    p5, p50, p95 = (result.monthly_percentile(metric, group, q) for q in PERCENTILES)
    if whole:
        p5, p50, p95 = np.round(p5), np.round(p50), np.round(p95)
    return Band(group, result.monthly_mean(metric, group), p5, p50, p95)


def _at(band: Band, ends: NDArray[np.int64]) -> Band:
    """A monthly band read at the end of each period (month indices ``ends``)."""
    return Band(band.name, band.mean[ends], band.p5[ends], band.p50[ends], band.p95[ends])


def _runout(result: RunResult, s: int) -> Runout:
    """P5–P50–P95 of the first empty month (empirical quantiles, so each is a month of the
    run or 'never')."""
    first_empty = result.runout[:, s]
    horizon = len(result.months)
    quantiles = sample_percentiles(first_empty, PERCENTILES)
    months = [None if q >= horizon else int(result.months[int(q)]) for q in quantiles]
    return Runout(result.stockpiles[s], float((first_empty < horizon).mean()), *months)


# ------------------------------------------------------------------ plain data


def _probability_text(p: float) -> str:
    """0.93 -> 'P≥0.9'; 1 -> 'P=1'."""
    if p >= 1.0 - 1e-12:
        return "P=1"
    tenths = math.floor(p * 10 + 1e-9) / 10
    return f"P≥{tenths:.1f}" if tenths > 0 else "P<0.1"


def _headline_document(headline: Headline) -> dict[str, Any]:
    segments = [
        {
            "label": s.label,
            "first": format_month(s.first),
            "last": format_month(s.last),
            "probability": clean_value(s.probability),
            "starved_by_priority": clean_value(s.starved),
        }
        for s in headline.segments
    ]
    return {"variant": headline.variant, "product": headline.product, "text": headline.text, "segments": segments}


def _bands_frame(bands: tuple[Band, ...], what: str, periods: tuple[str, ...]) -> pd.DataFrame:
    rows = [
        {
            what: b.name,
            "period": period,
            "mean": float(b.mean[t]),
            "p5": float(b.p5[t]),
            "p50": float(b.p50[t]),
            "p95": float(b.p95[t]),
        }
        for b in bands
        for t, period in enumerate(periods)
    ]
    return pd.DataFrame(rows, columns=[what, "period", "mean", "p5", "p50", "p95"])
