"""The reference model as a compiled per-sample loop (numba), on one core or on several.

The loop a practitioner would write by hand: the structure of ``reference.py`` as small
arrays, one compiled function that simulates one sample's 60 months, and two drivers over
the samples: :func:`simulate_serial` (``@njit``, one core) and :func:`simulate_parallel`
(``@njit(parallel=True)`` with ``prange``, numba's documented idiom for a loop over
independent items; the thread count is ``numba.set_num_threads``). Inputs are one row per
sample with the columns of :data:`reference.INPUTS`.

    columns = draws_matrix(draw_numpy(rng, n))
    units = simulate_serial(columns, *STRUCTURE)
"""

from __future__ import annotations

from collections.abc import Mapping

import numba
import numpy as np

from reference import (
    DEMAND_CAP,
    DRAW_ORDER,
    INPUTS,
    LAUNCH,
    LINE_LAG,
    MAX_DRAW,
    MONTHS,
    POOLS,
    VARIANTS,
    ZERO,
    FloatArray,
)

_COLUMN = {d.name: j for j, d in enumerate(INPUTS)}


def draws_matrix(draws: Mapping[str, FloatArray]) -> FloatArray:
    """The draws as one C-contiguous (samples × inputs) array, columns in INPUTS order."""
    return np.ascontiguousarray(np.stack([draws[d.name] for d in INPUTS], axis=1))


def _structure() -> tuple[np.ndarray, ...]:
    """The model's tables as arrays: per variant its product, line, slots, bill components
    and amounts; per component its pools in draw order (−1 pads short rows); per pool its
    monthly ration; per line its lag; per product its launch and demand cap."""
    width = max(len(v.bill) for v in VARIANTS)
    parts = np.full((len(VARIANTS), width), -1, np.int64)
    amounts = np.zeros((len(VARIANTS), width))
    for v, variant in enumerate(VARIANTS):
        for k, (c, amount) in enumerate(variant.bill):
            parts[v, k], amounts[v, k] = c, amount
    order = np.full((len(DRAW_ORDER), max(map(len, DRAW_ORDER))), -1, np.int64)
    for c, pools in enumerate(DRAW_ORDER):
        order[c, : len(pools)] = pools
    return (
        np.array([v.product for v in VARIANTS], np.int64),
        np.array([v.line for v in VARIANTS], np.int64),
        np.array([v.slots for v in VARIANTS]),
        parts,
        amounts,
        order,
        np.array(MAX_DRAW),
        np.array(LINE_LAG, np.int64),
        np.array(LAUNCH, np.int64),
        np.array(DEMAND_CAP),
    )


STRUCTURE = _structure()
"""Arguments after the draws of :func:`simulate_serial` and :func:`simulate_parallel`."""
_POOLS = len(POOLS)
# Columns of the draws (numba reads module globals as constants).
N5_START, N5_END, DIE_A_YIELD, DIE_B_YIELD = (
    _COLUMN[k] for k in ("n5_wafers_start", "n5_wafers_end", "die_a_yield", "die_b_yield")
)
N7_WAFERS, DIE_C_YIELD, DIE_BANK = (_COLUMN[k] for k in ("n7_wafers", "die_c_yield", "die_bank"))
HBM2E_GREY, HBM2E_STOCK, HBM2E_TRANCHE = (_COLUMN[k] for k in ("hbm2e_grey", "hbm2e_stock", "hbm2e_tranche"))
HBM3_START, HBM3_END, HBM3_YIELD = (_COLUMN[k] for k in ("hbm3_start", "hbm3_end", "hbm3_yield"))
HBM3E_STACKS, HBM3E_YIELD, GDDR, LPDDR = (
    _COLUMN[k] for k in ("hbm3e_stacks", "hbm3e_yield", "gddr_rate", "lpddr_rate")
)
LINE1_START, LINE1_END, LINE1_YIELD = (_COLUMN[k] for k in ("line1_start", "line1_end", "line1_yield"))
LINE2_CAPACITY, LINE2_YIELD = _COLUMN["line2_capacity"], _COLUMN["line2_yield"]


@numba.njit(inline="always")
def _ramp(start, end, t):  # type: ignore[no-untyped-def]
    t = min(max(t, 0), MONTHS - 1)
    return start + (end - start) * t / (MONTHS - 1)


@numba.njit(inline="always")
def _arrivals(d, t, out):  # type: ignore[no-untyped-def]
    """Month ``t``'s arrivals into each pool for one sample's draws ``d`` (INPUTS order)."""
    n5 = _ramp(d[N5_START], d[N5_END], t - 3)
    out[0] = n5 * 0.5 * 70 * d[DIE_A_YIELD]
    out[1] = d[DIE_BANK] if t == 0 else 0.0
    out[2] = n5 * 0.3 * 110 * d[DIE_B_YIELD]
    out[3] = d[N7_WAFERS] * 150 * d[DIE_C_YIELD]
    out[4] = d[HBM2E_GREY]
    out[5] = d[HBM2E_STOCK] if t == 0 else (d[HBM2E_TRANCHE] if t == 12 else 0.0)
    out[6] = _ramp(d[HBM3_START], d[HBM3_END], t - 2) * d[HBM3_YIELD]
    out[7] = d[HBM3E_STACKS] * d[HBM3E_YIELD] if t - 3 >= 24 else 0.0
    out[8] = d[GDDR]
    out[9] = d[LPDDR]


@numba.njit(inline="always")
def _one(d, product, line, slots, parts, amounts, order, max_draw, lag, launch, cap):  # type: ignore[no-untyped-def]
    """Cumulative good units of one sample (the allocation of ``reference.simulate_one``)."""
    inventory = np.zeros(_POOLS)
    left = np.empty(_POOLS)
    arriving = np.empty(_POOLS)
    line_left = np.empty(2)
    cap_left = np.empty(cap.shape[0])
    yields = (d[LINE1_YIELD], d[LINE2_YIELD])
    total = 0.0
    for t in range(MONTHS):
        _arrivals(d, t, arriving)
        for p in range(_POOLS):
            inventory[p] += arriving[p]
            left[p] = min(inventory[p], max_draw[p])
        line_left[0] = _ramp(d[LINE1_START], d[LINE1_END], t)
        line_left[1] = d[LINE2_CAPACITY]
        cap_left[:] = cap
        for v in range(product.shape[0]):
            q, k = product[v], line[v]
            if t < launch[q]:
                continue
            y = yields[k]
            attempts = min(line_left[k] / slots[v], cap_left[q] / y)
            for b in range(parts.shape[1]):
                c = parts[v, b]
                if c >= 0:
                    room = 0.0
                    for j in range(order.shape[1]):
                        if order[c, j] >= 0:
                            room += left[order[c, j]]
                    attempts = min(attempts, room / amounts[v, b])
            if attempts <= ZERO:
                continue
            for b in range(parts.shape[1]):
                c = parts[v, b]
                need = attempts * amounts[v, b] if c >= 0 else 0.0
                for j in range(order.shape[1]):
                    p = order[c, j] if c >= 0 else -1
                    if p >= 0:
                        taken = min(need, left[p])
                        left[p] -= taken
                        inventory[p] -= taken
                        need -= taken
            line_left[k] -= attempts * slots[v]
            cap_left[q] -= attempts * y
            if t + lag[k] < MONTHS:
                total += attempts * y
    return total


@numba.njit(nogil=True)
def simulate_serial(draws, product, line, slots, parts, amounts, order, max_draw, lag, launch, cap):  # type: ignore[no-untyped-def]
    """Cumulative good units per sample, one sample after another on one core."""
    n = draws.shape[0]
    total = np.empty(n)
    for i in range(n):
        total[i] = _one(draws[i], product, line, slots, parts, amounts, order, max_draw, lag, launch, cap)
    return total


@numba.njit(nogil=True, parallel=True)
def simulate_parallel(draws, product, line, slots, parts, amounts, order, max_draw, lag, launch, cap):  # type: ignore[no-untyped-def]
    """The same loop with the samples spread over numba's threads (``prange``)."""
    n = draws.shape[0]
    total = np.empty(n)
    for i in numba.prange(n):
        total[i] = _one(draws[i], product, line, slots, parts, amounts, order, max_draw, lag, launch, cap)
    return total
