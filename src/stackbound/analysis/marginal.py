"""Marginal values: extra units and compute per extra unit of each supply input.

Supply inputs are every component's supply (one more die, HBM stack or memory package a
month), every fab line's wafer starts (one more wafer start a month, shared among its dies
by their shares), every fab die's yield (one more point, 0.01) and every packaging line's
capacity (one more package a month). Each is nudged by :data:`STEP` (1%) of its mean level
through the engine's ``adjust`` seam, with the seed of the base run (common random
numbers: an input that never binds gives exactly zero):

- in every month of the horizon: the extra output over the whole horizon divided by the
  extra input over the horizon is the *whole-horizon* figure, and the change in the
  target's mean gives the elasticity;
- in the months of one year only, once per year: the extra output anywhere in the horizon
  is credited to the year the extra input *arrived*. A stack stockpiled in 2025 and built
  into a unit in 2026 counts for 2025, so no year's figure can exceed what the bill allows
  (crediting output to the year it appears let 2026 claim 2025's stacks too).

Per stack, per wafer start, per package; a yield point is held through the year (through
the horizon for the whole-horizon figure). A component's figures are at most
:attr:`SupplyInput.bound`, 1 / its smallest bill among the variants that use it (packaging
losses lower that to y / bill at packaging yield y), when those variants have their
packaging lines to themselves. Where a line is shared, an extra part can take the line from
another variant and leave that variant's parts for a better use later, so a figure can
exceed the bound (9/8 a die in tests/test_marginal_bounds.py). Figures can also be
negative: under greedy priority, more of a component can let a high-priority variant take a
shared die from a variant that needs less of it (DESIGN.md, monotonicity as it truly holds).

How much an input must grow to lift an output is :mod:`stackbound.analysis.growth`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from stackbound.analysis.discover import check_year
from stackbound.analysis.features import sample_inputs
from stackbound.engine.keep import DEFAULT_KEEP, Keep, check_pairs
from stackbound.engine.plan import Plan, build_plan
from stackbound.engine.results import RunResult
from stackbound.engine.run import Adjust, Progress, run
from stackbound.engine.sampling import BLOCK_SIZE
from stackbound.engine.supply import Supply, build_supply
from stackbound.errors import SimulationError
from stackbound.scenario.labels import SEPARATOR, named
from stackbound.scenario.loader import LoadedScenario
from stackbound.scenario.schema import FabLine, Stockpile

__all__ = [
    "STEP",
    "MarginalValue",
    "MarginalValues",
    "SupplyInput",
    "Target",
    "marginal_values",
    "supply_inputs",
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
    bound: float | None = None
    """At most this many extra units per extra unit of a component while its variants have
    their packaging lines to themselves: 1 / its smallest bill among the variants that use
    it (None for other inputs). A shared line can let a figure exceed it (module docstring)."""
    label: str = ""
    """The input in words (:mod:`stackbound.scenario.labels`): ``SMIC N+2 · Ascend 950
    compute die · die yield``; ``name`` is its key, by the scenario's names."""

    def nudge(self, amount: float, year: int | None = None) -> Adjust:
        """An ``adjust`` adding ``amount`` (stacks a month, wafer starts a month, yield…) in
        every month, or only in the months of ``year``."""

        def adjust(plan: Plan, supply: Supply) -> None:
            months = np.ones(len(plan.months), dtype=bool) if year is None else plan.months // 12 == year
            _nudge(self, supply, amount * months.astype(np.float64)[:, np.newaxis])

        return adjust

    def scale(self, factor: float) -> Adjust:
        """An ``adjust`` multiplying the input by ``factor`` (a yield at most to 1)."""
        return lambda plan, supply: _scale(self, supply, factor)

    def extra(self, months: int) -> float:
        """The extra input in a year of ``months`` months of the nudge: per month for rates,
        per point for yields."""
        return self.step / POINT if self.kind == "die_yield" else self.step * months


def _nudge(item: SupplyInput, supply: Supply, amount: FloatArray) -> None:
    """Add ``amount`` (months × 1) to the input, in place."""
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
        key = plan.components[c]
        pools = (feed, *(p for p in order if p != feed))
        label = f"{named(plan.loaded.scenario, 'components', key)} supply"
        found.append(SupplyInput("component", f"{key} supply", _PER[plan.component_kinds[c]], pools, label=label))
    return found


def _rationed(source: object) -> bool:
    return isinstance(source, Stockpile) and source.max_draw is not None


def _fab_inputs(plan: Plan) -> list[SupplyInput]:
    scenario = plan.loaded.scenario
    lines: dict[str, list[int]] = {}
    found = []
    for p, pool in enumerate(plan.pools):
        source = scenario.sources[pool.source]
        if not isinstance(source, FabLine) or pool.die_index is None:
            continue
        die = source.dies[pool.die_index]
        where = named(scenario, "sources", pool.source) + SEPARATOR + named(scenario, "components", die.component)
        if die.wafer_starts is None:
            lines.setdefault(pool.source, []).append(p)
        else:
            label = f"{where}{SEPARATOR}wafer starts"
            found.append(SupplyInput("wafer_starts", f"{pool.name} wafer starts", "wafer start", (p,), label=label))
        label = f"{where}{SEPARATOR}die yield"
        found.append(SupplyInput("die_yield", f"{pool.name} die yield", "yield point", (p,), label=label))
    return [_line_starts(plan, line, pools) for line, pools in lines.items()] + found


def _line_starts(plan: Plan, line: str, pools: list[int]) -> SupplyInput:
    """The wafer starts of a fab line whose dies share them."""
    label = f"{named(plan.loaded.scenario, 'sources', line)}{SEPARATOR}wafer starts"
    return SupplyInput("wafer_starts", f"{line} wafer starts", "wafer start", tuple(pools), label=label)


def supply_inputs(plan: Plan) -> list[SupplyInput]:
    """Every supply input of a plan, before levels and steps are known."""
    packaging = [
        SupplyInput("packaging", f"{line} packaging capacity", "package", (i,), label=_packaging_label(plan, line))
        for i, line in enumerate(plan.packaging)
    ]
    return [*_component_inputs(plan), *_fab_inputs(plan), *packaging]


def _packaging_label(plan: Plan, line: str) -> str:
    return f"{named(plan.loaded.scenario, 'packaging', line)}{SEPARATOR}packaging capacity"


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


def _bound(plan: Plan, item: SupplyInput, supply: Supply) -> float | None:
    """1 / the smallest bill of a component among the variants (and the pilot block's
    samples) that use it: no more extra units than that per extra unit of it."""
    if item.kind != "component":
        return None
    bills = supply.bill[:, plan.pools[item.indices[0]].component, :]
    used = bills[bills > 0]
    return 1.0 / float(used.min()) if used.size else None


def levelled_inputs(loaded: LoadedScenario, seed: int, samples: int) -> list[SupplyInput]:
    """Supply inputs with their mean levels (from the first block of samples), steps and
    bounds."""
    plan = build_plan(loaded)
    n = min(samples, BLOCK_SIZE)
    pilot = build_supply(plan, sample_inputs(loaded, n, seed), n)
    found = []
    for item in supply_inputs(plan):
        with np.errstate(over="ignore", invalid="ignore"):  # an extreme input's mean may not fit a float
            level = _level(item, pilot)
        fallback = POINT if item.kind == "die_yield" else 1.0
        step = STEP * level if 0.0 < level < math.inf else fallback
        bound = _bound(plan, item, pilot)
        found.append(SupplyInput(item.kind, item.name, item.per, item.indices, level, step, bound, item.label))
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
    """Extra units and extra H100e per extra unit of the input: over the whole horizon
    (the input raised in every month), and per year the extra input arrived (the input
    raised in that year's months only, extra output counted over the whole horizon); and
    the elasticity of the target's mean (% change per 1% more input, in every month)."""

    input: SupplyInput
    horizon_units: float
    horizon_compute: float
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
    """The years extra input arrived in: what ``units`` and ``compute`` are indexed by
    (empty when only the whole-horizon figures were asked for)."""
    target: Target
    values: tuple[MarginalValue, ...]
    """Sorted by elasticity, largest first."""

    def to_frame(self) -> pd.DataFrame:
        """One row per input and year of arrival, with the whole-horizon figures repeated
        (one row per input, year and yearly figures empty, when there are no years)."""
        columns = [
            "input",
            "label",
            "kind",
            "per",
            "year",
            "units_per_unit",
            "h100e_per_unit",
            "horizon_units_per_unit",
            "horizon_h100e_per_unit",
            "bound_units_per_unit",
            "elasticity",
            "level",
            "step",
        ]
        years: tuple[int | None, ...] = self.years or (None,)
        rows = [
            [
                *(v.input.name, v.input.label, v.input.kind, v.input.per, year, *_yearly(v, y)),
                *(v.horizon_units, v.horizon_compute, v.input.bound, v.elasticity, v.input.level, v.input.step),
            ]
            for v in self.values
            for y, year in enumerate(years)
        ]
        return pd.DataFrame(rows, columns=columns)

    def to_dict(self) -> dict[str, Any]:
        t = self.target
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "samples": self.samples,
            "years": list(self.years),
            "attributed_to": "arrival year",
            "target": {"metric": t.metric, "group": t.group, "year": t.year},
            "step": STEP,
            "values": [
                {
                    "input": v.input.name,
                    "label": v.input.label,
                    "kind": v.input.kind,
                    "per": v.input.per,
                    "level": v.input.level,
                    "step": v.input.step,
                    "elasticity": v.elasticity,
                    "bound_units_per_unit": v.input.bound,
                    "horizon": {"units_per_unit": v.horizon_units, "h100e_per_unit": v.horizon_compute},
                    "units_per_unit": dict(zip(map(str, self.years), v.units, strict=True)),
                    "h100e_per_unit": dict(zip(map(str, self.years), v.compute, strict=True)),
                }
                for v in self.values
            ],
        }


def _yearly(value: MarginalValue, y: int) -> tuple[float, float]:
    """Units and H100e of the ``y``-th year of arrival, NaN when there are none."""
    return (value.units[y], value.compute[y]) if value.units else (math.nan, math.nan)


@dataclass(frozen=True)
class _Means:
    """One run's mean annual units and compute added, and the target's mean."""

    units: FloatArray
    compute: FloatArray
    goal: float

    def gain(self, base: _Means, extra: float) -> tuple[float, float]:
        """Extra units and H100e over the whole horizon per unit of ``extra`` input."""
        return float((self.units - base.units).sum() / extra), float((self.compute - base.compute).sum() / extra)


@dataclass
class _Runs:
    """Runs of one scenario and seed, counted for the progress callback."""

    loaded: LoadedScenario
    samples: int
    seed: int
    target: Target
    total: int
    progress: Progress | None
    keep: Keep = DEFAULT_KEEP
    done: int = 0

    def means(self, adjust: Adjust | None) -> _Means:
        def report(finished: int, _total: int) -> None:
            if self.progress is not None:
                self.progress(self.done * self.samples + finished, self.total * self.samples)

        result = run(self.loaded, samples=self.samples, seed=self.seed, adjust=adjust, progress=report, keep=self.keep)
        self.done += 1
        units = result.annual_values("units").mean(axis=0)
        compute = result.annual_values("compute_added_h100e").mean(axis=0)
        return _Means(units, compute, float(self.target.values(result).mean()))


def _horizon_years(loaded: LoadedScenario) -> tuple[tuple[int, int], ...]:
    """Each year of the horizon with its number of months."""
    horizon = loaded.scenario.horizon
    years = np.arange(horizon.start, horizon.end + 1) // 12
    return tuple((int(y), int((years == y).sum())) for y in np.unique(years))


def _marginal_value(
    item: SupplyInput, runs: _Runs, base: _Means, years: tuple[tuple[int, int], ...], by_year: bool
) -> MarginalValue:
    """One input raised in every month, then (``by_year``) in each year's months in turn."""
    everywhere = runs.means(item.nudge(item.step))
    horizon_units, horizon_compute = everywhere.gain(base, item.extra(sum(m for _, m in years)))
    gains = [runs.means(item.nudge(item.step, y)).gain(base, item.extra(m)) for y, m in years if by_year]
    elasticity = (everywhere.goal - base.goal) / base.goal / STEP if base.goal and item.level > 0 else 0.0
    return MarginalValue(
        item,
        horizon_units,
        horizon_compute,
        tuple(units for units, _ in gains),
        tuple(compute for _, compute in gains),
        float(elasticity),
    )


def marginal_values(
    loaded: LoadedScenario,
    *,
    samples: int,
    seed: int,
    target: Target | None = None,
    by_year: bool = True,
    progress: Progress | None = None,
    keep: Keep = DEFAULT_KEEP,
) -> MarginalValues:
    """Marginal values of every supply input, paired sample by sample with a base run: one
    run with the input raised in every month, and (``by_year``) one per year with it raised
    in that year only, extra output credited to the year the extra input arrived."""
    target = target or Target("units", loaded.scenario.horizon.end // 12)
    check_year(loaded, target.year)
    check_pairs(keep, "marginal")
    inputs = levelled_inputs(loaded, seed, samples)
    years = _horizon_years(loaded)
    runs = _Runs(loaded, samples, seed, target, 1 + len(inputs) * (1 + len(years) * by_year), progress, keep)
    base = runs.means(None)
    found = [_marginal_value(item, runs, base, years, by_year) for item in inputs]
    found.sort(key=lambda v: -v.elasticity)
    shown = tuple(y for y, _ in years) if by_year else ()
    return MarginalValues(loaded.name, seed, samples, shown, target, tuple(found))
