"""Tornado: each factor at its P10 and P90, every other input at its median.

A factor whose bar has no width has no *one-at-a-time* effect, which is not the same as no
effect: an input that matters only together with others (a supply that binds only when
another input is low) leaves the tornado still but has a large total Sobol' index.
:func:`effect` words a factor's bar as data (:class:`Effect`), given its total index when a
Sobol' analysis is at hand: a total of at least :data:`INTERACTION_TOTAL` means the factor
acts through interactions. :meth:`Effect.describe` is the English sentence,
:func:`stackbound.report.dutch.effect_nl` the Dutch one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

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
from stackbound.engine.executors import Executor
from stackbound.engine.keep import DEFAULT_KEEP, Keep
from stackbound.engine.run import Progress
from stackbound.formatting import number
from stackbound.scenario.distributions import Distribution
from stackbound.scenario.loader import LoadedScenario

__all__ = ["INTERACTION_TOTAL", "Bar", "Effect", "EffectKind", "TornadoResult", "effect", "tornado"]

INTERACTION_TOTAL = 0.05
"""A factor with no one-at-a-time effect but a total Sobol' index at least this large (5% of
the output's variance) acts through interactions with other inputs."""

EffectKind = Literal["swing", "flat", "interactions", "none", "alone"]

# ----------------------------------------------------------------------------- tornado


@dataclass(frozen=True)
class Bar:
    """The output with one factor at its P10 (``low``) and at its P90 (``high``)."""

    factor: str
    inputs: tuple[str, ...]
    low: float
    high: float
    moves: bool = True
    """Whether the output moves by more than rounding between P10 and P90."""
    flat: bool = False
    """Whether P10 equals P90 for every input of the factor (a mostly-one-value discrete input)."""
    label: str = ""
    """The factor in words (:mod:`stackbound.scenario.labels`); ``factor`` is its field paths."""

    @property
    def swing(self) -> float:
        return abs(self.high - self.low)


@dataclass(frozen=True)
class Effect:
    """What a factor does in the tornado, as data (:func:`effect`): ``swing`` (the output at
    P10 is ``low``, at P90 ``high``), ``flat`` (P10 equals P90: the tornado cannot tell),
    ``interactions`` (no one-at-a-time effect, a total Sobol' index ``total`` of at least
    :data:`INTERACTION_TOTAL`), ``none`` (no one-at-a-time effect and a smaller total
    index) or ``alone`` (no one-at-a-time effect, no total index at hand)."""

    factor: str
    kind: EffectKind
    low: float
    high: float
    total: float | None = None

    def describe(self) -> str:
        """The effect in English, e.g. 'no one-at-a-time effect; its total Sobol index of
        0.30 means it acts through interactions with other inputs'."""
        if self.kind == "swing":
            return f"{number(self.low)} at P10, {number(self.high)} at P90 (swing {number(abs(self.high - self.low))})"
        if self.kind == "flat":
            return "no effect shown: its P10 equals its P90, so a tornado cannot show what it does"
        if self.kind == "interactions":
            return (
                f"no one-at-a-time effect; its total Sobol index of {self.total:.2f} means it acts through "
                "interactions with other inputs"
            )
        if self.kind == "none":
            return f"no effect: no one-at-a-time effect and a total Sobol index of only {self.total:.3f}"
        return (
            "no one-at-a-time effect (it may still act through interactions with other inputs; "
            "its total Sobol index would show it)"
        )


def effect(bar: Bar, total: float | None = None) -> Effect:
    """The effect of ``bar``'s factor in words-to-be, given its total Sobol' index if known."""
    if bar.moves:
        kind: EffectKind = "swing"
    elif bar.flat:
        kind = "flat"
    elif total is None:
        kind = "alone"
    else:
        kind = "interactions" if total >= INTERACTION_TOTAL else "none"
    return Effect(bar.label or bar.factor, kind, bar.low, bar.high, total)


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
    still: tuple[Bar, ...] = ()
    """The bars of the ``no_effect`` factors, in the same order."""

    def effects(self, totals: Mapping[str, float] | None = None) -> tuple[Effect, ...]:
        """The effect of every factor without a bar, given total Sobol' indices by factor
        name (:class:`~stackbound.analysis.sensitivity.sobol.SobolIndex` ``total``) if known."""
        return tuple(effect(bar, None if totals is None else totals.get(bar.factor)) for bar in self.still)

    def to_frame(self) -> pd.DataFrame:
        return _frame(self.bars, ["factor", "label", "inputs", "low", "high", "swing"])

    def to_dict(self) -> dict[str, Any]:
        return _document(
            self,
            by=self.by,
            base=self.base,
            low_quantile=LOW,
            high_quantile=HIGH,
            no_effect=list(self.no_effect),
            no_effect_labels=[bar.label or bar.factor for bar in self.still],
        )


def tornado(
    loaded: LoadedScenario,
    output: Output,
    *,
    by: By = "group",
    samples: int | None = None,
    seed: int = 0,
    progress: Progress | None = None,
    executor: Executor | None = None,
    keep: Keep = DEFAULT_KEEP,
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
    values = _evaluate(loaded, output, uniforms, False, seed, progress, executor, keep)
    tolerance = 1e-6 * max(1.0, abs(float(values[0])))
    bars = []
    for k, f in enumerate(found):
        low, high = float(values[1 + 2 * k]), float(values[2 + 2 * k])
        moves = abs(high - low) > tolerance
        flat = not moves and all(_flat(loaded.inputs[c].dist) for c in f.columns)
        bars.append(Bar(f.name, f.inputs, low, high, moves, flat, f.label))
    moving = sorted((b for b in bars if b.moves), key=lambda b: -b.swing)
    still = tuple(b for b in bars if not b.moves)
    flat_names = [b.factor for b in still if b.flat]
    notes = (f"P10 equals P90 for {', '.join(flat_names)}: a tornado cannot show what it does",) if flat_names else ()
    no_effect = tuple(b.factor for b in still)
    return TornadoResult(loaded.name, output, by, float(values[0]), tuple(moving), no_effect, notes, still=still)


def _flat(dist: Distribution) -> bool:
    """Whether a distribution's P10 equals its P90 (a discrete input that is mostly one value)."""
    low, high = dist.ppf(np.array([LOW, HIGH]))
    return bool(low == high)
