"""The monthly loop: arrivals, allocation, consumption, carry-over.

One pass over the months, compiled (:mod:`stackbound.engine.kernel`): the whole horizon is
one call over all samples of a block (in exact mode, two calls per month around the
solver), so Python work never grows with samples. Each month:

1. arrivals are added to every account (an owner's part of a pool; a packaging line's
   account holds its capacity afresh); what may be drawn is the holding within a
   stockpile's ``max_draw`` and planned runway; it is offered in slices: whole, split
   into a reserve and the rest, or split among claimant vendors in proportion to weights
   (water-filling on what each could use);
2. variants, in this month's priority order, each start as many package attempts as every
   limit allows: each use (a bill component, the packaging line) by the slices its vendor
   may draw on, its product's demand cap and (for domestic products) market demand left
   after imports, and draw them from those slices in draw order. Exact mode instead takes
   the attempts from a linear program (:mod:`stackbound.engine.exact`) and the kernel only
   applies them;
3. what was drawn leaves each account; the rest carries over:
   ``opening + arrivals − drawn = closing`` for every account, and the closing holding is
   idle, stranded or held by policy.

The binding constraint of an active variant is the limit that set its attempts (ties go
to the first in :class:`~stackbound.engine.plan.Plan` precedence); it is "starved by
priority" when that limit had been drawn down by higher-priority variants that month.
Stranded inventory is what an account holds at month end while an active variant that may
draw on it was bound by another component or by packaging and none by this component
(dies waiting for HBM, HBM waiting for dies).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from stackbound.engine.kernel import all_months, close_month, open_month, priority_ranks
from stackbound.engine.plan import Plan, origin_groups
from stackbound.engine.supply import Supply
from stackbound.engine.workspace import Workspace, empty, zeros

__all__ = ["MonthState", "Paths", "Solver", "account_arrivals", "kernel_inputs", "priority_order", "simulate"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class MonthState:
    """What a month's allocation starts from (the input of an exact solver): the size of
    every slice (a solver may rewrite the slices of proportional accounts: the month is then
    drawn from its slices), what each account may give, the demand caps and market demand,
    which variants are active, their good packages per attempt and this month's priority
    order."""

    month: int
    size: FloatArray  # (slices, n)
    drawable: FloatArray  # (accounts, n)
    demand_cap: FloatArray  # (products, n)
    market: FloatArray | None  # (n,)
    active: NDArray[np.bool_]  # (variants, n)
    good_per_attempt: FloatArray  # (variants, n)
    order: NDArray[np.int64]  # (variants, n): the variant at each rank


Solver = Callable[[MonthState], FloatArray]
"""Returns package attempts per variant, shape (variants, n)."""


@dataclass
class Paths:
    """Monthly paths of one block; shapes (·, T, n). Per account: ``drawn`` (taken out),
    ``used`` (of that, what went into good packages), ``closing`` (held at month end) and
    its parts ``idle``, ``stranded`` and ``policy`` (held by policy); ``origin`` (origin
    groups, T, n): good units out of packaging (in the month they are out, like units) per
    product and source of their dies (:func:`~stackbound.engine.outputs.origin_groups`)."""

    attempts: FloatArray
    good: FloatArray
    binding: NDArray[np.int8]
    starved: NDArray[np.bool_]
    relief: FloatArray
    drawn: FloatArray
    used: FloatArray
    origin: FloatArray
    closing: FloatArray
    idle: FloatArray
    stranded: FloatArray
    policy: FloatArray
    arrived: FloatArray
    """(accounts, T, n): what came into each account (a packaging line's: its capacity)."""


def account_arrivals(plan: Plan, supply: Supply, workspace: Workspace | None = None) -> FloatArray:
    """(accounts, T, n): each account's part of its pool's arrivals or its line's capacity."""
    T, n = supply.arrivals.shape[1], supply.arrivals.shape[2]
    out = empty(workspace, "arrived", (len(plan.accounts), T, n))
    for a, account in enumerate(plan.accounts):
        whole = supply.capacity[account.pool] if account.line else supply.arrivals[account.pool]
        np.multiply(whole, supply.account_share[a], out=out[a])
    return out


def _rows(
    per_pool: list[FloatArray | None],
    plan: Plan,
    supply: Supply,
    months: int,
    n: int,
    *,
    scaled: bool = True,
    workspace: Workspace | None = None,
    name: str = "",
) -> tuple[IntArray, FloatArray]:
    """Per account its row in a stacked array of a per-pool series (times the account's
    share, if ``scaled``), or −1."""
    of = np.full(len(plan.accounts), -1, dtype=np.int64)
    rows: list[FloatArray] = []
    for a, account in enumerate(plan.accounts):
        series = None if account.line else per_pool[account.pool]
        if series is not None:
            of[a] = len(rows)
            rows.append(series * supply.account_share[a] if scaled else series)
    stacked = empty(workspace, name, (max(len(rows), 1), months, n))
    for r, row in enumerate(rows):
        stacked[r] = row
    return of, stacked


def _weight_rows(
    plan: Plan, supply: Supply, months: int, n: int, workspace: Workspace | None
) -> tuple[IntArray, FloatArray]:
    of = np.full(len(plan.slices), -1, dtype=np.int64)
    rows: list[FloatArray] = []
    for s, piece in enumerate(plan.slices):
        account = plan.accounts[piece.account]
        if account.policy != "proportional":
            continue
        weight = supply.weights[piece.account][account.claimants.index(piece.vendor)]
        if weight is not None:
            of[s] = len(rows)
            rows.append(weight)
    stacked = empty(workspace, "weights", (max(len(rows), 1), months, n))
    for r, row in enumerate(rows):
        stacked[r] = row
    return of, stacked


def _coefficients(plan: Plan, supply: Supply, n: int, workspace: Workspace | None = None) -> FloatArray:
    """(variants, uses, n): per attempt, each bill component's amount, then the slots."""
    K = plan.arrays.use_code.shape[1]
    coef = zeros(workspace, "coefficients", (len(plan.variants), K, n))
    for v, spec in enumerate(plan.variants):
        for k, c in enumerate(spec.components):
            coef[v, k] = supply.bill[v, c]
        if spec.packaging is not None:
            coef[v, len(spec.components)] = supply.slots[v]
    return coef


def _origin_groups(plan: Plan) -> IntArray:
    """(variants, most origins of one variant): each die origin's row among the origin groups."""
    groups = origin_groups(plan)
    table = np.zeros((len(plan.variants), max((len(o) for o in plan.origins), default=1) or 1), dtype=np.int64)
    for v, (spec, sources) in enumerate(zip(plan.variants, plan.origins, strict=True)):
        for o, source in enumerate(sources):
            table[v, o] = groups.index((plan.products[spec.product], source))
    return table


def _variant_lags(plan: Plan, supply: Supply, n: int) -> IntArray:
    """(variants, n): months from attempt to good unit out of packaging."""
    lags = np.zeros((len(plan.variants), n), dtype=np.int64)
    for v, spec in enumerate(plan.variants):
        if spec.packaging is not None:
            lags[v] = supply.packaging_lag[spec.packaging]
    return lags


def priority_order(plan: Plan, supply: Supply, workspace: Workspace | None = None) -> NDArray[np.int64]:
    """The variant at each rank: (1, V, 1) for fixed priorities (the plan's order), else
    (T, V, n) from each month's and sample's priorities; equal priorities keep the plan's
    order (a stable sort)."""
    if supply.priority is None:
        return np.arange(len(plan.variants), dtype=np.int64)[None, :, None]
    V, T, n = supply.priority.shape
    ranks = empty(workspace, "order", (T, V, n), np.int64)
    priority_ranks(np.ascontiguousarray(supply.priority, dtype=np.float64), ranks)
    return ranks


def kernel_inputs(
    plan: Plan, supply: Supply, workspace: Workspace | None = None
) -> tuple[tuple[object, ...], tuple[object, ...]]:
    """The plan's structure and one block's exogenous arrays, in the order the compiled
    kernels (:mod:`stackbound.engine.kernel`) read them."""
    static = plan.arrays
    T, n = supply.arrivals.shape[1], supply.arrivals.shape[2]
    ws = workspace
    ration_of, rations = _rows(supply.max_draw, plan, supply, T, n, workspace=ws, name="rations")
    runway_of, runway_left = _rows(supply.runway_left, plan, supply, T, n, scaled=False, workspace=ws, name="runway")
    after = [
        None if left is None else (np.zeros((T, n)) if later is None else later)
        for left, later in zip(supply.runway_left, supply.scheduled_after, strict=True)
    ]
    _, runway_after = _rows(after, plan, supply, T, n, workspace=ws, name="runway_after")
    reserve_of, reserve_level = _rows(supply.reserve, plan, supply, T, n, workspace=ws, name="reserve")
    weight_of, weights = _weight_rows(plan, supply, T, n, ws)
    market = supply.market if supply.market is not None else np.full((T, n), np.inf)
    structure = (
        static.account_line,
        static.account_policy,
        static.account_slices,
        static.slice_account,
        static.slice_kind,
        static.slice_vendor,
        static.use_slices,
        static.use_code,
        static.use_origin,
        static.die_use,
        static.variant_product,
        static.variant_vendor,
        static.variant_domestic,
        static.use_component,
        plan.code_demand,
        plan.code_market,
        plan.code_packaging,
        bool((static.account_policy == 2).any()),
        len(plan.components),
        static.account_component,
        _origin_groups(plan),
    )
    block = (
        account_arrivals(plan, supply, ws),
        ration_of,
        rations,
        runway_of,
        runway_left,
        runway_after,
        reserve_of,
        reserve_level,
        weight_of,
        weights,
        _coefficients(plan, supply, n, ws),
        supply.variant_yield,
        supply.demand_cap,
        market,
        supply.market is not None,
        supply.active,
        priority_order(plan, supply, ws),
        _variant_lags(plan, supply, n),
    )
    return structure, block


def _state(
    t: int, plan: Plan, supply: Supply, size: FloatArray, drawable: FloatArray, order: NDArray[np.int64]
) -> MonthState:
    n = size.shape[1]
    active = supply.active[plan.arrays.variant_product, t]
    market = None if supply.market is None else supply.market[t].copy()
    ranks = np.broadcast_to(order[0 if order.shape[0] == 1 else t], (len(plan.variants), n)).copy()
    return MonthState(
        t,
        size.copy(),
        drawable.copy(),
        supply.demand_cap[:, t].copy(),
        market,
        active,
        supply.variant_yield[:, t].copy(),
        ranks,
    )


def simulate(
    plan: Plan, supply: Supply, n: int, solver: Solver | None = None, workspace: Workspace | None = None
) -> Paths:
    """Run the monthly loop for ``n`` samples; ``solver`` replaces greedy allocation. The
    paths live in ``workspace`` when one is given (overwritten by its next chunk)."""
    V, A, T = len(plan.variants), len(plan.accounts), len(plan.months)
    groups = len(origin_groups(plan))
    ws = workspace
    structure, block = kernel_inputs(plan, supply, ws)
    paths = Paths(  # every element is written by the kernels
        attempts=empty(ws, "attempts", (V, T, n)),
        good=empty(ws, "good", (V, T, n)),
        binding=empty(ws, "binding", (V, T, n), np.int8),
        starved=empty(ws, "starved", (V, T, n), np.bool_),
        relief=empty(ws, "relief", (V, T, n)),
        drawn=empty(ws, "drawn", (A, T, n)),
        used=empty(ws, "used", (A, T, n)),
        origin=zeros(ws, "origin", (max(groups, 1), T, n)),  # written ahead (by the packaging lag): zeroed once
        closing=empty(ws, "closing", (A, T, n)),
        idle=empty(ws, "idle", (A, T, n)),
        stranded=empty(ws, "stranded", (A, T, n)),
        policy=empty(ws, "policy", (A, T, n)),
        arrived=block[0],  # type: ignore[arg-type]
    )
    S = len(plan.slices)
    state = (
        zeros(ws, "inventory", (A, n)),
        zeros(ws, "held", (A, n)),
        zeros(ws, "drawable", (A, n)),
        zeros(ws, "size", (max(S, 1), n)),
    )
    outputs = (
        paths.attempts,
        paths.good,
        paths.binding,
        paths.starved,
        paths.relief,
        paths.drawn,
        paths.used,
        paths.origin,
        paths.closing,
        paths.idle,
        paths.stranded,
        paths.policy,
    )
    if solver is None:  # the whole horizon in one compiled call
        all_months(structure, block, state, outputs)
        return paths
    order = block[16]
    assert isinstance(order, np.ndarray)
    for t in range(T):
        open_month(t, structure, block, *state, outputs)
        month = _state(t, plan, supply, state[3], state[2], order)
        given = np.ascontiguousarray(solver(month))
        state[3][...] = month.size
        close_month(t, structure, block, *state, given, True, outputs)
    return paths
