"""Monthly output series of one block, derived from its paths and supply.

All series are ``(T, n)`` arrays (months first). Lags are whole months per sample:
packaging (attempt started → good unit), delivery (good unit → installed), service life
(installed → retired). Compute, bandwidth and value are units times the product's
per-unit figures, or, for a product whose variants have specs of their own, the sum over
its variants of good units times each variant's figure, lagged and retired as units are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from stackbound.engine.allocate import Paths
from stackbound.engine.compiled import njit
from stackbound.engine.plan import Plan, origin_groups
from stackbound.engine.supply import Supply
from stackbound.engine.workspace import Workspace, empty, zeros

__all__ = ["BlockOutputs", "derive"]

FloatArray = NDArray[np.float64]
EMPTY = 1e-6
"""A stockpile holding less than this many components counts as run out."""


@njit(nogil=True)
def _runway_into(closing, months_left, first):  # type: ignore[no-untyped-def]
    """Months until each stockpile next holds at most ``EMPTY`` (censored at the horizon
    end) and the first such month index (T if never); closing is (stockpiles, T, n)."""
    piles, T, n = closing.shape
    next_empty = np.empty(n, np.int64)
    for s in range(piles):
        next_empty[:] = T
        for t in range(T - 1, -1, -1):  # month by month: rows, not columns, stay in cache
            for i in range(n):
                if closing[s, t, i] <= EMPTY:
                    next_empty[i] = t
                months_left[s, t, i] = next_empty[i] - t
        first[s] = next_empty


@dataclass
class BlockOutputs:
    """Per-product, per-component and per-stockpile monthly series of one block; the
    ``*_total`` series are summed over products."""

    produced: FloatArray  # (products, T, n) units made (imports included for imported products)
    produced_by_variant: FloatArray  # (variants, T, n) good units out of packaging
    delivered: FloatArray  # (products, T, n) units installed
    compute_added: FloatArray  # (products, T, n) H100e delivered, raw
    effective_added: FloatArray  # (products, T, n) times platform utilisation
    installed_total: FloatArray  # (T, n) H100e in service
    effective_installed_total: FloatArray  # (T, n)
    bandwidth_total: FloatArray  # (T, n) TB/s delivered
    consumed: FloatArray  # (components, T, n)
    made: FloatArray  # (components, T, n) good dies and stacks from fab and memory lines
    value: FloatArray  # (products, T, n) USD of units produced
    stranded: FloatArray  # (components, T, n)
    stock: FloatArray  # (stockpiles, T, n) held at month end
    runway: FloatArray  # (stockpiles, T, n)
    runout: NDArray[np.int64]  # (stockpiles, n) first empty month index, T if never
    rental: FloatArray  # (T, n) H100e accessible offshore
    binding: NDArray[np.int8]  # (variants, T, n)
    starved: NDArray[np.bool_]  # (variants, T, n)
    relief: FloatArray  # (variants, T, n) good units the binding limit cost
    parts_made: FloatArray  # (component accounts, T, n) what came into each account
    parts_drawn: FloatArray  # (component accounts, T, n) what was drawn out of it
    parts_good: FloatArray  # (component accounts, T, n) of that, what went into good packages
    parts_idle: FloatArray  # (component accounts, T, n) held at month end: idle,
    parts_stranded: FloatArray  # ... stranded,
    parts_policy: FloatArray  # ... and held by policy
    by_die_source: FloatArray  # (origin groups, T, n) good units out of packaging by the source of their dies


@njit(nogil=True)
def _products_into(  # type: ignore[no-untyped-def]
    good,
    variant_product,
    variant_line,
    packaging_lag,
    work_in_progress,
    imports,
    delivery_lag,
    installed_base,
    service_life,
    h100e,
    utilisation,
    bandwidth,
    price,
    priced,
    own_specs,
    by_variant,
    made,
    delivered,
    produced,
    compute_added,
    effective_added,
    value,
    installed_total,
    effective_installed,
    bandwidth_total,
    arrived,
):
    """Every per-product series of a block: good units out of packaging (lagged per
    line), made, delivered (lagged), compute added, in service (installed base plus
    arrivals less retirements after the service life) and value. Products whose variants
    have specs of their own (``own_specs``) get units only: their compute, bandwidth and
    value are summed variant by variant in :func:`_own_specs_into`.
    Lags must be at least 0 (supply clamps them; nothing here checks an index).
    ``arrived`` is a (T, n) work array. Sums run in a fixed order (variants by priority,
    products in order), so results never depend on how samples are grouped."""
    variants, T, n = good.shape
    products = made.shape[0]
    for v in range(variants):
        line = variant_line[v]
        for t in range(T):
            for i in range(n):
                source = t - (packaging_lag[line, i] if line >= 0 else 0)
                by_variant[v, t, i] = good[v, source, i] if source >= 0 else 0.0
    installed_total[:, :] = 0.0
    effective_installed[:, :] = 0.0
    bandwidth_total[:, :] = 0.0
    for p in range(products):
        made[p] = work_in_progress[p]
        for v in range(variants):
            if variant_product[v] == p:
                made[p] += by_variant[v]
        # Four passes over a few arrays each: measured faster than one pass over a dozen.
        for t in range(T):
            for i in range(n):
                source = t - delivery_lag[p, i]
                units = imports[p, t, i] + (made[p, source, i] if source >= 0 else 0.0)
                delivered[p, t, i] = units
                arrived[t, i] = units if t == 0 else arrived[t - 1, i] + units
        if own_specs[p]:  # units only; the rest in _own_specs_into
            for t in range(T):
                for i in range(n):
                    produced[p, t, i] = made[p, t, i] + imports[p, t, i]
            continue
        for t in range(T):
            for i in range(n):
                retired = t - service_life[p, i]
                gone = arrived[retired, i] if retired >= 0 else 0.0
                in_service = (installed_base[p, t, i] + arrived[t, i] - gone) * h100e[p, i]
                installed_total[t, i] += in_service
                effective_installed[t, i] += in_service * utilisation[p, t, i]
        for t in range(T):
            for i in range(n):
                units = delivered[p, t, i]
                bandwidth_total[t, i] += units * bandwidth[p, i]
                added = units * h100e[p, i]
                compute_added[p, t, i] = added
                effective_added[p, t, i] = added * utilisation[p, t, i]
        for t in range(T):
            for i in range(n):
                out = made[p, t, i] + imports[p, t, i]
                produced[p, t, i] = out
                value[p, t, i] = out * price[p, i] if priced[p] else 0.0


H100E, TBPS, USD = 0, 1, 2
"""The rows of a per-unit figures array: H100e, TB/s and USD per unit."""


@njit(nogil=True)
def _own_specs_into(  # type: ignore[no-untyped-def]
    own_specs,
    by_variant,
    variant_product,
    variant_figures,
    figures,
    priced,
    work_in_progress,
    imports,
    delivery_lag,
    installed_base,
    service_life,
    utilisation,
    compute_added,
    effective_added,
    value,
    installed_total,
    effective_installed,
    bandwidth_total,
    made,
    arrived,
):
    """Compute added and in service, bandwidth delivered and value of the products whose
    variants have specs of their own, figure by figure (rows of ``figures``, per product,
    and ``variant_figures``, per variant: H100e, TB/s, USD per unit): the figure made each
    month is work in progress at the product's figure plus each variant's good units at
    the variant's; it is valued when made, delivered after the delivery lag beside imports
    at the product's figure, and, for H100e, in service (beside the installed base at the
    product's figure) until the service life ends, as units are in :func:`_products_into`.
    ``made`` and ``arrived`` are (T, n) work arrays."""
    variants, T, n = by_variant.shape
    for p in range(own_specs.shape[0]):
        if not own_specs[p]:
            continue
        for f in range(3):
            for t in range(T):
                for i in range(n):
                    made[t, i] = work_in_progress[p, t, i] * figures[p, f, i]
            for v in range(variants):
                if variant_product[v] == p:
                    for t in range(T):
                        for i in range(n):
                            made[t, i] += by_variant[v, t, i] * variant_figures[v, f, i]
            if f == USD:
                for t in range(T):
                    for i in range(n):
                        out = made[t, i] + imports[p, t, i] * figures[p, f, i]
                        value[p, t, i] = out if priced[p] else 0.0
                continue
            for t in range(T):
                for i in range(n):
                    source = t - delivery_lag[p, i]
                    added = imports[p, t, i] * figures[p, f, i] + (made[source, i] if source >= 0 else 0.0)
                    if f == TBPS:
                        bandwidth_total[t, i] += added
                        continue
                    compute_added[p, t, i] = added
                    effective_added[p, t, i] = added * utilisation[p, t, i]
                    arrived[t, i] = added if t == 0 else arrived[t - 1, i] + added
            if f == H100E:
                for t in range(T):
                    for i in range(n):
                        retired = t - service_life[p, i]
                        gone = arrived[retired, i] if retired >= 0 else 0.0
                        in_service = installed_base[p, t, i] * figures[p, f, i] + arrived[t, i] - gone
                        installed_total[t, i] += in_service
                        effective_installed[t, i] += in_service * utilisation[p, t, i]


@njit(nogil=True)
def _sum_rows(values, row_of, out):  # type: ignore[no-untyped-def]
    """out[row_of[a]] += values[a] for every a with row_of[a] ≥ 0, in order of a, from 0."""
    out[:] = 0.0
    for a in range(values.shape[0]):
        r = row_of[a]
        if r >= 0:
            for t in range(values.shape[1]):
                for i in range(values.shape[2]):
                    out[r, t, i] += values[a, t, i]


def _summed(
    plan: Plan, accounts: FloatArray, rows: list[int], key: str, workspace: Workspace | None, name: str
) -> FloatArray:
    """(len(rows), T, n): an account series summed over the component accounts whose
    ``key`` (``component`` or ``pool``) is each of ``rows``."""
    row_of = np.full(len(plan.accounts), -1, dtype=np.int64)
    for a, account in enumerate(plan.accounts):
        index = getattr(account, key)
        if not account.line and index in rows:
            row_of[a] = rows.index(index)
    result = empty(workspace, name, (len(rows), *accounts.shape[1:]))
    _sum_rows(accounts, row_of, result)
    return result


def derive(plan: Plan, supply: Supply, paths: Paths, workspace: Workspace | None = None) -> BlockOutputs:
    """Everything the results keep, from one block's monthly paths (in ``workspace``, when
    given, overwritten by its next chunk)."""
    V, T, n = paths.good.shape
    P = len(plan.products)
    ws = workspace
    by_variant = empty(ws, "by_variant", (V, T, n))
    made, delivered, produced = (empty(ws, name, (P, T, n)) for name in ("made", "delivered", "produced"))
    compute_added, effective_added, value = (
        empty(ws, name, (P, T, n)) for name in ("compute_added", "effective_added", "value")
    )
    installed_total, effective_installed, bandwidth = (
        empty(ws, name, (T, n)) for name in ("installed_total", "effective_installed", "bandwidth_total")
    )
    priced = np.asarray(supply.price.any(axis=1))  # a product is valued when it or a variant has a price
    np.logical_or.at(priced, plan.arrays.variant_product, supply.variant_price.any(axis=1))
    arrived = empty(ws, "arrived_units", (T, n))
    _products_into(
        paths.good,
        plan.arrays.variant_product,
        plan.arrays.variant_line,
        supply.packaging_lag if supply.packaging_lag.size else np.zeros((1, n), np.int64),
        supply.work_in_progress,
        supply.imports,
        supply.delivery_lag,
        supply.installed_base,
        supply.service_life,
        supply.h100e,
        supply.utilisation,
        supply.bandwidth,
        supply.price,
        priced,
        supply.own_specs,
        by_variant,
        made,
        delivered,
        produced,
        compute_added,
        effective_added,
        value,
        installed_total,
        effective_installed,
        bandwidth,
        arrived,
    )
    if supply.own_specs.any():
        _own_specs_into(
            supply.own_specs,
            by_variant,
            plan.arrays.variant_product,
            np.stack([supply.variant_h100e, supply.variant_bandwidth, supply.variant_price], axis=1),
            np.stack([supply.h100e, supply.bandwidth, supply.price], axis=1),
            priced,
            supply.work_in_progress,
            supply.imports,
            supply.delivery_lag,
            supply.installed_base,
            supply.service_life,
            supply.utilisation,
            compute_added,
            effective_added,
            value,
            installed_total,
            effective_installed,
            bandwidth,
            empty(ws, "figure_made", (T, n)),
            arrived,
        )
    made_by_lines = zeros(ws, "made_by_lines", (len(plan.components), T, n))
    for p in plan.lines:
        made_by_lines[plan.pools[p].component] += supply.arrivals[p]
    stockpiles = list(plan.stockpiles)
    stock = _summed(plan, paths.closing, stockpiles, "pool", ws, "stock")
    held = slice(0, len(plan.component_accounts))  # component accounts come first
    months_left = empty(ws, "months_left", (len(stockpiles), T, n))
    runout = np.empty((len(stockpiles), n), np.int64)
    _runway_into(stock, months_left, runout)
    return BlockOutputs(
        produced=produced,
        produced_by_variant=by_variant,
        delivered=delivered,
        compute_added=compute_added,
        effective_added=effective_added,
        installed_total=installed_total,
        effective_installed_total=effective_installed,
        bandwidth_total=bandwidth,
        consumed=_summed(plan, paths.drawn, list(range(len(plan.components))), "component", ws, "consumed"),
        made=made_by_lines,
        value=value,
        stranded=_summed(plan, paths.stranded, list(range(len(plan.components))), "component", ws, "stranded_sum"),
        stock=stock,
        runway=months_left,
        runout=runout,
        rental=supply.rental,
        binding=paths.binding,
        starved=paths.starved,
        relief=paths.relief,
        parts_made=paths.arrived[held],
        parts_drawn=paths.drawn[held],
        parts_good=paths.used[held],
        parts_idle=paths.idle[held],
        parts_stranded=paths.stranded[held],
        parts_policy=paths.policy[held],
        by_die_source=paths.origin[: len(origin_groups(plan))],  # one padding row when there are none
    )
