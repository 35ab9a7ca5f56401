"""Scenario discovery: which combinations of inputs lead to an outcome.

The outcome is one annual output crossing a threshold ("2027 units below 300k"). Each run's
sampled inputs are the explanatory variables (the very draws the engine used: same seed,
same blocks), and PRIM (:mod:`stackbound.analysis.prim`) finds boxes of input ranges in
which the outcome is dense. Curves are summarised by their average level over the horizon
(and their shift) unless each knot is asked for.

Box-selection rule (:data:`RULE`): on the peeling trajectory, the densest box that still
holds at least half of the runs with the outcome; then pasted, and any bound that is not
significant (quasi-p-value over 0.05) or whose removal costs less than two points of
density dropped. Runners-up: the densest boxes holding at least 80% ("broader") and 25%
("sharper") of those runs, and the box a second PRIM pass finds among the runs outside the
chosen one ("next").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from stackbound.analysis.prim import ALPHA, PrimBox, paste, peel, simplify
from stackbound.engine.evaluate import knot_weights
from stackbound.engine.results import RunResult
from stackbound.engine.run import Progress, run
from stackbound.engine.sampling import BLOCK_SIZE, block_uniforms, draws_from_uniforms
from stackbound.errors import SimulationError
from stackbound.formatting import number
from stackbound.scenario.inputs import Input, walk_params
from stackbound.scenario.loader import LoadedScenario
from stackbound.scenario.months import format_month
from stackbound.scenario.units import DURATION, FRACTION, Kind
from stackbound.scenario.values import MONTH, Curve, Param
from stackbound.scenario.yamlio import Path, format_path

__all__ = [
    "RULE",
    "Box",
    "Condition",
    "Discovery",
    "Feature",
    "Outcome",
    "discover",
    "explain",
    "feature_matrix",
    "sample_inputs",
]

FloatArray = NDArray[np.float64]
Inputs = Literal["curves", "knots"]
ROLES = {"chosen": 0.5, "broader": 0.8, "sharper": 0.25}
"""Minimum coverage of the box each role picks from the peeling trajectory."""
TOLERANCE = 0.02
RULE = (
    "densest box on the peeling trajectory (alpha 0.05) holding at least 50% of the runs with the outcome, "
    "then pasted; bounds that are not significant (quasi-p-value over 0.05) or cost under 2 points of density "
    "dropped"
)
_NOUNS = {"logic_die": "dies", "hbm_stack": "stacks", "memory": "packages", "other": ""}


@dataclass(frozen=True)
class Outcome:
    """One annual output of one group crossing ``threshold`` in ``year``."""

    metric: str
    year: int
    direction: Literal["below", "above"]
    threshold: float
    group: str = "total"

    @property
    def metric_words(self) -> str:
        """The metric as words: ``compute_added_h100e`` -> 'compute added H100e'."""
        return self.metric.replace("_", " ").replace("h100e", "H100e").replace("usd", "USD")

    def describe(self) -> str:
        """'2027 units fall below 300k'."""
        words = self.metric_words
        of = "" if self.group == "total" else f" of {self.group}"
        verb = "fall below" if self.direction == "below" else "rise above"
        return f"{self.year} {words}{of} {verb} {number(self.threshold)}"

    def hits(self, values: FloatArray) -> NDArray[np.bool_]:
        return values < self.threshold if self.direction == "below" else values > self.threshold


@dataclass(frozen=True)
class Feature:
    """One explanatory variable: an uncertain input, or a curve's average level."""

    name: str
    label: str
    kind: Kind
    unit: str

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


@dataclass(frozen=True)
class Condition:
    """A box's bound on one feature (None where it is open)."""

    feature: Feature
    low: float | None
    high: float | None

    def describe(self) -> str:
        """'cxmt_hbm3 start is after 2026-09'. Months are read as the engine rounds them."""
        f, low, high = self.feature, self.low, self.high
        month = f.kind is MONTH
        if low is not None and high is not None:
            span = ("from {} to {}", "between {} and {}")[not month]
            return f"{f.label} is " + span.format(f.format(low, unit=month or f.kind is FRACTION), f.format(high))
        if low is not None:
            return f"{f.label} is " + (f"after {format_month(round(low) - 1)}" if month else f"over {f.format(low)}")
        assert high is not None  # a condition bounds at least one side
        return f"{f.label} is " + (f"before {format_month(round(high) + 1)}" if month else f"under {f.format(high)}")


@dataclass(frozen=True)
class Box:
    """A box in plain terms: its conditions and statistics. ``coverage`` is the share of all
    runs with the outcome inside it, ``density`` the share of its runs with the outcome,
    ``mass`` the share of all runs inside."""

    role: str
    conditions: tuple[Condition, ...]
    coverage: float
    density: float
    mass: float

    def describe(self, outcome: Outcome) -> str:
        if not self.conditions:
            return f"{outcome.describe()} in {self.density:.0%} of all runs; no range of inputs makes it much likelier"
        where = _join([c.describe() for c in self.conditions])
        return (
            f"{outcome.describe()} in {self.density:.0%} of the runs where {where} "
            f"({self.coverage:.0%} of the runs with that outcome; {self.mass:.0%} of all runs)"
        )

    def lift(self, base_rate: float) -> float:
        """How many times likelier the outcome is inside the box than overall."""
        return self.density / base_rate if base_rate else 0.0


@dataclass(frozen=True)
class Discovery:
    """The result of :func:`discover`: the chosen box first, then runners-up."""

    scenario: str
    seed: int
    samples: int
    outcome: Outcome
    inputs: Inputs
    cases: int
    base_rate: float
    rule: str
    boxes: tuple[Box, ...]

    @property
    def box(self) -> Box | None:
        return self.boxes[0] if self.boxes else None

    def summary(self) -> str:
        """The headline in plain words."""
        if self.cases == 0:
            return f"{self.outcome.describe()} in none of the {self.samples:,} runs"
        assert self.box is not None  # boxes exist whenever some run has the outcome
        return f"{self.box.describe(self.outcome)}; overall {self.base_rate:.0%} of runs"

    def to_frame(self) -> pd.DataFrame:
        """One row per box and condition."""
        rows = []
        for box in self.boxes:
            for c in box.conditions or (None,):
                rows.append(
                    {
                        "role": box.role,
                        "coverage": box.coverage,
                        "density": box.density,
                        "mass": box.mass,
                        "input": None if c is None else c.feature.name,
                        "label": None if c is None else c.feature.label,
                        "low": None if c is None else c.low,
                        "high": None if c is None else c.high,
                        "condition": None if c is None else c.describe(),
                    }
                )
        columns = ["role", "coverage", "density", "mass", "input", "label", "low", "high", "condition"]
        return pd.DataFrame(rows, columns=columns)

    def to_dict(self) -> dict[str, Any]:
        boxes = [
            {
                "role": b.role,
                "coverage": b.coverage,
                "density": b.density,
                "mass": b.mass,
                "text": b.describe(self.outcome),
                "conditions": [
                    {
                        "input": c.feature.name,
                        "label": c.feature.label,
                        "unit": c.feature.unit,
                        "low": c.low,
                        "high": c.high,
                        "text": c.describe(),
                    }
                    for c in b.conditions
                ],
            }
            for b in self.boxes
        ]
        o = self.outcome
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "samples": self.samples,
            "outcome": {
                "metric": o.metric,
                "group": o.group,
                "year": o.year,
                "direction": o.direction,
                "threshold": o.threshold,
                "text": o.describe(),
            },
            "inputs": self.inputs,
            "cases": self.cases,
            "base_rate": self.base_rate,
            "rule": self.rule,
            "summary": self.summary(),
            "boxes": boxes,
        }


# ------------------------------------------------------------------ words and numbers


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _label(loaded: LoadedScenario, path: Path) -> str:
    """A field path in words, names kept as written: ``sources.smic.dies[0].defect_density``
    -> 'smic ascend_die defect density'."""
    head, name, rest = str(path[0]), str(path[1]), list(path[2:])
    words = [name]
    if head == "sources" and rest[:1] == ["dies"] and isinstance(rest[1], int):
        words, rest = [name, loaded.scenario.sources[name].dies[rest[1]].component], rest[2:]  # type: ignore[union-attr]
    elif head == "products" and rest[:1] == ["variants"] and len(rest) > 2:
        words = [f"{name}/{rest[1]}", *([f"{rest[3]} per unit"] if rest[2] == "bill" else [])]
        rest = [] if rest[2] == "bill" else rest[2:]
    elif head == "products" and rest[:1] == ["specs"]:
        rest = rest[1:]
    elif head == "levers":
        words, rest = ["lever", name], []
    elif head in ("imports", "offshore_rental") and len(rest) == 1:
        rest = ["imports" if head == "imports" else "rental"]
    elif head == "initial" and isinstance(rest[0], int):
        entries = (
            loaded.scenario.initial.installed_base
            if name == "installed_base"
            else loaded.scenario.initial.work_in_progress
        )
        words, rest = [name.replace("_", " "), "of", entries[rest[0]].product], []
    elif head not in ("sources", "packaging", "products", "platforms"):
        return format_path(path)
    return " ".join([*words, *(str(p).replace("_", " ") for p in rest)])


def _unit(loaded: LoadedScenario, path: Path, kind: Kind) -> str:
    """The kind's unit, with what is counted named where the kind leaves it blank."""
    if kind.unit == "month":
        return "months"
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


# ------------------------------------------------------------------ inputs per run


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


def _input_feature(loaded: LoadedScenario, path: Path, inp: Input) -> Feature:
    """One uncertain input as a feature: a scalar, a knot ('… at 2026-12') or a shift."""
    label, suffix = _label(loaded, path), inp.name[len(inp.group) :]
    if suffix == "@shift":
        return Feature(inp.name, f"{label} shift", DURATION, "months")
    knot = f" at {suffix[1:]}" if suffix else ""
    return Feature(inp.name, label + knot, inp.kind, _unit(loaded, path, inp.kind))


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
    for inp in loaded.inputs:
        path, param = params[inp.group]
        knot = inp.name != inp.group and not inp.name.endswith("@shift")
        if knot and inputs == "curves" and isinstance(param.value, Curve):
            name = f"{inp.group}@average"
            if name not in found:
                feature = Feature(name, f"{_label(loaded, path)} (average)", inp.kind, _unit(loaded, path, inp.kind))
                found[name] = feature, _curve_level(param.value, inp.group, draws, months)
        else:
            found[inp.name] = _input_feature(loaded, path, inp), draws[inp.name]
    n = len(next(iter(draws.values()))) if draws else 0
    columns = [column for _, column in found.values()]
    return [f for f, _ in found.values()], np.column_stack(columns) if columns else np.zeros((n, 0))


# ------------------------------------------------------------------ boxes


def _conditions(box: PrimBox, features: list[Feature]) -> tuple[Condition, ...]:
    found = []
    for j in box.restricted:
        low, high = float(box.low[j]), float(box.high[j])
        found.append(Condition(features[j], low if math.isfinite(low) else None, high if math.isfinite(high) else None))
    return tuple(found)


def _pick(trajectory: list[PrimBox], coverage: float) -> PrimBox:
    return max((b for b in trajectory if b.coverage >= coverage), key=lambda b: (b.density, b.coverage))


def explain(x: FloatArray, hit: NDArray[np.bool_], features: list[Feature]) -> tuple[Box, ...]:
    """PRIM boxes for runs ``hit`` among all (rows of ``x``), chosen by :data:`RULE`."""
    total, n = int(hit.sum()), len(hit)
    if total == 0:
        return ()
    trajectory = peel(x, hit)
    found: list[tuple[str, PrimBox]] = []
    for role, coverage in ROLES.items():
        box = simplify(x, hit, paste(x, hit, _pick(trajectory, coverage)), tolerance=TOLERANCE)
        if role == "chosen" or _distinct(box, [b for _, b in found], total / n):
            found.append((role, box))
    chosen = found[0][1]
    rest = ~chosen.contains(x)
    if chosen.restricted and int(hit[rest].sum()) >= max(10, int(ALPHA * total)):
        box = _pick(peel(x, hit, rest), ROLES["chosen"])
        box = simplify(x, hit, paste(x, hit, box, rest), rest, tolerance=TOLERANCE)
        if _distinct(box, [b for _, b in found], total / n):
            found.append(
                ("next", PrimBox(box.low, box.high, box.cases / total, box.density, box.runs / n, box.runs, box.cases))
            )
    return tuple(Box(role, _conditions(b, features), b.coverage, b.density, b.mass) for role, b in found)


def _distinct(box: PrimBox, others: list[PrimBox], base_rate: float) -> bool:
    """Worth listing: bounded, denser than the base rate, and unlike the boxes already listed."""
    same = any(np.array_equal(box.low, b.low) and np.array_equal(box.high, b.high) for b in others)
    return bool(box.restricted) and box.density > base_rate and not same


def _outcome_values(result: RunResult, outcome: Outcome) -> FloatArray:
    if outcome.metric not in result.metrics():
        raise SimulationError(f"unknown output {outcome.metric!r}; choose one of: {', '.join(result.metrics())}")
    if outcome.group not in result.groups(outcome.metric):
        groups = ", ".join(result.groups(outcome.metric))
        raise SimulationError(f"output {outcome.metric!r} has no group {outcome.group!r}; choose one of: {groups}")
    return result.annual_values(outcome.metric, outcome.group)[:, result.years.index(outcome.year)]


def check_year(loaded: LoadedScenario, year: int) -> None:
    """SimulationError unless ``year`` lies in the scenario's horizon."""
    first, last = loaded.scenario.horizon.start // 12, loaded.scenario.horizon.end // 12
    if not first <= year <= last:
        raise SimulationError(f"year {year} is outside the horizon of {loaded.name!r} ({first}–{last})")


def discover(
    loaded: LoadedScenario,
    outcome: Outcome,
    *,
    samples: int,
    seed: int,
    inputs: Inputs = "curves",
    progress: Progress | None = None,
) -> Discovery:
    """Run ``loaded`` and find the input ranges that lead to ``outcome``."""
    check_year(loaded, outcome.year)
    if not loaded.inputs:
        raise SimulationError(f"{loaded.name!r} has no uncertain inputs: nothing can explain an outcome")
    _outcome_values(run(loaded, samples=1, seed=seed, workers=1), outcome)  # a bad output fails fast
    result = run(loaded, samples=samples, seed=seed, progress=progress)
    hit = outcome.hits(_outcome_values(result, outcome))
    features, x = feature_matrix(loaded, sample_inputs(loaded, samples, seed), inputs)
    return Discovery(
        loaded.name, seed, samples, outcome, inputs, int(hit.sum()), float(hit.mean()), RULE, explain(x, hit, features)
    )
