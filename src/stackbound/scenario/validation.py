"""Validation cases: published estimates the model is checked against.

A validation file (YAML, read like a scenario: safely, with every problem located)::

    stackbound_validation: 1
    scenario: china                    # the scenario the cases are written for
    cases:
      - id: V7-2024-910b
        claim: "~200k Ascend 910B made in 2024"
        estimate: {value: 200k}         # or {low: 400k, high: 500k}
        unit: units
        definition: 910B packages produced (not delivered) in calendar 2024
        model: {metric: units, groups: [ascend_910b], years: [2024]}
        # a share: model: {metric: ..., groups: [...], years: [...], over: {metric, groups, years}}
        source: https://...
        date: 2025-02-26
        grade: A
        note: ...

The model side sums a metric over ``groups`` and ``years`` per sample; ``over`` makes it
a ratio of two such sums (a share).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path as FilePath
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from stackbound.errors import Problem, ScenarioError
from stackbound.scenario.files import read_text
from stackbound.scenario.overlay import builtin_dir
from stackbound.scenario.text import FreeText, Label, excerpt
from stackbound.scenario.units import SIGNED, parse_quantity
from stackbound.scenario.values import parse_provenance
from stackbound.scenario.yamlio import read_yaml

__all__ = ["Case", "Measure", "ValidationSet", "builtin_validation", "load_validation"]

DateText = Annotated[str, BeforeValidator(lambda raw: raw.isoformat() if isinstance(raw, dt.date) else raw)]
Number = Annotated[float, BeforeValidator(lambda raw: parse_quantity(raw, SIGNED))]


def _version(raw: object) -> object:
    """The format version: the integer 1 (not ``true``, not ``1.0``)."""
    if type(raw) is not int or raw != 1:
        raise ValueError(f"stackbound_validation must be 1, got {excerpt(raw)}")
    return raw


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sum(_Model):
    metric: Label
    groups: list[Label] = Field(default_factory=lambda: ["total"], min_length=1)
    years: list[Annotated[int, Field(strict=True, ge=1950, le=2150)]] = Field(min_length=1)


class Measure(Sum):
    over: Sum | None = None


class Estimate(_Model):
    value: Number | None = None
    low: Number | None = None
    high: Number | None = None

    @model_validator(mode="after")
    def _shape(self) -> Estimate:
        if (self.value is None) == (self.low is None and self.high is None):
            raise ValueError("give value, or low and high")
        if self.value is None and (self.low is None or self.high is None or self.low > self.high):
            raise ValueError("a range needs low <= high")
        return self

    @property
    def bounds(self) -> tuple[float, float]:
        if self.value is not None:
            return self.value, self.value
        assert self.low is not None  # checked at validation
        assert self.high is not None
        return self.low, self.high


class Case(_Model):
    id: Label
    claim: FreeText
    estimate: Estimate
    unit: Label
    definition: FreeText
    model: Measure
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


class ValidationSet(_Model):
    stackbound_validation: Annotated[Literal[1], BeforeValidator(_version)]
    scenario: Label
    cases: list[Case] = Field(min_length=1)


def builtin_validation(scenario: str) -> FilePath | None:
    """The validation file shipped for a built-in scenario, if any."""
    path = builtin_dir() / "validation" / f"{scenario}.yaml"
    return path if path.is_file() else None


def load_validation(path: FilePath) -> ValidationSet:
    """Read and check a validation file (a regular file of at most 10 MB, UTF-8);
    ScenarioError lists every problem."""
    data, positions = read_yaml(read_text(path, str(path)), str(path))
    try:
        return ValidationSet.model_validate(data)
    except ValidationError as error:
        problems: list[Problem] = []
        for e in error.errors():
            loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            problems.append(positions.problem(loc, str(e["msg"]).removeprefix("Value error, ")))
        raise ScenarioError(problems) from None
