"""Exact mode: each month's allocation as a sequence of linear programs.

For every month, one HiGHS solve per priority rank over all samples of the block at once
(the samples' problems are independent blocks of one sparse LP). At rank r each sample's
r-th variant (in that month's and sample's priority order) starts the most attempts that
every use (a bill component, the packaging line: the slices its vendor may draw on, as
left by the ranks before), its demand cap and market demand allow; what it takes is then
drawn from its slices in draw order, the rule the fast path applies too. The rows are
built here from the scenario's bills, slots and caps, not from the greedy path, so the two
can be checked against each other. The slices themselves (reserves, proportional splits)
come from the month's opening, which both modes share, except where a bill draws on two or
more proportional pools: then the month's proportional pools are split together, by
weighted max-min fairness (:mod:`stackbound.engine.fairness`), before the ranks draw.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from stackbound.engine.allocate import MonthState, Solver, kernel_inputs
from stackbound.engine.plan import Plan
from stackbound.engine.supply import Supply
from stackbound.errors import SimulationError

if TYPE_CHECKING:  # SciPy's LP solver is imported where it runs: a run without --exact never loads it
    from stackbound.engine.fairness import Fairness, Month

__all__ = ["EXACT_MAX_SAMPLES", "fairness_month", "lp_solver"]

EXACT_MAX_SAMPLES = 2_000
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def _rank_lp(
    plan: Plan,
    coef: FloatArray,
    state: MonthState,
    left: FloatArray,
    caps: FloatArray,
    market: FloatArray | None,
    v: IntArray,
) -> FloatArray:
    """The most attempts of variant ``v[i]`` in every sample i, as one LP over x[i]."""
    from scipy import sparse
    from scipy.optimize import linprog

    n = v.shape[0]
    samples = np.arange(n)
    uses = plan.arrays.use_slices[v]  # (n, uses, depth)
    rows: list[FloatArray] = []
    limits: list[FloatArray] = []
    owners: list[IntArray] = []
    for k in range(uses.shape[1]):
        slices = uses[:, k, :]
        room = np.where(slices >= 0, left[np.maximum(slices, 0), samples[:, None]], 0.0).sum(axis=1)
        present = (plan.arrays.use_code[v, k] >= 0) & np.isfinite(room)  # an infinite room limits nothing
        rows.append(coef[v, k, samples][present])
        limits.append(room[present])
        owners.append(samples[present])
    product = plan.arrays.variant_product[v]
    good = state.good_per_attempt[v, samples]
    cap = caps[product, samples]
    finite = np.isfinite(cap) & np.isfinite(good)
    rows.append(good[finite])
    limits.append(cap[finite])
    owners.append(samples[finite])
    if market is not None:
        domestic = plan.arrays.variant_domestic[v] & np.isfinite(market) & np.isfinite(good)
        rows.append(good[domestic])
        limits.append(market[domestic])
        owners.append(samples[domestic])
    values, bounds, columns = np.concatenate(rows), np.concatenate(limits), np.concatenate(owners)
    matrix = sparse.csr_matrix((values, (np.arange(len(values)), columns)), shape=(len(values), n))
    upper = np.where(state.active[v, samples], np.inf, 0.0)
    result = linprog(
        -np.ones(n),
        A_ub=matrix,
        b_ub=np.maximum(bounds, 0.0),
        bounds=np.column_stack([np.zeros(n), upper]),
        method="highs",
    )
    if result.status != 0:
        raise SimulationError(f"exact mode: the linear program of month {state.month} failed: {result.message}")
    return np.asarray(result.x, dtype=np.float64)


def _draw(plan: Plan, coef: FloatArray, left: FloatArray, v: IntArray, x: FloatArray) -> None:
    """Take each sample's attempts from its variant's slices, in draw order (extreme
    inputs may make a slice infinite: inf − inf is nan, as on the fast path)."""
    samples = np.arange(v.shape[0])
    uses = plan.arrays.use_slices[v]
    for k in range(uses.shape[1]):
        need = np.where(plan.arrays.use_code[v, k] >= 0, x * coef[v, k, samples], 0.0)
        for j in range(uses.shape[2]):
            slices = uses[:, k, j]
            valid = slices >= 0
            here = np.maximum(slices, 0)
            taken = np.where(valid, np.minimum(need, left[here, samples]), 0.0)
            left[here[valid], samples[valid]] -= taken[valid]
            need = need - taken


def _solve_month(plan: Plan, coef: FloatArray, state: MonthState) -> FloatArray:
    V, n = len(plan.variants), state.size.shape[1]
    left = state.size.copy()
    caps = state.demand_cap.copy()
    market = None if state.market is None else state.market.copy()
    solution = np.zeros((V, n))
    samples = np.arange(n)
    for rank in range(V):
        v = state.order[rank]
        x = _rank_lp(plan, coef, state, left, caps, market, v)
        solution[v, samples] = x
        _draw(plan, coef, left, v, x)
        made = x * state.good_per_attempt[v, samples]
        np.subtract.at(caps, (plan.arrays.variant_product[v], samples), made)
        if market is not None:
            market -= np.where(plan.arrays.variant_domestic[v], made, 0.0)
    return solution


def lp_solver(plan: Plan, supply: Supply, *, split_fairly: bool = True) -> Solver:
    """A month solver for :func:`~stackbound.engine.allocate.simulate`. With
    ``split_fairly=False`` the month is allocated within the opening's slices even where a
    bill draws on several proportional pools: the fast path's rule, to check its allocation."""
    if supply.bill.shape[2] > EXACT_MAX_SAMPLES:
        raise SimulationError(f"exact mode is capped at {EXACT_MAX_SAMPLES} samples per run")
    _, block = kernel_inputs(plan, supply)
    coef, weight_of, weights = block[10], block[8], block[9]
    assert isinstance(coef, np.ndarray)
    assert isinstance(weight_of, np.ndarray)
    assert isinstance(weights, np.ndarray)
    from stackbound.engine.fairness import Fairness, coupled_pools

    fairness = Fairness(plan) if split_fairly and coupled_pools(plan) else None

    def solve(state: MonthState) -> FloatArray:
        if fairness is not None:
            _split_fairly(fairness, coef, weight_of, weights, state)
        return _solve_month(plan, coef, state)

    return solve


def fairness_month(
    fairness: Fairness, coef: FloatArray, weight_of: IntArray, weights: FloatArray, state: MonthState
) -> Month:
    """The month's inputs to the fair split: the opening's slices, caps and market, and each
    claim's weight this month (nan for ``need``)."""
    from stackbound.engine.fairness import Month

    t, n = state.month, state.size.shape[1]
    rows = [int(weight_of[claim.slice]) for claim in fairness.claims]
    weight = np.stack([weights[r, t] if r >= 0 else np.full(n, np.nan) for r in rows])
    return Month(
        coef=coef,
        size=state.size,
        drawable=state.drawable,
        cap=state.demand_cap,
        market=state.market,
        active=state.active,
        good=state.good_per_attempt,
        weight=weight,
    )


def _split_fairly(
    fairness: Fairness, coef: FloatArray, weight_of: IntArray, weights: FloatArray, state: MonthState
) -> None:
    """Rewrite the month's proportional slices by progressive filling across the pools."""
    sizes, fair = fairness.slices(fairness_month(fairness, coef, weight_of, weights, state))
    claimed = np.array([claim.slice for claim in fairness.claims], dtype=np.int64)
    state.size[np.ix_(claimed, np.flatnonzero(fair))] = sizes[:, fair]
