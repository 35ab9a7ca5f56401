"""Quantities with units, read with pint and converted once, at load.

Every numeric field of a scenario has a :class:`Kind`: what it measures, the unit the
engine works in, and the range a value may take. ``parse_quantity("540k wafer/year",
WAFER_RATE)`` gives ``45000.0`` (wafer/month). The suffixes ``k``, ``M`` and ``B``
(thousand, million, billion) are read before pint sees the text, because pint reads ``M``
as molar and ``B`` as byte; ``"16 GB"`` still means gigabytes.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache

import pint

__all__ = [
    "AREA",
    "BANDWIDTH",
    "COMPUTE",
    "COUNT",
    "COUNT_RATE",
    "DEFECT_DENSITY",
    "DURATION",
    "FRACTION",
    "H100E",
    "KINDS",
    "LENGTH",
    "MEMORY",
    "MONEY",
    "MULTIPLIER",
    "PER_STACK",
    "PER_WAFER",
    "POWER",
    "SIGNED",
    "WAFER_RATE",
    "Kind",
    "parse_quantity",
]

_COUNTING_UNITS = (
    "wafer = [wafer] = wafers",
    "die = [die] = dies",
    "stack = [stack] = stacks",
    "package = [package] = packages",
    "unit = [unit] = units",
    "USD = [currency] = usd = dollar",
    "H100e = [h100e] = h100e",
    "FLOP = [flop] = flop",
    "FLOPS = FLOP / second = flops",
)


@cache
def registry() -> pint.UnitRegistry[float]:
    """The one pint registry, with stackbound's counting units added."""
    ureg: pint.UnitRegistry[float] = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
    for definition in _COUNTING_UNITS:
        ureg.define(definition)
    return ureg


@dataclass(frozen=True)
class Kind:
    """What a field measures: ``targets`` are the units it may be given in (each of its own
    dimension) and the first is the engine's unit; ``low``/``high`` bound its values."""

    name: str
    targets: tuple[str, ...]
    low: float | None = 0.0
    high: float | None = None
    low_open: bool = False

    @property
    def unit(self) -> str:
        return self.targets[0]

    def describe(self) -> str:
        return f"{self.name} in {self.unit}" if self.unit else self.name

    def check_range(self, value: float) -> None:
        """ValueError when ``value`` is outside this kind's range."""
        if math.isnan(value) or math.isinf(value):
            raise ValueError(f"{self.name} must be a finite number, got {value}")
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            sign = ">" if self.low_open else ">="
            raise ValueError(f"{self.name} must be {sign} {self.low:g}, got {value:g}")
        if self.high is not None and value > self.high:
            raise ValueError(f"{self.name} must be <= {self.high:g}, got {value:g}")


_COUNTS = ("die", "stack", "package", "unit", "wafer")

WAFER_RATE = Kind("a rate", ("wafer/month",))
COUNT_RATE = Kind("a rate", ("1/month", *(f"{c}/month" for c in _COUNTS)))
COUNT = Kind("a count", ("", *_COUNTS))
AREA = Kind("an area", ("mm^2",), low=0.0, low_open=True)
LENGTH = Kind("a length", ("mm",), low=0.0, low_open=True)
FRACTION = Kind("a fraction", ("",), low=0.0, high=1.0)
MULTIPLIER = Kind("a multiplier", ("",))
SIGNED = Kind("a number", ("",), low=None)
DEFECT_DENSITY = Kind("a defect density", ("1/cm^2",))
DURATION = Kind("a duration", ("month",))
COMPUTE = Kind("a throughput", ("TFLOPS",))
MEMORY = Kind("a memory size", ("GB",))
BANDWIDTH = Kind("a bandwidth", ("TB/s",))
POWER = Kind("a power", ("W",))
MONEY = Kind("an amount of money", ("USD",))
H100E = Kind("a number of H100-equivalents", ("H100e", ""))
PER_WAFER = Kind("dies per wafer", ("die/wafer", ""), low=0.0, low_open=True)
PER_STACK = Kind("dies per stack", ("die/stack", ""), low=0.0, low_open=True)

KINDS: dict[str, Kind] = {
    "wafer_rate": WAFER_RATE,
    "count_rate": COUNT_RATE,
    "count": COUNT,
    "area": AREA,
    "length": LENGTH,
    "fraction": FRACTION,
    "multiplier": MULTIPLIER,
    "signed": SIGNED,
    "defect_density": DEFECT_DENSITY,
    "duration": DURATION,
    "compute": COMPUTE,
    "memory": MEMORY,
    "bandwidth": BANDWIDTH,
    "power": POWER,
    "money": MONEY,
    "h100e": H100E,
    "per_wafer": PER_WAFER,
    "per_stack": PER_STACK,
}

_NUMBER = re.compile(
    r"^\s*(?P<num>[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?)(?P<suffix>[kMB](?=\s|$|/))?\s*(?P<rest>.*)$"
)
_SUFFIX = {"k": 1e3, "M": 1e6, "B": 1e9}


def _split(text: str) -> tuple[float, str]:
    match = _NUMBER.match(text.replace(",", "").replace("_", ""))
    if match is None:
        raise ValueError("expected a number with an optional unit")
    value = float(match.group("num")) * _SUFFIX.get(match.group("suffix") or "", 1.0)
    return value, match.group("rest").strip()


def parse_quantity(raw: object, kind: Kind, unit: str | None = None) -> float:
    """Read ``raw`` (a number or text such as ``"45k wafer/month"``) as ``kind``, in its
    engine unit. ``unit`` applies to a bare number (a distribution's ``unit:`` key).
    ValueError names what was expected and what was received."""
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ValueError(f"expected {kind.describe()}, got {raw!r}")
    try:
        value, unit_text = (float(raw), "") if not isinstance(raw, str) else _split(raw)
    except ValueError:
        raise ValueError(f"expected {kind.describe()}, got {raw!r}") from None
    except OverflowError:  # an integer too large for a float
        raise ValueError(f"{kind.name} must be a finite number, got one with {len(str(raw))} digits") from None
    unit_text = unit_text or (unit or "")
    result = value if not unit_text else _convert(value, unit_text, kind, raw)
    kind.check_range(result)
    return result


def _convert(value: float, unit_text: str, kind: Kind, raw: object) -> float:
    ureg = registry()
    if unit_text.startswith("/"):
        unit_text = "1" + unit_text
    try:
        quantity = ureg.Quantity(value, ureg.parse_units(unit_text))
        dimensionality = quantity.dimensionality
    except Exception:  # pint's parser raises many types on malformed text (TokenError, KeyError, ...)
        raise ValueError(f"expected {kind.describe()}, got {raw!r} (unknown unit {unit_text!r})") from None
    for target in kind.targets:
        target_units = ureg.parse_units(target) if target else ureg.dimensionless
        if dimensionality == target_units.dimensionality:
            return float(quantity.to(target_units).magnitude)
    raise ValueError(f"expected {kind.describe()}, got {raw!r}")
