"""What a limit costs: the paired difference, sample by sample, between a run with that
limit alone lifted and the run itself (same seed and samples: common random numbers).

Each component used in a bill, each packaging line in use, the demand caps and market
demand is one limit. Lifting one gives the units (and compute) it cost; the rows are
separate counterfactuals and need not add up, and a difference can be negative, where the
greedy allocation by priority lets another variant take a shared component.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from stackbound.analysis.records import records
from stackbound.engine.histogram import sample_percentiles
from stackbound.engine.plan import Plan, build_plan
from stackbound.engine.results import PERCENTILES, RunResult
from stackbound.engine.run import Adjust, Progress, run
from stackbound.engine.supply import Supply
from stackbound.errors import SimulationError
from stackbound.scenario.loader import LoadedScenario

__all__ = ["DEFINITION", "LIFTED_SAMPLES", "NEGATIVE", "NOT_ADDITIVE", "Limit", "LostOutput", "limits", "lost_output"]

FloatArray = NDArray[np.float64]

LimitKind = Literal["component", "packaging", "demand cap", "market demand"]
LIFTED = 1e15
"""A lifted component's extra stock, there from the first month and drawn after its other
pools: more than any scenario uses, and finite, so the kernel's inventory sums stay exact."""
UNBOUNDED = 1e12
"""Units of one product in one sample-year from which a lifted run counts as unbounded:
nothing else limited the variant, so it drew on the lifted stock without end."""
ROUNDING = 8 * float(np.finfo(np.float32).eps)
"""Relative size of a paired difference that is rounding: a run keeps annual values as
float32, so two runs that differ only in the order of the same sums differ by this much."""
LIFTED_SAMPLES = 2_000
"""Samples of each lifted run (the first ones of the base run, paired with them)."""
DEFINITION = (
    "lost output of a limit = units built with that limit alone lifted (unbounded for every variant "
    "and month; seed, samples and everything else the same) minus units built, sample by sample; "
    "mean and P5–P95 of that paired difference"
)
NEGATIVE = (
    "A difference can be negative: allocation is greedy by priority, month by month, so with one limit "
    "lifted a variant can use up a shared component (an HBM stockpile, say) that another variant, even a "
    "higher-priority one launching later, would have built more units from."
)
NOT_ADDITIVE = "Each limit is its own counterfactual: the rows need not add up to anything."


@dataclass(frozen=True)
class Limit:
    """A limit that can be lifted: one component (its last-drawn pool gets :data:`LIFTED`
    more and loses its ration), one packaging line (capacity unbounded), every product's
    demand cap, or market demand."""

    kind: LimitKind
    name: str
    index: int = -1

    def lift(self) -> Adjust:
        """The ``adjust`` that lifts this limit for every variant, month and sample."""
        return lambda plan, supply: _LIFTS[self.kind](self, plan, supply)


def _lift_component(limit: Limit, plan: Plan, supply: Supply) -> None:
    pool = plan.draw_order[limit.index][-1]
    supply.arrivals[pool, 0] += LIFTED
    supply.max_draw[pool] = None


def _lift_packaging(limit: Limit, plan: Plan, supply: Supply) -> None:
    supply.capacity[limit.index] = np.inf


def _lift_demand_caps(limit: Limit, plan: Plan, supply: Supply) -> None:
    supply.demand_cap[...] = np.inf


def _lift_market(limit: Limit, plan: Plan, supply: Supply) -> None:
    supply.market = None


_LIFTS: dict[LimitKind, Callable[[Limit, Plan, Supply], None]] = {
    "component": _lift_component,
    "packaging": _lift_packaging,
    "demand cap": _lift_demand_caps,
    "market demand": _lift_market,
}


def limits(plan: Plan) -> tuple[Limit, ...]:
    """Every limit some variant has: each component in a bill (each has a source: the
    loader checks), each packaging line in use, the demand caps and market demand when
    there are any."""
    scenario, variants = plan.loaded.scenario, plan.variants
    used = {c for v in variants for c in v.components}
    found = [Limit("component", name, c) for c, name in enumerate(plan.components) if c in used]
    lines = {v.packaging for v in variants}
    found += [Limit("packaging", f"packaging {name}", i) for i, name in enumerate(plan.packaging) if i in lines]
    if any(scenario.products[plan.products[v.product]].demand_cap is not None for v in variants):
        found.append(Limit("demand cap", "demand caps"))
    if (
        scenario.market_demand is not None
        and scenario.market_demand.cap_domestic
        and plan.arrays.variant_domestic.any()
    ):
        found.append(Limit("market demand", "market demand"))
    return tuple(found)


@dataclass(frozen=True, eq=False)
class LostOutput:
    """What each limit costs: per limit, scope (a product with variants, or the total of
    them) and period (each year, then 'all' for the horizon), the paired difference in
    units made with the limit lifted. Arrays are indexed (limits, scopes, periods)."""

    scenario: str
    seed: int
    samples: int
    """Paired samples: the first ``samples`` of the base run."""
    limits: tuple[Limit, ...]
    scopes: tuple[str, ...]
    periods: tuple[str, ...]
    built: FloatArray
    """(scopes, periods): units made in the base run, mean over the paired samples."""
    mean: FloatArray
    p5: FloatArray
    p50: FloatArray
    p95: FloatArray
    h100e: FloatArray
    """Mean paired difference in compute added, H100e."""
    unbounded: tuple[bool, ...]
    """Per limit: with it lifted some variant had no other limit (its numbers are NaN)."""

    def to_frame(self) -> pd.DataFrame:
        """One row per limit, scope and period."""
        rows = [
            {
                "limit": limit.name,
                "kind": limit.kind,
                "scope": scope,
                "period": period,
                "built": float(self.built[s, t]),
                "mean": float(self.mean[k, s, t]),
                "p5": float(self.p5[k, s, t]),
                "p50": float(self.p50[k, s, t]),
                "p95": float(self.p95[k, s, t]),
                "h100e_mean": float(self.h100e[k, s, t]),
                "unbounded": self.unbounded[k],
            }
            for k, limit in enumerate(self.limits)
            for s, scope in enumerate(self.scopes)
            for t, period in enumerate(self.periods)
        ]
        columns = ["limit", "kind", "scope", "period", "built", "mean", "p5", "p50", "p95", "h100e_mean", "unbounded"]
        return pd.DataFrame(rows, columns=columns)

    def to_document(self) -> dict[str, Any]:
        return {
            "definition": DEFINITION,
            "negative": NEGATIVE,
            "additive": NOT_ADDITIVE,
            "samples": self.samples,
            "rows": records(self.to_frame()),
        }


def _scope_values(result: RunResult, metric: str, scopes: tuple[str, ...], samples: int) -> FloatArray:
    """(samples, scopes, years + 1): per-sample values of the first ``samples``, per year and
    over the horizon; the total is the sum over the product scopes."""
    columns = [result.annual_values(metric, p)[:samples] for p in scopes[:-1]]
    shape = (min(samples, result.samples), 0, len(result.years))
    products = np.stack(columns, axis=1) if columns else np.zeros(shape)
    values = np.concatenate([products, products.sum(axis=1, keepdims=True)], axis=1)
    return np.concatenate([values, values.sum(axis=2, keepdims=True)], axis=2)


def _difference(more: FloatArray, less: FloatArray) -> FloatArray:
    """``more − less``, with differences within :data:`ROUNDING` of the values as 0."""
    difference = more - less
    rounding = ROUNDING * np.maximum(np.abs(more), np.abs(less))
    return np.where(np.abs(difference) <= rounding, 0.0, difference)


def _paired(
    loaded: LoadedScenario, base: RunResult, limit: Limit, scopes: tuple[str, ...], samples: int
) -> tuple[FloatArray, FloatArray, bool]:
    """Per-sample differences in units (samples, scopes, periods) and mean differences in
    compute (scopes, periods) with ``limit`` lifted; NaN, and True, when that is unbounded."""
    lifted = run(loaded, samples=samples, seed=base.seed, adjust=limit.lift())
    more = _scope_values(lifted, "units", scopes, samples)
    if np.any(more[:, :-1, :-1] >= UNBOUNDED):
        return np.full_like(more, np.nan), np.full(more.shape[1:], np.nan), True
    units = _difference(more, _scope_values(base, "units", scopes, samples))
    compute = _difference(*(_scope_values(r, "compute_added_h100e", scopes, samples) for r in (lifted, base)))
    return units, compute.mean(axis=0), False


def lost_output(
    loaded: LoadedScenario,
    base: RunResult,
    *,
    samples: int = LIFTED_SAMPLES,
    progress: Progress | None = None,
) -> LostOutput:
    """:data:`DEFINITION`, for every limit of :func:`limits`: one run per limit with it
    lifted, with the seed of ``base``, paired with its first ``samples`` samples (all of
    them when it has fewer). ``progress`` hears of each limit done."""
    if samples < 1:
        raise SimulationError(f"lost output: samples must be at least 1, got {samples}")
    n = min(samples, base.samples)
    plan = build_plan(loaded)
    found = limits(plan)
    scopes = (*dict.fromkeys(plan.products[v.product] for v in plan.variants), "total")
    periods = (*map(str, base.years), "all")
    units = np.empty((len(found), n, len(scopes), len(periods)))
    h100e = np.empty((len(found), len(scopes), len(periods)))
    unbounded = []
    for k, limit in enumerate(found):
        units[k], h100e[k], free = _paired(loaded, base, limit, scopes, n)
        unbounded.append(free)
        if progress is not None:
            progress(k + 1, len(found))
    p5, p50, p95 = sample_percentiles(units, PERCENTILES, axis=1)
    built = _scope_values(base, "units", scopes, n).mean(axis=0)
    return LostOutput(
        base.scenario,
        base.seed,
        n,
        found,
        scopes,
        periods,
        built,
        units.mean(axis=1),
        p5,
        p50,
        p95,
        h100e,
        tuple(unbounded),
    )
