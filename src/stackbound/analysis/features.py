"""The inputs of a run as analysts read them: each uncertain input's draws per sample, and
features (an input, a curve's average level, a knot or a shift) with its label
(:mod:`stackbound.scenario.labels`) and a unit, as scenario discovery and the marginal values use them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from stackbound.engine.evaluate import knot_weights
from stackbound.engine.sampling import BLOCK_SIZE, block_uniforms, draws_from_uniforms
from stackbound.formatting import number
from stackbound.scenario.inputs import Input, walk_params
from stackbound.scenario.labels import input_label, labels
from stackbound.scenario.loader import LoadedScenario
from stackbound.scenario.months import format_month
from stackbound.scenario.units import DURATION, FRACTION, Kind
from stackbound.scenario.values import MONTH, Curve, Param
from stackbound.scenario.yamlio import Path, format_path

__all__ = ["Feature", "Inputs", "feature_matrix", "sample_inputs"]

FloatArray = NDArray[np.float64]
Inputs = Literal["curves", "knots"]
"""How a curve enters: its average level over the horizon, or each uncertain knot."""
_NOUNS = {"logic_die": "dies", "hbm_stack": "stacks", "memory": "packages", "other": ""}
_PLURALS = {"die": "dies", "stack": "stacks", "package": "packages", "unit": "units", "wafer": "wafers"}


@dataclass(frozen=True)
class Feature:
    """One explanatory variable: an uncertain input, or a curve's average level."""

    name: str
    label: str
    kind: Kind
    unit: str
    values: tuple[float, ...] = ()
    """The values a discrete input (bernoulli, choice) takes, ascending; empty if continuous."""

    @property
    def switch(self) -> bool:
        """A 0/1 input: a lever or choice that is off or on."""
        return self.values == (0.0, 1.0)

    def format(self, value: float, unit: bool = True) -> str:
        """A value as people write it: a month, a percentage, or a number with k/M and its unit."""
        if self.kind is MONTH:
            return format_month(round(value))
        if self.kind is FRACTION:
            return f"{100 * value:.3g}%"
        shown = number(value)
        if not self.unit or not unit:
            return shown
        return shown + self.unit if self.unit.startswith("/") else f"{shown} {self.unit}"


def _unit(loaded: LoadedScenario, path: Path, kind: Kind) -> str:
    """The kind's unit, with what is counted named where the kind leaves it blank and a
    counting unit in the plural ('die/month' -> 'dies/month')."""
    if kind.unit == "month":
        return "months"
    counted, per, rest = kind.unit.partition("/")
    if counted in _PLURALS:
        return _PLURALS[counted] + per + rest
    if kind.unit not in ("", "1/month") or kind is FRACTION:
        return kind.unit
    noun = ""
    if path[0] == "sources":
        noun = _NOUNS[loaded.scenario.components[loaded.scenario.sources[str(path[1])].component].kind]  # type: ignore[union-attr]
    elif path[0] == "packaging":
        noun = "packages"
    elif path[0] in ("imports", "initial"):
        noun = "units"
    return noun if kind.unit == "" else f"{noun}/month" if noun else "/month"


def sample_inputs(loaded: LoadedScenario, samples: int, seed: int) -> dict[str, FloatArray]:
    """Every uncertain input's value in each run, drawn block by block exactly as
    :func:`~stackbound.engine.run.run` draws them for the same seed."""
    names = [inp.name for inp in loaded.inputs]
    parts = []
    for block in range(math.ceil(samples / BLOCK_SIZE)):
        size = min(BLOCK_SIZE, samples - block * BLOCK_SIZE)
        parts.append(draws_from_uniforms(loaded.inputs, loaded.copula, block_uniforms(seed, block, size, names)))
    return {name: np.concatenate([p[name] for p in parts]) for name in names}


def _curve_level(curve: Curve, group: str, draws: dict[str, FloatArray], months: NDArray[np.int64]) -> FloatArray:
    """A curve's average over the horizon, before any shift."""
    weights = knot_weights([m for m, _ in curve.knots], months, curve.step).mean(axis=1)
    level = np.zeros(len(next(iter(draws.values()))))
    for w, (month, knot) in zip(weights, curve.knots, strict=True):
        level += w * (draws[f"{group}@{format_month(month)}"] if knot.uncertain else knot.value)
    return level


def _input_feature(loaded: LoadedScenario, path: Path, inp: Input, known: dict[str, str]) -> Feature:
    """One uncertain input as a feature: a scalar, a knot ('… at 2026-12') or a shift."""
    label = input_label(known, inp.name, inp.group)
    values = tuple(sorted(set(inp.dist.values))) if inp.dist.family == "discrete" else ()
    if inp.name.endswith("@shift"):
        return Feature(inp.name, label, DURATION, "months", values)
    return Feature(inp.name, label, inp.kind, _unit(loaded, path, inp.kind), values)


def feature_matrix(
    loaded: LoadedScenario, draws: dict[str, FloatArray], inputs: Inputs = "curves"
) -> tuple[list[Feature], FloatArray]:
    """Features and their values (runs × features): each uncertain scalar; for a curve its
    average level over the horizon (``curves``) or each uncertain knot (``knots``); a
    curve's uncertain shift, in months."""
    params: dict[str, tuple[Path, Param]] = {format_path(p): (p, param) for p, param in walk_params(loaded.scenario)}
    horizon = loaded.scenario.horizon
    months = np.arange(horizon.start, horizon.end + 1, dtype=np.int64)
    found: dict[str, tuple[Feature, FloatArray]] = {}
    known = labels(loaded.scenario)
    for inp in loaded.inputs:
        path, param = params[inp.group]
        knot = inp.name != inp.group and not inp.name.endswith("@shift")
        if knot and inputs == "curves" and isinstance(param.value, Curve):
            name = f"{inp.group}@average"
            if name not in found:
                feature = Feature(name, f"{known[inp.group]} (average)", inp.kind, _unit(loaded, path, inp.kind))
                found[name] = feature, _curve_level(param.value, inp.group, draws, months)
        else:
            found[inp.name] = _input_feature(loaded, path, inp, known), draws[inp.name]
    n = len(next(iter(draws.values()))) if draws else 0
    columns = [column for _, column in found.values()]
    return [f for f, _ in found.values()], np.column_stack(columns) if columns else np.zeros((n, 0))
