"""PRIM, the patient rule induction method, for scenario discovery.

J. H. Friedman and N. I. Fisher, "Bump hunting in high-dimensional data", *Statistics and
Computing* 9(2), 123–143 (1999). A box is a set of runs whose inputs each lie in an interval;
PRIM looks for a box where the outcome of interest is dense:

* **peeling** (top-down): from the box holding every run, try removing the ``alpha`` share of
  the box's runs with the lowest, or the highest, value of each input; keep the removal that
  leaves the highest share of cases of interest; repeat until the box would hold fewer than
  ``min_mass`` of the runs or no removal raises that share. The boxes met on the way are the
  *peeling trajectory*: coverage falls as density rises.
* **pasting** (bottom-up): widen one bound of a chosen box by a small share of its runs as
  long as that does not lower the box's density.

:func:`simplify` then drops bounds that barely matter or are not significant (their
quasi-p-value), as Bryant and Lempert recommend for readable boxes (*Technological
Forecasting & Social Change* 77, 34–49, 2010). The outcome is binary here: a case of
interest is a run with the outcome (y true).

Coverage is the share of all cases of interest inside a box, density the share of the runs
inside that are cases, mass the share of all runs inside.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

__all__ = [
    "ALPHA",
    "MIN_MASS",
    "PASTE_ALPHA",
    "SIGNIFICANCE",
    "PrimBox",
    "binomial_tail",
    "paste",
    "peel",
    "quasi_p_value",
    "simplify",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

ALPHA = 0.05
"""Share of a box's runs removed by one peel or added by one paste (Friedman & Fisher's α)."""
PASTE_ALPHA = 0.01
"""Share of a box's runs added by one paste: finer than peeling, so a bound peeled one step
too far comes back to the edge."""
MIN_MASS = 0.05
"""Peeling stops before a box holds fewer than this share of the runs (their β₀)."""
SIGNIFICANCE = 0.05
"""A bound (or a box) whose quasi-p-value is above this is not significant."""


@dataclass(frozen=True)
class PrimBox:
    """Bounds per input (``-inf``/``inf`` where unrestricted) and the box's statistics,
    counted over the runs still in play (``active``)."""

    low: FloatArray
    high: FloatArray
    coverage: float
    density: float
    mass: float
    runs: int
    cases: int

    @property
    def restricted(self) -> tuple[int, ...]:
        """Indices of the inputs this box bounds."""
        return tuple(int(j) for j in np.flatnonzero(np.isfinite(self.low) | np.isfinite(self.high)))

    def contains(self, x: FloatArray) -> BoolArray:
        """Which runs (rows of ``x``) lie inside."""
        inside: BoolArray = np.all((x >= self.low) & (x <= self.high), axis=1)
        return inside


def _box(x: FloatArray, y: BoolArray, active: BoolArray, low: FloatArray, high: FloatArray) -> PrimBox:
    inside = active & np.all((x >= low) & (x <= high), axis=1)
    runs, cases = int(inside.sum()), int(y[inside].sum())
    total_cases = max(int(y[active].sum()), 1)
    return PrimBox(
        low.copy(),
        high.copy(),
        cases / total_cases,
        cases / runs if runs else 0.0,
        runs / max(int(active.sum()), 1),
        runs,
        cases,
    )


def _cuts(ordered: FloatArray, rank: NDArray[np.intp], inside: BoolArray, k: int) -> tuple[FloatArray, FloatArray]:
    """Per input, the k-th smallest and k-th largest value among the runs inside; ``ordered``
    holds each input's values sorted (inputs × runs) and ``rank`` the runs in that order."""
    count = np.cumsum(inside[rank], axis=1, dtype=np.int64)
    rows = np.arange(len(ordered))
    low = ordered[rows, np.argmax(count >= k, axis=1)]
    high = ordered[rows, np.argmax(count >= count[:, -1:] - k + 1, axis=1)]
    return low, high


def peel(
    x: FloatArray, y: BoolArray, active: BoolArray | None = None, *, alpha: float = ALPHA, min_mass: float = MIN_MASS
) -> list[PrimBox]:
    """The peeling trajectory over the ``active`` runs (default all): the full box first.

    Each step removes, for one input and one side, the ``k = max(1, ⌊α·m⌋)`` runs of the
    ``m`` in the box with the most extreme values (with any ties), choosing the removal
    whose remaining box has the highest density (ties: the larger box)."""
    active = np.ones(len(y), dtype=bool) if active is None else active
    d = x.shape[1]
    columns = np.ascontiguousarray(x.T)
    rank = np.argsort(columns, axis=1, kind="stable")
    ordered = np.take_along_axis(columns, rank, axis=1)
    low, high = np.full(d, -np.inf), np.full(d, np.inf)
    inside = active.copy()
    trajectory = [_box(x, y, active, low, high)]
    smallest = max(math.ceil(min_mass * int(active.sum())), 1)
    while trajectory[-1].density < 1.0:
        m = trajectory[-1].runs
        k = max(1, int(alpha * m))
        if m - k < smallest:
            break
        cut_low, cut_high = _cuts(ordered, rank, inside, k)
        values, hits = columns[:, inside], y[inside]
        drop_low, drop_high = values <= cut_low[:, None], values >= cut_high[:, None]
        kept = m - np.concatenate([np.count_nonzero(drop_low, axis=1), np.count_nonzero(drop_high, axis=1)])
        cases = trajectory[-1].cases - np.concatenate(
            [np.count_nonzero(drop_low[:, hits], axis=1), np.count_nonzero(drop_high[:, hits], axis=1)]
        )
        valid = kept >= smallest
        if not valid.any():
            break
        density = np.where(valid, cases / np.maximum(kept, 1), -1.0)
        best = int(np.lexsort((kept, density))[-1])
        if density[best] <= trajectory[-1].density:
            break
        j = best % d
        if best < d:
            low[j] = values[j, ~drop_low[j]].min()
        else:
            high[j] = values[j, ~drop_high[j]].max()
        inside &= (x[:, j] >= low[j]) & (x[:, j] <= high[j])
        trajectory.append(_box(x, y, active, low, high))
    return trajectory


def _outside_only(x: FloatArray, low: FloatArray, high: FloatArray) -> BoolArray:
    """(runs, inputs): the run lies inside the box on every input but this one."""
    outside = (x < low) | (x > high)
    count = outside.sum(axis=1)
    only: BoolArray = (count[:, None] - outside) == 0
    return only


def paste(
    x: FloatArray, y: BoolArray, box: PrimBox, active: BoolArray | None = None, *, alpha: float = PASTE_ALPHA
) -> PrimBox:
    """Widen ``box`` one bound at a time, by ``max(1, ⌊α·m⌋)`` runs of the ``m`` inside,
    while that does not lower its density (the densest widening first; ties: the widest)."""
    active = np.ones(len(y), dtype=bool) if active is None else active
    low, high = box.low.copy(), box.high.copy()
    current = box
    while True:
        k = max(1, int(alpha * current.runs))
        others = _outside_only(x, low, high) & active[:, None]
        best: tuple[float, int, int, int, float] | None = None
        for j in current.restricted:
            for side, bound in ((0, low[j]), (1, high[j])):
                if not math.isfinite(bound):
                    continue
                beyond = others[:, j] & ((x[:, j] < bound) if side == 0 else (x[:, j] > bound))
                values = np.sort(x[beyond, j])
                if not len(values):
                    continue
                edge = float(values[-min(k, len(values))] if side == 0 else values[min(k, len(values)) - 1])
                added = beyond & ((x[:, j] >= edge) if side == 0 else (x[:, j] <= edge))
                runs = int(added.sum())
                density = (current.cases + int(y[added].sum())) / (current.runs + runs)
                if best is None or (density, runs) > best[:2]:
                    best = (density, runs, j, side, edge)
        if best is None or best[0] < current.density:
            return current
        _, _, j, side, edge = best
        lowest, highest = x[active, j].min(), x[active, j].max()
        if side == 0:
            low[j] = -np.inf if edge <= lowest else edge
        else:
            high[j] = np.inf if edge >= highest else edge
        current = _box(x, y, active, low, high)


def binomial_tail(cases: int, runs: int, rate: float) -> float:
    """P(X ≥ cases) for X ~ B(runs, rate): how likely ``runs`` drawn at ``rate`` would hold
    at least ``cases`` cases (1 for no case)."""
    if cases <= 0:
        return 1.0
    return float(special.bdtrc(cases - 1, runs, min(rate, 1.0)))


def quasi_p_value(box: PrimBox, wider: PrimBox) -> float:
    """How likely ``box`` would hold as many cases as it does if the bound that makes it
    narrower than ``wider`` did not matter: the binomial tail P(X ≥ cases), X ~ B(runs,
    density of ``wider``) (the quasi-p-value of Bryant & Lempert 2010). Against the box of
    every run it is the whole box's quasi-p-value: could chance alone make it this dense?"""
    return binomial_tail(box.cases, box.runs, wider.density)


def simplify(
    x: FloatArray,
    y: BoolArray,
    box: PrimBox,
    active: BoolArray | None = None,
    *,
    tolerance: float = 0.02,
    significance: float = SIGNIFICANCE,
) -> PrimBox:
    """Drop, one at a time, the bound that matters least while it costs less than
    ``tolerance`` of density (absolute) or is not significant (quasi-p-value above
    ``significance``): fewer conditions, more coverage."""
    active = np.ones(len(y), dtype=bool) if active is None else active
    current = box
    while len(current.restricted) > 1:
        candidates = []
        for j in current.restricted:
            low, high = current.low.copy(), current.high.copy()
            low[j], high[j] = -np.inf, np.inf
            candidates.append(_box(x, y, active, low, high))
        values = [quasi_p_value(current, b) for b in candidates]
        loose = int(np.argmax(values))
        cheap = max(candidates, key=lambda b: (b.density, b.coverage))
        if values[loose] > significance:
            current = candidates[loose]
        elif cheap.density >= current.density - tolerance:
            current = cheap
        else:
            return current
    return current
