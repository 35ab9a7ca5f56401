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

Verdict rule (:data:`VERDICT_RULE`, :meth:`Box.strength`): lift is density ÷ base rate (how
many times as likely the outcome is inside the box as overall), and a box's quasi-p-value is
the binomial tail P(X ≥ cases), X ~ B(runs in the box, base rate): how likely chance alone
would make it this dense. A box is a *strong* finding when its lift is at least 1.5, its
density at least 50%, its coverage at least 30% and its quasi-p-value at most 0.05; *weak*
when the lift and the quasi-p-value pass but density or coverage falls short; otherwise no
box is worth reporting (nor is a box without bounds). The verdict is data (:class:`Verdict`,
its strength and numbers); :meth:`Verdict.describe` words it in English and
:func:`stackbound.report.dutch.verdict_nl` in Dutch.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from stackbound.analysis.features import Feature, Inputs, feature_matrix, sample_inputs
from stackbound.analysis.prim import ALPHA, SIGNIFICANCE, PrimBox, binomial_tail, paste, peel, simplify
from stackbound.engine.executors import Executor
from stackbound.engine.keep import DEFAULT_KEEP, Keep, check_pairs
from stackbound.engine.results import RunResult
from stackbound.engine.run import Progress, run
from stackbound.errors import SimulationError
from stackbound.formatting import number
from stackbound.scenario.loader import LoadedScenario
from stackbound.scenario.months import format_month
from stackbound.scenario.units import FRACTION
from stackbound.scenario.values import MONTH

__all__ = [
    "RULE",
    "STRONG_COVERAGE",
    "STRONG_DENSITY",
    "STRONG_LIFT",
    "VERDICT_RULE",
    "Box",
    "Condition",
    "Discovery",
    "Outcome",
    "Strength",
    "Verdict",
    "discover",
    "explain",
    "format_p_value",
]

FloatArray = NDArray[np.float64]
ROLES = {"chosen": 0.5, "broader": 0.8, "sharper": 0.25}
"""Minimum coverage of the box each role picks from the peeling trajectory."""
TOLERANCE = 0.02
RULE = (
    "densest box on the peeling trajectory (alpha 0.05) holding at least 50% of the runs with the outcome, "
    "then pasted; bounds that are not significant (quasi-p-value over 0.05) or cost under 2 points of density "
    "dropped"
)
STRONG_LIFT = 1.5
"""A finding makes the outcome at least this many times as likely inside its box as overall."""
STRONG_DENSITY = 0.5
"""A strong finding's box has the outcome in at least this share of its runs."""
STRONG_COVERAGE = 0.3
"""A strong finding's box holds at least this share of the runs with the outcome."""
VERDICT_RULE = (
    f"strong: lift at least {STRONG_LIFT:g}×, density at least {STRONG_DENSITY:.0%}, coverage at least "
    f"{STRONG_COVERAGE:.0%} and quasi-p-value at most {SIGNIFICANCE:g}; weak: lift and quasi-p-value pass, density "
    "or coverage falls short; otherwise no box is worth reporting"
)
Strength = Literal["strong", "weak", "none"]


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
class Condition:
    """A box's bound on one feature (None where it is open)."""

    feature: Feature
    low: float | None
    high: float | None

    def admitted(self) -> tuple[float, ...]:
        """The values of a discrete input within the bounds; empty for a continuous one."""
        low = -math.inf if self.low is None else self.low
        high = math.inf if self.high is None else self.high
        return tuple(v for v in self.feature.values if low <= v <= high)

    def describe(self) -> str:
        """'cxmt_hbm3 start is after 2026-09'; a discrete input by its values ('import_ban is
        0 (off)', 'hbm per unit is 6 or 9'). Months are read as the engine rounds them."""
        f, low, high = self.feature, self.low, self.high
        if admitted := self.admitted():
            words = [f"{v:g} ({'on' if v else 'off'})" if f.switch else f.format(v) for v in admitted]
            return f"{f.label} is " + _join(words, "or")
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
    p_value: float
    """The box's quasi-p-value: P(X ≥ its cases), X ~ B(its runs, base rate)."""

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

    def strength(self, base_rate: float) -> Strength:
        """Strong, weak or none by :data:`VERDICT_RULE`."""
        if not self.conditions or self.lift(base_rate) < STRONG_LIFT or self.p_value > SIGNIFICANCE:
            return "none"
        return "strong" if self.density >= STRONG_DENSITY and self.coverage >= STRONG_COVERAGE else "weak"


@dataclass(frozen=True)
class Verdict:
    """Whether the chosen box is worth reporting (:data:`VERDICT_RULE`), with the numbers
    its sentence gives; ``cases`` of ``samples`` runs have the outcome."""

    strength: Strength
    lift: float
    density: float
    coverage: float
    p_value: float
    base_rate: float
    cases: int
    samples: int

    def describe(self, outcome: Outcome) -> str:
        """'a strong finding: 7.9× as likely as overall (quasi-p-value <0.001)'; with no box
        worth reporting, a whole sentence naming the outcome and its base rate."""
        p = format_p_value(self.p_value)
        if self.strength == "strong":
            return f"a strong finding: {self.lift:.1f}× as likely as overall (quasi-p-value {p})"
        if self.strength == "weak":
            return (
                f"a weak finding: {self.lift:.1f}× as likely as overall (quasi-p-value {p}), but a strong one needs "
                f"density of at least {STRONG_DENSITY:.0%} and coverage of at least {STRONG_COVERAGE:.0%}"
            )
        return (
            f"No box worth reporting: no range of inputs makes {outcome.describe()} much more likely than its base "
            f"rate of {self.base_rate:.0%} ({self.cases:,} of {self.samples:,} runs; chosen box: {self.lift:.1f}× as "
            f"likely, density {self.density:.0%}, coverage {self.coverage:.0%}, quasi-p-value {p})"
        )


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

    @property
    def verdict(self) -> Verdict | None:
        """The chosen box's verdict; None when no run has the outcome."""
        box = self.box
        if box is None:
            return None
        return Verdict(
            box.strength(self.base_rate),
            box.lift(self.base_rate),
            box.density,
            box.coverage,
            box.p_value,
            self.base_rate,
            self.cases,
            self.samples,
        )

    def summary(self) -> str:
        """The headline in plain words: the chosen box and its verdict, or that none is worth
        reporting."""
        verdict = self.verdict
        if self.cases == 0 or self.box is None or verdict is None:
            return f"{self.outcome.describe()} in none of the {self.samples:,} runs"
        if verdict.strength == "none":
            return verdict.describe(self.outcome)
        return (
            f"{self.box.describe(self.outcome)}; overall {self.base_rate:.0%} of runs — "
            f"{verdict.describe(self.outcome)}"
        )

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
                        "lift": box.lift(self.base_rate),
                        "p_value": box.p_value,
                        "strength": box.strength(self.base_rate),
                        "input": None if c is None else c.feature.name,
                        "label": None if c is None else c.feature.label,
                        "low": None if c is None else c.low,
                        "high": None if c is None else c.high,
                        "condition": None if c is None else c.describe(),
                    }
                )
        columns = ["role", "coverage", "density", "mass", "lift", "p_value", "strength"]
        columns += ["input", "label", "low", "high", "condition"]
        return pd.DataFrame(rows, columns=columns)

    def to_dict(self) -> dict[str, Any]:
        boxes = [
            {
                "role": b.role,
                "coverage": b.coverage,
                "density": b.density,
                "mass": b.mass,
                "lift": b.lift(self.base_rate),
                "p_value": b.p_value,
                "strength": b.strength(self.base_rate),
                "text": b.describe(self.outcome),
                "conditions": [
                    {
                        "input": c.feature.name,
                        "label": c.feature.label,
                        "unit": c.feature.unit,
                        "low": c.low,
                        "high": c.high,
                        "values": list(c.admitted()),
                        "text": c.describe(),
                    }
                    for c in b.conditions
                ],
            }
            for b in self.boxes
        ]
        o, verdict = self.outcome, self.verdict
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
            "verdict": None if verdict is None else {**asdict(verdict), "text": verdict.describe(o)},
            "verdict_rule": VERDICT_RULE,
            "summary": self.summary(),
            "boxes": boxes,
        }


# ------------------------------------------------------------------ words and numbers


def _join(parts: list[str], last: str = "and") -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + f" {last} " + parts[-1]


def format_p_value(p: float) -> str:
    """A quasi-p-value as reported: '<0.001' or three decimals."""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


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
    return tuple(
        Box(role, _conditions(b, features), b.coverage, b.density, b.mass, binomial_tail(b.cases, b.runs, total / n))
        for role, b in found
    )


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
    executor: Executor | None = None,
    keep: Keep = DEFAULT_KEEP,
) -> Discovery:
    """Run ``loaded`` (on ``executor``, if given: see :func:`~stackbound.engine.run.run`) and
    find the input ranges that lead to ``outcome``."""
    check_year(loaded, outcome.year)
    check_pairs(keep, "discover")
    if not loaded.inputs:
        raise SimulationError(f"{loaded.name!r} has no uncertain inputs: nothing can explain an outcome")
    _outcome_values(run(loaded, samples=1, seed=seed, workers=1), outcome)  # a bad output fails fast
    result = run(loaded, samples=samples, seed=seed, progress=progress, executor=executor, keep=keep)
    hit = outcome.hits(_outcome_values(result, outcome))
    features, x = feature_matrix(loaded, sample_inputs(loaded, samples, seed), inputs)
    return Discovery(
        loaded.name, seed, samples, outcome, inputs, int(hit.sum()), float(hit.mean()), RULE, explain(x, hit, features)
    )
