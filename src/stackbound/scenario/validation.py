"""Validation cases: published estimates the model is checked against.

A validation file (YAML, read like a scenario: safely, with every problem located; the
whole format is in docs/validation-format.md)::

    stackbound_validation: 1
    scenario: china                    # the scenario the cases are written for
    cases:
      - id: V7-2024-910b
        kind: estimate                  # or plan (a company plan or target), count (a filing)
        claim: "~200k Ascend 910B made in 2024"
        estimate: {value: 200k}         # or {low: 400k, high: 500k}, {at_least: 820k}, {at_most: 1.6M}
        tolerance: 25%                  # optional: widens each finite end by 25% of itself
        unit: units
        definition: 910B packages produced (not delivered) in calendar 2024
        model: {metric: units, groups: [ascend910b], years: [2024]}
        # a share:      model: {metric: ..., groups: [...], years: [...], over: {metric, groups, years}}
        # a difference: model: {difference: [{metric, groups, years}, {metric, groups, years}]}
        # a ratio:      model: {ratio: [{metric, groups, years}, {metric, groups, years}]}
        # in another chip's units: equivalent: {name: B300, dense_8bit: 4.5 PFLOPS}
        source: https://...
        date: 2025-02-26
        grade: A
        note: ...

The model side sums a metric over ``groups`` and ``years`` per sample; ``over`` and
``ratio`` divide one such sum by another, ``difference`` subtracts one from another.
Checks that need a run (metric and group names, years, the scenario's metric) are made
by :func:`stackbound.analysis.validate.validate`, located with :meth:`ValidationSet.problem`.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path as FilePath
from typing import Annotated, Literal, NamedTuple

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from stackbound.errors import Problem, ScenarioError
from stackbound.scenario.files import read_text
from stackbound.scenario.overlay import builtin_dir
from stackbound.scenario.provenance import parse_provenance
from stackbound.scenario.schema import METRIC_REFERENCE
from stackbound.scenario.text import FreeText, Label, excerpt
from stackbound.scenario.units import FRACTION, SIGNED, Kind, parse_quantity
from stackbound.scenario.yamlio import Path, Positions, read_yaml

__all__ = [
    "CHIP_FIGURES",
    "Case",
    "CaseKind",
    "Difference",
    "Equivalent",
    "Estimate",
    "Measure",
    "ModelSide",
    "Operand",
    "Operation",
    "Ratio",
    "Sum",
    "ValidationSet",
    "builtin_validation",
    "load_validation",
]

CaseKind = Literal["estimate", "plan", "count"]
"""What a published figure is: an analyst's estimate, a company's plan or target, or a
count (customs records, a filing)."""
Operation = Literal["sum", "difference", "ratio"]
CHIP_FIGURES: dict[str, str] = {figure: metric for metric, figure in METRIC_REFERENCE.items()}
"""A reference chip's figure (an ``equivalent`` key) -> the scenario ``metric`` it is on."""

_CHIP_COMPUTE = Kind("a throughput", ("TFLOPS",), low=0.0, low_open=True)
_CHIP_BANDWIDTH = Kind("a bandwidth", ("TB/s",), low=0.0, low_open=True)
DateText = Annotated[str, BeforeValidator(lambda raw: raw.isoformat() if isinstance(raw, dt.date) else raw)]
Number = Annotated[float, BeforeValidator(lambda raw: parse_quantity(raw, SIGNED))]
Tolerance = Annotated[float, BeforeValidator(lambda raw: parse_quantity(raw, FRACTION))]
Throughput = Annotated[float, BeforeValidator(lambda raw: parse_quantity(raw, _CHIP_COMPUTE))]
Bandwidth = Annotated[float, BeforeValidator(lambda raw: parse_quantity(raw, _CHIP_BANDWIDTH))]


def _version(raw: object) -> object:
    """The format version: the integer 1 (not ``true``, not ``1.0``)."""
    if type(raw) is not int or raw != 1:
        raise ValueError(f"stackbound_validation must be 1, got {excerpt(raw)}")
    return raw


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ----------------------------------------------------------------- the model side


class Sum(_Model):
    """A metric summed over ``groups`` and ``years``, per sample."""

    metric: Label
    groups: list[Label] = Field(default_factory=lambda: ["total"], min_length=1)
    years: list[Annotated[int, Field(strict=True, ge=1950, le=2150)]] = Field(min_length=1)


class Operand(NamedTuple):
    """One sum of a model side, and where it stands under the case's ``model`` key."""

    at: Path
    sum: Sum


class Measure(Sum):
    """One sum, or with ``over`` a share: the sum divided by the sum ``over``."""

    over: Sum | None = None

    @property
    def operation(self) -> Operation:
        return "sum" if self.over is None else "ratio"

    @property
    def operands(self) -> tuple[Operand, ...]:
        own = Operand((), self)
        return (own,) if self.over is None else (own, Operand(("over",), self.over))


class Difference(_Model):
    """The first sum minus the second, per sample."""

    difference: tuple[Sum, Sum]

    @property
    def operation(self) -> Operation:
        return "difference"

    @property
    def operands(self) -> tuple[Operand, ...]:
        return tuple(Operand(("difference", i), part) for i, part in enumerate(self.difference))


class Ratio(_Model):
    """The first sum divided by the second, per sample (0 where the second is 0)."""

    ratio: tuple[Sum, Sum]

    @property
    def operation(self) -> Operation:
        return "ratio"

    @property
    def operands(self) -> tuple[Operand, ...]:
        return tuple(Operand(("ratio", i), part) for i, part in enumerate(self.ratio))


_FORMS = {"difference": Difference, "ratio": Ratio, "sum": Measure}


def _form(raw: object) -> str:
    """Which form a model side is written in: the key ``difference`` or ``ratio``, else a sum."""
    if isinstance(raw, dict):
        return next((tag for tag in ("difference", "ratio") if tag in raw), "sum")
    return next((tag for tag, form in _FORMS.items() if isinstance(raw, form)), "sum")


ModelSide = Annotated[
    Annotated[Measure, Tag("sum")] | Annotated[Difference, Tag("difference")] | Annotated[Ratio, Tag("ratio")],
    Discriminator(_form),
]


# ----------------------------------------------------------------- the published side


class Estimate(_Model):
    """The published figure: a value, a range, or an open bound (exactly one form)."""

    value: Number | None = None
    low: Number | None = None
    high: Number | None = None
    at_least: Number | None = None
    at_most: Number | None = None

    @model_validator(mode="after")
    def _shape(self) -> Estimate:
        given = {key for key in ("value", "low", "high", "at_least", "at_most") if getattr(self, key) is not None}
        if given not in ({"value"}, {"low", "high"}, {"at_least"}, {"at_most"}):
            got = ", ".join(sorted(given)) or "none of them"
            raise ValueError(f"give one of: value; low and high; at_least; at_most (got {got})")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"a range needs low <= high, got low {self.low:g} and high {self.high:g}")
        return self

    @property
    def bounds(self) -> tuple[float, float]:
        """The published figure as an interval; an open end is infinite."""
        low = next((x for x in (self.value, self.low, self.at_least) if x is not None), -math.inf)
        high = next((x for x in (self.value, self.high, self.at_most) if x is not None), math.inf)
        return low, high


class Equivalent(_Model):
    """A reference chip the published figure is counted in, with its one figure on the
    scenario's metric: ``{name: B300, dense_8bit: 4.5 PFLOPS}``."""

    name: Label
    dense_8bit: Throughput | None = None
    dense_bf16: Throughput | None = None
    bandwidth: Bandwidth | None = None

    @model_validator(mode="after")
    def _one_figure(self) -> Equivalent:
        given = [key for key in CHIP_FIGURES if getattr(self, key) is not None]
        if len(given) != 1:
            got = ", ".join(given) or "none"
            raise ValueError(f"give exactly one figure of the chip: dense_8bit, dense_bf16 or bandwidth (got {got})")
        return self

    @property
    def figure(self) -> tuple[str, float]:
        """The key given and its value (TFLOPS, or TB/s for ``bandwidth``)."""
        key = next(key for key in CHIP_FIGURES if getattr(self, key) is not None)
        value: float = getattr(self, key)
        return key, value


class Case(_Model):
    """One published estimate and the model output that matches its definition."""

    id: Label
    kind: CaseKind = "estimate"
    claim: FreeText
    estimate: Estimate
    tolerance: Tolerance = 0.0
    unit: Label
    definition: FreeText
    model: ModelSide
    equivalent: Equivalent | None = None
    source: FreeText
    date: DateText
    grade: Literal["A", "B", "C"]
    note: FreeText = ""

    @model_validator(mode="before")
    @classmethod
    def _provenance(cls, raw: object) -> object:
        if isinstance(raw, dict):
            parse_provenance({k: raw[k] for k in ("source", "date", "grade", "note") if k in raw} | {"value": 0})
        return raw

    @field_validator("equivalent")
    @classmethod
    def _has_a_unit(cls, equivalent: Equivalent | None, info: ValidationInfo) -> Equivalent | None:
        model = info.data.get("model")
        if equivalent is not None and model is not None and model.operation == "ratio":
            raise ValueError("a ratio has no unit to count in a chip's equivalents; use a sum or a difference")
        return equivalent

    @property
    def band(self) -> tuple[float, float]:
        """The interval the model is judged against: the published bounds with each finite
        end moved outward by ``tolerance`` times its size; an open end stays open."""
        low, high = self.estimate.bounds
        return _widened(low, -self.tolerance), _widened(high, self.tolerance)


def _widened(end: float, by: float) -> float:
    return end if math.isinf(end) else end + by * abs(end)


class ValidationSet(_Model):
    """The cases of one validation file; :meth:`problem` locates a field in that file."""

    stackbound_validation: Annotated[Literal[1], BeforeValidator(_version)]
    scenario: Label
    cases: list[Case] = Field(min_length=1)
    _positions: Positions = PrivateAttr(default_factory=Positions)

    @classmethod
    def located(cls, data: object, positions: Positions) -> ValidationSet:
        """The cases in ``data``, remembering where ``positions`` says each field stood."""
        cases = cls.model_validate(data)
        cases._positions = positions
        return cases

    def problem(self, path: Path, message: str) -> Problem:
        """A problem at ``path`` (``("cases", 0, "model", "metric")``) of the file read."""
        return self._positions.problem(path, message)


def builtin_validation(scenario: str) -> FilePath | None:
    """The validation file shipped for a built-in scenario, if any."""
    path = builtin_dir() / "validation" / f"{scenario}.yaml"
    return path if path.is_file() else None


def _file_path(loc: tuple[int | str, ...]) -> Path:
    """Pydantic's error location as a path in the file: without the validators' names and
    the form a ``model`` was read in (pydantic puts it right after ``model``)."""
    path: list[int | str] = []
    for i, part in enumerate(loc):
        inserted = isinstance(part, str) and part.startswith("function-")
        if not inserted and not (i > 0 and loc[i - 1] == "model" and part in _FORMS):
            path.append(part)
    return tuple(path)


def load_validation(path: FilePath) -> ValidationSet:
    """Read and check a validation file (a regular file of at most 10 MB, UTF-8);
    ScenarioError lists every problem."""
    data, positions = read_yaml(read_text(path, str(path)), str(path))
    try:
        return ValidationSet.located(data, positions)
    except ValidationError as error:
        problems = [
            positions.problem(_file_path(e["loc"]), str(e["msg"]).removeprefix("Value error, ")) for e in error.errors()
        ]
        raise ScenarioError(problems) from None
