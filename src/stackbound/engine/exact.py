"""Exact mode: each month's allocation as a lexicographic linear program.

For every month, one HiGHS solve per priority level over all samples of the block at once
(the samples' problems are independent blocks of one sparse LP). Level k maximises the
package attempts of the k-th variant subject to every component, packaging, demand-cap and
market-demand constraint, with higher-priority variants held at their optimum and lower
ones at zero. The matrices are built here from the scenario's bills and capacities, not
from the greedy path, so the two can be checked against each other.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.optimize import linprog

from stackbound.engine.allocate import MonthState, Solver
from stackbound.engine.plan import Plan
from stackbound.engine.supply import Supply
from stackbound.errors import SimulationError

__all__ = ["EXACT_MAX_SAMPLES", "lp_solver"]

EXACT_MAX_SAMPLES = 2_000
FloatArray = NDArray[np.float64]


def _rows(plan: Plan, supply: Supply, state: MonthState) -> tuple[sparse.csr_matrix, FloatArray]:
    """Constraint rows A x <= b over variables x[v * n + i]."""
    V, n = len(plan.variants), state.available.shape[1]
    rows, cols, vals, bounds = [], [], [], []
    row = 0

    def add(coefficients: list[tuple[int, FloatArray]], limit: FloatArray) -> None:
        nonlocal row
        finite = np.isfinite(limit)
        index = np.cumsum(finite) - 1 + row
        for v, coefficient in coefficients:
            rows.append(index[finite])
            cols.append(v * n + np.flatnonzero(finite))
            vals.append(coefficient[finite])
        bounds.append(limit[finite])
        row += int(finite.sum())

    for c in range(len(plan.components)):
        users = [(v, supply.bill[v, c]) for v, spec in enumerate(plan.variants) if c in spec.components]
        if users:
            add(users, state.available[c])
    for line in range(len(plan.packaging)):
        users = [(v, supply.slots[v]) for v, spec in enumerate(plan.variants) if spec.packaging == line]
        if users:
            add(users, state.packaging[line])
    for p in range(len(plan.products)):
        users = [(v, state.good_per_attempt[v]) for v, spec in enumerate(plan.variants) if spec.product == p]
        if users:
            add(users, state.demand_cap[p])
    if state.market is not None:
        scenario = plan.loaded.scenario
        users = [
            (v, state.good_per_attempt[v])
            for v, spec in enumerate(plan.variants)
            if scenario.products[plan.products[spec.product]].origin == "domestic"
        ]
        if users:
            add(users, state.market)
    matrix = sparse.csr_matrix(
        (
            np.concatenate(vals) if vals else [],
            (np.concatenate(rows) if rows else [], np.concatenate(cols) if cols else []),
        ),
        shape=(row, V * n),
    )
    return matrix, np.concatenate(bounds) if bounds else np.zeros(0)


def _solve_month(plan: Plan, supply: Supply, state: MonthState) -> FloatArray:
    V, n = len(plan.variants), state.available.shape[1]
    matrix, limits = _rows(plan, supply, state)
    solution = np.zeros((V, n))
    for k in range(V):
        lower = np.zeros((V, n))
        upper = np.zeros((V, n))
        lower[:k] = solution[:k] * (1 - 1e-9)
        upper[:k] = solution[:k]
        upper[k] = np.where(state.active[k], np.inf, 0.0)
        objective = np.zeros((V, n))
        objective[k] = -1.0
        result = linprog(
            objective.ravel(),
            A_ub=matrix,
            b_ub=limits,
            bounds=np.column_stack([lower.ravel(), upper.ravel()]),
            method="highs",
        )
        if result.status != 0:
            raise SimulationError(f"exact mode: the linear program of month {state.month} failed: {result.message}")
        solution[k] = result.x.reshape(V, n)[k]
    return solution


def lp_solver(plan: Plan, supply: Supply) -> Solver:
    """A month solver for :func:`~stackbound.engine.allocate.simulate`."""
    if supply.bill.shape[2] > EXACT_MAX_SAMPLES:
        raise SimulationError(f"exact mode is capped at {EXACT_MAX_SAMPLES} samples per run")

    def solve(state: MonthState) -> FloatArray:
        return _solve_month(plan, supply, state)

    return solve
