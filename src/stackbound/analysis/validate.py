"""Check a run against published estimates (:mod:`stackbound.scenario.validation`).

Each case compares like with like: the model side named in the case (a metric summed over
products or components and years; the ratio of two such sums, a share among them; or
their difference) is computed per sample and, when the case counts in another chip's
equivalents, converted to that chip's units. The published figure (a value, a range or an
open bound), widened by the case's tolerance, is judged *inside* when it overlaps the
model's P5–P95 interval. Cases the model misses stay in the table, marked as missed.

Everything the cases name is checked against the run before anything is computed; every
problem is reported at once, located in the validation file
(:class:`~stackbound.errors.ScenarioError`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from stackbound.engine.histogram import sample_percentiles
from stackbound.engine.results import RunResult
from stackbound.errors import Problem, ScenarioError
from stackbound.formatting import Lang, number
from stackbound.scenario.validation import CHIP_FIGURES, Case, Operand, Operation, Sum, ValidationSet
from stackbound.scenario.yamlio import Path

__all__ = ["COMBINE", "CaseResult", "measure", "published_text", "validate", "validation_table"]

Samples = NDArray[np.float64]


@dataclass(frozen=True)
class CaseResult:
    """A case with the model's P5, P50 and P95 of its model side."""

    case: Case
    p5: float
    p50: float
    p95: float

    @property
    def inside(self) -> bool:
        """Whether the published band (tolerance included) overlaps the model's P5–P95."""
        low, high = self.case.band
        return low <= self.p95 and high >= self.p5


def _ratio(terms: list[Samples]) -> Samples:
    numerator, denominator = terms
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)


COMBINE: dict[Operation, Callable[[list[Samples]], Samples]] = {
    "sum": lambda terms: terms[0],
    "difference": lambda terms: terms[0] - terms[1],
    "ratio": _ratio,
}
"""How each form of model side combines its sums, per sample (a ratio is 0 where its
denominator is 0)."""


def _sum(result: RunResult, spec: Sum) -> Samples:
    total = np.zeros(result.samples)
    for group in spec.groups:
        values = result.annual_values(spec.metric, group)
        for year in spec.years:
            total += values[:, result.years.index(year)]
    return total


def measure(result: RunResult, case: Case) -> Samples:
    """The model's value of a case, per sample; in the chip's equivalents if it names one."""
    value = COMBINE[case.model.operation]([_sum(result, operand.sum) for operand in case.model.operands])
    if case.equivalent is None:
        return value
    return value * result.reference[1] / case.equivalent.figure[1]


def _operand_problems(result: RunResult, operand: Operand) -> list[tuple[Path, str]]:
    spec, at = operand.sum, ("model", *operand.at)
    if spec.metric not in result.metrics():
        return [((*at, "metric"), f"unknown metric {spec.metric!r}; known: {', '.join(result.metrics())}")]
    known = result.groups(spec.metric)
    problems = [
        ((*at, "groups", i), f"{spec.metric!r} has no group {group!r}; known: {', '.join(known)}")
        for i, group in enumerate(spec.groups)
        if group not in known
    ]
    span = f"{result.years[0]}–{result.years[-1]}"
    problems += [
        ((*at, "years", i), f"year {year} is outside the run ({span})")
        for i, year in enumerate(spec.years)
        if year not in result.years
    ]
    return problems


def _equivalent_problems(result: RunResult, case: Case, metric: str | None) -> list[tuple[Path, str]]:
    """A chip's figure must be on the scenario's metric, and what it converts must be H100e."""
    if case.equivalent is None:
        return []
    chip = case.equivalent.name
    key, _ = case.equivalent.figure
    problems: list[tuple[Path, str]] = []
    if metric is None:
        problems.append((("equivalent", key), "the scenario's metric was not given, so this figure cannot be checked"))
    elif CHIP_FIGURES[key] != metric:
        needed = next(figure for figure, on in CHIP_FIGURES.items() if on == metric)
        message = f"the scenario counts compute on {metric}: give the {chip}'s {needed} figure, not {key}"
        problems.append((("equivalent", key), message))
    h100e = sorted(set(result.native_metrics.values()))
    for operand in case.model.operands:
        if operand.sum.metric in result.metrics() and operand.sum.metric not in h100e:
            message = f"{chip}-equivalents are converted from H100e: use one of {', '.join(h100e)}"
            problems.append((("model", *operand.at, "metric"), f"{message}; got {operand.sum.metric!r}"))
    return problems


def _problems(result: RunResult, cases: ValidationSet, metric: str | None) -> list[Problem]:
    problems = []
    for i, case in enumerate(cases.cases):
        found = [p for operand in case.model.operands for p in _operand_problems(result, operand)]
        found += _equivalent_problems(result, case, metric)
        problems += [cases.problem(("cases", i, *path), message) for path, message in found]
    return problems


def validate(result: RunResult, cases: ValidationSet, *, metric: str | None = None) -> list[CaseResult]:
    """Every case with the model's P5, P50 and P95. ``metric`` is the scenario's
    (``dense_8bit``, ``dense_bf16`` or ``memory_bandwidth``; default: the run's): a case in
    a chip's equivalents needs it. ScenarioError, located in the file, lists every case
    that names what the run does not hold."""
    problems = _problems(result, cases, metric or result.metric)
    if problems:
        raise ScenarioError(problems)
    results = []
    for case in cases.cases:
        p5, p50, p95 = sample_percentiles(measure(result, case), [5, 50, 95])
        results.append(CaseResult(case, float(p5), float(p50), float(p95)))
    return results


def published_text(case: Case, lang: Lang = "en") -> str:
    """The published figure as people read it, without its unit: ``300k``, ``1M–1.6M``,
    ``≥ 820k``, ``≤ 1.6M``; `` ± 25%`` follows when the case has a tolerance."""
    low, high = case.estimate.bounds
    if low == high:
        text = number(low, lang)
    elif high == np.inf:
        text = f"≥ {number(low, lang)}"
    elif low == -np.inf:
        text = f"≤ {number(high, lang)}"
    else:
        text = f"{number(low, lang)}–{number(high, lang)}"
    return text + (f" ± {number(case.tolerance * 100, lang)}%" if case.tolerance else "")


def validation_table(results: list[CaseResult]) -> pd.DataFrame:
    """One row per case: the published bounds (an open end is infinite), the band judged
    (tolerance included), the model's P5–P50–P95 and whether they overlap."""
    rows = []
    for r in results:
        low, high = r.case.estimate.bounds
        band_low, band_high = r.case.band
        rows.append(
            {
                "id": r.case.id,
                "kind": r.case.kind,
                "claim": r.case.claim,
                "unit": r.case.unit,
                "published_low": low,
                "published_high": high,
                "tolerance": r.case.tolerance,
                "band_low": band_low,
                "band_high": band_high,
                "p5": r.p5,
                "p50": r.p50,
                "p95": r.p95,
                "inside": r.inside,
                "definition": r.case.definition,
                "source": r.case.source,
                "date": r.case.date,
                "grade": r.case.grade,
            }
        )
    return pd.DataFrame(rows)
