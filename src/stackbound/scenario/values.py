"""Scenario values: a number, a distribution, or a curve over months, with provenance.

A value in a scenario file is one of::

    45k wafer/month                                  a constant
    {to: [20k, 45k], unit: wafer/month}              a distribution (any of distributions.PARSERS)
    {2024-01: 20k wafer/month, 2025-12: 45k wafer/month}          a curve: linear, flat outside
    {2024-01: 20k, 2025-12: {to: [30k, 60k]}, unit: wafer/month, step: true}   options beside knots
    {knots: {...}, step: true, shift: {uniform: [0, 6]}, unit: ..., knot_correlation: 0.8}
    {value: <any of the above>, source: URL, date: 2025-09-08, grade: A, note: ...}
    {value: <any of the above>, assumption: why there is no source}
    {value: <any of the above>, source: URL, label: "SMIC N+2 · die area"}   a label for people
    {after_launch: {0: 30 %, 6: 80 %, 12: 95 %}, relative_to: ascend910c}   months after a launch
    {value: ..., sources: [{source: URL, date: 2024-05, grade: B}, {source: URL, grade: C}]}

:func:`parse_param` reads one into a :class:`Param` in the engine's units.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stackbound.scenario.display import written
from stackbound.scenario.distributions import PARSERS, Distribution, Reader
from stackbound.scenario.months import FIRST_MONTH, LAST_MONTH, format_month, is_month, parse_month
from stackbound.scenario.provenance import LABEL, Provenance, parse_provenance
from stackbound.scenario.text import check_label, excerpt
from stackbound.scenario.units import MAX_MAGNITUDE, MAX_SHIFT, SHIFT, SIGNED, Kind, parse_quantity

__all__ = ["MONTH", "Curve", "LaunchCurve", "Param", "Provenance", "Scalar", "knot_suffix", "parse_param"]

AFTER_LAUNCH = "after_launch"
"""The key of a curve's knots written as months after a product's launch."""
RELATIVE_TO = "relative_to"
"""The option naming the product whose launch an ``after_launch`` curve moves with."""
_MONTHISH = re.compile(r"^\s*\d{4}-\d{1,2}\s*$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]{0,79}$")

MONTH = Kind("a month", ("month",), low=FIRST_MONTH, high=LAST_MONTH, draws=(FIRST_MONTH, LAST_MONTH))
"""Pseudo-kind for month-valued fields (launch dates, step dates); values are month indices."""
_MONTH_SPREAD = Kind("a spread of months", ("month",), high=MAX_SHIFT)
MAX_KNOTS = 1000
"""The most knots one curve may have."""
TAILS = (1e-4, 1.0 - 1e-4)
"""The quantiles of a distribution that must lie within its kind's ``draws`` bounds."""


@dataclass(frozen=True)
class Scalar:
    """One number: fixed (``dist`` is None) or drawn from ``dist``."""

    value: float
    dist: Distribution | None = None

    @property
    def uncertain(self) -> bool:
        return self.dist is not None and not self.dist.is_fixed

    def describe(self, kind: Kind, raw: object = None) -> str:
        """The number, or the distribution as ``raw`` (its scenario text) wrote it."""
        if self.dist is not None and not self.dist.is_fixed:
            return written(raw, self.dist, kind is MONTH)
        if kind is MONTH:
            return format_month(int(self.value))
        return f"{self.value:.6g}"


@dataclass(frozen=True)
class Curve:
    """Knots ``(month index, Scalar)``, linear between knots (or held, if ``step``), flat
    outside; ``shift`` moves the whole curve later by a number of months (rounded)."""

    knots: tuple[tuple[int, Scalar], ...]
    step: bool = False
    shift: Scalar | None = None
    knot_correlation: float | None = None

    @property
    def uncertain(self) -> bool:
        return any(s.uncertain for _, s in self.knots) or (self.shift is not None and self.shift.uncertain)


@dataclass(frozen=True)
class LaunchCurve:
    """A curve whose knots are months after a product's launch (``curve``'s knot months are
    offsets: 0 is the launch month): in each sample it moves with that sample's launch, as
    if shifted by the launch month. ``relative_to`` names the product; None means the
    product the value belongs to."""

    curve: Curve
    relative_to: str | None = None

    @property
    def uncertain(self) -> bool:
        return self.curve.uncertain


def knot_suffix(month: int, after_launch: bool) -> str:
    """How a knot is named after its curve's path and ``@``: ``2025-12``, or ``launch+6``."""
    return f"launch{month:+d}" if after_launch else format_month(month)


@dataclass(frozen=True)
class Param:
    """A parsed value of one field: its ``value``, its ``kind`` (unit and range), its
    provenance, and the raw text it was read from (shown back to the user)."""

    value: Scalar | Curve | LaunchCurve
    kind: Kind
    provenance: Provenance | None = None
    raw: Any = field(default=None, compare=False)
    label: str | None = None
    """The ``label:`` given beside the value: its name for people, instead of one derived
    from the scenario (:mod:`stackbound.scenario.labels`)."""

    @property
    def uncertain(self) -> bool:
        return self.value.uncertain

    def describe(self) -> str:
        """The value for people: ``1.5``, a distribution as written (``30k to 60k (90%) →
        lognormal(median 42.4k, σ 0.21)``, ``2025-05 to 2026-05``), or a curve's knots
        ``{2024-01: 10000, 2025-12: ...}`` (with ``step`` and ``shifted`` when they apply)."""
        value, inner = self.value, _inner(self.raw)
        if isinstance(value, Scalar):
            return value.describe(self.kind, inner)
        launch = isinstance(value, LaunchCurve)
        curve = value.curve if isinstance(value, LaunchCurve) else value
        written_knots = _written_knots(inner)
        knots = ", ".join(
            f"{knot_suffix(m, launch)}: {k.describe(self.kind, written_knots.get(m))}" for m, k in curve.knots
        )
        extras = (" step" if curve.step else "") + (" shifted" if curve.shift is not None else "")
        if isinstance(value, LaunchCurve) and value.relative_to is not None:
            extras += f" (launch of {value.relative_to})"
        return "{" + knots + "}" + extras

    def median(self) -> float:
        """A representative number: the median of a scalar, or of a curve's first knot."""
        value = self.value.curve if isinstance(self.value, LaunchCurve) else self.value
        scalar = value if isinstance(value, Scalar) else value.knots[0][1]
        return scalar.dist.median() if scalar.dist is not None else scalar.value


def _inner(raw: object) -> object:
    """The value inside a ``{value: ..., source: ...}`` wrapper."""
    return raw["value"] if isinstance(raw, dict) and "value" in raw else raw


def _written_knots(raw: object) -> dict[int, object]:
    """A curve's raw knots by month index, or by months after launch (empty when the raw
    text is not at hand)."""
    if not isinstance(raw, dict):
        return {}
    if AFTER_LAUNCH in raw:
        after = raw[AFTER_LAUNCH]
        return {int(k): v for k, v in after.items() if _is_offset(k)} if isinstance(after, dict) else {}
    knots = raw.get("knots", raw)
    if not isinstance(knots, dict):
        return {}
    return {parse_month(m): v for m, v in knots.items() if is_month(m)}


def _reader(kind: Kind, unit: str | None) -> Reader:
    if kind is MONTH:
        return lambda raw: float(parse_month(raw))
    return lambda raw: parse_quantity(raw, kind, unit)


def _scale_reader(kind: Kind, unit: str | None) -> Reader:
    """How a distribution's spread (normal sd) is read: months for month fields, else the
    field's unit without its lower bound."""
    if kind is MONTH:
        return lambda raw: parse_quantity(raw, _MONTH_SPREAD)
    spread = Kind(kind.name, kind.targets, low=None)
    return lambda raw: parse_quantity(raw, spread, unit)


def _parse_scalar(raw: object, kind: Kind, unit: str | None) -> Scalar:
    if isinstance(raw, dict):
        keys = set(raw) - {"unit"}
        family = next(iter(keys)) if len(keys) == 1 else None
        if family not in PARSERS:
            names = ", ".join(sorted(PARSERS))
            if family is not None and _MONTHISH.match(str(family)):
                parse_month(family)  # a one-knot curve whose month is not a month: say why
            if family is not None:
                raise ValueError(f"unknown distribution {excerpt(family)}; expected one of {names}")
            raise ValueError(f"expected {kind.describe()} or a distribution ({names}), got {excerpt(raw)}")
        assert family is not None  # narrowed above
        unit = _unit(raw.get("unit", unit))
        dist = PARSERS[family](raw[family], _reader(kind, unit), _scale_reader(kind, unit))
        _check_tails(dist, kind)
        return Scalar(dist.median(), dist)
    if raw is None:
        raise ValueError(f"expected {kind.describe()}, got nothing")
    return Scalar(_reader(kind, unit)(raw))


def _show(value: float, kind: Kind) -> str:
    if kind is MONTH and 0 <= value < 1e6:
        return format_month(int(value))
    return f"{value:g}" + (f" {kind.unit}" if kind.unit and kind is not MONTH else "")


def _check_tails(dist: Distribution, kind: Kind) -> None:
    """ValueError when the distribution's 0.01% or 99.99% quantile lies outside ``kind.draws``
    (for a kind without them, outside ±MAX_MAGNITUDE: a huge sigma is refused, not overflowed)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        low, high = (float(q) for q in dist.exact_quantiles(np.array(TAILS)))
    bottom, top = kind.draws if kind.draws is not None else (-MAX_MAGNITUDE, MAX_MAGNITUDE)
    if not (np.isfinite(low) and low >= bottom):
        raise ValueError(f"the 0.01% quantile of {kind.name} must be >= {_show(bottom, kind)}, got {_show(low, kind)}")
    if not (np.isfinite(high) and high <= top):
        raise ValueError(f"the 99.99% quantile of {kind.name} must be <= {_show(top, kind)}, got {_show(high, kind)}")


def _unit(raw: object) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ValueError(f"unit must be text such as 'wafer/month', got {excerpt(raw)}")
    return raw


_CURVE_OPTIONS = frozenset({"step", "shift", "unit", "knot_correlation"})
_OFFSET = re.compile(r"^\s*[+-]?\d+\s*$")


def _parse_curve(raw: dict[Any, Any], kind: Kind, unit: str | None) -> Curve | LaunchCurve:
    if AFTER_LAUNCH in raw:
        return _parse_launch_curve(raw, kind, unit)
    if "knots" in raw:
        options = raw
    else:
        options = {k: v for k, v in raw.items() if not is_month(k)}
        options["knots"] = {k: v for k, v in raw.items() if is_month(k)}
    unknown = set(options) - _CURVE_OPTIONS - {"knots"}
    for key in unknown:
        if _MONTHISH.match(str(key)):
            parse_month(key)  # meant as a knot's month but is not one: say why
    if unknown:
        raise ValueError(f"unknown curve option(s) {sorted(map(str, unknown))}")
    return _curve(options, options["knots"], parse_month, kind, unit)


def _parse_launch_curve(raw: dict[Any, Any], kind: Kind, unit: str | None) -> LaunchCurve:
    """``{after_launch: {0: 30 %, 6: 80 %}, relative_to: product, ...}``: knots in months
    after a product's launch."""
    if "knots" in raw:
        raise ValueError("give knots (calendar months) or after_launch (months after a launch), not both")
    unknown = set(raw) - _CURVE_OPTIONS - {AFTER_LAUNCH, RELATIVE_TO}
    if unknown:
        raise ValueError(f"unknown curve option(s) {sorted(map(str, unknown))} beside after_launch")
    relative_to = raw.get(RELATIVE_TO)
    if relative_to is not None and not (isinstance(relative_to, str) and _NAME.match(relative_to)):
        raise ValueError(f"relative_to must name a product, got {excerpt(relative_to)}")
    return LaunchCurve(_curve(raw, raw[AFTER_LAUNCH], _offset, kind, unit), relative_to)


def _offset(raw: object) -> int:
    """A knot of an ``after_launch`` curve: whole months after the launch (negative:
    before it), at most :data:`MAX_SHIFT` either way."""
    if isinstance(raw, bool) or not isinstance(raw, int | str) or not _OFFSET.match(str(raw)):
        raise ValueError(f"an after_launch knot is a whole number of months after the launch, got {excerpt(raw)}")
    offset = int(str(raw))
    if abs(offset) > MAX_SHIFT:
        raise ValueError(f"an after_launch knot must lie within {MAX_SHIFT:g} months of the launch, got {offset}")
    return offset


def _is_offset(raw: object) -> bool:
    return not isinstance(raw, bool) and isinstance(raw, int | str) and bool(_OFFSET.match(str(raw)))


def _curve(
    options: dict[Any, Any], knots_raw: object, key: Callable[[object], int], kind: Kind, unit: str | None
) -> Curve:
    """A curve from its knots (keys read by ``key``: months, or months after a launch) and
    its options."""
    unit = _unit(options.get("unit", unit))
    if not isinstance(knots_raw, dict) or not knots_raw:
        keys = "YYYY-MM" if key is parse_month else "months after the launch"
        raise ValueError(f"curve knots must be a mapping of {keys} to values, got {excerpt(knots_raw)}")
    if len(knots_raw) > MAX_KNOTS:
        raise ValueError(f"a curve may have at most {MAX_KNOTS} knots, got {len(knots_raw)}")
    knots = sorted(((key(m), _parse_scalar(v, kind, unit)) for m, v in knots_raw.items()), key=_month_of)
    if len({month for month, _ in knots}) < len(knots):
        raise ValueError(f"curve knots must be distinct months, got {excerpt(sorted(map(str, knots_raw)), 80)}")
    step = options.get("step", False)
    if not isinstance(step, bool):
        raise ValueError(f"curve step must be true or false, got {excerpt(step)}")
    shift = _parse_scalar(options["shift"], SHIFT, None) if "shift" in options else None
    rho = options.get("knot_correlation")
    rho_value = None if rho is None else parse_quantity(rho, SIGNED)
    if rho_value is not None and not -1.0 < rho_value < 1.0:
        raise ValueError(f"knot_correlation must be between -1 and 1 (exclusive), got {rho_value:g}")
    return Curve(tuple(knots), step, shift, rho_value)


def _month_of(knot: tuple[int, Scalar]) -> int:
    return knot[0]


def _is_curve(raw: object) -> bool:
    """A mapping with ``knots`` or ``after_launch``, or with month keys (curve options may
    stand beside them)."""
    return isinstance(raw, dict) and ("knots" in raw or AFTER_LAUNCH in raw or any(is_month(k) for k in raw))


def parse_param(raw: object, kind: Kind, *, curve: bool = True) -> Param:
    """Read a raw scenario value into a :class:`Param`; ValueError says what is wrong."""
    provenance, label = None, None
    inner = raw
    if isinstance(raw, dict) and "value" in raw:
        label = _label(raw.get(LABEL))
        if LABEL not in raw or set(raw) - {"value", LABEL}:  # a label alone is no provenance
            provenance = parse_provenance(raw)
        inner = raw["value"]
    if _is_curve(inner):
        if not curve:
            raise ValueError(f"expected {kind.describe()}, not a curve over time")
        assert isinstance(inner, dict)
        return Param(_parse_curve(inner, kind, None), kind, provenance, raw, label)
    return Param(_parse_scalar(inner, kind, None), kind, provenance, raw, label)


def _label(raw: object) -> str | None:
    """A ``label:``: one line of text, or None when there is none."""
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError(f"label must be non-empty text, got {excerpt(raw)}")
    return check_label(" ".join(raw.split()))
