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
    index = np.arange(T)[:, None] - months[None, :]
    shifted = np.take_along_axis(series, np.clip(index, 0, T - 1), axis=0)
    return np.where(index >= 0, shifted, 0.0)


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
    """Per-product, per-component and per-stockpile monthly series of one block."""

    produced: FloatArray  # (products, T, n)
    delivered: FloatArray  # (products, T, n)
    installed: FloatArray  # (products, T, n) units in service
    compute_added: FloatArray  # (products, T, n) H100e, raw
    effective_added: FloatArray  # (products, T, n) H100e, times platform utilisation
    installed_h100e: FloatArray  # (products, T, n)
    effective_installed: FloatArray  # (products, T, n)
    bandwidth_added: FloatArray  # (products, T, n) TB/s
    consumed: FloatArray  # (components, T, n)
    held: FloatArray  # (components, T, n)
    stranded: FloatArray  # (components, T, n)
    runway: FloatArray  # (stockpiles, T, n)
    runout: NDArray[np.int64]  # (stockpiles, n) first empty month index, T if never
    rental: FloatArray  # (T, n) H100e accessible offshore
    binding: NDArray[np.int8]  # (variants, T, n)
    starved: NDArray[np.bool_]  # (variants, T, n)


def _by_component(plan: Plan, pools: FloatArray) -> FloatArray:
    result = np.zeros((len(plan.components), *pools.shape[1:]))
    for c, order in enumerate(plan.draw_order):
        for p in order:
            result[c] += pools[p]
    return result


def derive(plan: Plan, supply: Supply, paths: Paths) -> BlockOutputs:
    """Everything the results keep, from one block's monthly paths."""
    P = len(plan.products)
    made = supply.work_in_progress.copy()
    for v, spec in enumerate(plan.variants):
        line_lag = supply.packaging_lag[spec.packaging] if spec.packaging is not None else np.zeros(made.shape[2], np.int64)
        made[spec.product] += lag(paths.good[v], line_lag)
    produced = made + supply.imports
    delivered = np.stack([lag(made[p], supply.delivery_lag[p]) for p in range(P)]) + supply.imports
    arrived = np.cumsum(delivered, axis=1)
    retired = np.stack([lag(arrived[p], supply.service_life[p]) for p in range(P)])
    installed = supply.installed_base + arrived - retired
    h100e = supply.h100e[:, None, :]
    stockpiles = plan.stockpiles
    runways = [runway(paths.closing[p]) for p in stockpiles]
    n = paths.closing.shape[2]
    return BlockOutputs(
        produced=produced,
        delivered=delivered,
        installed=installed,
        compute_added=delivered * h100e,
        effective_added=delivered * h100e * supply.utilisation,
        installed_h100e=installed * h100e,
        effective_installed=installed * h100e * supply.utilisation,
        bandwidth_added=delivered * supply.bandwidth[:, None, :],
        consumed=_by_component(plan, paths.consumed),
        held=_by_component(plan, paths.closing),
        stranded=paths.stranded,
        runway=np.stack([r for r, _ in runways]) if runways else np.zeros((0, len(plan.months), n)),
        runout=np.stack([f for _, f in runways]) if runways else np.zeros((0, n), np.int64),
        rental=supply.rental,
        binding=paths.binding,
        starved=paths.starved,
    )
