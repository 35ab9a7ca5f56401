"""Tornado: each factor at its P10 and P90, every other input at its median."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from stackbound.analysis.sensitivity.common import (
    HIGH,
    LOW,
    By,
    Output,
    _document,
    _evaluate,
    _factors_or_error,
    _frame,
)
from stackbound.engine.run import Progress
from stackbound.scenario.distributions import Distribution
from stackbound.scenario.loader import LoadedScenario

# ----------------------------------------------------------------------------- tornado


@dataclass(frozen=True)
class Bar:
    """The output with one factor at its P10 (``low``) and at its P90 (``high``)."""

    factor: str
    inputs: tuple[str, ...]
    low: float
    high: float

    @property
    def swing(self) -> float:
        return abs(self.high - self.low)


@dataclass(frozen=True)
class TornadoResult:
    """Bars sorted by swing, largest first; factors that do not move the output have no bar."""

    scenario: str
    output: Output
    by: By
    base: float
    """The output with every input at its median."""
    bars: tuple[Bar, ...]
    no_effect: tuple[str, ...]
    notes: tuple[str, ...] = ()
    method: str = "tornado"

    def to_frame(self) -> pd.DataFrame:
        return _frame(self.bars, ["factor", "inputs", "low", "high", "swing"])

    def to_dict(self) -> dict[str, Any]:
        return _document(
            self, by=self.by, base=self.base, low_quantile=LOW, high_quantile=HIGH, no_effect=list(self.no_effect)
        )


def tornado(
    loaded: LoadedScenario,
    output: Output,
    *,
    by: By = "group",
    samples: int | None = None,
    seed: int = 0,
    progress: Progress | None = None,
) -> TornadoResult:
    """Each factor at its P10 and P90 (correlated members moved the way their correlation
    goes), every other input at its median; one engine run of 1 + 2·factors rows. ``samples``
    and ``seed`` are accepted for the common contract and change nothing."""
    found = _factors_or_error(loaded, output, by)
    uniforms = np.full((1 + 2 * len(found), len(loaded.inputs)), 0.5)
    for k, factor in enumerate(found):
        rising = np.array(factor.directions) > 0
        uniforms[1 + 2 * k, list(factor.columns)] = np.where(rising, LOW, HIGH)
        uniforms[2 + 2 * k, list(factor.columns)] = np.where(rising, HIGH, LOW)
    values = _evaluate(loaded, output, uniforms, False, seed, progress)
    bars = [Bar(f.name, f.inputs, float(values[1 + 2 * k]), float(values[2 + 2 * k])) for k, f in enumerate(found)]
    tolerance = 1e-6 * max(1.0, abs(float(values[0])))
    moving = sorted((b for b in bars if b.swing > tolerance), key=lambda b: -b.swing)
    still = tuple(b.factor for b in bars if b.swing <= tolerance)
    flat = [f.name for f in found if f.name in still and all(_flat(loaded.inputs[c].dist) for c in f.columns)]
    notes = (f"P10 equals P90 for {', '.join(flat)}: a tornado cannot show what it does",) if flat else ()
    return TornadoResult(loaded.name, output, by, float(values[0]), tuple(moving), still, notes)


def _flat(dist: Distribution) -> bool:
    """Whether a distribution's P10 equals its P90 (a discrete input that is mostly one value)."""
    low, high = dist.ppf(np.array([LOW, HIGH]))
    return bool(low == high)
