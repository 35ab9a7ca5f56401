"""The perfect-foresight bound: the most one sample's inputs could have built by each year-end.

For every Monte Carlo sample and every year-end month ``e``, one linear program over the
months up to ``e`` (HiGHS, through :func:`scipy.optimize.linprog`), with that sample's
arrivals, packaging capacities, yields, lags, launch windows, demand caps and market demand:

.. code-block:: text

    maximise   Σ_{v,t : t + lag_v ≤ e}  w_v · yield_{v,t} · x_{v,t}
    subject to Σ_a y_{v,k,a,t} = coef_{v,k} · x_{v,t}                    each use k of variant v
               Σ_{v,k} y_{v,k,a,t} + s_{a,t} − s_{a,t−1} ≤ arrivals_{a,t}  component account a
               Σ_{v,k} y_{v,k,a,t} ≤ capacity_{a,t}                        packaging-line account a
               Σ_{v of p} yield_{v,t} · x_{v,t} ≤ demand_cap_{p,t}
               Σ_{v domestic} yield_{v,t} · x_{v,t} ≤ market_t
               x ≥ 0 (0 outside the product's launch window), y ≥ 0, s ≥ 0

``x`` are package attempts, ``y`` draws of a use (a bill component, the packaging line)
from an account the variant may draw on (its slices collapsed to their accounts), ``s``
the stock an account holds at month end: with it, cumulative draws never exceed
cumulative arrivals; a packaging line's capacity does not carry over. ``coef`` is the
bill (or the slots), ``lag_v`` the packaging plus the delivery lag (a unit counts when it
is delivered, as the tables count compute), ``w_v`` the H100e per unit of a domestic
product (objective ``compute``) or 1 (``units``), 0 for other products. A use with one
account draws ``coef · x`` from it directly, without a ``y``.

Kept from the month-by-month engine: arrivals, ownership, capacities, yields, lags,
launch windows, demand caps, market demand. Dropped (:data:`DROPPED`): priorities, draw
order, allocation policies and rationing. So the bound is at least the engine's result
on the same objective, sample by sample.

Shadow prices: minus the dual of inventory row (a, t), the value on the objective of one
more part arriving in account ``a`` in month ``t`` (in the cumulative form, the sum of the
duals of rows τ ≥ t); for a packaging-line account, of one more package of capacity in
month ``t``; a wafer's through its good dies per wafer start. They hold for small changes
and are not unique at a degenerate optimum.

The sparsity pattern is built once per run (:class:`_Layout`); each sample only fills in
numbers. Samples are solved in worker processes, in batches whose results are joined in
sample order: the result does not depend on the number of workers.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import sparse
from scipy.optimize import linprog
from threadpoolctl import threadpool_limits

from stackbound.engine.allocate import _coefficients, account_arrivals, simulate
from stackbound.engine.histogram import sample_percentiles
from stackbound.engine.plan import Plan, build_plan
from stackbound.engine.run import Progress, _draws
from stackbound.engine.sampling import BLOCK_SIZE
from stackbound.engine.supply import Supply, build_supply
from stackbound.errors import SimulationError
from stackbound.scenario.loader import LoadedScenario

__all__ = ["DEFAULT_SAMPLES", "DEFAULT_WORKERS", "DROPPED", "OBJECTIVES", "ForesightResult", "PriceRow", "foresight"]

DEFAULT_SAMPLES = 500
DEFAULT_WORKERS = min(2, os.cpu_count() or 1)
OBJECTIVES = ("compute", "units")
DROPPED = (
    "priorities (the bound chooses the product mix)",
    "draw order (sources and owner-before-shared)",
    "allocation policies (proportional shares and weights of shared pools)",
    "rationing (max_draw, planned runways, reserves)",
)
"""What the month-by-month engine applies and the bound does not."""
PERCENTILES = (5.0, 50.0, 95.0)
BATCH = 16
"""Samples per task sent to a worker process."""
_NO_LIMIT = 1e30
"""A demand cap or market demand that is not there (HiGHS reads ≥ 1e20 as none)."""

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


# ------------------------------------------------------------------ the structure, built once


@dataclass(frozen=True)
class _Layout:
    """The LP of a plan as one month's template of matrix entries, repeated per month.

    Columns per month (``width``): attempts x[v], then draws y of uses with several
    accounts, then stock s of component accounts. Inequality rows per month: one per
    account, then capped products, then market demand; equality rows: one per use with
    several (or no) accounts. An entry's value is ``numbers[value + step · t]`` of the
    sample's number vector (1, −1, coef, −coef, yields); ``next`` entries (−s) sit in the
    next month's row."""

    months: int
    variants: int
    accounts: int
    width: int
    ub_rows: int
    eq_rows: int
    ub: IntArray  # (entries, 5): row, next, column, value, step
    eq: IntArray
    year_ends: IntArray


_Use = tuple[int, int, tuple[int, ...]]
"""A variant, one of its uses, and the accounts it may draw on for it, in draw order."""


def _uses(plan: Plan) -> list[_Use]:
    """(variant, use, accounts it may draw on, in draw order) for every use of every variant."""
    arrays = plan.arrays
    found = []
    for v in range(len(plan.variants)):
        for k in np.flatnonzero(arrays.use_code[v] >= 0):
            drawn = [plan.slices[s].account for s in arrays.use_slices[v, k] if s >= 0]
            found.append((v, int(k), tuple(dict.fromkeys(drawn))))
    return found


def _capped(plan: Plan) -> list[int]:
    """Products with variants and a demand cap."""
    scenario = plan.loaded.scenario
    made = set(plan.arrays.variant_product.tolist())
    return [p for p, name in enumerate(plan.products) if p in made and scenario.products[name].demand_cap is not None]


def _has_market(plan: Plan) -> bool:
    market = plan.loaded.scenario.market_demand
    return market is not None and market.cap_domestic and bool(plan.arrays.variant_domestic.any())


def _year_ends(plan: Plan) -> IntArray:
    years = plan.months // 12
    return np.flatnonzero(np.append(years[1:] != years[:-1], True)).astype(np.int64)


class _Entry(NamedTuple):
    """One matrix entry of the month template: ``row`` (in the next month's rows if
    ``next``), ``column``, and its value ``numbers[value + step · t]``."""

    row: int
    next: int
    column: int
    value: int
    step: int = 0


def _columns(plan: Plan, several: list[_Use]) -> tuple[dict[tuple[int, int, int], int], dict[int, int]]:
    """Each month's column of every draw y (variant, use, account) and every stock s."""
    draw, column = {}, len(plan.variants)
    for v, k, accounts in several:
        for a in accounts:
            draw[(v, k, a)], column = column, column + 1
    return draw, {a: column + i for i, a in enumerate(plan.component_accounts)}


def _build_layout(plan: Plan) -> _Layout:
    V, K, T = len(plan.variants), plan.arrays.use_code.shape[1], len(plan.months)
    coef, negative, yields = 2, 2 + V * K, 2 + 2 * V * K  # offsets in the number vector
    uses = _uses(plan)
    several = [use for use in uses if len(use[2]) != 1]
    draw, stock = _columns(plan, several)
    ub = [
        _Entry(a, 0, draw[(v, k, a)], 0) if len(accounts) > 1 else _Entry(a, 0, v, coef + v * K + k)
        for v, k, accounts in uses
        for a in accounts
    ]
    for a, column in stock.items():  # + s[t] in month t's row, − s[t] in month t + 1's
        ub += [_Entry(a, 0, column, 0), _Entry(a, 1, column, 1)]
    limited = [plan.arrays.variant_product == p for p in _capped(plan)]
    if _has_market(plan):
        limited.append(plan.arrays.variant_domestic)
    for r, members in enumerate(limited, start=len(plan.accounts)):
        ub += [_Entry(r, 0, int(v), yields + int(v) * T, 1) for v in np.flatnonzero(members)]
    eq = []
    for u, (v, k, accounts) in enumerate(several):
        eq += [_Entry(u, 0, draw[(v, k, a)], 0) for a in accounts] + [_Entry(u, 0, v, negative + v * K + k)]
    width = V + len(draw) + len(stock)
    rows = len(plan.accounts) + len(limited)
    return _Layout(T, V, len(plan.accounts), width, rows, len(several), _table(ub), _table(eq), _year_ends(plan))


def _table(entries: list[_Entry]) -> IntArray:
    return np.array(entries, dtype=np.int64).reshape(-1, len(_Entry._fields))


@dataclass(frozen=True)
class _Matrix:
    """One constraint matrix up to one year-end, in CSC form; ``pick`` selects its entries'
    values from the whole horizon's."""

    shape: tuple[int, int]
    indptr: IntArray
    indices: IntArray
    pick: IntArray

    def filled(self, values: FloatArray) -> sparse.csc_matrix:
        return sparse.csc_matrix((values[self.pick], self.indices, self.indptr), shape=self.shape)


def _expand(template: IntArray, rows: int, width: int, months: int) -> tuple[IntArray, IntArray, IntArray]:
    """The template repeated for every month: rows, columns and value indices of all entries
    (an entry pointing past the last month's row is left out)."""
    t = np.arange(months)[:, None]
    row = (t + template[:, 1]) * rows + template[:, 0]
    col = t * width + template[:, 2]
    value = template[:, 3] + template[:, 4] * t
    keep = row < months * rows
    return row[keep], col[keep], value[keep]


def _matrices(rows: IntArray, cols: IntArray, shape: tuple[int, int]) -> _Matrix:
    keep = np.flatnonzero((rows < shape[0]) & (cols < shape[1]))
    order = keep[np.lexsort((rows[keep], cols[keep]))]
    indptr = np.searchsorted(cols[order], np.arange(shape[1] + 1)).astype(np.int64)
    return _Matrix(shape, indptr, rows[order], order)


# ------------------------------------------------------------------ one sample's numbers


class _Numbers(NamedTuple):
    """The numbers of a batch of samples (last axis) that the layout's entries read."""

    first: int  # the batch's first sample, for messages
    values: FloatArray  # (1 + 1 + 2·V·K + V·T, n): 1, −1, coef, −coef, yields
    limits: FloatArray  # (T · ub rows, n): right-hand sides, month by month
    active: NDArray[np.bool_]  # (V, T, n)
    gain: FloatArray  # (V, T, n) objective per attempt
    compute: FloatArray  # (V, T, n) domestic H100e per attempt
    units: FloatArray  # (V, T, n) domestic good units per attempt
    lag: IntArray  # (V, n) months from attempt to delivery


def _variant_lags(plan: Plan, supply: Supply) -> IntArray:
    n = supply.delivery_lag.shape[1]
    lag = supply.delivery_lag[plan.arrays.variant_product].copy()
    for v, spec in enumerate(plan.variants):
        if spec.packaging is not None:
            lag[v] += supply.packaging_lag[spec.packaging]
    return lag.reshape(len(plan.variants), n)


def _numbers(plan: Plan, supply: Supply, objective: str, first: int) -> _Numbers:
    V, T, n = supply.variant_yield.shape
    coef = _coefficients(plan, supply, n).reshape(-1, n)
    yields = supply.variant_yield
    ones = np.ones((1, n))
    values = np.concatenate([ones, -ones, coef, -coef, yields.reshape(V * T, n)])
    parts = [account_arrivals(plan, supply), supply.demand_cap[_capped(plan)]]
    if _has_market(plan):
        assert supply.market is not None  # _has_market reads the scenario that makes it
        parts.append(supply.market[None])
    limits = np.concatenate(parts).transpose(1, 0, 2).reshape(-1, n)
    finite = np.isfinite(values).all(axis=0) & np.isfinite(parts[0]).all(axis=(0, 1))
    domestic = plan.arrays.variant_domestic[:, None, None]
    compute = yields * supply.variant_h100e[:, None, :] * domestic
    units = yields * domestic
    finite &= np.isfinite(compute).all(axis=(0, 1))
    if not finite.all():
        raise SimulationError(f"foresight: sample {first + int(np.argmin(finite))} has non-finite inputs")
    active = supply.active[plan.arrays.variant_product]
    gain = compute if objective == "compute" else units
    lag = _variant_lags(plan, supply)
    return _Numbers(first, values, np.minimum(limits, _NO_LIMIT), active, gain, compute, units, lag)


# ------------------------------------------------------------------ solving, in a worker


class _Solved(NamedTuple):
    """Per year-end and sample: the objective at the bound, its compute and units, and the
    shadow price of every account and month (0 after the year-end)."""

    objective: FloatArray  # (years, n)
    compute: FloatArray
    units: FloatArray
    prices: FloatArray  # (years, accounts, T, n)


class _Programs(NamedTuple):
    """What every sample of a batch shares: each year-end's matrices, the value index of
    every entry of the whole horizon, and the columns of the attempts (T, V)."""

    ub: list[_Matrix]
    eq: list[_Matrix]
    ub_values: IntArray
    eq_values: IntArray
    x_cols: IntArray


def _programs(layout: _Layout) -> _Programs:
    ub_rows, ub_cols, ub_values = _expand(layout.ub, layout.ub_rows, layout.width, layout.months)
    eq_rows, eq_cols, eq_values = _expand(layout.eq, layout.eq_rows, layout.width, layout.months)
    months = [int(e) + 1 for e in layout.year_ends]
    ub = [_matrices(ub_rows, ub_cols, (m * layout.ub_rows, m * layout.width)) for m in months]
    eq = [_matrices(eq_rows, eq_cols, (m * layout.eq_rows, m * layout.width)) for m in months]
    x_cols = np.arange(layout.months)[:, None] * layout.width + np.arange(layout.variants)[None, :]
    return _Programs(ub, eq, ub_values, eq_values, x_cols)


def _solve_batch(layout: _Layout, numbers: _Numbers) -> _Solved:
    """Every year-end's LP for every sample of a batch (run in a worker process)."""
    programs = _programs(layout)
    n, E = numbers.lag.shape[1], len(layout.year_ends)
    solved = _Solved(
        np.zeros((E, n)), np.zeros((E, n)), np.zeros((E, n)), np.zeros((E, layout.accounts, layout.months, n))
    )
    for i in range(n):
        for j in range(E):
            _solve(layout, programs, numbers, i, j, solved)
    return solved


def _solve(layout: _Layout, programs: _Programs, numbers: _Numbers, i: int, j: int, solved: _Solved) -> None:
    """Sample ``i``'s LP to year-end ``j``, written into ``solved``."""
    m = int(layout.year_ends[j]) + 1  # months in the program
    columns, x_cols = m * layout.width, programs.x_cols[:m]
    counted = np.arange(m)[:, None] + numbers.lag[:, i][None, :] <= m - 1  # (months, V): delivered in time
    cost = np.zeros(columns)
    cost[x_cols] = -numbers.gain[:, :m, i].T * counted
    upper = np.full(columns, np.inf)
    upper[x_cols] = np.where(numbers.active[:, :m, i].T, np.inf, 0.0)
    values = numbers.values[:, i]
    result = linprog(
        cost,
        A_ub=programs.ub[j].filled(values[programs.ub_values]),
        b_ub=numbers.limits[: m * layout.ub_rows, i],
        A_eq=programs.eq[j].filled(values[programs.eq_values]) if layout.eq_rows else None,
        b_eq=np.zeros(m * layout.eq_rows) if layout.eq_rows else None,
        bounds=np.column_stack([np.zeros(columns), upper]),
        method="highs",
    )
    if result.status != 0:
        sample = numbers.first + i
        raise SimulationError(f"foresight: the LP of sample {sample} to month {m - 1} failed: {result.message}")
    attempts = result.x[x_cols] * counted
    solved.objective[j, i] = -result.fun
    solved.compute[j, i] = float((attempts * numbers.compute[:, :m, i].T).sum())
    solved.units[j, i] = float((attempts * numbers.units[:, :m, i].T).sum())
    duals = result.ineqlin.marginals.reshape(m, layout.ub_rows)[:, : layout.accounts]
    solved.prices[j, :, :m, i] = -duals.T


def _warm_up() -> None:
    """A task that only makes a fresh worker process import this module."""


def _batch(numbers: _Numbers, start: int, stop: int) -> _Numbers:
    """Samples ``start:stop`` of a block's numbers."""
    part = slice(start, stop)
    return _Numbers(
        numbers.first + start,
        numbers.values[:, part],
        numbers.limits[:, part],
        numbers.active[..., part],
        numbers.gain[..., part],
        numbers.compute[..., part],
        numbers.units[..., part],
        numbers.lag[:, part],
    )


def _join(parts: list[_Solved]) -> _Solved:
    return _Solved(*(np.concatenate([getattr(p, f) for p in parts], axis=-1) for f in _Solved._fields))


# ------------------------------------------------------------------ the engine's side


def _engine(plan: Plan, supply: Supply, numbers: _Numbers, ends: IntArray) -> FloatArray:
    """(3, years, n): the month-by-month engine's objective, compute and units to each year-end."""
    attempts = simulate(plan, supply, supply.bill.shape[2]).attempts  # (V, T, n)
    delivered = np.arange(attempts.shape[1])[None, :, None] + numbers.lag[:, None, :]
    out = np.zeros((3, len(ends), attempts.shape[2]))
    for j, e in enumerate(ends):
        counted = attempts * (delivered <= e)
        for r, per_attempt in enumerate((numbers.gain, numbers.compute, numbers.units)):
            out[r, j] = (counted * per_attempt).sum(axis=(0, 1))
    return out


Wafers = list[tuple[list[int], FloatArray]]
"""Per fab-line pool: its accounts, and each one's good dies per wafer start (·, T, n)."""


def _wafers(plan: Plan, supply: Supply) -> Wafers:
    """Good dies per wafer start into each account of every fab-line pool: the pool's
    (:attr:`Supply.dies_per_start`) times the account's share."""
    T, n = supply.arrivals.shape[1:]
    found = []
    for p, per_start in enumerate(supply.dies_per_start):
        if per_start is not None:
            accounts = [a for a, acc in enumerate(plan.accounts) if not acc.line and acc.pool == p]
            shares = [np.broadcast_to(per_start * supply.account_share[a], (T, n)) for a in accounts]
            found.append((accounts, np.stack(shares)))
    return found


def _wafer_prices(wafers: Wafers, prices: FloatArray) -> FloatArray:
    """(years, fab pools, T, n): value of one more wafer start whose dies arrive in month t."""
    out = np.zeros((prices.shape[0], len(wafers), *prices.shape[2:]))
    for i, (accounts, per_start) in enumerate(wafers):
        out[:, i] = (prices[:, accounts] * per_start[None]).sum(axis=1)
    return out


# ------------------------------------------------------------------ the result


class PriceRow(NamedTuple):
    """What a shadow price is of: a ``part`` or a ``package`` of capacity arriving in an
    account, or a ``wafer`` start of a fab-line pool."""

    kind: str
    name: str
    component: str
    owner: str


@dataclass(frozen=True)
class ForesightResult:
    """The perfect-foresight bound of a run's samples beside the month-by-month engine's
    result on the same objective and the same samples (sample i of ``run(loaded,
    samples=N, seed=seed)``), to each year-end; shadow prices per account and month.

    ``bound`` and ``engine`` are (3, years, samples): the objective, its compute (H100e of
    domestic units delivered by the year-end) and its units. Under ``compute`` the units
    are those of one optimal plan, not a bound on units (use ``objective="units"``).
    ``prices`` (years, accounts, T, samples) is the value, on the objective to each
    year-end, of one more part arriving in an account in a month (a packaging line: one
    more package of capacity); ``wafer_prices`` (years, fab pools, T, samples) of one more
    wafer start whose dies arrive in that month. Both are 0 after the year-end."""

    scenario: str
    seed: int
    samples: int
    objective: str
    years: tuple[int, ...]
    months: IntArray
    accounts: tuple[str, ...]
    components: tuple[str, ...]  # per account: its component, or "packaging"
    owners: tuple[str, ...]  # per account: its owner, or "shared"
    fab_pools: tuple[str, ...]
    bound: FloatArray
    engine: FloatArray
    prices: FloatArray
    wafer_prices: FloatArray
    dropped: tuple[str, ...] = DROPPED
    seconds: float = 0.0

    @property
    def gap(self) -> FloatArray:
        """(years, samples): the value of planning, bound minus engine on the objective."""
        return np.asarray(self.bound[0] - self.engine[0])

    def year_percentiles(self) -> dict[str, FloatArray]:
        """P5, P50 and P95 (3, years) of each per-sample series: ``engine``, ``bound`` and
        ``gap`` on the objective, and the compute and units of both."""
        series = {"engine": self.engine[0], "bound": self.bound[0], "gap": self.gap}
        for r, what in ((1, "compute"), (2, "units")):
            series |= {f"engine_{what}": self.engine[r], f"bound_{what}": self.bound[r]}
        return {name: sample_percentiles(values, PERCENTILES, axis=1) for name, values in series.items()}

    def table(self) -> pd.DataFrame:
        """One row per year: P50 of the engine and of the bound on the objective, the
        paired gap's P5, P50 and P95, and the P50 compute and units of both."""
        pct = self.year_percentiles()
        table = pd.DataFrame({"year": self.years, "objective": self.objective})
        table["engine_p50"], table["bound_p50"] = pct["engine"][1], pct["bound"][1]
        table["gap_p50"], table["gap_p5"], table["gap_p95"] = pct["gap"][1], pct["gap"][0], pct["gap"][2]
        for name in ("engine_compute", "bound_compute", "engine_units", "bound_units"):
            table[f"{name}_p50"] = pct[name][1]
        return table

    @property
    def price_rows(self) -> tuple[PriceRow, ...]:
        """What each row of :meth:`price_percentiles` prices: every account, then every
        fab-line pool's wafer starts."""
        accounts = zip(self.accounts, self.components, self.owners, strict=True)
        parts = (PriceRow("package" if c == "packaging" else "part", name, c, o) for name, c, o in accounts)
        return (*parts, *(PriceRow("wafer", pool, "wafer starts", "") for pool in self.fab_pools))

    def price_percentiles(self, end: int) -> FloatArray:
        """(3, price rows, years): P5, P50 and P95 over samples of the mean value, on the
        objective to year-end ``end`` (an index into ``years``), of one more part arriving
        in a month of each year; NaN for years after the year-end."""
        values = np.concatenate([self.prices[end], self.wafer_prices[end]])  # (rows, T, n)
        out = np.full((3, values.shape[0], len(self.years)), np.nan)
        for y, year in enumerate(self.years[: end + 1]):
            mean = values[:, self.months // 12 == year].mean(axis=1)
            out[:, :, y] = sample_percentiles(mean, PERCENTILES, axis=1)
        return out

    def shadow_table(self) -> pd.DataFrame:
        """One row per year-end of the objective, price row and year of arrival up to the
        year-end: P5, P50 and P95 (:meth:`price_percentiles`)."""
        rows = []
        for j, end in enumerate(self.years):
            pct = self.price_percentiles(j)
            for r, row in enumerate(self.price_rows):
                for y, year in enumerate(self.years[: j + 1]):
                    stats = {"p5": pct[0, r, y], "p50": pct[1, r, y], "p95": pct[2, r, y]}
                    rows.append({"year_end": end, **row._asdict(), "year": year, **stats})
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """The summary as plain data (the tables as lists of records)."""
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "samples": self.samples,
            "objective": self.objective,
            "dropped": list(self.dropped),
            "years": self.table().to_dict("records"),
            "shadow_prices": self.shadow_table().to_dict("records"),
        }


# ------------------------------------------------------------------ the run


@contextmanager
def _worker_pool(workers: int) -> Iterator[Executor | None]:
    """``workers`` processes (None for one: solve here), started at once so that they
    import this module while the first supply is built. Spawned, not forked: the parent
    may hold the compiled kernels' threads. Work still queued is cancelled on the way out
    (an interrupt does not wait for it)."""
    if workers <= 1:
        yield None
        return
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))
    try:
        for _ in range(workers):
            pool.submit(_warm_up)
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _batches(pool: Executor | None, layout: _Layout, numbers: _Numbers) -> list[Future[_Solved]]:
    """The block's samples in batches, solved by ``pool`` (or here and now when None)."""
    n = numbers.lag.shape[1]
    batches = [_batch(numbers, start, min(start + BATCH, n)) for start in range(0, n, BATCH)]
    if pool is not None:
        return [pool.submit(_solve_batch, layout, batch) for batch in batches]
    done = []
    for batch in batches:
        future: Future[_Solved] = Future()
        future.set_result(_solve_batch(layout, batch))
        done.append(future)
    return done


def _gather(pending: list[list[Future[_Solved]]], progress: Progress | None, samples: int) -> list[_Solved]:
    """Each block's batches joined in sample order, reporting progress as they come in."""
    solved, done = [], 0
    for futures in pending:
        parts = []
        for future in futures:
            parts.append(future.result())
            done += parts[-1].objective.shape[1]
            if progress is not None:
                progress(done, samples)
        solved.append(_join(parts))
    return solved


def _labels(plan: Plan) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    components = tuple("packaging" if a.line else plan.components[a.component] for a in plan.accounts)
    owners = tuple(a.owner or "shared" for a in plan.accounts)
    scenario = plan.loaded.scenario
    fab = tuple(p.name for p in plan.pools if scenario.sources[p.source].kind == "fab_line")
    return tuple(a.name for a in plan.accounts), components, owners, fab


def foresight(
    loaded: LoadedScenario,
    *,
    samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
    workers: int = DEFAULT_WORKERS,
    objective: str = "compute",
    progress: Progress | None = None,
) -> ForesightResult:
    """The perfect-foresight bound of ``samples`` samples of a loaded scenario, beside the
    month-by-month engine's result on the same samples (those of ``run(loaded,
    samples=samples, seed=seed)``).

    ``objective`` is ``compute`` (H100e of domestic units delivered) or ``units``.
    ``workers`` processes solve the samples' LPs (1: in this process); the result does
    not depend on it. Spawned worker processes import the caller's main module: a script
    that calls this with ``workers > 1`` needs an ``if __name__ == "__main__":`` guard.
    ``progress(done, samples)`` is called as batches finish.

    >>> from stackbound.scenario.loader import load_scenario
    >>> result = foresight(load_scenario("example"), samples=4, workers=1)
    >>> bool((result.gap >= -1e-6 * np.maximum(result.bound[0], 1.0)).all())
    True
    """
    if samples < 1 or workers < 1:
        raise SimulationError(f"samples and workers must be at least 1, got {samples} and {workers}")
    if objective not in OBJECTIVES:
        raise SimulationError(f"objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}")
    started = time.perf_counter()
    plan = build_plan(loaded)
    layout = _build_layout(plan)
    blocks = [(b, min(BLOCK_SIZE, samples - b * BLOCK_SIZE)) for b in range(-(-samples // BLOCK_SIZE))]
    engine, wafers, pending = [], [], []
    with _worker_pool(workers) as pool:
        for block, size in blocks:
            with threadpool_limits(limits=1, user_api="blas"), np.errstate(all="ignore"):
                supply = build_supply(plan, _draws(loaded, seed, [(block, size)], None, True), size)
                numbers = _numbers(plan, supply, objective, block * BLOCK_SIZE)
                engine.append(_engine(plan, supply, numbers, layout.year_ends))
            wafers.append(_wafers(plan, supply))
            pending.append(_batches(pool, layout, numbers))
        solved = _gather(pending, progress, samples)
    accounts, components, owners, fab = _labels(plan)
    bound = np.concatenate([np.stack(s[:3]) for s in solved], axis=-1)
    prices = [s.prices for s in solved]
    return ForesightResult(
        scenario=loaded.scenario.name,
        seed=seed,
        samples=samples,
        objective=objective,
        years=tuple(int(plan.months[e] // 12) for e in layout.year_ends),
        months=plan.months,
        accounts=accounts,
        components=components,
        owners=owners,
        fab_pools=fab,
        bound=bound,
        engine=np.concatenate(engine, axis=-1),
        prices=np.concatenate(prices, axis=-1),
        wafer_prices=np.concatenate([_wafer_prices(w, p) for w, p in zip(wafers, prices, strict=True)], axis=-1),
        seconds=time.perf_counter() - started,
    )
