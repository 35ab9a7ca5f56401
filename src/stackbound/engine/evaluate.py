"""Turn a scenario parameter into numbers for a block of samples.

``evaluate(param, name, draws, months)`` returns an array, months first, that broadcasts
to ``(len(months), samples)``: a constant is ``(1, 1)``, an uncertain scalar ``(1, n)``,
a curve ``(M, n or 1)``. ``draws`` maps input names (see :mod:`stackbound.scenario.inputs`)
to one value per sample. A curve written in months after a launch
(:class:`~stackbound.scenario.values.LaunchCurve`) also needs ``launch``, the launch month
of each sample: it is the curve over offsets shifted by that month, so the same lagged
read moves it per sample.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from stackbound.engine.kernel import interpolate, take_lagged
from stackbound.scenario.values import Curve, LaunchCurve, Param, Scalar, knot_suffix

__all__ = ["Draws", "evaluate", "evaluate_scalar", "knot_weights", "lagged"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
Draws = Mapping[str, FloatArray]


def lagged(series: FloatArray, first: int, months: IntArray, lag: IntArray) -> FloatArray:
    """``series`` (broadcastable to (grid months, n)) on a grid of months starting at
    absolute month ``first``, read ``lag[i]`` months late at each of ``months``: (M, n).
    ``lag`` has one entry per sample or one for all. Every ``months − lag`` must lie on
    the grid."""
    n = max(len(lag), series.shape[1])
    rows = int(months.max()) - first + 1 if series.shape[0] == 1 else series.shape[0]
    if n and (int(months.min()) - first - int(lag.max()) < 0 or int(months.max()) - first - int(lag.min()) >= rows):
        raise ValueError("lagged: months minus lags fall outside the series' grid")
    out = np.empty((len(months), n))
    take_lagged(
        np.ascontiguousarray(series, dtype=np.float64),
        np.ascontiguousarray(months - first, dtype=np.int64),
        np.ascontiguousarray(lag, dtype=np.int64),
        out,
    )
    return out


def _scalar(scalar: Scalar, name: str, draws: Draws) -> FloatArray:
    if scalar.uncertain:
        return draws[name][None, :]
    return np.full((1, 1), scalar.value)


def knot_weights(knot_months: list[int], months: IntArray, step: bool) -> FloatArray:
    """Weights ``W[k, m]`` with curve(m) = Σ_k value_k · W[k, m]: linear interpolation
    between knots (or the last knot held, if ``step``), flat outside the knots."""
    count = len(knot_months)
    weights = np.zeros((count, len(months)))
    position = np.searchsorted(np.asarray(knot_months), months, side="right") - 1
    for k in range(count):
        if step or count == 1:
            weights[k] = position == k
            if k == 0:
                weights[k] += position < 0
            continue
        basis = np.zeros(count)
        basis[k] = 1.0
        weights[k] = np.interp(months, knot_months, basis)
    return weights


@lru_cache(maxsize=4096)
def _grid_weights(knot_months: tuple[int, ...], low: int, high: int, step: bool) -> FloatArray:
    """:func:`knot_weights` on the months ``low`` to ``high``, computed once per curve and
    grid (they do not depend on the draws; only :func:`interpolate` reads them)."""
    return knot_weights(list(knot_months), np.arange(low, high + 1), step)


def _shifts(curve: Curve, name: str, draws: Draws, launch: IntArray | None) -> IntArray | None:
    """Months each sample's curve moves later: its ``shift`` (rounded), plus the launch
    month of a curve written after a launch; None when it does not move."""
    shifts = None
    if curve.shift is not None:
        shift = _scalar(curve.shift, f"{name}@shift", draws)[0]
        shifts = np.rint(shift).astype(np.int64)
    if launch is not None:
        shifts = launch if shifts is None else shifts + launch
    return shifts


def _curve(curve: Curve, name: str, draws: Draws, months: IntArray, launch: IntArray | None = None) -> FloatArray:
    shifts = _shifts(curve, name, draws, launch)
    low = int(months.min()) - (int(shifts.max()) if shifts is not None else 0)
    high = int(months.max()) - (int(shifts.min()) if shifts is not None else 0)
    weights = _grid_weights(tuple(m for m, _ in curve.knots), low, high, curve.step)
    after = launch is not None
    values = [_scalar(knot, f"{name}@{knot_suffix(month, after)}", draws)[0] for month, knot in curve.knots]
    knots = np.array(np.broadcast_arrays(*values))  # (knots, n or 1)
    total = np.empty((high - low + 1, knots.shape[1]))
    interpolate(weights, knots, total)
    if shifts is None:
        return total[months - low]
    return lagged(total, low, months, shifts)


def evaluate(param: Param, name: str, draws: Draws, months: IntArray, launch: IntArray | None = None) -> FloatArray:
    """``param`` over ``months`` (absolute month indices), clipped to its kind's range.
    ``launch`` (per sample, or one for all) is the launch month a curve written after a
    launch moves with; other values ignore it."""
    value = param.value
    if isinstance(value, Scalar):
        result = _scalar(value, name, draws)
    elif isinstance(value, LaunchCurve):
        if launch is None:
            raise TypeError(f"{name} is a curve after a launch, evaluated without the launch month")
        result = _curve(value.curve, name, draws, months, np.asarray(launch, dtype=np.int64))
    else:
        result = _curve(value, name, draws, months)
    kind = param.kind
    if (kind.low is not None or kind.high is not None) and param.uncertain:
        result = np.clip(result, kind.low, kind.high)
    return result


def evaluate_scalar(param: Param, name: str, draws: Draws) -> FloatArray:
    """A scalar parameter as shape ``(n,)`` or ``(1,)``."""
    if not isinstance(param.value, Scalar):
        raise TypeError(f"{name} is a curve where a single number was expected")
    return evaluate(param, name, draws, np.zeros(1, dtype=np.int64)).reshape(-1)
