"""The scenario schema: frozen pydantic models, validated once at load.

Numeric fields hold :class:`~stackbound.scenario.values.Param` (a constant, distribution or
curve in engine units, with provenance). ``docs/scenario-format.md`` documents every key.
Cross-references (a bill naming a component, a source naming a lever) are checked by
:mod:`stackbound.scenario.checks` once the shapes are right.

Each field that counts has one counting unit (:func:`~stackbound.scenario.units.count_kind`).
Fields of a source or a bill count what their component is (``COMPONENT_COUNTS``): before the
fields are read, :meth:`Scenario._counts` wraps each such raw value in :class:`Counted` with
its component's kind, so ``1M stack`` in a die bank is refused where it is read.

Arrivals may be shares of a named uncertain total (``totals:``): a field written
``{share_of: smuggled_hbm, share: 40 %}`` is a :class:`Part`, and the total takes the kind
of the fields that are its parts (:meth:`Scenario._counts` again), so it is one draw per
sample shared by all of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StringConstraints, model_validator

from stackbound.scenario import units as u
from stackbound.scenario.months import format_month, parse_month
from stackbound.scenario.text import FreeText, Label, ScenarioName, excerpt
from stackbound.scenario.values import MONTH, Param, parse_param

__all__ = [
    "COMPONENT_COUNTS",
    "REST",
    "SHARED",
    "SHARE_OF",
    "Allocation",
    "Counted",
    "Owned",
    "Part",
    "Scenario",
    "Source",
    "Total",
]

COMPONENT_COUNTS = {"logic_die": "die", "hbm_stack": "stack", "memory": "package", "other": "unit"}
"""The counting unit of each component kind: what its sources and bills count."""


@dataclass(frozen=True)
class Counted:
    """A raw value of a counting field, with the kind the scenario gives that field (and,
    for a total, whether its parts allow a curve over time)."""

    raw: object
    kind: u.Kind
    curve: bool | None = None


def _read(raw: object, kind: u.Kind, curve: bool) -> Param:
    if isinstance(raw, Counted):
        return parse_param(raw.raw, raw.kind, curve=curve if raw.curve is None else raw.curve)
    return parse_param(raw, kind, curve=curve)


def _reader(kind: u.Kind, *, curve: bool = True) -> BeforeValidator:
    """Validation of one numeric field: a Param of ``kind`` (a curve over months if ``curve``),
    or of the kind a :class:`Counted` value brings."""
    return BeforeValidator(lambda raw: _read(raw, kind, curve))


NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_\-]*$"
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN, max_length=80)]
Month = Annotated[int, BeforeValidator(parse_month)]
WaferRate = Annotated[Param, _reader(u.WAFER_RATE)]
CountRate = Annotated[Param, _reader(u.COUNT_RATE)]  # of a component: Scenario._counts sets the unit
UnitRate = Annotated[Param, _reader(u.UNIT_RATE)]
UnitCount = Annotated[Param, _reader(u.UNIT_COUNT, curve=False)]
Fraction = Annotated[Param, _reader(u.FRACTION)]
Duration = Annotated[Param, _reader(u.DURATION, curve=False)]
MonthParam = Annotated[Param, _reader(MONTH, curve=False)]


def _version(raw: object) -> object:
    """The format version: the integer 1 (not ``true``, not ``1.0``)."""
    if type(raw) is not int or raw != 1:
        raise ValueError(f"format version must be 1, got {excerpt(raw)}")
    return raw


Version = Annotated[Literal[1], BeforeValidator(_version)]

REST = "rest"
"""An owner's share written as what the other shares leave, so they sum to exactly 1."""
SHARED = "shared"
"""The owner name of a common part of a source: any vendor may draw on it."""
NEED = "need"
"""A proportional weight equal to what the claimant could use this month."""


def _share(raw: object) -> Param | str:
    return REST if raw == REST else parse_param(raw, u.FRACTION)


def _weight(raw: object) -> Param | str:
    return NEED if raw == NEED else parse_param(raw, u.MULTIPLIER)


def _priority(raw: object) -> Param:
    """A priority: a whole number (1 is first), or a curve or distribution of them."""
    if isinstance(raw, bool | float) or (isinstance(raw, int) and raw < 1):
        raise ValueError(f"a fixed priority is a whole number from 1 (first), got {excerpt(raw)}")
    return parse_param(raw, u.PRIORITY)


Share = Annotated[Param | str, BeforeValidator(_share)]
Weight = Annotated[Param | str, BeforeValidator(_weight)]
Priority = Annotated[Param, BeforeValidator(_priority)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True, populate_by_name=True)


SHARE_OF = "share_of"
"""The key of a value written as a share of a named total."""
_PART_KEYS = frozenset({SHARE_OF, "share"})


class Part(Model):
    """A value written as a share of a named total, ``{share_of: smuggled_hbm, share: 40 %}``
    (``share: rest`` is 1 − the other parts' shares); ``kind`` is the kind of the field it
    stands in, set where it is read (:func:`_part`), never written in a file."""

    share_of: Name
    share: Share
    kind: u.Kind = Field(exclude=True, repr=False)


class Total(Model):
    """A named total that several fields are shares of (smuggled HBM split among channels):
    one draw per sample shared by all its parts. Its ``value`` takes the kind of its parts
    (:meth:`Scenario._counts`)."""

    value: Annotated[Param, _reader(u.COUNT_RATE)]
    description: FreeText = ""


def _part(raw: dict[Any, Any], kind: u.Kind, curve: bool) -> Part:
    """``{share_of: total, share: fraction or rest}`` read as a :class:`Part` of ``kind``;
    the share is one number (no curve) where the field takes none."""
    unknown = set(raw) - _PART_KEYS
    if unknown:
        raise ValueError(f"unknown key(s) {sorted(map(str, unknown))} beside share_of (allowed: share, share_of)")
    total = raw[SHARE_OF]
    if not isinstance(total, str) or not re.match(NAME_PATTERN, total) or len(total) > 80:
        raise ValueError(f"share_of must name a total (a key of totals), got {excerpt(total)}")
    if "share" not in raw:
        raise ValueError(f"a share of total {total!r} needs its share: a fraction, or rest")
    share = REST if raw["share"] == REST else parse_param(raw["share"], u.FRACTION, curve=curve)
    return Part.model_construct(share_of=total, share=share, kind=kind)


def _read_part(raw: object, kind: u.Kind, curve: bool) -> Param | Part:
    inner, own = (raw.raw, raw.kind) if isinstance(raw, Counted) else (raw, kind)
    if isinstance(inner, dict) and SHARE_OF in inner:
        return _part(inner, own, curve)
    return _read(raw, kind, curve)


def _part_reader(kind: u.Kind, *, curve: bool = True) -> BeforeValidator:
    """Like :func:`_reader`, for a field that may also be a share of a total."""
    return BeforeValidator(lambda raw: _read_part(raw, kind, curve))


WaferStarts = Annotated[Param | Part, _part_reader(u.WAFER_RATE)]
PartRate = Annotated[Param | Part, _part_reader(u.COUNT_RATE)]  # of a component: Scenario._counts sets the unit
PartCount = Annotated[Param | Part, _part_reader(u.COUNT, curve=False)]  # likewise
PartUnitRate = Annotated[Param | Part, _part_reader(u.UNIT_RATE)]


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


class Allocation(Model):
    """How a shared pool is split among the vendors whose products draw on it: by priority
    (variants in priority order, the default) or in proportion to weights, water-filling."""

    policy: Literal["priority", "proportional"] = "priority"
    weights: dict[Label, Weight] | None = None
    description: FreeText = ""

    @model_validator(mode="after")
    def _weights_need_proportional(self) -> Allocation:
        if self.weights is not None and self.policy != "proportional":
            raise ValueError("weights are for policy: proportional")
        return self


class Owned(Model):
    """Who may draw on a source or a packaging line: one vendor (``owner``), vendors by
    shares (``owners``, one of which may be ``rest``; ``shared`` names a common part), or,
    with neither, everyone (a shared pool, split by ``allocation``)."""

    owner: Label | None = None
    owners: dict[Label, Share] | None = None
    allocation: Allocation | None = None

    @model_validator(mode="after")
    def _one_owner_form(self) -> Owned:
        if self.owner is not None and self.owners is not None:
            raise ValueError("give owner (one vendor) or owners (shares), not both")
        if self.owners is not None:
            rests = [name for name, share in self.owners.items() if share == REST]
            if len(rests) > 1:
                raise ValueError(f"only one owner's share may be 'rest', got {len(rests)}: {', '.join(rests)}")
            if not self.owners:
                raise ValueError("owners needs at least one vendor and its share")
        if self.allocation is not None and self.owner is not None and self.owner != SHARED:
            raise ValueError("allocation applies to a shared pool; this one is owned")
        return self

    def shares(self) -> dict[str, Param | str]:
        """Owner → share (``shared`` for the common part); one owner of everything when
        ``owner`` is given, ``{shared: rest}`` when neither is."""
        if self.owners is not None:
            return dict(self.owners)
        return {self.owner if self.owner is not None else SHARED: REST}


class Lever(Model):
    value: Annotated[Param, _reader(u.MULTIPLIER)]
    description: FreeText = ""


class Component(Model):
    kind: Literal["logic_die", "hbm_stack", "memory", "other"]
    generation: Label | None = None
    description: FreeText = ""
    draw_order: list[Name] | None = None
    allocation: Allocation | None = None
    """The policy of this component's shared pools, unless a source gives its own."""


class DieOutput(Owned):
    """One die type made on a fab line: its wafers, its gross dies and its yield; its owners
    (when not given, the line's)."""

    component: Name
    share: Share | None = None
    wafer_starts: WaferStarts | None = None
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


class FabLine(Windowed, Owned):
    kind: Literal["fab_line"]
    wafer_starts: WaferStarts | None = None
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


class MemoryLine(Windowed, Owned):
    kind: Literal["memory_line"]
    component: Name
    stacks: PartRate | None = None
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


class Runway(Model):
    """A planned runway: each month draw at most what is held ÷ the months of the plan still
    to run (this one included); from ``until`` on, no limit."""

    until: MonthParam
    counts_scheduled: StrictBool = False
    """Whether what is held counts the tranches still scheduled to arrive before ``until``."""
    description: FreeText = ""


class Reserve(Model):
    """Stock kept for named products: other products may draw only what is held above
    ``amount``; the named ones draw on the reserve first."""

    amount: Annotated[Param, _reader(u.COUNT)]  # see Scenario._counts
    products: list[Name] = Field(min_length=1)
    description: FreeText = ""


class Stockpile(Owned):
    kind: Literal["stockpile"]
    component: Name
    initial: PartCount = Field(default_factory=lambda: parse_param(0, u.COUNT))
    arrivals: dict[Month, PartCount] = {}
    max_draw: CountRate | None = None
    runway: Runway | None = None
    reserve: Reserve | None = None
    description: FreeText = ""

    @model_validator(mode="after")
    def _one_split(self) -> Stockpile:
        if self.reserve is not None and self.allocation is not None and self.allocation.policy == "proportional":
            raise ValueError("a stockpile is either split proportionally or keeps a reserve, not both")
        return self


class Flow(Windowed, Owned):
    kind: Literal["flow"]
    component: Name
    rate: PartRate


Source = Annotated[FabLine | MemoryLine | Stockpile | Flow, Field(discriminator="kind")]


_CONVERTERS = ("packages_per_wafer", "interposer_area")


class PackagingLine(Owned):
    """A packaging line: package attempts per month, or interposer wafers per month with
    packages per wafer (given, or gross dies per wafer of ``interposer_area``); owned, split
    by shares or shared like a source."""

    capacity: Annotated[Param, _reader(u.PACKAGE_RATE)]
    packages_per_wafer: Annotated[Param, _reader(u.PACKAGES_PER_WAFER)] | None = None
    interposer_area: Annotated[Param, _reader(u.AREA, curve=False)] | None = None
    wafer_diameter: Annotated[Param, _reader(u.LENGTH, curve=False)] | None = None
    packaging_yield: Fraction | None = Field(default=None, alias="yield")
    lag: Duration | None = None
    levers: list[Name] = []
    description: FreeText = ""

    @model_validator(mode="before")
    @classmethod
    def _in_wafers(cls, data: Any) -> Any:
        """With packages per wafer (or the area that gives them), capacity is in wafers."""
        if not isinstance(data, dict) or "capacity" not in data or not any(k in data for k in _CONVERTERS):
            return data
        return {**data, "capacity": Counted(data["capacity"], u.INTERPOSER_WAFER_RATE)}

    @model_validator(mode="after")
    def _one_conversion(self) -> PackagingLine:
        if self.packages_per_wafer is not None and self.interposer_area is not None:
            raise ValueError("give packages_per_wafer or interposer_area (packages per wafer are computed), not both")
        if self.wafer_diameter is not None and self.interposer_area is None:
            raise ValueError("wafer_diameter is used only to compute packages per wafer from interposer_area")
        return self

    @property
    def in_wafers(self) -> bool:
        """Whether capacity counts interposer wafers (else package attempts)."""
        return self.packages_per_wafer is not None or self.interposer_area is not None


class Specs(Model):
    """Per-unit figures of a product, or of the units one of its variants makes."""

    dense_bf16: Annotated[Param, _reader(u.COMPUTE, curve=False)] | None = None
    dense_fp8: Annotated[Param, _reader(u.COMPUTE, curve=False)] | None = None
    dense_int8: Annotated[Param, _reader(u.COMPUTE, curve=False)] | None = None
    memory: Annotated[Param, _reader(u.MEMORY, curve=False)] | None = None
    bandwidth: Annotated[Param, _reader(u.BANDWIDTH, curve=False)] | None = None
    power: Annotated[Param, _reader(u.POWER, curve=False)] | None = None
    price: Annotated[Param, _reader(u.MONEY, curve=False)] | None = None

    def given(self) -> list[str]:
        """The fields this mapping gives, in schema order."""
        return [name for name in type(self).model_fields if getattr(self, name) is not None]


class Variant(Model):
    priority: Priority
    bill: dict[Name, Annotated[Param, _reader(u.COUNT, curve=False)]] = Field(min_length=1)  # see Scenario._counts
    packaging: Name | None = None
    slots: Annotated[Param, _reader(u.PACKAGE_COUNT, curve=False)] | None = None
    packaging_yield: Fraction | None = Field(default=None, alias="yield")
    """Good packages per attempt of this variant on its line, instead of the line's (a
    4-die package fails more often than a 1-die one)."""
    specs: Specs | None = None
    """Figures of the units this variant makes where they differ from its product's (a GDDR
    variant's bandwidth and memory); each field not given is the product's."""
    description: FreeText = ""


METRIC_SPECS: dict[str, tuple[str, ...]] = {
    "dense_bf16": ("dense_bf16",),
    "dense_8bit": ("dense_fp8", "dense_int8"),
    "memory_bandwidth": ("bandwidth",),
}
"""The specs each compute metric reads, the first given one winning (dense 8-bit: FP8, else
INT8)."""
METRIC_REFERENCE = {"dense_bf16": "dense_bf16", "dense_8bit": "dense_8bit", "memory_bandwidth": "bandwidth"}
"""The :class:`Reference` figure each compute metric divides by."""


class Product(Model):
    vendor: Label
    origin: Literal["domestic", "imported"]
    platform: Name | None = None
    specs: Specs = Specs()
    launch: MonthParam | None = None
    end_of_life: MonthParam | None = None
    demand_cap: UnitRate | None = None
    delivery_lag: Duration | None = None
    service_life: Annotated[Param, _reader(u.SERVICE_LIFE, curve=False)] | None = None
    variants: dict[Name, Variant] = {}
    description: FreeText = ""

    def spec(self, field: str, variant: str | None = None) -> tuple[Param | None, tuple[str, ...]]:
        """The figure ``field`` of one unit that ``variant`` makes (``None``: a unit made
        without one, as imports, work in progress and the installed base are), and where it
        is written below the product: the variant's own, else the product's."""
        own = None if variant is None else self.variants[variant].specs
        if variant is not None and own is not None and getattr(own, field) is not None:
            return getattr(own, field), ("variants", variant, "specs", field)
        return getattr(self.specs, field), ("specs", field)


class Platform(Model):
    utilisation: Fraction
    description: FreeText = ""


class Import(Windowed):
    product: Name
    units: PartUnitRate


class Rental(Windowed):
    """Compute accessed abroad: a level in H100e, or a number of units of a product
    (``units`` with ``product``), converted on the scenario's metric."""

    h100e: Annotated[Param, _reader(u.H100E)] | None = None
    units: Annotated[Param, _reader(u.UNIT_COUNT)] | None = None
    product: Name | None = None

    @model_validator(mode="after")
    def _one_level(self) -> Rental:
        if (self.h100e is None) == (self.units is None):
            raise ValueError("give h100e (a level in H100-equivalents) or units with product, not both or neither")
        if (self.units is None) != (self.product is None):
            raise ValueError("units of rented accelerators need the product they are (and a product needs units)")
        return self


class MarketDemand(Model):
    units: UnitRate
    cap_domestic: StrictBool = True
    description: FreeText = ""


class InstalledBase(Model):
    product: Name
    units: UnitCount
    installed: Month


class WorkInProgress(Model):
    product: Name
    units: UnitCount
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
    totals: dict[Name, Total] = {}
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

    @model_validator(mode="before")
    @classmethod
    def _counts(cls, data: Any) -> Any:
        """Give each count of a source or a bill its component's counting unit."""
        if not isinstance(data, dict):
            return data
        counts = _component_counts(data.get("components"))
        tagged = dict(data)
        if isinstance(data.get("sources"), dict):
            tagged["sources"] = {k: _count_source(v, counts) for k, v in data["sources"].items()}
        if isinstance(data.get("products"), dict):
            tagged["products"] = {k: _count_product(v, counts) for k, v in data["products"].items()}
        if isinstance(data.get("totals"), dict):
            kinds = _total_kinds(data, counts)
            tagged["totals"] = {k: _count_total(v, kinds.get(k)) for k, v in data["totals"].items()}
        return tagged


_SOURCE_COUNTS = {
    "stockpile": {"initial": False, "max_draw": True},
    "flow": {"rate": True},
    "memory_line": {"stacks": True},
}
"""The counting fields of each kind of source, and whether each is a rate."""


def _component_counts(components: object) -> dict[str, str]:
    """Component name → its counting unit, for the components whose kind is valid."""
    if not isinstance(components, dict):
        return {}
    kinds = {name: c.get("kind") for name, c in components.items() if isinstance(c, dict)}
    return {str(name): COMPONENT_COUNTS[k] for name, k in kinds.items() if isinstance(k, str) and k in COMPONENT_COUNTS}


def _counted(raw: object, count: str, *, rate: bool) -> Counted:
    return Counted(raw, u.count_kind(count, rate=rate))


def _count_source(source: object, counts: dict[str, str]) -> object:
    if not isinstance(source, dict) or not isinstance(source.get("component"), str):
        return source
    count, kind = counts.get(source["component"]), source.get("kind")
    if count is None or not isinstance(kind, str) or kind not in _SOURCE_COUNTS:
        return source
    tagged = {
        k: _counted(v, count, rate=_SOURCE_COUNTS[kind][k]) if k in _SOURCE_COUNTS[kind] else v
        for k, v in source.items()
    }
    if kind == "stockpile" and isinstance(source.get("arrivals"), dict):
        tagged["arrivals"] = {m: _counted(v, count, rate=False) for m, v in source["arrivals"].items()}
    reserve = source.get("reserve")
    if kind == "stockpile" and isinstance(reserve, dict) and "amount" in reserve:
        tagged["reserve"] = {**reserve, "amount": _counted(reserve["amount"], count, rate=False)}
    return tagged


def _count_product(product: object, counts: dict[str, str]) -> object:
    if not isinstance(product, dict) or not isinstance(product.get("variants"), dict):
        return product
    return {**product, "variants": {k: _count_bill(v, counts) for k, v in product["variants"].items()}}


def _count_bill(variant: object, counts: dict[str, str]) -> object:
    if not isinstance(variant, dict) or not isinstance(variant.get("bill"), dict):
        return variant
    bill = {c: _counted(v, counts[c], rate=False) if c in counts else v for c, v in variant["bill"].items()}
    return {**variant, "bill": bill}


def _mappings(node: object) -> list[dict[Any, Any]]:
    """The mappings among the values of a mapping (or the items of a list)."""
    values = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
    return [v for v in values if isinstance(v, dict)]


def _part_fields(data: dict[Any, Any], counts: dict[str, str]) -> Iterator[tuple[object, u.Kind, bool]]:
    """Every raw value that may be a share of a total, with its field's kind and whether
    the field takes a curve."""
    for source in _mappings(data.get("sources")):
        count, kind = counts.get(str(source.get("component"))), source.get("kind")
        rate = u.COUNT_RATE if count is None else u.count_kind(count, rate=True)
        number = u.COUNT if count is None else u.count_kind(count, rate=False)
        if kind == "fab_line":
            yield source.get("wafer_starts"), u.WAFER_RATE, True
            yield from ((die.get("wafer_starts"), u.WAFER_RATE, True) for die in _mappings(source.get("dies")))
        elif kind in ("flow", "memory_line"):
            yield source.get("rate" if kind == "flow" else "stacks"), rate, True
        elif kind == "stockpile":
            yield source.get("initial"), number, False
            arrivals = source.get("arrivals")
            yield from ((v, number, False) for v in (arrivals.values() if isinstance(arrivals, dict) else []))
    yield from ((imp.get("units"), u.UNIT_RATE, True) for imp in _mappings(data.get("imports")))


def _total_kinds(data: dict[Any, Any], counts: dict[str, str]) -> dict[str, tuple[u.Kind, bool]]:
    """Each total's kind, and whether it may be a curve: those of the first field that is a
    share of it (the reference checks refuse parts of another kind)."""
    kinds: dict[str, tuple[u.Kind, bool]] = {}
    for raw, kind, curve in _part_fields(data, counts):
        if isinstance(raw, dict) and isinstance(raw.get(SHARE_OF), str):
            kinds.setdefault(raw[SHARE_OF], (kind, curve))
    return kinds


def _count_total(total: object, kind: tuple[u.Kind, bool] | None) -> object:
    if kind is None or not isinstance(total, dict) or "value" not in total:
        return total
    return {**total, "value": Counted(total["value"], kind[0], kind[1])}
