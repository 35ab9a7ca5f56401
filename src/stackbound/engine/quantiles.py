"""Quantile functions of many inputs at once, one call per distribution family.

A block's draws map a (samples × inputs) matrix of uniforms through each input's quantile
function. One :meth:`~stackbound.scenario.distributions.Distribution.ppf` call per input
and block cost more in Python than the arithmetic (176 calls a block on ``china``), and a
Beta-PERT's ``np.interp`` spends its time on a binary search in a 16,385-point table. Here
the inputs are grouped once per scenario by family (:func:`families`), each family's
columns go through one array expression with its parameters as rows, and PERT's lookup
is compiled with the table's index computed in closed form (its grid is ``(1 − cos(πk/N))
/ 2``), then corrected to the exact bracket ``np.interp`` would find.

Every value equals, bit for bit, what the input's own ``ppf`` gives (tested): the same
operations in the same order, elementwise, and numpy's ufuncs give the same result for a
value whatever the array around it. Families or inputs this module does not batch (a
discrete choice, a fixed value, a degenerate range) fall back to their own ``ppf``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from scipy import special

from stackbound.engine.compiled import njit
from stackbound.scenario.distributions import PERT_GRID, Distribution, normal_bounds, pert_shape, pert_table

__all__ = ["Families", "families", "pert_quantiles", "quantiles"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Families:
    """The inputs of a scenario grouped for batched quantiles: per batched family, the
    columns and their parameters as arrays (``params[j]`` is the j-th parameter of each
    column); ``single`` are the columns each evaluated by its own ``ppf``."""

    columns: dict[str, IntArray]
    params: dict[str, tuple[FloatArray, ...]]
    pert_tables: FloatArray  # (PERT columns, grid points)
    single: tuple[int, ...]
    dists: tuple[Distribution, ...]


def _batched(d: Distribution) -> bool:
    """Whether ``d`` goes through its family's array expression (degenerate ranges, whose
    ``ppf`` is a constant, and families without one do not)."""
    if d.family in ("uniform", "lognormal"):
        return True
    if d.family in ("triangular", "pert"):
        return d.params[2] != d.params[0]
    return d.family == "normal"


@lru_cache(maxsize=64)
def families(dists: tuple[Distribution, ...]) -> Families:
    """Group ``dists`` (one per input column) by family; cached per tuple of distributions."""
    columns: dict[str, list[int]] = {}
    single: list[int] = []
    for j, d in enumerate(dists):
        if _batched(d):
            columns.setdefault(d.family, []).append(j)
        else:
            single.append(j)
    params: dict[str, tuple[FloatArray, ...]] = {}
    for family, cols in columns.items():
        rows = np.array([dists[j].params for j in cols], dtype=np.float64)
        if family == "normal":  # the mean, sd and the CDF at the truncation bounds
            bounds = np.array([normal_bounds(dists[j]) for j in cols], dtype=np.float64).reshape(-1, 2)
            params[family] = (rows[:, 0].copy(), rows[:, 1].copy(), bounds[:, 0].copy(), bounds[:, 1].copy())
        else:
            params[family] = tuple(np.ascontiguousarray(column) for column in rows.T)
    tables = [pert_table(*pert_shape(dists[j])) for j in columns.get("pert", [])]
    pert = np.array(tables) if tables else np.zeros((0, len(PERT_GRID)))
    return Families({f: np.array(c, dtype=np.int64) for f, c in columns.items()}, params, pert, tuple(single), dists)


@njit(nogil=True, error_model="numpy")
def pert_quantiles(u, columns, grid, tables, low, high, out):  # type: ignore[no-untyped-def]
    """out[c, i] = low[c] + (high[c] − low[c]) · interp(u[i, columns[c]], grid, tables[c]),
    interpolated as ``np.interp`` does: the bracket j with grid[j] <= x < grid[j + 1] (here
    found from the grid's closed form and corrected by comparison), then slope · (x −
    grid[j]) + table[j], the other end's formula if that is NaN."""
    n = u.shape[0]
    last = grid.shape[0] - 1
    scale = last / np.pi
    for c in range(columns.shape[0]):
        col = columns[c]
        lo, span = low[c], high[c] - low[c]
        table = tables[c]
        for i in range(n):
            x = u[i, col]
            if np.isnan(x):
                out[c, i] = lo + span * x
                continue
            j = int(np.arccos(min(max(1.0 - 2.0 * x, -1.0), 1.0)) * scale)
            j = min(max(j, 0), last)
            while j < last and grid[j + 1] <= x:
                j += 1
            while j > 0 and grid[j] > x:
                j -= 1
            if x < grid[0]:
                value = table[0]
            elif j == last or grid[j] == x:
                value = table[j]
            else:
                slope = (table[j + 1] - table[j]) / (grid[j + 1] - grid[j])
                value = slope * (x - grid[j]) + table[j]
                if np.isnan(value):
                    value = slope * (x - grid[j + 1]) + table[j + 1]
                    if np.isnan(value) and table[j] == table[j + 1]:
                        value = table[j]
            out[c, i] = lo + span * value


def quantiles(dists: Sequence[Distribution], u: FloatArray) -> FloatArray:
    """(inputs, samples): each input's quantiles of its column of ``u`` (samples × inputs,
    in (0, 1)), rows contiguous; equal bit for bit to ``dists[j].ppf(u[:, j])``."""
    groups = families(tuple(dists))
    out = np.empty((len(dists), u.shape[0]))
    for family, cols in groups.columns.items():
        p = [row[None, :] for row in groups.params[family]]
        if family == "pert":
            low, _, high = groups.params[family]
            part = np.empty((len(cols), u.shape[0]))
            pert_quantiles(np.ascontiguousarray(u), cols, PERT_GRID, groups.pert_tables, low, high, part)
            out[cols] = part
            continue
        x = u[:, cols]
        if family == "uniform":
            values = p[0] + (p[1] - p[0]) * x
        elif family == "lognormal":
            values = p[0] * np.exp(p[1] * special.ndtri(x))
        elif family == "triangular":
            lo, mode, hi = p
            left = lo + np.sqrt(x * (hi - lo) * (mode - lo))
            right = hi - np.sqrt((1.0 - x) * (hi - lo) * (hi - mode))
            values = np.where(x < (mode - lo) / (hi - lo), left, right)
        else:  # normal, truncated
            mean, sd, a, b = p
            values = mean + sd * special.ndtri(a + (b - a) * x)
        out[cols] = values.T
    for j in groups.single:
        out[j] = dists[j].ppf(u[:, j])
    return out
