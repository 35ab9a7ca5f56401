"""Marginal values: extra units and compute per extra unit of each supply input.

Supply inputs are every component's supply (one more die, HBM stack or memory package a
month), every fab line's wafer starts (one more wafer start a month, shared among its dies
by their shares), every fab die's yield (one more point, 0.01) and every packaging line's
capacity (one more package a month). Each is nudged by :data:`STEP` (1%) of its mean level
in every month through the engine's ``adjust`` seam, with the seed of the base run (common
random numbers: an input that never binds gives exactly zero), and the mean difference in
each year's output is divided by the extra input that year (per stack, per wafer start, per
package; per yield point held through the year).

:func:`growth_needed` answers "how much must this input grow for the P50 of that output to
rise by Z": bisection over a factor that scales the input, up to a limit past which
another constraint binds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from stackbound.analysis.discover import check_year, sample_inputs
from stackbound.engine.histogram import sample_percentiles
from stackbound.engine.plan import Plan, build_plan
from stackbound.engine.results import RunResult
from stackbound.engine.run import Adjust, Progress, run
from stackbound.engine.sampling import BLOCK_SIZE
from stackbound.engine.supply import Supply, build_supply
from stackbound.errors import SimulationError
from stackbound.formatting import number
from stackbound.scenario.loader import LoadedScenario
from stackbound.scenario.schema import FabLine, Stockpile

__all__ = [
    "STEP",
    "Growth",
    "MarginalValue",
    "MarginalValues",
    "SupplyInput",
    "Target",
    "growth_needed",
    "marginal_values",
    "supply_inputs",
    "top_growth",
]

FloatArray = NDArray[np.float64]
InputKind = Literal["component", "wafer_starts", "die_yield", "packaging"]
STEP = 0.01
"""The nudge, as a share of the input's mean level: above float32 rounding, still marginal."""
POINT = 0.01
"""One point of die yield."""
_PER = {"logic_die": "die", "hbm_stack": "HBM stack", "memory": "package", "other": "unit"}


@dataclass(frozen=True)
class SupplyInput:
    """One supply input: what it is, the pools or lines it touches, its mean level (per
    month, or the yield) and the nudge used."""

    kind: InputKind
    name: str
    per: str
    indices: tuple[int, ...]
    level: float = 0.0
    step: float = 1.0

    def nudge(self, amount: float) -> Adjust:
        """An ``adjust`` adding ``amount`` (stacks a month, wafer starts a month, yield…)."""
        return lambda plan, supply: _nudge(self, supply, amount)

    def scale(self, factor: float) -> Adjust:
        """An ``adjust`` multiplying the input by ``factor`` (a yield at most to 1)."""
        return lambda plan, supply: _scale(self, supply, factor)

    def extra(self, months: int) -> float:
        """The extra input in a year of ``months`` months of the nudge: per month for rates,
        per point for yields."""
        return self.step / POINT if self.kind == "die_yield" else self.step * months


def _nudge(item: SupplyInput, supply: Supply, amount: float) -> None:
    if item.kind == "component":  # into the first pool only
        feed = item.indices[0]
        supply.arrivals[feed] += amount
        limit = supply.max_draw[feed]
        if limit is not None:
            supply.max_draw[feed] = limit + amount
        return
    for i in item.indices:
        if item.kind == "wafer_starts":
            supply.arrivals[i] += amount * _present(supply.dies_per_start[i])
        elif item.kind == "die_yield":
            die_yield = _present(supply.die_yield[i])
            supply.arrivals[i] += supply.arrivals[i] * np.divide(
                amount, die_yield, out=np.zeros_like(die_yield), where=die_yield > 0
            )
        else:
            supply.capacity[i] += amount


def _scale(item: SupplyInput, supply: Supply, factor: float) -> None:
    for i in item.indices:
        if item.kind == "packaging":
            supply.capacity[i] *= factor
        elif item.kind == "die_yield":
            die_yield = _present(supply.die_yield[i])
            ceiling = np.divide(1.0, die_yield, out=np.ones_like(die_yield), where=die_yield > 0)
            supply.arrivals[i] *= np.minimum(factor, np.maximum(ceiling, 1.0))
        else:
            supply.arrivals[i] *= factor
            limit = supply.max_draw[i]
            if limit is not None:
                supply.max_draw[i] = limit * factor


def _present(array: FloatArray | None) -> FloatArray:
    assert array is not None  # fab-line pools always carry their yields
    return array


def _component_inputs(plan: Plan) -> list[SupplyInput]:
    """One per supplied component, over all its pools; a nudge goes to the first (the first
    pool drawn that is not rationed, or else the first drawn, with its ration raised alike)."""
    sources = plan.loaded.scenario.sources
    found = []
    for c, order in enumerate(plan.draw_order):
        if not order:
            continue
        free = [p for p in order if not _rationed(sources[plan.pools[p].source])]
        feed = (free or order)[0]
        found.append(
            SupplyInput(
                "component",
                f"{plan.components[c]} supply",
                _PER[plan.component_kinds[c]],
                (feed, *(p for p in order if p != feed)),
            )
        )
    return found


def _rationed(source: object) -> bool:
    return isinstance(source, Stockpile) and source.max_draw is not None


def _fab_inputs(plan: Plan) -> list[SupplyInput]:
    sources = plan.loaded.scenario.sources
    lines: dict[str, list[int]] = {}
    found = []
    for p, pool in enumerate(plan.pools):
        source = sources[pool.source]
        if not isinstance(source, FabLine) or pool.die_index is None:
            continue
        if source.dies[pool.die_index].wafer_starts is None:
            lines.setdefault(pool.source, []).append(p)
        else:
            found.append(SupplyInput("wafer_starts", f"{pool.name} wafer starts", "wafer start", (p,)))
        found.append(SupplyInput("die_yield", f"{pool.name} die yield", "yield point", (p,)))
    return [
        SupplyInput("wafer_starts", f"{line} wafer starts", "wafer start", tuple(pools))
        for line, pools in lines.items()
    ] + found


def supply_inputs(plan: Plan) -> list[SupplyInput]:
    """Every supply input of a plan, before levels and steps are known."""
    packaging = [
        SupplyInput("packaging", f"{line} packaging capacity", "package", (i,)) for i, line in enumerate(plan.packaging)
    ]
    return [*_component_inputs(plan), *_fab_inputs(plan), *packaging]


def _pool_level(supply: Supply, pool: int) -> float:
    """A pool's mean supply a month: its arrivals, or its ration when that is lower (a
    stockpile arrives at once but is drawn a ration at a time)."""
    level = float(supply.arrivals[pool].mean())
    limit = supply.max_draw[pool]
    finite = None if limit is None else limit[np.isfinite(limit)]
    return level if finite is None or not finite.size else min(level, float(finite.mean()))


def _level(item: SupplyInput, supply: Supply) -> float:
    """The input's mean level in the pilot block: per month, or the mean yield."""
    i = item.indices[0]
    if item.kind == "component":
        return sum(_pool_level(supply, p) for p in item.indices)
    if item.kind == "wafer_starts":  # arrivals per good die per start: the starts, where the line runs
        per_start = np.stack([_present(supply.dies_per_start[p]) for p in item.indices])
        running = per_start > 0
        starts = supply.arrivals[list(item.indices)][running] / per_start[running]
        return float(starts.mean()) if starts.size else 0.0
    if item.kind == "die_yield":
        return float(_present(supply.die_yield[i]).mean())
    return float(supply.capacity[i].mean())


def levelled_inputs(loaded: LoadedScenario, seed: int, samples: int) -> list[SupplyInput]:
    """Supply inputs with their mean levels (from the first block of samples) and steps."""
    plan = build_plan(loaded)
    n = min(samples, BLOCK_SIZE)
    pilot = build_supply(plan, sample_inputs(loaded, n, seed), n)
    found = []
    for item in supply_inputs(plan):
        with np.errstate(over="ignore", invalid="ignore"):  # an extreme input's mean may not fit a float
            level = _level(item, pilot)
        fallback = POINT if item.kind == "die_yield" else 1.0
        step = STEP * level if 0.0 < level < math.inf else fallback
        found.append(SupplyInput(item.kind, item.name, item.per, item.indices, level, step))
    return found


# ------------------------------------------------------------------ marginal values


@dataclass(frozen=True)
class Target:
    """An annual output of one group in one year: what growth and elasticities refer to."""

    metric: str
    year: int
    group: str = "total"

    def values(self, result: RunResult) -> FloatArray:
        if self.metric not in result.metrics():
            raise SimulationError(f"unknown output {self.metric!r}; choose one of: {', '.join(result.metrics())}")
        if self.group not in result.groups(self.metric):
            raise SimulationError(f"output {self.metric!r} has no group {self.group!r}")
        return result.annual_values(self.metric, self.group)[:, result.years.index(self.year)]

    def describe(self) -> str:
        of = "" if self.group == "total" else f" of {self.group}"
        return f"{self.year} {self.metric.replace('_', ' ')}{of}"


@dataclass(frozen=True)
class MarginalValue:
    """Per year: extra units and extra H100e per extra unit of the input; and the
    elasticity of the target's mean (% change per 1% more input)."""

    input: SupplyInput
    units: tuple[float, ...]
    compute: tuple[float, ...]
    elasticity: float


@dataclass(frozen=True)
class MarginalValues:
    """The result of :func:`marginal_values`: one entry per supply input."""

    scenario: str
    seed: int
    samples: int
    years: tuple[int, ...]
    target: Target
    values: tuple[MarginalValue, ...]
    """Sorted by elasticity, largest first."""

    def to_frame(self) -> pd.DataFrame:
        """One row per input and year."""
        rows = [
            {
                "input": v.input.name,
                "kind": v.input.kind,
                "per": v.input.per,
                "year": year,
                "units_per_unit": v.units[y],
                "h100e_per_unit": v.compute[y],
                "elasticity": v.elasticity,
                "level": v.input.level,
                "step": v.input.step,
            }
            for v in self.values
            for y, year in enumerate(self.years)
        ]
        return pd.DataFrame(
            rows,
            columns=["input", "kind", "per", "year", "units_per_unit", "h100e_per_unit", "elasticity", "level", "step"],
        )

    def to_dict(self) -> dict[str, Any]:
        t = self.target
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "samples": self.samples,
            "years": list(self.years),
            "target": {"metric": t.metric, "group": t.group, "year": t.year},
            "step": STEP,
            "values": [
                {
                    "input": v.input.name,
                    "kind": v.input.kind,
                    "per": v.input.per,
                    "level": v.input.level,
                    "step": v.input.step,
                    "elasticity": v.elasticity,
                    "units_per_unit": dict(zip(map(str, self.years), v.units, strict=True)),
                    "h100e_per_unit": dict(zip(map(str, self.years), v.compute, strict=True)),
                }
                for v in self.values
            ],
        }


def _annual_means(result: RunResult, target: Target) -> tuple[FloatArray, FloatArray, float]:
    units = result.annual_values("units").mean(axis=0)
    compute = result.annual_values("compute_added_h100e").mean(axis=0)
    return units, compute, float(target.values(result).mean())


def marginal_values(
    loaded: LoadedScenario, *, samples: int, seed: int, target: Target | None = None, progress: Progress | None = None
) -> MarginalValues:
    """Marginal values of every supply input, each from one run with the input nudged,
    paired sample by sample with a base run."""
    target = target or Target("units", loaded.scenario.horizon.end // 12)
    check_year(loaded, target.year)
    inputs = levelled_inputs(loaded, seed, samples)
    runs = len(inputs) + 1

    def runner(index: int) -> Callable[[Adjust | None], RunResult]:
        def report(done: int, _total: int) -> None:
            if progress is not None:
                progress(index * samples + done, runs * samples)

        return lambda adjust: run(loaded, samples=samples, seed=seed, adjust=adjust, progress=report)

    base = runner(0)(None)
    units, compute, goal = _annual_means(base, target)
    months = [int((base.months // 12 == year).sum()) for year in base.years]
    found = []
    for k, item in enumerate(inputs, start=1):
        more_units, more_compute, more_goal = _annual_means(runner(k)(item.nudge(item.step)), target)
        extra = np.array([item.extra(m) for m in months])
        elasticity = (more_goal - goal) / goal / STEP if goal and item.level > 0 else 0.0
        found.append(
            MarginalValue(
                item,
                tuple(map(float, (more_units - units) / extra)),
                tuple(map(float, (more_compute - compute) / extra)),
                float(elasticity),
            )
        )
    found.sort(key=lambda v: -v.elasticity)
    return MarginalValues(loaded.name, seed, samples, base.years, target, tuple(found))


# ------------------------------------------------------------------ growth needed


@dataclass(frozen=True)
class Growth:
    """The factor on ``input`` that raises the target's P50 by ``rise`` (None when even
    ``max_factor`` does not, and then the constraint that binds most often instead)."""

    input: SupplyInput
    target: Target
    rise: float
    base_p50: float
    factor: float | None
    p50: float
    max_factor: float
    binding: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input.name,
            "kind": self.input.kind,
            "factor": self.factor,
            "base_p50": self.base_p50,
            "rise": self.rise,
            "p50": self.p50,
            "max_factor": self.max_factor,
            "binding": self.binding,
            "text": self.describe(),
        }

    def describe(self) -> str:
        what = f"the P50 of {self.target.describe()}"
        if self.factor is not None:
            return (
                f"{self.input.name} must grow {self.factor:.3g}× for {what} to rise by {number(self.rise)} "
                f"(from {number(self.base_p50)} to {number(self.p50)})"
            )
        instead = f"; {self.binding} binds instead" if self.binding else ""
        return (
            f"{self.input.name} cannot lift {what} by {number(self.rise)} within {self.max_factor:g}× "
            f"(it reaches {number(self.p50)} from {number(self.base_p50)}){instead}"
        )


def _binding(result: RunResult, year: int) -> str:
    """The constraint binding most sample-months of active variants in ``year``."""
    counts = result.binding_counts[:, :, result.months // 12 == year].sum(axis=(0, 2))
    counts[0] = 0  # inactive
    return result.constraint_names[int(np.argmax(counts))]


def growth_needed(
    loaded: LoadedScenario,
    item: SupplyInput,
    target: Target,
    rise: float,
    *,
    samples: int,
    seed: int,
    relative: bool = False,
    max_factor: float = 10.0,
    tolerance: float = 0.005,
) -> Growth:
    """Bisection over the factor scaling ``item`` until the target's P50 has risen by
    ``rise`` (a share of the base P50 when ``relative``), to ``tolerance`` (relative)."""
    if max_factor <= 1.0:
        raise SimulationError(f"the largest growth factor must be above 1, got {max_factor:g}")
    check_year(loaded, target.year)

    def p50(factor: float) -> tuple[float, RunResult]:
        result = run(loaded, samples=samples, seed=seed, adjust=None if factor == 1.0 else item.scale(factor))
        return float(sample_percentiles(target.values(result), [50])[0]), result

    base, _ = p50(1.0)
    rise = rise * base if relative else rise
    if rise <= 0:
        raise SimulationError(f"the rise must be positive, got {rise:g}")
    high, (reached, result) = max_factor, p50(max_factor)
    if reached < base + rise:
        return Growth(item, target, rise, base, None, reached, max_factor, _binding(result, target.year))
    low = 1.0
    while high / low - 1.0 > tolerance:
        middle = math.sqrt(low * high)
        value, _ = p50(middle)
        if value >= base + rise:
            high, reached = middle, value
        else:
            low = middle
    return Growth(item, target, rise, base, high, reached, max_factor, None)


def top_growth(
    loaded: LoadedScenario,
    values: MarginalValues,
    rise: float,
    *,
    top: int = 3,
    relative: bool = False,
    max_factor: float = 10.0,
    progress: Progress | None = None,
) -> tuple[Growth, ...]:
    """:func:`growth_needed` for the ``top`` inputs with the largest positive elasticity
    of ``values.target``, same samples and seed; ``progress`` hears of each input done."""
    chosen = [v.input for v in values.values if v.elasticity > 0][:top]
    found = []
    for item in chosen:
        found.append(
            growth_needed(
                loaded,
                item,
                values.target,
                rise,
                samples=values.samples,
                seed=values.seed,
                relative=relative,
                max_factor=max_factor,
            )
        )
        if progress is not None:
            progress(len(found), len(chosen))
    return tuple(found)
