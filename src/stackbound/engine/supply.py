"""Everything that does not depend on allocation, for one block of samples.

Arrivals into every pool, packaging capacity and yield, launch windows, demand caps,
market demand, imports, rental, and per-unit compute are computed for all months at once
(arrays shaped ``(months, samples)``, time first so one month is one contiguous row;
parameters are evaluated months first too and only materialised where they must be).
A value written as a share of a total is its share times the total's one draw; a curve
written in months after a launch moves with each sample's drawn launch month. Per-unit
figures are the product's, and each variant's where it gives specs of its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from stackbound.engine.evaluate import Draws, evaluate, evaluate_scalar, lagged
from stackbound.engine.plan import Plan
from stackbound.engine.workspace import Workspace, empty
from stackbound.scenario.months import format_month
from stackbound.scenario.schema import (
    METRIC_REFERENCE,
    METRIC_SPECS,
    DieOutput,
    FabLine,
    Flow,
    MemoryLine,
    PackagingLine,
    Part,
    Product,
    Stockpile,
    Windowed,
)
from stackbound.scenario.values import LaunchCurve, Param, Scalar
from stackbound.scenario.yamlio import Path, format_path

__all__ = ["Supply", "build_supply", "gross_dies_per_wafer", "murphy_yield", "poisson_yield"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def gross_dies_per_wafer(die_area_mm2: FloatArray, wafer_diameter_mm: FloatArray) -> FloatArray:
    """Gross dies per wafer with edge loss: π(d/2)²/A − πd/√(2A) (de Vries, *IEEE Trans.
    Semicond. Manuf.* 18(1), 2005, eq. 1), floored at zero."""
    d, a = wafer_diameter_mm, die_area_mm2
    return np.maximum(math.pi * (d / 2.0) ** 2 / a - math.pi * d / np.sqrt(2.0 * a), 0.0)


def poisson_yield(die_area_mm2: FloatArray, defects_per_cm2: FloatArray) -> FloatArray:
    """Poisson die yield Y = exp(−A·D0), A in cm²."""
    return np.exp(-(die_area_mm2 / 100.0) * defects_per_cm2)


def murphy_yield(die_area_mm2: FloatArray, defects_per_cm2: FloatArray) -> FloatArray:
    """Murphy die yield Y = ((1 − exp(−A·D0)) / (A·D0))², A in cm² (Murphy, *Proc. IEEE*
    52, 1964); 1 when A·D0 = 0."""
    ad = np.asarray((die_area_mm2 / 100.0) * defects_per_cm2, dtype=np.float64)
    safe = np.where(ad > 0, ad, 1.0)
    return np.where(ad > 0, ((1.0 - np.exp(-safe)) / safe) ** 2, 1.0)


@dataclass
class Supply:
    """Exogenous inputs of one block. Shapes: T months, n samples."""

    arrivals: FloatArray  # (pools, T, n)
    die_yield: list[FloatArray | None]  # per fab-line pool (T, n): yield of the wafers arriving
    dies_per_start: list[FloatArray | None]  # per fab-line pool (T, n): ∂arrivals/∂wafer_starts, see fab_die
    max_draw: list[FloatArray | None]  # per pool (T, n)
    capacity: FloatArray  # (lines, T, n)
    packaging_yield: FloatArray  # (lines, T, n)
    packaging_lag: IntArray  # (lines, n)
    bill: FloatArray  # (variants, components, n)
    slots: FloatArray  # (variants, n)
    active: NDArray[np.bool_]  # (products, T, n)
    demand_cap: FloatArray  # (products, T, n), inf where uncapped
    market: FloatArray | None  # (T, n) left for domestic variants after imports
    imports: FloatArray  # (products, T, n) units delivered
    work_in_progress: FloatArray  # (products, T, n) units completing
    installed_base: FloatArray  # (products, T, n) units of the starting base still in service
    delivery_lag: IntArray  # (products, n)
    service_life: IntArray  # (products, n); a huge number when nothing retires
    h100e: FloatArray  # (products, n) H100-equivalents per unit, on the scenario metric
    utilisation: FloatArray  # (products, T, n)
    bandwidth: FloatArray  # (products, n) TB/s per unit
    price: FloatArray  # (products, n) USD per unit, 0 where not given
    variant_h100e: FloatArray  # (variants, n) H100e per unit each variant makes: its own specs, else its product's
    variant_bandwidth: FloatArray  # (variants, n) TB/s per unit each variant makes
    variant_price: FloatArray  # (variants, n) USD per unit each variant makes
    own_specs: NDArray[np.bool_]  # (products,) whether some variant has its own figure of what the outputs read
    rental: FloatArray  # (T, n) H100e accessible offshore
    variant_yield: FloatArray  # (variants, T, n) good packages per attempt
    account_share: list[FloatArray]  # per account, broadcastable to (T, n): its part of its pool or line
    priority: FloatArray | None  # (variants, T, n) when any priority varies; None: the plan's order
    runway_left: list[FloatArray | None]  # per pool (T, n): months of a planned runway still to run
    scheduled_after: list[FloatArray | None]  # per pool (T, n): tranches still to come before the plan ends
    reserve: list[FloatArray | None]  # per pool (T, n): stock kept for the reserve's products
    weights: list[list[FloatArray | None]]  # per account, per claimant (T, n); None: its need


Factor = NDArray[np.float64] | NDArray[np.bool_]
_name = lru_cache(maxsize=8192)(format_path)
"""An input's name from its path (the same few hundred paths, every chunk)."""


def _times(first: Factor, *factors: Factor | None) -> FloatArray:
    """``first`` times every factor that is given (``None`` stands for 1)."""
    result: FloatArray = np.asarray(first, dtype=np.float64) if first.dtype == np.bool_ else first  # type: ignore[assignment]
    for factor in factors:
        if factor is not None:
            result = result * factor
    return result


class _Builder:
    """Evaluates a scenario's parameters for one block, months first: every series
    broadcasts to (months, n) and is only materialised where it must be."""

    def __init__(self, plan: Plan, draws: Draws, n: int, workspace: Workspace | None = None) -> None:
        self.plan, self.draws, self.n, self.workspace = plan, draws, n, workspace
        self.scenario = plan.loaded.scenario
        self.months = plan.months
        self.T = len(plan.months)
        self.parts = plan.parts

    def array(
        self, name: str, shape: tuple[int, ...], fill: float | None = None, dtype: DTypeLike = np.float64
    ) -> NDArray[Any]:
        """A block array of the supply, from the workspace when there is one (filled with
        ``fill``, or to be written whole)."""
        out = empty(self.workspace, f"supply.{name}", shape, dtype)
        if fill is not None:
            out.fill(fill)
        return out

    def series(
        self, param: Param | Part | None, path: Path, default: float, months: IntArray | None = None
    ) -> FloatArray:
        """``param`` over ``months`` (default: the horizon), broadcastable to (M, n)."""
        if param is None:
            return np.full((1, 1), default)
        grid = self.months if months is None else months
        if isinstance(param, Part):
            total = self.series(
                self.scenario.totals[param.share_of].value, ("totals", param.share_of, "value"), 0, grid
            )
            return self.share(param, path, grid) * total
        if isinstance(param.value, LaunchCurve):
            return evaluate(param, _name(path), self.draws, grid, self.launch(param.value, path))
        return evaluate(param, _name(path), self.draws, grid)

    def share(self, part: Part, path: Path, grid: IntArray) -> FloatArray:
        """A part's share of its total over ``grid``; ``rest`` is 1 − the other parts'
        shares (floored at 0), so the parts sum to exactly the total."""
        if isinstance(part.share, Param):
            return self.series(part.share, (*path, "share"), 0.0, grid)
        others = [
            self.series(p.share, (*q, "share"), 0.0, grid)
            for q, p in self.parts[part.share_of]
            if q != path and isinstance(p.share, Param)
        ]
        return np.maximum(1.0 - sum(others, np.zeros((1, 1))), 0.0)

    def launch(self, curve: LaunchCurve, path: Path) -> IntArray:
        """The launch month, per sample, that a curve written after a launch moves with: of
        ``relative_to``, else of the product the value belongs to (the checks make sure
        there is one and that it has a launch)."""
        product = curve.relative_to or (str(path[1]) if path[0] == "products" else "")
        launch = self.scenario.products[product].launch if product in self.scenario.products else None
        if launch is None:
            raise TypeError(f"{_name(path)}: a curve after a launch without a product launch to follow")
        return self.months_int(launch, ("products", product, "launch"), 0.0)

    def full(self, param: Param | Part | None, path: Path, default: float) -> FloatArray:
        """``param`` over the horizon as a (T, n) array of its own."""
        return np.broadcast_to(self.series(param, path, default), (self.T, self.n)).copy()  # writable, C order

    def scalar(self, param: Param | Part | None, path: Path, default: float) -> FloatArray:
        if param is None:
            return np.full(self.n, default)
        if isinstance(param, Part):  # a share of a count: one number per sample
            one = self.series(param, path, default, np.zeros(1, dtype=np.int64)).reshape(-1)
            return np.broadcast_to(one, (self.n,)).copy()
        return np.broadcast_to(evaluate_scalar(param, _name(path), self.draws), (self.n,)).copy()

    def months_int(self, param: Param | None, path: Path, default: float) -> IntArray:
        return np.rint(self.scalar(param, path, default)).astype(np.int64)

    def lag(self, param: Param | None, path: Path) -> IntArray:
        """A delay in whole months, at least 0 (default 0): the compiled kernels that apply
        lags check no index."""
        return np.maximum(self.months_int(param, path, 0.0), 0)

    def window(self, obj: Windowed | Product, path: Path, grid: IntArray) -> NDArray[np.bool_] | None:
        """Months of ``grid`` inside the object's start–end window, (M, n); ``None`` when
        it has neither."""
        start_name, end_name = ("launch", "end_of_life") if isinstance(obj, Product) else ("start", "end")
        start_param, end_param = getattr(obj, start_name), getattr(obj, end_name)
        if start_param is None and end_param is None:
            return None
        start = self.scalar(start_param, (*path, start_name), -np.inf)
        end = self.scalar(end_param, (*path, end_name), np.inf)
        return (grid[:, None] >= np.rint(start)[None, :]) & (grid[:, None] <= np.rint(end)[None, :])

    def levers(self, names: list[str], grid: IntArray) -> FloatArray | None:
        """The product of the named levers over ``grid``; ``None`` for no levers."""
        factor = None
        for name in names:
            value = self.series(self.scenario.levers[name].value, ("levers", name, "value"), 1.0, grid)
            factor = value if factor is None else factor * value
        return factor

    def lag_grid(self, lag: IntArray) -> IntArray:
        """The months from the earliest a ``lag``-late horizon month needs, to the end."""
        return np.arange(self.months[0] - max(int(lag.max()), 0), self.months[-1] + 1)

    # ------------------------------------------------------------------ sources

    def fab_die(self, name: str, line: FabLine, i: int, die: DieOutput) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Good dies arriving per month, the die yield of the wafers they came from, and the
        good dies arriving per wafer start written in the scenario (the line's
        ``wafer_starts``, or the die's own when it has them): share × window × levers × dies
        per wafer × yield, the derivative of arrivals by wafer starts (for marginal values)."""
        path: Path = ("sources", name)
        dpath: Path = (*path, "dies", i)
        lag = self.lag(line.cycle_time, (*path, "cycle_time"))
        grid = self.lag_grid(lag)
        fed: FloatArray | None = None
        if die.wafer_starts is not None:
            starts = self.series(die.wafer_starts, (*dpath, "wafer_starts"), 0.0, grid)
        else:
            total = self.series(line.wafer_starts, (*path, "wafer_starts"), 0.0, grid)
            fed = self.die_share(name, line, i, grid)
            starts = total * fed
        window, levers = self.window(line, path, grid), self.levers(line.levers, grid)
        starts = _times(starts, window, levers)
        area = self.scalar(die.die_area, (*dpath, "die_area"), 0.0)[None, :]
        if die.dies_per_wafer is not None:
            per_wafer = self.series(die.dies_per_wafer, (*dpath, "dies_per_wafer"), 0.0, grid)
        else:
            per_wafer = gross_dies_per_wafer(
                area, self.scalar(line.wafer_diameter, (*path, "wafer_diameter"), 300.0)[None, :]
            )
        if die.die_yield is not None:
            good = self.series(die.die_yield, (*dpath, "yield"), 1.0, grid)
        else:
            density = self.series(die.defect_density, (*dpath, "defect_density"), 0.0, grid)
            good = (poisson_yield if die.yield_model == "poisson" else murphy_yield)(area, density)
        good = good * self.series(die.sellable, (*dpath, "sellable"), 1.0, grid)
        first = int(grid[0])
        per_start = _times(np.ones((1, 1)) if fed is None else fed, window, levers) * per_wafer * good
        arriving = lagged(starts * per_wafer * good, first, self.months, lag)
        return arriving, lagged(good, first, self.months, lag), lagged(per_start, first, self.months, lag)

    def die_share(self, name: str, line: FabLine, i: int, grid: IntArray) -> FloatArray:
        """Die ``i``'s share of the line's wafer starts; ``rest`` is what the others leave."""
        share = line.dies[i].share
        if isinstance(share, Param):
            return self.series(share, ("sources", name, "dies", i, "share"), 0.0, grid)
        others = [
            self.series(d.share, ("sources", name, "dies", j, "share"), 0.0, grid)
            for j, d in enumerate(line.dies)
            if j != i and isinstance(d.share, Param)
        ]
        return np.maximum(1.0 - sum(others, np.zeros((1, 1))), 0.0)

    def memory(self, name: str, line: MemoryLine) -> FloatArray:
        path: Path = ("sources", name)
        lag = self.lag(line.lag, (*path, "lag"))
        grid = self.lag_grid(lag)
        if line.stacks is not None:
            made = self.series(line.stacks, (*path, "stacks"), 0.0, grid)
        else:
            wafers = self.series(line.dram_wafer_starts, (*path, "dram_wafer_starts"), 0.0, grid)
            dies = self.series(line.dies_per_wafer, (*path, "dies_per_wafer"), 0.0, grid)
            per_stack = self.scalar(line.dies_per_stack, (*path, "dies_per_stack"), 1.0)[None, :]
            made = wafers * dies / per_stack
        made = made * self.series(line.stacking_yield, (*path, "stacking_yield"), 1.0, grid)
        made = _times(made, self.window(line, path, grid), self.levers(line.levers, grid))
        return lagged(made, int(grid[0]), self.months, lag)

    def stockpile(self, name: str, pile: Stockpile) -> FloatArray:
        path: Path = ("sources", name)
        arrivals = np.zeros((self.T, self.n))
        arrivals[0] += self.scalar(pile.initial, (*path, "initial"), 0.0)
        for month, amount in pile.arrivals.items():
            arrivals[month - self.months[0]] += self.scalar(amount, (*path, "arrivals", format_month(month)), 0.0)
        return arrivals

    def flow(self, name: str, flow: Flow) -> FloatArray:
        path: Path = ("sources", name)
        rate = _times(self.series(flow.rate, (*path, "rate"), 0.0), self.window(flow, path, self.months))
        return _times(rate, self.levers(flow.levers, self.months))

    def arrivals(self) -> tuple[FloatArray, list[FloatArray | None]]:
        result = self.array("arrivals", (len(self.plan.pools), self.T, self.n))  # every pool is written
        self.die_yield: list[FloatArray | None] = [None] * len(self.plan.pools)
        self.dies_per_start: list[FloatArray | None] = [None] * len(self.plan.pools)
        max_draw: list[FloatArray | None] = []
        for p, pool in enumerate(self.plan.pools):
            source = self.scenario.sources[pool.source]
            limit = None
            if isinstance(source, FabLine):
                assert pool.die_index is not None
                result[p], self.die_yield[p], self.dies_per_start[p] = self.fab_die(
                    pool.source, source, pool.die_index, source.dies[pool.die_index]
                )
            elif isinstance(source, MemoryLine):
                result[p] = self.memory(pool.source, source)
            elif isinstance(source, Flow):
                result[p] = self.flow(pool.source, source)
            else:
                result[p] = self.stockpile(pool.source, source)
                if source.max_draw is not None:
                    limit = self.full(source.max_draw, ("sources", pool.source, "max_draw"), np.inf)
            max_draw.append(limit)
        return result, max_draw


def _account_shares(b: _Builder) -> list[FloatArray]:
    """Each account's part of its pool or line, (T, n)-broadcastable; a ``rest`` share is
    1 − the other owners' shares (floored at 0), so the parts sum to exactly 1."""
    plan = b.plan
    given: list[FloatArray | None] = [
        None if a.share is None else b.series(a.share, a.share_path, 1.0) for a in plan.accounts
    ]
    shares: list[FloatArray] = []
    for a, account in enumerate(plan.accounts):
        share = given[a]
        if share is None:
            siblings = [
                given[o]
                for o, other in enumerate(plan.accounts)
                if o != a and other.line == account.line and other.pool == account.pool
            ]
            share = np.maximum(1.0 - sum((x for x in siblings if x is not None), np.zeros((1, 1))), 0.0)
        shares.append(share)
    return shares


def _priorities(b: _Builder) -> FloatArray | None:
    """(variants, T, n) priorities when any is uncertain or a curve; None when every one is
    a fixed number (the plan's order holds for all months and samples)."""
    plan, scenario = b.plan, b.scenario
    params = [scenario.products[plan.products[v.product]].variants[v.key].priority for v in plan.variants]
    if not any(p.uncertain or not isinstance(p.value, Scalar) for p in params):
        return None
    out = b.array("priority", (len(params), b.T, b.n))
    for v, (spec, param) in enumerate(zip(plan.variants, params, strict=True)):
        pname = plan.products[spec.product]
        out[v] = np.broadcast_to(
            b.series(param, ("products", pname, "variants", spec.key, "priority"), 1.0), (b.T, b.n)
        )
    return out


def _rationing(b: _Builder) -> tuple[list[FloatArray | None], list[FloatArray | None], list[FloatArray | None]]:
    """Per pool: months of a planned runway still to run (this month included; 0 once it
    has ended), the tranches still to come before it ends (when they count), and the
    reserve level."""
    runway: list[FloatArray | None] = []
    scheduled: list[FloatArray | None] = []
    reserve: list[FloatArray | None] = []
    for pool in b.plan.pools:
        source = b.scenario.sources[pool.source]
        left = after = kept = None
        if isinstance(source, Stockpile) and source.runway is not None:
            path: Path = ("sources", pool.source, "runway")
            until = np.rint(b.scalar(source.runway.until, (*path, "until"), 0.0))
            left = np.maximum(until[None, :] - b.months[:, None] + 1.0, 0.0)
            if source.runway.counts_scheduled:
                after = _scheduled_after(b, pool.source, source, until)
        if isinstance(source, Stockpile) and source.reserve is not None:
            path = ("sources", pool.source, "reserve", "amount")
            kept = b.full(source.reserve.amount, path, 0.0)
        runway.append(left)
        scheduled.append(after)
        reserve.append(kept)
    return runway, scheduled, reserve


def _scheduled_after(b: _Builder, name: str, pile: Stockpile, until: FloatArray) -> FloatArray:
    """(T, n): the tranches that arrive after month t and no later than ``until``."""
    after = np.zeros((b.T, b.n))
    for month, amount in pile.arrivals.items():
        size = b.scalar(amount, ("sources", name, "arrivals", format_month(month)), 0.0)
        due = (b.months[:, None] < month) & (month <= until[None, :])
        after += due * size[None, :]
    return after


def _weights(b: _Builder) -> list[list[FloatArray | None]]:
    return [
        [None if w is None else b.full(w, path, 1.0) for w, path in zip(a.weights, a.weight_paths, strict=True)]
        for a in b.plan.accounts
    ]


def _variant_yield(b: _Builder, pyield: FloatArray) -> FloatArray:
    """Good packages per attempt of each variant: its own ``yield``, else its line's (1
    without a line)."""
    out = b.array("variant_yield", (len(b.plan.variants), b.T, b.n))  # every row is written
    for v, spec in enumerate(b.plan.variants):
        pname = b.plan.products[spec.product]
        own = b.scenario.products[pname].variants[spec.key].packaging_yield
        if own is not None:
            out[v] = b.series(own, ("products", pname, "variants", spec.key, "yield"), 1.0)
        elif spec.packaging is not None:
            out[v] = pyield[spec.packaging]
        else:
            out[v] = 1.0
    return out


def _packages_per_wafer(b: _Builder, path: Path, line: PackagingLine) -> FloatArray | None:
    """Packages per interposer wafer: given, or gross dies per wafer of the interposer area
    (the fab line's edge-loss formula); None when capacity is in packages already."""
    if line.packages_per_wafer is not None:
        return b.series(line.packages_per_wafer, (*path, "packages_per_wafer"), 0.0)
    if line.interposer_area is None:
        return None
    area = b.scalar(line.interposer_area, (*path, "interposer_area"), 0.0)[None, :]
    return gross_dies_per_wafer(area, b.scalar(line.wafer_diameter, (*path, "wafer_diameter"), 300.0)[None, :])


def _packaging(b: _Builder) -> tuple[FloatArray, FloatArray, IntArray]:
    lines = b.scenario.packaging
    capacity = b.array("capacity", (len(lines), b.T, b.n))  # every line is written
    pyield = b.array("packaging_yield", (len(lines), b.T, b.n))
    lag = np.zeros((len(lines), b.n), dtype=np.int64)
    for i, (name, line) in enumerate(lines.items()):
        path: Path = ("packaging", name)
        written = b.series(line.capacity, (*path, "capacity"), 0.0)
        per_wafer = _packages_per_wafer(b, path, line)
        capacity[i] = _times(written, per_wafer, b.levers(line.levers, b.months))
        pyield[i] = b.series(line.packaging_yield, (*path, "yield"), 1.0)
        lag[i] = b.lag(line.lag, (*path, "lag"))
    return capacity, pyield, lag


def _variants(b: _Builder) -> tuple[FloatArray, FloatArray]:
    plan = b.plan
    bill = np.zeros((len(plan.variants), len(plan.components), b.n))
    slots = np.ones((len(plan.variants), b.n))
    for v, spec in enumerate(plan.variants):
        pname = plan.products[spec.product]
        variant = b.scenario.products[pname].variants[spec.key]
        path: Path = ("products", pname, "variants", spec.key)
        for cname, amount in variant.bill.items():
            bill[v, plan.components.index(cname)] = b.scalar(amount, (*path, "bill", cname), 0.0)
        slots[v] = b.scalar(variant.slots, (*path, "slots"), 1.0)
    return bill, slots


def _figure(b: _Builder, name: str, product: Product, field: str, variant: str | None = None) -> FloatArray:
    """One spec of a unit that ``variant`` makes (``None``: of a unit made without one), 0
    where neither the variant nor the product gives it."""
    param, where = product.spec(field, variant)
    return b.scalar(param, ("products", name, *where), 0.0)


def _per_unit_compute(b: _Builder, name: str, product: Product, variant: str | None = None) -> FloatArray:
    """H100-equivalents per unit (of those ``variant`` makes): the first given spec the
    metric reads (the variant's own, else the product's) ÷ the reference's."""
    metric = b.scenario.metric
    keys = METRIC_SPECS[metric]
    key = next((k for k in keys if product.spec(k, variant)[0] is not None), keys[0])
    reference = METRIC_REFERENCE[metric]
    ref = b.scalar(getattr(b.scenario.reference, reference), ("reference", reference), 1.0)
    return _figure(b, name, product, key, variant) / ref


def _output_specs(metric: str) -> frozenset[str]:
    """The specs per-unit outputs read: the metric's, bandwidth and price."""
    return frozenset({*METRIC_SPECS[metric], "bandwidth", "price"})


def _gives_own(product: Product, read: frozenset[str]) -> bool:
    """Whether some variant of ``product`` gives its own figure of one of the specs ``read``."""
    return any(v.specs is not None and not read.isdisjoint(v.specs.given()) for v in product.variants.values())


def _variant_figures(b: _Builder, h100e: FloatArray, bandwidth: FloatArray, price: FloatArray) -> dict[str, object]:
    """Each variant's H100e, TB/s and USD per unit: its product's, except where the variant
    gives its own specs; ``own_specs`` marks the products with a variant whose own figures
    the outputs read (only theirs are summed variant by variant)."""
    plan, products = b.plan, b.scenario.products
    read = _output_specs(b.scenario.metric)
    own = np.array([_gives_own(product, read) for product in products.values()], dtype=bool)
    rows = plan.arrays.variant_product
    figures = {"variant_h100e": h100e[rows], "variant_bandwidth": bandwidth[rows], "variant_price": price[rows]}
    for v, spec in enumerate(plan.variants):
        name = plan.products[spec.product]
        product = products[name]
        if own[spec.product] and product.variants[spec.key].specs is not None:
            figures["variant_h100e"][v] = _per_unit_compute(b, name, product, spec.key)
            figures["variant_bandwidth"][v] = _figure(b, name, product, "bandwidth", spec.key)
            figures["variant_price"][v] = _figure(b, name, product, "price", spec.key)
    return {**figures, "own_specs": own}


def _products(b: _Builder, supply: dict[str, object]) -> None:
    P, T, n = len(b.plan.products), b.T, b.n
    active = b.array("active", (P, T, n), dtype=np.bool_)  # every row is written
    cap = b.array("demand_cap", (P, T, n))
    delivery = np.zeros((P, n), dtype=np.int64)
    life = np.full((P, n), 10**6, dtype=np.int64)
    h100e, bandwidth, price = np.zeros((P, n)), np.zeros((P, n)), np.zeros((P, n))
    utilisation = b.array("utilisation", (P, T, n))
    for p, (name, product) in enumerate(b.scenario.products.items()):
        path: Path = ("products", name)
        window = b.window(product, path, b.months)
        active[p] = True if window is None else window
        cap[p] = b.series(product.demand_cap, (*path, "demand_cap"), np.inf)
        delivery[p] = b.lag(product.delivery_lag, (*path, "delivery_lag"))
        if product.service_life is not None:
            life[p] = np.maximum(b.months_int(product.service_life, (*path, "service_life"), 0.0), 1)
        h100e[p] = _per_unit_compute(b, name, product)
        bandwidth[p] = _figure(b, name, product, "bandwidth")
        price[p] = _figure(b, name, product, "price")
        platform = b.scenario.platforms[product.platform].utilisation if product.platform is not None else None
        utilisation[p] = b.series(platform, ("platforms", str(product.platform), "utilisation"), 1.0)
    supply.update(active=active, demand_cap=cap, delivery_lag=delivery, service_life=life)
    supply.update(h100e=h100e, bandwidth=bandwidth, price=price, utilisation=utilisation)
    supply.update(_variant_figures(b, h100e, bandwidth, price))


def _trade(b: _Builder, supply: dict[str, object]) -> None:
    P, T, n = len(b.plan.products), b.T, b.n
    imports = b.array("imports", (P, T, n), 0.0)
    for name, imp in b.scenario.imports.items():
        path: Path = ("imports", name)
        units = _times(b.series(imp.units, (*path, "units"), 0.0), b.window(imp, path, b.months))
        imports[b.plan.products.index(imp.product)] += _times(units, b.levers(imp.levers, b.months))
    rental = np.zeros((T, n))
    h100e = supply["h100e"]
    assert isinstance(h100e, np.ndarray)
    for name, rent in b.scenario.offshore_rental.items():
        path = ("offshore_rental", name)
        if rent.product is not None:  # units of a product, on the scenario's metric
            per_unit = h100e[b.plan.products.index(rent.product)][None, :]
            amount = b.series(rent.units, (*path, "units"), 0.0) * per_unit
        else:
            amount = b.series(rent.h100e, (*path, "h100e"), 0.0)
        level = _times(amount, b.window(rent, path, b.months))
        rental += _times(level, b.levers(rent.levers, b.months))
    market = None
    if b.scenario.market_demand is not None and b.scenario.market_demand.cap_domestic:
        demand = b.series(b.scenario.market_demand.units, ("market_demand", "units"), np.inf)
        market = np.broadcast_to(np.maximum(demand - imports.sum(axis=0), 0.0), (T, n)).copy()  # writable, C order
    supply.update(imports=imports, rental=rental, market=market)


def _initial(b: _Builder, supply: dict[str, object]) -> None:
    P, T, n = len(b.plan.products), b.T, b.n
    wip = b.array("work_in_progress", (P, T, n), 0.0)
    base = b.array("installed_base", (P, T, n), 0.0)
    life = supply["service_life"]
    assert isinstance(life, np.ndarray)
    for i, entry in enumerate(b.scenario.initial.work_in_progress):
        month = entry.completes - int(b.months[0])
        if 0 <= month < T:
            units = b.scalar(entry.units, ("initial", "work_in_progress", i, "units"), 0.0)
            wip[b.plan.products.index(entry.product), month] += units
    for i, base_entry in enumerate(b.scenario.initial.installed_base):
        p = b.plan.products.index(base_entry.product)
        units = b.scalar(base_entry.units, ("initial", "installed_base", i, "units"), 0.0)
        in_service = b.months[:, None] < base_entry.installed + life[p][None, :]
        base[p] += units[None, :] * in_service
    supply.update(work_in_progress=wip, installed_base=base)


def build_supply(plan: Plan, draws: Draws, n: int, workspace: Workspace | None = None) -> Supply:
    """All exogenous arrays for ``n`` samples whose inputs are ``draws``. Extreme inputs
    (1e308 wafers, a 1e-300 mm² die) overflow to inf or nan, carried into the results and
    flagged by the reports, without numpy's warnings. With a ``workspace`` the largest
    arrays are the worker's, reused (overwritten) by its next chunk; without, all are fresh."""
    with np.errstate(all="ignore"):
        b = _Builder(plan, draws, n, workspace)
        arrivals, max_draw = b.arrivals()
        capacity, pyield, plag = _packaging(b)
        bill, slots = _variants(b)
        fields: dict[str, object] = {}
        _products(b, fields)
        _trade(b, fields)
        _initial(b, fields)
        runway, scheduled, reserve = _rationing(b)
        fields.update(runway_left=runway, scheduled_after=scheduled, reserve=reserve)
        fields.update(account_share=_account_shares(b), priority=_priorities(b), weights=_weights(b))
        fields.update(variant_yield=_variant_yield(b, pyield))
    return Supply(
        arrivals=arrivals,
        die_yield=b.die_yield,
        dies_per_start=b.dies_per_start,
        max_draw=max_draw,
        capacity=capacity,
        packaging_yield=pyield,
        packaging_lag=plag,
        bill=bill,
        slots=slots,
        **fields,  # type: ignore[arg-type]
    )
