"""Probability distributions, each a quantile function over uniform draws.

Every uncertain number is sampled by mapping a uniform draw ``u`` in (0, 1) through its
distribution's ``ppf``; the uniforms can come from a pseudo-random generator, a Latin
hypercube or a Sobol design. Distributions are parsed from scenario mappings such as
``{to: [20k, 45k]}`` by the parsers in :data:`PARSERS`, keyed by the mapping's one key.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from scipy import special

from stackbound.scenario.text import excerpt
from stackbound.scenario.units import FRACTION, SIGNED, parse_quantity

__all__ = ["PARSERS", "PERT_GRID", "Distribution", "Reader", "normal_bounds", "pert_shape", "pert_table"]

FloatArray = NDArray[np.float64]
Reader = Callable[[object], float]
"""Reads one raw scenario value (``"45k wafer/month"``, ``"2026-03"``) into engine units."""

_Z95 = float(special.ndtri(0.95))
_PLAIN = SIGNED
"""How a distribution's own plain numbers (lognormal sigma, choice weights) are read: a
number, not ``true``; their ranges are checked by the family."""


@dataclass(frozen=True)
class Distribution:
    """A named distribution: ``family`` and its ``params`` in engine units."""

    family: str
    params: tuple[float, ...]
    values: tuple[float, ...] = ()

    def ppf(self, u: FloatArray) -> FloatArray:
        """The quantile function, applied elementwise to uniforms in (0, 1)."""
        return _PPF[self.family](self, u)

    def exact_quantiles(self, u: FloatArray) -> FloatArray:
        """Quantiles at a few probabilities, exactly: a PERT's without building the table
        its sampling interpolates in (the loader checks two tails of every distribution)."""
        if self.family != "pert":
            return self.ppf(u)
        lo, mode, hi = self.params
        if hi == lo:
            return np.full(u.shape, lo)
        alpha, beta = 1.0 + 4.0 * (mode - lo) / (hi - lo), 1.0 + 4.0 * (hi - mode) / (hi - lo)
        return lo + (hi - lo) * np.asarray(special.betaincinv(alpha, beta, u), dtype=np.float64)

    @property
    def is_fixed(self) -> bool:
        return self.family == "fixed"

    def median(self) -> float:
        return float(self.exact_quantiles(np.array([0.5]))[0])

    def describe(self) -> str:
        shown = ", ".join(f"{p:.6g}" for p in self.params)
        if self.values:
            shown += "; values " + ", ".join(f"{v:.6g}" for v in self.values)
        return f"{self.family}({shown})"


def _ppf_fixed(d: Distribution, u: FloatArray) -> FloatArray:
    return np.full(u.shape, d.params[0])


def _ppf_uniform(d: Distribution, u: FloatArray) -> FloatArray:
    lo, hi = d.params
    return lo + (hi - lo) * u


def _ppf_triangular(d: Distribution, u: FloatArray) -> FloatArray:
    lo, mode, hi = d.params
    if hi == lo:
        return np.full(u.shape, lo)
    split = (mode - lo) / (hi - lo)
    left = lo + np.sqrt(u * (hi - lo) * (mode - lo))
    right = hi - np.sqrt((1.0 - u) * (hi - lo) * (hi - mode))
    return np.where(u < split, left, right)


PERT_GRID = (1.0 - np.cos(np.linspace(0.0, np.pi, 2**14 + 1))) / 2.0
"""Probabilities spaced densely towards 0 and 1, where a beta quantile is steepest."""


@lru_cache(maxsize=4096)
def pert_table(alpha: float, beta: float) -> FloatArray:
    """The standard beta quantile on a fine grid of probabilities; linear interpolation in
    it is within 2e-5 of the range (1e-6 away from the extreme tails) of the exact
    quantile, and far faster than calling ``betaincinv`` for every sample."""
    return np.asarray(special.betaincinv(alpha, beta, PERT_GRID), dtype=np.float64)


def pert_shape(d: Distribution) -> tuple[float, float]:
    """A (non-degenerate) Beta-PERT's beta shapes α and β, with shape parameter 4."""
    lo, mode, hi = d.params
    return 1.0 + 4.0 * (mode - lo) / (hi - lo), 1.0 + 4.0 * (hi - mode) / (hi - lo)


def _ppf_pert(d: Distribution, u: FloatArray) -> FloatArray:
    """Beta-PERT with shape 4 (Vose, *Risk Analysis*, 2008, §9.1.3)."""
    lo, _, hi = d.params
    if hi == lo:
        return np.full(u.shape, lo)
    return lo + (hi - lo) * np.interp(u, PERT_GRID, pert_table(*pert_shape(d)))


def normal_bounds(d: Distribution) -> tuple[float, float]:
    """A truncated normal's CDF at its lower and upper bounds (0 and 1 where unbounded)."""
    mean, sd, low, high = d.params
    a = special.ndtr((low - mean) / sd) if math.isfinite(low) else 0.0
    b = special.ndtr((high - mean) / sd) if math.isfinite(high) else 1.0
    return float(a), float(b)


def _ppf_normal(d: Distribution, u: FloatArray) -> FloatArray:
    """Normal, truncated to [low, high] by inverting the truncated CDF."""
    mean, sd = d.params[:2]
    a, b = normal_bounds(d)
    return np.asarray(mean + sd * special.ndtri(a + (b - a) * u), dtype=np.float64)


def _ppf_lognormal(d: Distribution, u: FloatArray) -> FloatArray:
    median, sigma = d.params
    return np.asarray(median * np.exp(sigma * special.ndtri(u)), dtype=np.float64)


def _ppf_discrete(d: Distribution, u: FloatArray) -> FloatArray:
    """Discrete choice: ``params`` are the cumulative weights, ``values`` the outcomes."""
    cumulative = np.asarray(d.params)
    index = np.searchsorted(cumulative, u, side="right")
    return np.asarray(d.values, dtype=np.float64)[np.minimum(index, len(d.values) - 1)]


_PPF: dict[str, Callable[[Distribution, FloatArray], FloatArray]] = {
    "fixed": _ppf_fixed,
    "uniform": _ppf_uniform,
    "triangular": _ppf_triangular,
    "pert": _ppf_pert,
    "normal": _ppf_normal,
    "lognormal": _ppf_lognormal,
    "discrete": _ppf_discrete,
}


# ---------------------------------------------------------------- parsers: raw -> Distribution


def _as_list(raw: object, n: int, form: str) -> list[object]:
    if not isinstance(raw, list) or len(raw) != n:
        raise ValueError(f"expected {form}, got {excerpt(raw)}")
    return raw


def _ordered(values: list[float], form: str) -> None:
    if any(a > b for a, b in itertools.pairwise(values)):
        shown = ", ".join(f"{v:g}" for v in values)
        raise ValueError(f"expected {form} in increasing order, got [{shown}]")


def _parse_fixed(raw: object, read: Reader, scale: Reader) -> Distribution:
    return Distribution("fixed", (read(raw),))


def _parse_uniform(raw: object, read: Reader, scale: Reader) -> Distribution:
    lo, hi = (read(v) for v in _as_list(raw, 2, "[low, high]"))
    _ordered([lo, hi], "[low, high]")
    return Distribution("uniform", (lo, hi))


def _parse_three_point(family: str) -> Callable[[object, Reader, Reader], Distribution]:
    def parse(raw: object, read: Reader, scale: Reader) -> Distribution:
        points = [read(v) for v in _as_list(raw, 3, "[low, mode, high]")]
        _ordered(points, "[low, mode, high]")
        return Distribution(family, tuple(points))

    return parse


def _parse_normal(raw: object, read: Reader, scale: Reader) -> Distribution:
    if isinstance(raw, list):
        mean_raw, sd_raw = _as_list(raw, 2, "[mean, sd]")
        low, high = -math.inf, math.inf
    elif isinstance(raw, dict) and {"mean", "sd"} <= raw.keys() <= {"mean", "sd", "min", "max"}:
        mean_raw, sd_raw = raw["mean"], raw["sd"]
        low = read(raw["min"]) if "min" in raw else -math.inf
        high = read(raw["max"]) if "max" in raw else math.inf
    else:
        raise ValueError(f"expected [mean, sd] or {{mean, sd, min, max}}, got {excerpt(raw)}")
    mean, sd = read(mean_raw), scale(sd_raw)
    if sd <= 0:
        raise ValueError(f"normal sd must be > 0, got {sd:g}")
    if low >= high:
        raise ValueError(f"normal min must be below max, got {low:g} and {high:g}")
    dist = Distribution("normal", (mean, sd, low, high))
    if not math.isfinite(dist.median()):
        raise ValueError(f"normal min and max ({low:g}, {high:g}) lie too far out for mean {mean:g} and sd {sd:g}")
    return dist


def _parse_lognormal(raw: object, read: Reader, scale: Reader) -> Distribution:
    if not (isinstance(raw, dict) and raw.keys() == {"median", "sigma"}):
        raise ValueError(f"expected {{median, sigma}} (sigma of the log), got {excerpt(raw)}")
    median, sigma = read(raw["median"]), parse_quantity(raw["sigma"], _PLAIN)
    if not (median > 0 and 0 < sigma < math.inf):
        raise ValueError(f"lognormal median and sigma must be finite and > 0, got {median:g} and {sigma:g}")
    return Distribution("lognormal", (median, sigma))


def _parse_to(raw: object, read: Reader, scale: Reader) -> Distribution:
    """``to: [lo, hi]`` is a 90% interval: lognormal if both ends are positive, else normal."""
    lo, hi = (read(v) for v in _as_list(raw, 2, "[low, high], a 90% interval"))
    if not lo < hi:
        raise ValueError(f"expected [low, high] with low < high, got [{lo:g}, {hi:g}]")
    params: tuple[float, ...]
    if lo > 0:
        params = (math.sqrt(lo * hi), math.log(hi / lo) / (2 * _Z95))
    else:
        params = ((lo + hi) / 2, (hi - lo) / (2 * _Z95), -math.inf, math.inf)
    if not (math.isfinite(params[0]) and 0 < params[1] < math.inf and (lo <= 0 or params[0] > 0)):
        raise ValueError(f"[{lo:g}, {hi:g}] spans too much to read as a 90% interval (beyond floating point)")
    return Distribution("lognormal" if lo > 0 else "normal", params)


def _parse_bernoulli(raw: object, read: Reader, scale: Reader) -> Distribution:
    if isinstance(raw, dict):
        if not ({"p"} <= raw.keys() <= {"p", "values"}):
            raise ValueError(f"expected p or {{p, values: [if_false, if_true]}}, got {excerpt(raw)}")
        p_raw, outcomes = raw["p"], [read(v) for v in _as_list(raw.get("values", [0, 1]), 2, "[a, b]")]
    else:
        p_raw, outcomes = raw, [0.0, 1.0]
    p = _probability(p_raw)
    return Distribution("discrete", (1.0 - p, 1.0), tuple(outcomes))


def _probability(raw: object) -> float:
    return parse_quantity(raw, FRACTION)


def _parse_choice(raw: object, read: Reader, scale: Reader) -> Distribution:
    if not (isinstance(raw, dict) and {"values"} <= raw.keys() <= {"values", "weights"}):
        raise ValueError(f"expected {{values: [...], weights: [...]}}, got {excerpt(raw)}")
    values_raw = raw["values"]
    if not isinstance(values_raw, list) or not values_raw:
        raise ValueError(f"choice values must be a non-empty list, got {excerpt(values_raw)}")
    outcomes = [read(v) for v in values_raw]
    weights_raw = raw.get("weights", [1.0] * len(outcomes))
    weights = [parse_quantity(w, _PLAIN) for w in _as_list(weights_raw, len(outcomes), f"{len(outcomes)} weights")]
    if not all(0 <= w < math.inf for w in weights) or sum(weights) <= 0:
        raise ValueError(f"choice weights must be >= 0 with a positive sum, got {excerpt(weights)}")
    cumulative = np.cumsum(weights) / sum(weights)
    return Distribution("discrete", tuple(float(c) for c in cumulative), tuple(outcomes))


PARSERS: dict[str, Callable[[object, Reader, Reader], Distribution]] = {
    "fixed": _parse_fixed,
    "uniform": _parse_uniform,
    "triangular": _parse_three_point("triangular"),
    "pert": _parse_three_point("pert"),
    "normal": _parse_normal,
    "lognormal": _parse_lognormal,
    "to": _parse_to,
    "bernoulli": _parse_bernoulli,
    "choice": _parse_choice,
}
