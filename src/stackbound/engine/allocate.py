"""The monthly loop: arrivals, allocation by priority, consumption, carry-over.

One pass over the months, compiled (:mod:`stackbound.engine.kernel`): the whole horizon is
one call over all samples of a block (in exact mode, two calls per month around the
solver), so Python work never grows with samples. Each month:

1. arrivals are added to every pool's inventory, and what can be drawn this month
   (inventory, or a stockpile's ration) is summed per component;
2. variants, highest priority first, each start as many package attempts as every limit
   allows: each component in its bill, its packaging line's slots, its product's demand
   cap and (for domestic products) market demand left after imports. Greedy by priority
   is the lexicographic optimum; exact mode instead takes the attempts from a linear
   program (:mod:`stackbound.engine.exact`) and the kernel only applies them;
3. consumption is drawn from each component's pools in draw order; the rest carries over:
   ``opening + arrivals − consumed = closing`` for every pool.

The binding constraint of an active variant is the limit that set its attempts (ties go
to the first in :class:`~stackbound.engine.plan.Plan` precedence); it is "starved by
priority" when that limit had been drawn down by higher-priority variants that month.
Stranded inventory of a component is what is held at month end while no active variant
using it was bound by it and at least one was bound by another component or by
packaging (dies waiting for HBM, HBM waiting for dies).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from stackbound.engine.kernel import all_months, close_month, open_month
from stackbound.engine.plan import Plan, PlanArrays
from stackbound.engine.supply import Supply

__all__ = ["MonthState", "Paths", "Solver", "simulate"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class MonthState:
    """What a month's allocation starts from (the input of an exact solver)."""

    month: int
    available: FloatArray  # (components, n)
    packaging: FloatArray  # (lines, n)
    demand_cap: FloatArray  # (products, n)
    market: FloatArray | None  # (n,)
    active: NDArray[np.bool_]  # (variants, n)
    good_per_attempt: FloatArray  # (variants, n)


Solver = Callable[[MonthState], FloatArray]
"""Returns package attempts per variant, shape (variants, n)."""


@dataclass
class Paths:
    """Monthly paths of one block; shapes (·, T, n)."""

    attempts: FloatArray
    good: FloatArray
    binding: NDArray[np.int8]
    starved: NDArray[np.bool_]
    relief: FloatArray
    consumed: FloatArray
    closing: FloatArray
    stranded: FloatArray


def _state(t: int, static: PlanArrays, supply: Supply, available: FloatArray) -> MonthState:
    n = available.shape[1]
    active = supply.active[static.variant_product, t]
    lines = static.variant_line
    good = np.where((lines >= 0)[:, None], supply.packaging_yield[np.maximum(lines, 0), t], np.ones(n))
    market = None if supply.market is None else supply.market[t].copy()
    return MonthState(
        t, available.copy(), supply.capacity[:, t].copy(), supply.demand_cap[:, t].copy(), market, active, good
    )


def simulate(plan: Plan, supply: Supply, n: int, solver: Solver | None = None) -> Paths:
    """Run the monthly loop for ``n`` samples; ``solver`` replaces greedy allocation."""
    V, P, C, T = len(plan.variants), len(plan.pools), len(plan.components), len(plan.months)
    L, R = len(plan.packaging), len(plan.products)
    static = plan.arrays
    paths = Paths(  # every element is written by the kernels
        attempts=np.empty((V, T, n)),
        good=np.empty((V, T, n)),
        binding=np.empty((V, T, n), dtype=np.int8),
        starved=np.empty((V, T, n), dtype=bool),
        relief=np.empty((V, T, n)),
        consumed=np.empty((P, T, n)),
        closing=np.empty((P, T, n)),
        stranded=np.empty((C, T, n)),
    )
    inventory, drawable, available = np.zeros((P, n)), np.zeros((P, n)), np.zeros((C, n))
    limits = [(p, limit) for p, limit in enumerate(supply.max_draw) if limit is not None]
    ration_of = np.full(P, -1, dtype=np.int64)
    rations = np.empty((max(len(limits), 1), T, n))
    for row, (p, limit) in enumerate(limits):
        ration_of[p] = row
        rations[row] = limit
    market = supply.market if supply.market is not None else np.full((T, n), np.inf)
    codes = np.array([plan.code_packaging, plan.code_demand, plan.code_market], dtype=np.int8)
    work = (np.zeros((C, n)), np.zeros((L, n)), np.zeros((R, n)), np.zeros(n))
    exogenous = (
        static.draw_order,
        supply.capacity,
        supply.packaging_yield,
        supply.demand_cap,
        market,
        supply.market is not None,
        supply.active,
        supply.bill,
        static.bill_components,
        supply.slots,
        static.variant_product,
        static.variant_line,
        static.variant_domestic,
    )
    outputs = (
        paths.attempts,
        paths.good,
        paths.binding,
        paths.starved,
        paths.relief,
        paths.consumed,
        paths.closing,
        paths.stranded,
    )
    opening = (inventory, supply.arrivals, ration_of, rations, static.pool_component, drawable, available)
    if solver is None:  # the whole horizon in one compiled call
        all_months(opening, exogenous, codes, work, outputs)
        return paths
    for t in range(T):
        open_month(t, *opening)
        given = np.ascontiguousarray(solver(_state(t, static, supply, available)))
        close_month(t, available, drawable, inventory, exogenous, given, True, codes, work, outputs)
    return paths
