"""Monthly output series of one block, derived from its paths and supply.

All series are ``(T, n)`` arrays (months first). Lags are whole months per sample:
packaging (attempt started → good unit), delivery (good unit → installed), service life
(installed → retired).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from stackbound.engine.allocate import Paths
from stackbound.engine.plan import Plan
from stackbound.engine.supply import Supply

__all__ = ["BlockOutputs", "derive", "lag", "runway"]

FloatArray = NDArray[np.float64]
EMPTY = 1e-6
"""A stockpile holding less than this many components counts as run out."""


def lag(series: FloatArray, months: NDArray[np.int64]) -> FloatArray:
    """``series`` (T, n) delayed by ``months`` (n,) per sample; zero before the delay."""
    T = series.shape[0]
    if months.size and (months == months[0]).all():
        shift = int(months[0])
        shifted = np.zeros_like(series)
        if 0 <= shift < T:
            shifted[shift:] = series[: T - shift]
        return shifted
    index = np.arange(T)[:, None] - months[None, :]
    taken = np.take_along_axis(series, np.clip(index, 0, T - 1), axis=0)
    return np.where(index >= 0, taken, 0.0)


def runway(closing: FloatArray) -> tuple[FloatArray, NDArray[np.int64]]:
    """Months until the stockpile next runs out, from each month (censored at the horizon
    end: a stockpile that never runs out shows the months left), and the first month index
    it is empty (T if never)."""
    T, n = closing.shape
    empty = closing <= EMPTY
    next_empty = np.full(n, T, dtype=np.int64)
    months_left = np.zeros((T, n))
    for t in range(T - 1, -1, -1):
        next_empty = np.where(empty[t], t, next_empty)
        months_left[t] = next_empty - t
    first = np.where(empty.any(axis=0), empty.argmax(axis=0), T)
    return months_left, first.astype(np.int64)


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


def _running_total(series: FloatArray) -> FloatArray:
    """Cumulative sum over months (row by row: much faster than ``cumsum(axis=0)``)."""
    total = series.copy()
    for t in range(1, total.shape[0]):
        total[t] += total[t - 1]
    return total


def _by_component(plan: Plan, pools: FloatArray) -> FloatArray:
    result = np.zeros((len(plan.components), *pools.shape[1:]))
    for c, order in enumerate(plan.draw_order):
        for p in order:
            result[c] += pools[p]
    return result


def _made(plan: Plan, supply: Supply, paths: Paths) -> tuple[FloatArray, FloatArray]:
    """Good units out of packaging per variant, and per product with work in progress."""
    made = supply.work_in_progress.copy()
    by_variant = np.empty_like(paths.good)
    no_lag = np.zeros(made.shape[2], np.int64)
    for v, spec in enumerate(plan.variants):
        line_lag = supply.packaging_lag[spec.packaging] if spec.packaging is not None else no_lag
        by_variant[v] = lag(paths.good[v], line_lag)
        made[spec.product] += by_variant[v]
    return made, by_variant


def derive(plan: Plan, supply: Supply, paths: Paths) -> BlockOutputs:
    """Everything the results keep, from one block's monthly paths."""
    made, by_variant = _made(plan, supply, paths)
    delivered = supply.imports.copy()
    installed_total = np.zeros(made.shape[1:])
    effective_installed = np.zeros(made.shape[1:])
    bandwidth = np.zeros(made.shape[1:])
    for p in range(len(plan.products)):
        delivered[p] += lag(made[p], supply.delivery_lag[p])
        arrived = _running_total(delivered[p])
        in_service = (supply.installed_base[p] + arrived - lag(arrived, supply.service_life[p])) * supply.h100e[p]
        installed_total += in_service
        effective_installed += in_service * supply.utilisation[p]
        bandwidth += delivered[p] * supply.bandwidth[p]
    compute_added = delivered * supply.h100e[:, None, :]
    produced = made + supply.imports
    value = np.zeros_like(produced)
    for priced in np.flatnonzero(supply.price.any(axis=1)):
        value[priced] = produced[priced] * supply.price[priced]
    made_by_lines = np.zeros((len(plan.components), *made.shape[1:]))
    for p in plan.lines:
        made_by_lines[plan.pools[p].component] += supply.arrivals[p]
    stockpiles = list(plan.stockpiles)
    runways = [runway(paths.closing[p]) for p in stockpiles]
    n = made.shape[2]
    return BlockOutputs(
        produced=produced,
        produced_by_variant=by_variant,
        delivered=delivered,
        compute_added=compute_added,
        effective_added=compute_added * supply.utilisation,
        installed_total=installed_total,
        effective_installed_total=effective_installed,
        bandwidth_total=bandwidth,
        consumed=_by_component(plan, paths.consumed),
        made=made_by_lines,
        value=value,
        stranded=paths.stranded,
        stock=paths.closing[stockpiles],
        runway=np.stack([r for r, _ in runways]) if runways else np.zeros((0, len(plan.months), n)),
        runout=np.stack([f for _, f in runways]) if runways else np.zeros((0, n), np.int64),
        rental=supply.rental,
        binding=paths.binding,
        starved=paths.starved,
        relief=paths.relief,
    )
