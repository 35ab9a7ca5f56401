"""The scenario schema: frozen pydantic models, validated once at load.

Numeric fields hold :class:`~stackbound.scenario.values.Param` (a constant, distribution or
curve in engine units, with provenance). ``docs/scenario-format.md`` documents every key.
Cross-references (a bill naming a component, a source naming a lever) are checked by
:mod:`stackbound.scenario.checks` once the shapes are right.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StringConstraints, model_validator

from stackbound.scenario import units as u
from stackbound.scenario.months import format_month, parse_month
from stackbound.scenario.text import FreeText, Label, ScenarioName, excerpt
from stackbound.scenario.values import MONTH, Param, parse_param

__all__ = ["Scenario", "Source"]


def _reader(kind: u.Kind, *, curve: bool = True) -> BeforeValidator:
    """Validation of one numeric field: a Param of ``kind`` (a curve over months if ``curve``)."""
    return BeforeValidator(lambda raw: parse_param(raw, kind, curve=curve))


Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$", max_length=80)]
Month = Annotated[int, BeforeValidator(parse_month)]
WaferRate = Annotated[Param, _reader(u.WAFER_RATE)]
CountRate = Annotated[Param, _reader(u.COUNT_RATE)]
Count = Annotated[Param, _reader(u.COUNT, curve=False)]
Fraction = Annotated[Param, _reader(u.FRACTION)]
Duration = Annotated[Param, _reader(u.DURATION, curve=False)]
MonthParam = Annotated[Param, _reader(MONTH, curve=False)]


def _version(raw: object) -> object:
    """The format version: the integer 1 (not ``true``, not ``1.0``)."""
    if type(raw) is not int or raw != 1:
        raise ValueError(f"format version must be 1, got {excerpt(raw)}")
    return raw


Version = Annotated[Literal[1], BeforeValidator(_version)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True, populate_by_name=True)


class Horizon(Model):
    start: Month
    end: Month

    @model_validator(mode="after")
    def _ordered(self) -> Horizon:
        if not self.start < self.end:
            start, end = format_month(self.start), format_month(self.end)
            raise ValueError(f"horizon end ({end}) must come after start ({start})")
        if self.end - self.start >= 12 * 50:
            raise ValueError("horizon must be shorter than 50 years")
        return self


class Lever(Model):
    value: Annotated[Param, _reader(u.MULTIPLIER)]
    description: FreeText = ""


class Component(Model):
    kind: Literal["logic_die", "hbm_stack", "memory", "other"]
    generation: Label | None = None
    description: FreeText = ""
    draw_order: list[Name] | None = None


class DieOutput(Model):
    """One die type made on a fab line: its wafers, its gross dies and its yield."""

    component: Name
    share: Fraction | None = None
    wafer_starts: WaferRate | None = None
    die_area: Annotated[Param, _reader(u.AREA, curve=False)] | None = None
    dies_per_wafer: Annotated[Param, _reader(u.PER_WAFER)] | None = None
    die_yield: Fraction | None = Field(default=None, alias="yield")
    defect_density: Annotated[Param, _reader(u.DEFECT_DENSITY)] | None = None
    yield_model: Literal["poisson", "murphy"] = "murphy"
    sellable: Fraction | None = None

    @model_validator(mode="after")
    def _complete(self) -> DieOutput:
        if (self.share is None) == (self.wafer_starts is None):
            raise ValueError("give exactly one of share (of the line's wafer starts) or wafer_starts")
        if (self.die_yield is None) == (self.defect_density is None):
            raise ValueError("give exactly one of yield or defect_density")
        if self.dies_per_wafer is None and self.die_area is None:
            raise ValueError("give die_area (gross dies per wafer are computed) or dies_per_wafer")
        if self.defect_density is not None and self.die_area is None:
            raise ValueError("a yield from defect_density needs die_area")
        return self


class Windowed(Model):
    start: MonthParam | None = None
    end: MonthParam | None = None
    levers: list[Name] = []
    description: FreeText = ""


class FabLine(Windowed):
    kind: Literal["fab_line"]
    wafer_starts: WaferRate | None = None
    wafer_diameter: Annotated[Param, _reader(u.LENGTH, curve=False)] = Field(
        default_factory=lambda: parse_param("300 mm", u.LENGTH)
    )
    cycle_time: Duration = Field(default_factory=lambda: parse_param("3 month", u.DURATION))
    dies: list[DieOutput] = Field(min_length=1)

    @model_validator(mode="after")
    def _starts(self) -> FabLine:
        if self.wafer_starts is None and any(d.share is not None for d in self.dies):
            raise ValueError("a die given as a share of wafer starts needs the line's wafer_starts")
        return self


class MemoryLine(Windowed):
    kind: Literal["memory_line"]
    component: Name
    stacks: CountRate | None = None
    dram_wafer_starts: WaferRate | None = None
    dies_per_wafer: Annotated[Param, _reader(u.PER_WAFER)] | None = None
    dies_per_stack: Annotated[Param, _reader(u.PER_STACK, curve=False)] | None = None
    stacking_yield: Fraction | None = None
    lag: Duration | None = None

    @model_validator(mode="after")
    def _one_way(self) -> MemoryLine:
        derived = (self.dram_wafer_starts, self.dies_per_wafer, self.dies_per_stack)
        if self.stacks is None and any(x is None for x in derived):
            raise ValueError("give stacks, or all of dram_wafer_starts, dies_per_wafer and dies_per_stack")
        if self.stacks is not None and any(x is not None for x in derived):
            raise ValueError("give stacks or dram_wafer_starts with dies_per_wafer and dies_per_stack, not both")
        return self


class Stockpile(Model):
    kind: Literal["stockpile"]
    component: Name
    initial: Count = Field(default_factory=lambda: parse_param(0, u.COUNT))
    arrivals: dict[Month, Count] = {}
    max_draw: CountRate | None = None
    description: FreeText = ""


class Flow(Windowed):
    kind: Literal["flow"]
    component: Name
    rate: CountRate


Source = Annotated[FabLine | MemoryLine | Stockpile | Flow, Field(discriminator="kind")]


class PackagingLine(Model):
    capacity: CountRate
    packaging_yield: Fraction | None = Field(default=None, alias="yield")
    lag: Duration | None = None
    levers: list[Name] = []
    description: FreeText = ""


class Variant(Model):
    priority: int = Field(ge=1, strict=True)
    bill: dict[Name, Annotated[Param, _reader(u.COUNT, curve=False)]] = Field(min_length=1)
    packaging: Name | None = None
    slots: Annotated[Param, _reader(u.COUNT, curve=False)] | None = None
    description: FreeText = ""


class Specs(Model):
    dense_bf16: Annotated[Param, _reader(u.COMPUTE, curve=False)] | None = None
    dense_fp8: Annotated[Param, _reader(u.COMPUTE, curve=False)] | None = None
    dense_int8: Annotated[Param, _reader(u.COMPUTE, curve=False)] | None = None
    memory: Annotated[Param, _reader(u.MEMORY, curve=False)] | None = None
    bandwidth: Annotated[Param, _reader(u.BANDWIDTH, curve=False)] | None = None
    power: Annotated[Param, _reader(u.POWER, curve=False)] | None = None
    price: Annotated[Param, _reader(u.MONEY, curve=False)] | None = None


class Product(Model):
    vendor: Label
    origin: Literal["domestic", "imported"]
    platform: Name | None = None
    specs: Specs = Specs()
    launch: MonthParam | None = None
    end_of_life: MonthParam | None = None
    demand_cap: CountRate | None = None
    delivery_lag: Duration | None = None
    service_life: Annotated[Param, _reader(u.SERVICE_LIFE, curve=False)] | None = None
    variants: dict[Name, Variant] = {}
    description: FreeText = ""


class Platform(Model):
    utilisation: Fraction
    description: FreeText = ""


class Import(Windowed):
    product: Name
    units: CountRate


class Rental(Windowed):
    h100e: Annotated[Param, _reader(u.H100E)]


class MarketDemand(Model):
    units: CountRate
    cap_domestic: StrictBool = True
    description: FreeText = ""


class InstalledBase(Model):
    product: Name
    units: Count
    installed: Month


class WorkInProgress(Model):
    product: Name
    units: Count
    completes: Month


class Initial(Model):
    installed_base: list[InstalledBase] = []
    work_in_progress: list[WorkInProgress] = []


def _h100(field: str, text: str) -> Any:
    source = "https://www.nvidia.com/en-us/data-center/h100/ (H100 SXM5 datasheet, dense, no sparsity)"
    raw = {"value": text, "source": source, "date": "2023-09", "grade": "A"}
    kind = u.BANDWIDTH if field == "bandwidth" else u.COMPUTE
    return Field(default_factory=lambda: parse_param(raw, kind, curve=False))


class Reference(Model):
    """The H100-equivalent: the unit compute is counted in."""

    dense_bf16: Annotated[Param, _reader(u.COMPUTE, curve=False)] = _h100("dense_bf16", "989.4 TFLOPS")
    dense_8bit: Annotated[Param, _reader(u.COMPUTE, curve=False)] = _h100("dense_8bit", "1978.9 TFLOPS")
    bandwidth: Annotated[Param, _reader(u.BANDWIDTH, curve=False)] = _h100("bandwidth", "3.35 TB/s")


class Correlation(Model):
    between: list[Label] = Field(min_length=2, max_length=2)
    rank: float = Field(gt=-1.0, lt=1.0, strict=True)


class Scenario(Model):
    stackbound: Version
    name: ScenarioName
    description: FreeText = ""
    notes: list[FreeText] = []
    horizon: Horizon
    metric: Literal["dense_bf16", "dense_8bit", "memory_bandwidth"] = "dense_bf16"
    reference: Reference = Reference()
    levers: dict[Name, Lever] = {}
    components: dict[Name, Component] = Field(min_length=1)
    sources: dict[Name, Source] = Field(min_length=1)
    packaging: dict[Name, PackagingLine] = {}
    products: dict[Name, Product] = Field(min_length=1)
    platforms: dict[Name, Platform] = {}
    imports: dict[Name, Import] = {}
    offshore_rental: dict[Name, Rental] = {}
    market_demand: MarketDemand | None = None
    initial: Initial = Initial()
    correlations: list[Correlation] = []
    correlation_repair: Literal["nearest", "error"] = "nearest"
