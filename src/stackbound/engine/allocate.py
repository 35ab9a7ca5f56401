"""The monthly loop: arrivals, allocation by priority, consumption, carry-over.

One pass over the months; every step works on all samples of a block at once (arrays
``(n,)``), so Python work per month grows with variants and components, never with
samples. Each month:

1. arrivals are added to every pool's inventory;
2. what can be drawn this month (inventory, or a stockpile's ration) is summed per component;
3. variants, highest priority first, each start as many package attempts as every limit
   allows: each component in its bill, its packaging line's slots, its product's demand
   cap and (for domestic products) market demand left after imports. Greedy by priority
   is the lexicographic optimum; exact mode instead takes the attempts from a linear
   program (:mod:`stackbound.engine.exact`) and this loop only applies them;
4. consumption is drawn from the component's pools in draw order; the rest carries over:
   ``opening + arrivals − consumed = closing`` for every pool.

Stranded inventory of a component is what is held at month end while no active variant
using it was bound by it and at least one was bound by another component or by packaging
(dies waiting for HBM, HBM waiting for dies).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from stackbound.engine.plan import Plan
from stackbound.engine.supply import Supply

__all__ = ["MonthState", "Paths", "Solver", "simulate"]

FloatArray = NDArray[np.float64]
_TINY = 1e-12
_SLACK = 1e-7
_ZERO = 1e-9
"""Limits below this many attempts are rounding residue and count as zero."""


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
    consumed: FloatArray
    closing: FloatArray
    stranded: FloatArray


class _Month:
    """Running limits during one month's allocation."""

    def __init__(self, plan: Plan, supply: Supply, t: int, inventory: FloatArray) -> None:
        self.plan, self.supply, self.t = plan, supply, t
        self.drawable = inventory.copy()
        for p, limit in enumerate(supply.max_draw):
            if limit is not None:
                self.drawable[p] = np.minimum(inventory[p], limit[t])
        self.available = np.zeros((len(plan.components), inventory.shape[1]))
        for c, order in enumerate(plan.draw_order):
            for p in order:
                self.available[c] += self.drawable[p]
        self.packaging = supply.capacity[:, t].copy()
        self.demand_cap = supply.demand_cap[:, t].copy()
        self.market = None if supply.market is None else supply.market[t].copy()
        self.start = (self.available.copy(), self.packaging.copy(), self.demand_cap.copy(), self.market)

    def good_per_attempt(self, v: int) -> FloatArray:
        line = self.plan.variants[v].packaging
        return self.supply.packaging_yield[line, self.t] if line is not None else np.ones(self.available.shape[1])

    def limits(self, v: int, start: bool) -> tuple[FloatArray, NDArray[np.int8]]:
        """The most attempts variant ``v`` can start, and the code of the limit that sets it
        (first in precedence on ties)."""
        spec, s = self.plan.variants[v], self.supply
        available, packaging, cap, market = self.start if start else (
            self.available, self.packaging, self.demand_cap, self.market)
        n = available.shape[1]
        best = np.full(n, np.inf)
        code = np.zeros(n, dtype=np.int8)
        candidates: list[tuple[FloatArray, int]] = [
            (available[c] / np.maximum(s.bill[v, c], _TINY), c + 1) for c in spec.components
        ]
        if spec.packaging is not None:
            candidates.append((packaging[spec.packaging] / np.maximum(s.slots[v], _TINY), self.plan.code_packaging))
        good = np.maximum(self.good_per_attempt(v), _TINY)
        candidates.append((cap[spec.product] / good, self.plan.code_demand))
        if market is not None and self._domestic(spec.product):
            candidates.append((market / good, self.plan.code_market))
        for limit, limit_code in candidates:
            tighter = limit < best
            best = np.where(tighter, limit, best)
            code = np.where(tighter, np.int8(limit_code), code)
        return np.where(best > _ZERO, best, 0.0), code

    def _domestic(self, product: int) -> bool:
        return self.plan.loaded.scenario.products[self.plan.products[product]].origin == "domestic"

    def take(self, v: int, attempts: FloatArray) -> FloatArray:
        """Use what ``attempts`` of variant ``v`` need; return the good units."""
        spec, s = self.plan.variants[v], self.supply
        for c in spec.components:
            self.available[c] -= attempts * s.bill[v, c]
        if spec.packaging is not None:
            self.packaging[spec.packaging] -= attempts * s.slots[v]
        good = attempts * self.good_per_attempt(v)
        self.demand_cap[spec.product] -= good
        if self.market is not None and self._domestic(spec.product):
            self.market = self.market - good
        return good

    def state(self, active: NDArray[np.bool_]) -> MonthState:
        goods = np.stack([self.good_per_attempt(v) for v in range(len(self.plan.variants))])
        return MonthState(self.t, self.available.copy(), self.packaging.copy(), self.demand_cap.copy(),
                          None if self.market is None else self.market.copy(), active, goods)


def _attempts(best: FloatArray, given: FloatArray | None) -> FloatArray:
    """Greedy takes the limit; an exact solver's answer is used as is, except that a
    rounding overshoot within a relative 1e-7 is trimmed to the limit."""
    if given is None:
        return best
    trimmed = np.where(given <= best * (1 + _SLACK) + _SLACK, np.minimum(given, best), given)
    return np.maximum(trimmed, 0.0)


def _draw(plan: Plan, month: _Month, inventory: FloatArray, consumed: FloatArray) -> None:
    """Take each component's consumption from its pools in draw order."""
    for c, order in enumerate(plan.draw_order):
        need = np.maximum(month.start[0][c] - month.available[c], 0.0)
        for p in order:
            taken = np.minimum(need, month.drawable[p])
            inventory[p] -= taken
            consumed[p] = taken
            need = need - taken


def _stranded(plan: Plan, codes: NDArray[np.int8], active: NDArray[np.bool_], held: FloatArray) -> FloatArray:
    stranded = np.zeros_like(held)
    mismatch_codes = set(range(1, len(plan.components) + 1)) | {plan.code_packaging}
    for c in range(len(plan.components)):
        binds = np.zeros(held.shape[1], dtype=bool)
        elsewhere = np.zeros(held.shape[1], dtype=bool)
        for v, spec in enumerate(plan.variants):
            if c not in spec.components:
                continue
            binds |= active[v] & (codes[v] == c + 1)
            for other in mismatch_codes - {c + 1}:
                elsewhere |= active[v] & (codes[v] == other)
        stranded[c] = np.where(~binds & elsewhere, held[c], 0.0)
    return stranded


def simulate(plan: Plan, supply: Supply, n: int, solver: Solver | None = None) -> Paths:
    """Run the monthly loop for one block of ``n`` samples."""
    V, P, C, T = len(plan.variants), len(plan.pools), len(plan.components), len(plan.months)
    paths = Paths(
        attempts=np.zeros((V, T, n)), good=np.zeros((V, T, n)),
        binding=np.zeros((V, T, n), dtype=np.int8), starved=np.zeros((V, T, n), dtype=bool),
        consumed=np.zeros((P, T, n)), closing=np.zeros((P, T, n)), stranded=np.zeros((C, T, n)),
    )
    inventory = np.zeros((P, n))
    for t in range(T):
        inventory += supply.arrivals[:, t]
        month = _Month(plan, supply, t, inventory)
        active = np.stack([supply.active[spec.product, t] for spec in plan.variants]) if V else np.zeros((0, n), bool)
        given = solver(month.state(active)) if solver is not None else None
        for v in range(V):
            best, code = month.limits(v, start=False)
            attempts = np.where(active[v], _attempts(best, None if given is None else given[v]), 0.0)
            full, _ = month.limits(v, start=True)
            paths.attempts[v, t] = attempts
            paths.good[v, t] = month.take(v, attempts)
            paths.binding[v, t] = np.where(active[v], code, np.int8(0))
            paths.starved[v, t] = active[v] & (attempts < full * (1 - 1e-9) - 1e-9)
        _draw(plan, month, inventory, paths.consumed[:, t])
        paths.closing[:, t] = inventory
        held = np.zeros((C, n))
        for c, order in enumerate(plan.draw_order):
            for p in order:
                held[c] += inventory[p]
        paths.stranded[:, t] = _stranded(plan, paths.binding[:, t], active, held)
    return paths
