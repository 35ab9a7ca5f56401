"""Values as people wrote them: a distribution's raw mapping shown back in the scenario's
own words (``{to: [30k, 60k]}`` -> ``30k to 60k (90%)``), months as months, and the fitted
form beside it when the engine reads it as another family
(``→ lognormal(median 42.4k, σ 0.21)``).

:func:`written` renders one raw scalar value; :func:`fitted` a parsed distribution. Both
fall back to the engine's form (:meth:`Distribution.describe`) for shapes they do not know.
"""

from __future__ import annotations

import datetime as dt
import math

from stackbound.formatting import number
from stackbound.scenario.distributions import Distribution
from stackbound.scenario.months import format_month

__all__ = ["fitted", "written"]


def _atom(raw: object) -> str:
    """One number or month as written: ``30k``, ``0.15``, ``2025-05``."""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, float):
        return f"{raw:g}"
    if isinstance(raw, dt.date):
        return raw.isoformat()
    return " ".join(str(raw).split())


def _atoms(raw: object) -> list[str] | None:
    return [_atom(v) for v in raw] if isinstance(raw, list) else None


def _call(family: str, args: list[str]) -> str:
    return f"{family}({', '.join(args)})"


def _listed(raw: object) -> str:
    points = _atoms(raw)
    return _atom(raw) if points is None else "[" + ", ".join(points) + "]"


def _keyed(raw: object, keys: tuple[str, ...]) -> list[str] | None:
    """``key value`` for each of ``keys`` in a raw mapping, in that order."""
    if not isinstance(raw, dict):
        return None
    return [f"{k} {_listed(raw[k])}" for k in keys if k in raw]


def _written_family(family: str, args: object, months: bool) -> str | None:
    """``family: args`` in the scenario's words, or None for a shape not known here."""
    points = _atoms(args)
    if family == "to" and points and len(points) == 2:
        return f"{points[0]} to {points[1]} (90%)"
    if family == "uniform" and points and len(points) == 2:
        return f"{points[0]} to {points[1]}" + ("" if months else " (uniform)")
    if family in ("pert", "triangular", "normal") and points:
        return _call(family, points)
    if family == "normal":
        keyed = _keyed(args, ("mean", "sd", "min", "max"))
        return None if keyed is None else _call(family, keyed)
    if family == "lognormal":
        keyed = _keyed(args, ("median", "sigma"))
        return None if keyed is None else _call(family, [k.replace("sigma", "σ", 1) for k in keyed])
    if family in ("bernoulli", "fixed") and not isinstance(args, dict | list):
        return _call(family, [_atom(args)]) if family == "bernoulli" else _atom(args)
    if family in ("bernoulli", "choice"):
        keyed = _keyed(args, ("p", "values", "weights"))
        return None if keyed is None else _call(family, keyed)
    return None


def written(raw: object, dist: Distribution, months: bool = False) -> str:
    """A distribution as its scenario wrote it, with the fitted form beside it when the
    engine reads it as another family: ``30k to 60k (90%) → lognormal(median 42.4k, σ 0.21)``."""
    keys = set(raw) - {"unit"} if isinstance(raw, dict) else set()
    if len(keys) != 1:
        return fitted(dist, months)
    family = next(iter(keys))
    assert isinstance(raw, dict)  # keys come from it
    shown = _written_family(str(family), raw[family], months)
    if shown is None:
        return fitted(dist, months)
    if family == "to":
        return f"{shown} → {fitted(dist, months)}"
    return shown


def _value(value: float, months: bool) -> str:
    return format_month(round(value)) if months and math.isfinite(value) else number(value)


def fitted(dist: Distribution, months: bool = False) -> str:
    """The engine's reading of a distribution, compact: ``lognormal(median 42.4k, σ 0.21)``,
    ``normal(mean 5, sd 2)``, ``uniform(2025-05, 2026-05)``."""
    params = dist.params
    if dist.family == "lognormal":
        return f"lognormal(median {_value(params[0], months)}, σ {params[1]:.2g})"
    if dist.family == "normal":
        bounds = [
            f"{k} {_value(v, months)}" for k, v in zip(("min", "max"), params[2:], strict=False) if math.isfinite(v)
        ]
        spread = number(params[1])
        return _call("normal", [f"mean {_value(params[0], months)}", f"sd {spread}", *bounds])
    if dist.family in ("uniform", "pert", "triangular", "fixed"):
        return _call(dist.family, [_value(p, months) for p in params])
    return dist.describe()
