"""Quantities with units, read with pint and converted once, at load.

Every numeric field of a scenario has a :class:`Kind`: what it measures, the unit the
engine works in, and the range a value may take. ``parse_quantity("540k wafer/year",
WAFER_RATE)`` gives ``45000.0`` (wafer/month). The suffixes ``k``, ``M`` and ``B``
(thousand, million, billion) are read before pint sees the text, because pint reads ``M``
as molar and ``B`` as byte; ``"16 GB"`` still means gigabytes. A unit expression is
bounded before pint sees it (:func:`unit_problem`): pint evaluates powers, and
``month**9**9**9`` would never finish.

A field that counts has one counting unit (:func:`count_kind`): ``"1M"`` and ``"1M/month"``
are read in it, and another counting unit is refused with the conversion it would need
(``parse_quantity("1M die", count_kind("stack", rate=False))`` names the memory line).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache, lru_cache

import pint

from stackbound.scenario.text import excerpt

__all__ = [
    "AREA",
    "BANDWIDTH",
    "COMPUTE",
    "COUNT",
    "COUNTS",
    "COUNT_RATE",
    "DEFECT_DENSITY",
    "DURATION",
    "FRACTION",
    "H100E",
    "INTERPOSER_WAFER_RATE",
    "KINDS",
    "LENGTH",
    "MEMORY",
    "MONEY",
    "MULTIPLIER",
    "PACKAGES_PER_WAFER",
    "PACKAGE_COUNT",
    "PACKAGE_RATE",
    "PER_STACK",
    "PER_WAFER",
    "POWER",
    "SERVICE_LIFE",
    "SHIFT",
    "SIGNED",
    "UNIT_COUNT",
    "UNIT_RATE",
    "WAFER_RATE",
    "Kind",
    "count_kind",
    "parse_quantity",
    "unit_problem",
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
    dimension) and the first is the engine's unit; ``low``/``high`` bound its values;
    ``draws``, when given, bounds the 0.01% and 99.99% quantiles of its distributions.
    ``count``, for a field that counts something, is its one counting unit: another is
    refused, naming the conversion it needs (``conversions``, by counting unit, else
    :data:`CONVERSIONS`). ``bare`` is False for a field whose number must state its unit."""

    name: str
    targets: tuple[str, ...]
    low: float | None = 0.0
    high: float | None = None
    low_open: bool = False
    draws: tuple[float, float] | None = None
    count: str | None = None
    conversions: tuple[tuple[str, str], ...] = ()
    bare: bool = True

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
            unit = f" {self.unit}" if self.unit and self.low != 0 else ""
            raise ValueError(f"{self.name} must be {sign} {self.low:g}{unit}, got {value:g}")
        if self.high is not None and value > self.high:
            unit = f" {self.unit}" if self.unit else ""
            raise ValueError(f"{self.name} must be <= {self.high:g}{unit}, got {value:g}")
        if abs(value) > MAX_MAGNITUDE:
            raise ValueError(f"{self.name} must lie within ±{MAX_MAGNITUDE:g}, got {value:g}")


MAX_MAGNITUDE = 1e15
"""No input of a supply model comes near a quadrillion in its engine unit (the world starts
about 10⁷ wafers a month); a larger value is a typo, and products of such values overflow
the engine's float32 results."""

COUNTS = ("die", "stack", "package", "unit", "wafer")
"""The counting units. Each field that counts takes one of them (:func:`count_kind`)."""

CONVERSIONS: dict[tuple[str, str], str] = {
    ("wafer", "die"): "wafers become dies on a fab_line (wafer_starts with die_area or dies_per_wafer, and a yield)",
    ("wafer", "stack"): (
        "DRAM wafers become stacks on a memory_line (dram_wafer_starts, dies_per_wafer and dies_per_stack)"
    ),
    ("die", "stack"): "DRAM dies become stacks on a memory_line (dram_wafer_starts, dies_per_wafer and dies_per_stack)",
    ("wafer", "package"): "interposer wafers become packages on a packaging line with packages_per_wafer",
}
"""What converting one counting unit to another takes, for the message that refuses it."""


@cache
def count_kind(count: str, *, rate: bool) -> Kind:
    """The kind of a field that counts ``count`` (one of :data:`COUNTS`): a rate per month,
    or a number. A bare number, or one per month (``5k/month``), is read as ``count``."""
    if rate:
        return Kind("a rate", (f"{count}/month", "1/month"), count=count)
    return Kind("a count", (count, ""), count=count)


WAFER_RATE = Kind("a rate", ("wafer/month",))
COUNT_RATE = Kind("a rate", ("1/month", *(f"{c}/month" for c in COUNTS)))
"""Any count per month: only for a field whose counting unit is unknown (it names a
component that does not exist, which the reference checks refuse)."""
COUNT = Kind("a count", ("", *COUNTS))
"""Any count; as :data:`COUNT_RATE`, only where the counting unit is unknown."""
PACKAGE_RATE = Kind(
    "a rate",
    ("package/month", "1/month"),
    count="package",
    conversions=(("wafer", "give packages_per_wafer, or interposer_area to compute it, beside capacity"),),
)
"""Packaging capacity: package attempts per month."""
INTERPOSER_WAFER_RATE = Kind(
    "a rate of interposer wafers",
    ("wafer/month",),
    count="wafer",
    conversions=(("package", "packages_per_wafer and interposer_area convert a capacity in wafers; drop them"),),
    bare=False,
)
"""Packaging capacity beside ``packages_per_wafer`` or ``interposer_area``: wafers per month,
the unit written out (a bare number could be meant as packages)."""
PACKAGE_COUNT = count_kind("package", rate=False)
UNIT_RATE = count_kind("unit", rate=True)
UNIT_COUNT = count_kind("unit", rate=False)
AREA = Kind("an area", ("mm^2",), low=0.0, low_open=True)
LENGTH = Kind("a length", ("mm",), low=0.0, low_open=True)
FRACTION = Kind("a fraction", ("",), low=0.0, high=1.0)
MULTIPLIER = Kind("a multiplier", ("",))
PRIORITY = Kind("a priority", ("",), low=1.0, high=1e6)
"""A variant's place in the allocation order: 1 is first; curves and draws may fall between
whole numbers (a variant whose curve crosses another's changes places where they cross)."""
SIGNED = Kind("a number", ("",), low=None)
DEFECT_DENSITY = Kind("a defect density", ("1/cm^2",))
MAX_LAG = 120.0
"""Months: the longest cycle time, lag or delivery lag (ten years)."""
MAX_SERVICE_LIFE = 600.0
"""Months: the longest service life (fifty years)."""
MAX_SHIFT = 600.0
"""Months: the furthest a curve may be shifted either way (fifty years, the longest horizon)."""
DURATION = Kind("a duration", ("month",), high=MAX_LAG, draws=(-MAX_LAG, MAX_LAG))
SERVICE_LIFE = Kind("a service life", ("month",), high=MAX_SERVICE_LIFE, draws=(-MAX_SERVICE_LIFE, MAX_SERVICE_LIFE))
SHIFT = Kind("a shift", ("month",), low=-MAX_SHIFT, high=MAX_SHIFT, draws=(-MAX_SHIFT, MAX_SHIFT))
COMPUTE = Kind("a throughput", ("TFLOPS",))
MEMORY = Kind("a memory size", ("GB",))
BANDWIDTH = Kind("a bandwidth", ("TB/s",))
POWER = Kind("a power", ("W",))
MONEY = Kind("an amount of money", ("USD",))
H100E = Kind("a number of H100-equivalents", ("H100e", ""))
PER_WAFER = Kind("dies per wafer", ("die/wafer", ""), low=0.0, low_open=True)
PER_STACK = Kind("dies per stack", ("die/stack", ""), low=0.0, low_open=True)
PACKAGES_PER_WAFER = Kind("packages per wafer", ("package/wafer", ""), low=0.0, low_open=True)

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
    "service_life": SERVICE_LIFE,
    "shift": SHIFT,
    "compute": COMPUTE,
    "memory": MEMORY,
    "bandwidth": BANDWIDTH,
    "power": POWER,
    "money": MONEY,
    "h100e": H100E,
    "per_wafer": PER_WAFER,
    "per_stack": PER_STACK,
    "packages_per_wafer": PACKAGES_PER_WAFER,
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
        raise ValueError(f"expected {kind.describe()}, got {excerpt(raw)}")
    try:
        value, unit_text = (float(raw), "") if not isinstance(raw, str) else _split(raw)
    except ValueError:
        raise ValueError(f"expected {kind.describe()}, got {excerpt(raw)}") from None
    except OverflowError:  # an integer too large for a float
        raise ValueError(f"{kind.name} must be a finite number, got one with {len(str(raw))} digits") from None
    unit_text = unit_text or (unit or "")
    if not unit_text and not kind.bare:
        raise ValueError(
            f"expected {kind.describe()}, got {excerpt(raw)}: state the unit (write {value:g} {kind.unit})"
        )
    result = value if not unit_text else _convert(value, unit_text, kind, raw)
    kind.check_range(result)
    return result


MAX_UNIT_LENGTH = 64
MAX_OPERATORS = 6
MAX_EXPONENT = 4
MAX_PARENTHESES = 2
_UNIT_CHARACTERS = re.compile(r"^[A-Za-z0-9_ .*/^()%\-µ°]*$")
_POWER = re.compile(r"\*\*|\^")
_EXPONENT = re.compile(r"(?:\*\*|\^)\s*[-+]?(\d+)(?![\d.])")
_OPERATOR = re.compile(r"\*\*|\^|\*|/")


def _depth(text: str) -> int:
    depth = deepest = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        deepest = max(deepest, depth)
    return deepest


def unit_problem(unit_text: str) -> str | None:
    """Why ``unit_text`` is too long or too complex to hand to pint, or None."""
    if len(unit_text) > MAX_UNIT_LENGTH:
        return f"a unit may be at most {MAX_UNIT_LENGTH} characters, got {len(unit_text)}"
    if not _UNIT_CHARACTERS.match(unit_text):
        return "a unit holds only letters, digits, spaces and * / ^ ( ) % - ."
    if len(_OPERATOR.findall(unit_text)) > MAX_OPERATORS:
        return f"a unit may hold at most {MAX_OPERATORS} of * / ** ^"
    exponents = _EXPONENT.findall(unit_text)
    if len(exponents) != len(_POWER.findall(unit_text)) or _chained(unit_text):
        return "a power in a unit must be a whole number (mm^2, cm**-2), not another power or an expression"
    if any(int(e) > MAX_EXPONENT for e in exponents):
        return f"a power in a unit must lie between -{MAX_EXPONENT} and {MAX_EXPONENT}"
    if _depth(unit_text) > MAX_PARENTHESES:
        return f"a unit may nest parentheses at most {MAX_PARENTHESES} deep"
    if unit_text.count("%") > 1:
        return "a unit may hold % at most once (80 % is 0.8)"
    return None


def _chained(unit_text: str) -> bool:
    """Whether a power's exponent is itself raised to a power (``month**2**3``)."""
    return re.search(r"(?:\*\*|\^)\s*[-+]?\d+\s*(?:\*\*|\^)", unit_text) is not None


def _convert(value: float, unit_text: str, kind: Kind, raw: object) -> float:
    ureg = registry()
    problem = unit_problem(unit_text)
    if problem is not None:
        raise ValueError(f"expected {kind.describe()}, got {excerpt(raw)}: {problem}")
    if unit_text.startswith("/"):
        unit_text = "1" + unit_text
    try:
        quantity = ureg.Quantity(value, _units(unit_text))
        dimensionality = quantity.dimensionality
    except Exception:  # pint's parser raises many types on malformed text (TokenError, KeyError, ...)
        raise ValueError(
            f"expected {kind.describe()}, got {excerpt(raw)} (unknown unit {excerpt(unit_text, 70)})"
        ) from None
    for target in kind.targets:
        target_units = _units(target) if target else ureg.dimensionless
        if dimensionality == target_units.dimensionality:
            return float(quantity.to(target_units).magnitude)
    raise ValueError(f"expected {kind.describe()}, got {excerpt(raw)}{_refusal(kind, str(dimensionality))}")


@lru_cache(maxsize=1024)
def _units(unit_text: str) -> pint.Unit:
    """pint's reading of a unit expression (already bounded by :func:`unit_problem`), kept:
    a scenario writes the same few units hundreds of times (``china``: 700 readings of
    about 30 expressions, a fifth of its load), and a pint unit does not change once made.
    A text pint cannot read raises each time, as it did."""
    return registry().parse_units(unit_text)


def _refusal(kind: Kind, dimensionality: str) -> str:
    """Why a quantity that counts something other than ``kind.count`` is refused, and what
    converting it would take; empty when the quantity counts nothing, or the field counts."""
    written = next((c for c in COUNTS if f"[{c}]" in dimensionality), None)
    if kind.count is not None and written is None and not kind.bare:
        return f": write the counting unit ({kind.unit})"
    if kind.count is None or written is None or written == kind.count:
        return ""
    need = dict(kind.conversions).get(written) or CONVERSIONS.get((written, kind.count))
    fix = need or f"there is no conversion from {written}s to {kind.count}s here"
    bare = f" (a bare number is read as {kind.count}s)" if kind.bare else ""
    return f": this field counts {kind.count}s, not {written}s; {fix}{bare}"
