"""The reference supply model of ``reference_model.md``, as tables and two plain simulators.

The model is the one ``scenarios/reference.yaml`` gives stackbound: 8 components, 9
sources in 10 pools (one fab line makes two dies), 10 variants in one priority order, 2
packaging lines, 60 months. This module holds what every peer in ``side_by_side.py`` shares: the uncertain
inputs (:data:`INPUTS`, each with the stackbound input it stands for), the structure
(bills, draw order, rations, lines, launch and demand caps) and the output, cumulative
good units out of packaging over the horizon. Two peers live here because the test reads
them too: :func:`simulate_one` (plain Python, one sample; the per-draw peers call it) and
:func:`simulate_numpy` (arrays over samples, a Python loop over months and variants).

    draws = draw_numpy(np.random.default_rng(1), 10_000)
    units = simulate_numpy(draws)          # (samples,) cumulative good units
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple, TypeVar

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
Amount = TypeVar("Amount", float, FloatArray)
"""One sample's number, or an array of every sample's."""

MONTHS = 60
"""2024-01 to 2028-12; month 0 is 2024-01."""
Z90 = 1.6448536269514722
"""The standard normal's 95% quantile: a ``to`` range is a 90% interval."""
ZERO = 1e-9
"""Fewer package attempts than this count as none (as in stackbound's kernel)."""


class Dist(NamedTuple):
    """One uncertain input: ``kind`` is ``to`` (a 90% interval, lognormal), ``uniform`` or
    ``pert`` (Beta-PERT, shape 4), with the parameters written in the scenario file."""

    name: str
    path: str
    kind: str
    params: tuple[float, ...]


INPUTS: tuple[Dist, ...] = (
    Dist("n5_wafers_start", "sources.fab_n5.wafer_starts@2024-01", "to", (2e3, 3e3)),
    Dist("n5_wafers_end", "sources.fab_n5.wafer_starts@2028-12", "to", (4e3, 6e3)),
    Dist("die_a_yield", "sources.fab_n5.dies[0].yield", "uniform", (0.5, 0.7)),
    Dist("die_b_yield", "sources.fab_n5.dies[1].yield", "pert", (0.4, 0.6, 0.75)),
    Dist("n7_wafers", "sources.fab_n7.wafer_starts", "to", (400.0, 700.0)),
    Dist("die_c_yield", "sources.fab_n7.dies[0].yield", "uniform", (0.7, 0.85)),
    Dist("die_bank", "sources.die_bank.initial", "to", (300e3, 600e3)),
    Dist("hbm2e_grey", "sources.hbm2e_grey.rate", "to", (20e3, 60e3)),
    Dist("hbm2e_stock", "sources.hbm2e_stock.initial", "to", (1.5e6, 3e6)),
    Dist("hbm2e_tranche", "sources.hbm2e_stock.arrivals.2025-01", "to", (500e3, 1.5e6)),
    Dist("hbm3_start", "sources.hbm3_line.stacks@2024-01", "to", (50e3, 100e3)),
    Dist("hbm3_end", "sources.hbm3_line.stacks@2028-12", "to", (250e3, 450e3)),
    Dist("hbm3_yield", "sources.hbm3_line.stacking_yield", "uniform", (0.6, 0.85)),
    Dist("hbm3e_stacks", "sources.hbm3e_line.stacks", "to", (100e3, 250e3)),
    Dist("hbm3e_yield", "sources.hbm3e_line.stacking_yield", "pert", (0.5, 0.7, 0.85)),
    Dist("gddr_rate", "sources.gddr_flow.rate", "to", (200e3, 400e3)),
    Dist("lpddr_rate", "sources.lpddr_line.stacks", "to", (300e3, 600e3)),
    Dist("line1_start", "packaging.line_1.capacity@2024-01", "to", (40e3, 70e3)),
    Dist("line1_end", "packaging.line_1.capacity@2028-12", "to", (90e3, 150e3)),
    Dist("line1_yield", "packaging.line_1.yield", "uniform", (0.85, 0.95)),
    Dist("line2_capacity", "packaging.line_2.capacity", "to", (60e3, 100e3)),
    Dist("line2_yield", "packaging.line_2.yield", "pert", (0.88, 0.93, 0.97)),
)
"""The 22 uncertain inputs, in the order stackbound numbers them; all independent."""


def lognormal_of(low: float, high: float) -> tuple[float, float]:
    """(mu, sigma) of the lognormal whose 90% interval is [low, high]."""
    return (math.log(low) + math.log(high)) / 2, (math.log(high) - math.log(low)) / (2 * Z90)


def pert_of(low: float, mode: float, high: float) -> tuple[float, float]:
    """(alpha, beta) of the Beta-PERT (shape 4) on [low, high] with this mode."""
    return 1 + 4 * (mode - low) / (high - low), 1 + 4 * (high - mode) / (high - low)


def scipy_distribution(d: Dist):  # type: ignore[no-untyped-def]
    """The input as a frozen ``scipy.stats`` distribution (EMA's way of giving one)."""
    from scipy import stats

    if d.kind == "to":
        mu, sigma = lognormal_of(*d.params)
        return stats.lognorm(s=sigma, scale=math.exp(mu))
    if d.kind == "uniform":
        low, high = d.params
        return stats.uniform(loc=low, scale=high - low)
    low, _, high = d.params
    return stats.beta(*pert_of(*d.params), loc=low, scale=high - low)


# ------------------------------------------------------------------ structure

COMPONENTS = ("die_a", "die_b", "die_c", "hbm2e", "hbm3", "hbm3e", "gddr", "lpddr")
POOLS = ("fab_n5_a", "die_bank", "fab_n5_b", "fab_n7", "hbm2e_grey", "hbm2e_stock", "hbm3", "hbm3e", "gddr", "lpddr")
"""One inventory per source (per die of a fab line), each carried month to month."""
DRAW_ORDER: tuple[tuple[int, ...], ...] = ((0, 1), (2,), (3,), (4, 5), (6,), (7,), (8,), (9,))
"""Per component, its pools in the order they are drawn: fresh supply first, stockpiles last."""
MAX_DRAW = (math.inf, 20e3, math.inf, math.inf, math.inf, 150e3, math.inf, math.inf, math.inf, math.inf)
"""Most that may be drawn from each pool in a month (the two stockpiles are rationed)."""
LINE_LAG = (1, 0)
"""Months from package start to good unit, per packaging line."""
LAUNCH = (0, 0, 18, 0, 0)
"""First month each product p1..p5 may be built (p3 launches 2025-07)."""
DEMAND_CAP = (math.inf, 25e3, math.inf, math.inf, math.inf)
"""Most good units per month of each product, over its variants."""


class Variant(NamedTuple):
    """One bill of materials of one product, on one packaging line."""

    name: str
    product: int
    bill: tuple[tuple[int, float], ...]  # (component, amount per unit)
    line: int
    slots: float


VARIANTS: tuple[Variant, ...] = (  # in priority order, 1 first
    Variant("p1/hbm3e", 0, ((0, 2.0), (5, 8.0)), 0, 2.0),
    Variant("p2/hbm3", 1, ((0, 1.0), (4, 4.0)), 0, 1.0),
    Variant("p1/hbm3", 0, ((0, 2.0), (4, 8.0)), 0, 2.0),
    Variant("p3/hbm2e", 2, ((1, 2.0), (3, 6.0)), 1, 2.0),
    Variant("p2/hbm2e", 1, ((0, 1.0), (3, 4.0)), 0, 1.0),
    Variant("p4/lpddr", 3, ((1, 1.0), (7, 8.0)), 1, 1.0),
    Variant("p3/gddr", 2, ((1, 2.0), (6, 12.0)), 1, 2.0),
    Variant("p5/gddr", 4, ((2, 1.0), (6, 6.0)), 1, 1.0),
    Variant("p4/gddr", 3, ((1, 1.0), (6, 8.0)), 1, 1.0),
    Variant("p5/lpddr", 4, ((2, 1.0), (7, 4.0)), 1, 1.0),
)


def ramp(start: Amount, end: Amount, t: int) -> Amount:
    """A curve with knots at month 0 and month 59, linear between, flat outside."""
    t = min(max(t, 0), MONTHS - 1)
    return start + (end - start) * t / (MONTHS - 1)


# ------------------------------------------------------------------ plain Python, one sample


def arrivals_one(x: Mapping[str, float], t: int) -> list[float]:
    """What arrives in each pool in month ``t``, for one sample's inputs ``x``."""
    n5 = ramp(x["n5_wafers_start"], x["n5_wafers_end"], t - 3)  # 3-month cycle time
    return [
        n5 * 0.5 * 70 * x["die_a_yield"],
        x["die_bank"] if t == 0 else 0.0,
        n5 * 0.3 * 110 * x["die_b_yield"],
        x["n7_wafers"] * 150 * x["die_c_yield"],
        x["hbm2e_grey"],
        x["hbm2e_stock"] if t == 0 else x["hbm2e_tranche"] if t == 12 else 0.0,
        ramp(x["hbm3_start"], x["hbm3_end"], t - 2) * x["hbm3_yield"],  # 2-month lag
        x["hbm3e_stacks"] * x["hbm3e_yield"] if t - 3 >= 24 else 0.0,  # starts 2026-01, 3-month lag
        x["gddr_rate"],
        x["lpddr_rate"],
    ]


def simulate_one(x: Mapping[str, float]) -> float:
    """Cumulative good units out of packaging over the horizon, for one sample."""
    inventory = [0.0] * len(POOLS)
    yields = (x["line1_yield"], x["line2_yield"])
    total = 0.0
    for t in range(MONTHS):
        arriving = arrivals_one(x, t)
        left = []
        for p in range(len(POOLS)):
            inventory[p] += arriving[p]
            left.append(min(inventory[p], MAX_DRAW[p]))
        line_left = [ramp(x["line1_start"], x["line1_end"], t), x["line2_capacity"]]
        cap_left = list(DEMAND_CAP)
        for v in VARIANTS:
            if t < LAUNCH[v.product]:
                continue
            y = yields[v.line]
            attempts = min(line_left[v.line] / v.slots, cap_left[v.product] / y)
            for c, amount in v.bill:
                attempts = min(attempts, sum(left[p] for p in DRAW_ORDER[c]) / amount)
            if attempts <= ZERO:
                continue
            for c, amount in v.bill:
                need = attempts * amount
                for p in DRAW_ORDER[c]:
                    taken = min(need, left[p])
                    left[p] -= taken
                    inventory[p] -= taken
                    need -= taken
            line_left[v.line] -= attempts * v.slots
            cap_left[v.product] -= attempts * y
            if t + LINE_LAG[v.line] < MONTHS:
                total += attempts * y
    return total


# ------------------------------------------------------------------ numpy, arrays over samples


def draw_numpy(rng: np.random.Generator, samples: int) -> dict[str, FloatArray]:
    """Every input for ``samples`` samples, drawn with numpy's generator."""
    draws = {}
    for d in INPUTS:
        if d.kind == "to":
            draws[d.name] = rng.lognormal(*lognormal_of(*d.params), samples)
        elif d.kind == "uniform":
            draws[d.name] = rng.uniform(*d.params, samples)
        else:
            low, _, high = d.params
            draws[d.name] = low + (high - low) * rng.beta(*pert_of(*d.params), samples)
    return draws


def arrivals_numpy(x: Mapping[str, FloatArray], t: int) -> list[FloatArray]:
    """What arrives in each pool in month ``t``: :func:`arrivals_one` on arrays."""
    n5 = ramp(x["n5_wafers_start"], x["n5_wafers_end"], t - 3)
    zero = np.zeros_like(x["die_bank"])
    return [
        n5 * 0.5 * 70 * x["die_a_yield"],
        x["die_bank"] if t == 0 else zero,
        n5 * 0.3 * 110 * x["die_b_yield"],
        x["n7_wafers"] * 150 * x["die_c_yield"],
        x["hbm2e_grey"],
        x["hbm2e_stock"] if t == 0 else x["hbm2e_tranche"] if t == 12 else zero,
        ramp(x["hbm3_start"], x["hbm3_end"], t - 2) * x["hbm3_yield"],
        x["hbm3e_stacks"] * x["hbm3e_yield"] if t - 3 >= 24 else zero,
        x["gddr_rate"],
        x["lpddr_rate"],
    ]


def simulate_numpy(x: Mapping[str, FloatArray]) -> FloatArray:
    """Cumulative good units per sample: :func:`simulate_one` with every number an array
    over samples and the loops over months, variants and components left in Python."""
    n = len(x["die_bank"])
    inventory = np.zeros((len(POOLS), n))
    max_draw = np.array(MAX_DRAW)[:, None]
    yields = (x["line1_yield"], x["line2_yield"])
    total = np.zeros(n)
    for t in range(MONTHS):
        inventory += np.stack(arrivals_numpy(x, t))
        left = np.minimum(inventory, max_draw)
        line_left = [ramp(x["line1_start"], x["line1_end"], t), x["line2_capacity"].copy()]
        cap_left = np.repeat(np.array(DEMAND_CAP)[:, None], n, axis=1)
        for v in VARIANTS:
            if t < LAUNCH[v.product]:
                continue
            y = yields[v.line]
            attempts = np.minimum(line_left[v.line] / v.slots, cap_left[v.product] / y)
            for c, amount in v.bill:
                attempts = np.minimum(attempts, left[list(DRAW_ORDER[c])].sum(axis=0) / amount)
            attempts = np.where(attempts > ZERO, attempts, 0.0)
            for c, amount in v.bill:
                need = attempts * amount
                for p in DRAW_ORDER[c]:
                    taken = np.minimum(need, left[p])
                    left[p] -= taken
                    inventory[p] -= taken
                    need -= taken
            line_left[v.line] = line_left[v.line] - attempts * v.slots
            cap_left[v.product] -= attempts * y
            if t + LINE_LAG[v.line] < MONTHS:
                total += attempts * y
    return total
