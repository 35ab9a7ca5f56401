"""Check a run against published estimates (:mod:`stackbound.scenario.validation`).

Each case compares like with like: the model measure named in the case (a metric summed
over products or components and years, or a share) is computed per sample, and the
published figure (a value or a range) is judged *inside* when it overlaps the model's
P5–P95 interval. Cases the model misses stay in the table, marked as missed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from stackbound.engine.histogram import sample_percentiles
from stackbound.engine.results import RunResult
from stackbound.errors import SimulationError
from stackbound.scenario.validation import Case, Sum, ValidationSet

__all__ = ["CaseResult", "measure", "validate"]


@dataclass(frozen=True)
class CaseResult:
    case: Case
    p5: float
    p50: float
    p95: float

    @property
    def inside(self) -> bool:
        low, high = self.case.estimate.bounds
        return low <= self.p95 and high >= self.p5


def _sum(result: RunResult, spec: Sum) -> NDArray[np.float64]:
    if spec.metric not in result.metrics():
        raise SimulationError(f"validation: unknown metric {spec.metric!r} (known: {', '.join(result.metrics())})")
    total = np.zeros(result.samples)
    for group in spec.groups:
        if group not in result.groups(spec.metric):
            raise SimulationError(f"validation: {spec.metric!r} has no group {group!r}")
        values = result.annual_values(spec.metric, group)
        for year in spec.years:
            if year not in result.years:
                raise SimulationError(f"validation: year {year} is outside the run")
            total += values[:, result.years.index(year)]
    return total


def measure(result: RunResult, case: Case) -> NDArray[np.float64]:
    """The model's value of a case, per sample."""
    value = _sum(result, case.model)
    if case.model.over is None:
        return value
    denominator = _sum(result, case.model.over)
    return np.divide(value, denominator, out=np.zeros_like(value), where=denominator > 0)


def validate(result: RunResult, cases: ValidationSet) -> list[CaseResult]:
    """Every case with the model's P5, P50 and P95."""
    results = []
    for case in cases.cases:
        p5, p50, p95 = sample_percentiles(measure(result, case), [5, 50, 95])
        results.append(CaseResult(case, float(p5), float(p50), float(p95)))
    return results


def validation_table(results: list[CaseResult]) -> pd.DataFrame:
    rows = []
    for r in results:
        low, high = r.case.estimate.bounds
        rows.append(
            {
                "id": r.case.id,
                "claim": r.case.claim,
                "unit": r.case.unit,
                "published_low": low,
                "published_high": high,
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
