"""Shared helpers for the engine tests: scenario dicts written as YAML and loaded, one
block of samples simulated directly, and a hypothesis strategy for small random scenarios.

Numbers in a generated scenario are :class:`Num` leaves, so one generated tree can be
rendered three ways: as constants, with uniform uncertainty, or with zero-width
distributions (which must give the same results as the constants).
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import strategies as st
from numpy.typing import NDArray

from stackbound.cli.app import main
from stackbound.engine.allocate import Paths, Solver, simulate
from stackbound.engine.plan import Plan, build_plan
from stackbound.engine.sampling import block_uniforms, draws_from_uniforms
from stackbound.engine.supply import Supply, build_supply
from stackbound.scenario.loader import LoadedScenario, load_scenario
from stackbound.scenario.months import format_month, parse_month

FloatArray = NDArray[np.float64]

AMPLE = 1e12
"""A supply or capacity far above anything a test scenario uses."""

START = "2025-01"


def month(offset: int, start: str = START) -> str:
    """The month ``offset`` months after ``start``, written YYYY-MM."""
    return format_month(parse_month(start) + offset)


# ------------------------------------------------------------------ loading


def load(data: dict[str, Any], directory: Path | None = None, name: str = "scenario") -> LoadedScenario:
    """Write ``data`` as a YAML scenario file (in ``directory``, or a throwaway one) and load it."""
    text = yaml.safe_dump(data, sort_keys=False)
    if directory is not None:
        path = directory / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        return load_scenario(path)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name}.yaml"
        path.write_text(text, encoding="utf-8")
        return load_scenario(path)


def scenario(
    *,
    components: dict[str, Any],
    sources: dict[str, Any],
    products: dict[str, Any],
    packaging: dict[str, Any] | None = None,
    start: str = START,
    end: str = "2025-12",
    **sections: Any,
) -> dict[str, Any]:
    """A scenario mapping with the boilerplate filled in."""
    data: dict[str, Any] = {
        "stackbound": 1,
        "name": "test",
        "horizon": {"start": start, "end": end},
        "components": components,
        "sources": sources,
        "products": products,
    }
    if packaging is not None:
        data["packaging"] = packaging
    data.update(sections)
    return data


def product(
    bill: dict[str, Any],
    *,
    priority: int = 1,
    packaging: str | None = "pkg",
    variant: str = "main",
    vendor: str = "VendorA",
    origin: str = "domestic",
    **fields: Any,
) -> dict[str, Any]:
    """A product with one variant."""
    spec: dict[str, Any] = {"priority": priority, "bill": bill}
    if packaging is not None:
        spec["packaging"] = packaging
    return {"vendor": vendor, "origin": origin, **fields, "variants": {variant: spec}}


# ------------------------------------------------------------------ one block, directly


def block(loaded: LoadedScenario, n: int, seed: int = 0) -> tuple[Plan, Supply]:
    """Plan and supply of the first ``n`` (≤ one block) samples of ``seed``."""
    uniforms = block_uniforms(seed, 0, n, [inp.name for inp in loaded.inputs])
    draws = draws_from_uniforms(loaded.inputs, loaded.copula, uniforms)
    plan = build_plan(loaded)
    return plan, build_supply(plan, draws, n)


def simulate_block(
    loaded: LoadedScenario, n: int, seed: int = 0, solver: Callable[[Plan, Supply], Solver] | None = None
) -> tuple[Plan, Supply, Paths]:
    plan, supply = block(loaded, n, seed)
    return plan, supply, simulate(plan, supply, n, None if solver is None else solver(plan, supply))


def opening(paths: Paths) -> FloatArray:
    """Each account's inventory before the month's arrivals: last month's closing (0 at
    first)."""
    result = np.zeros_like(paths.closing)
    result[:, 1:] = paths.closing[:, :-1]
    return result


def available(plan: Plan, supply: Supply, paths: Paths) -> FloatArray:
    """What each component could give each month (components, T, n), recomputed from the
    paths: opening + arrivals of each account, rationed by its share of a stockpile's max
    draw, summed (scenarios without a runway)."""
    on_hand = opening(paths) + paths.arrived
    result = np.zeros((len(plan.components), *on_hand.shape[1:]))
    for a, account in enumerate(plan.accounts):
        if account.line:
            continue
        limit = supply.max_draw[account.pool]
        share = supply.account_share[a]
        result[account.component] += on_hand[a] if limit is None else np.minimum(on_hand[a], limit * share)
    return result


# ------------------------------------------------------------------ generated scenarios


ZERO_WIDTH: dict[str, Callable[[Any], Any]] = {
    "fixed": lambda x: {"fixed": x},
    "uniform": lambda x: {"uniform": [x, x]},
    "triangular": lambda x: {"triangular": [x, x, x]},
    "pert": lambda x: {"pert": [x, x, x]},
    "choice": lambda x: {"choice": {"values": [x]}},
    "bernoulli": lambda x: {"bernoulli": {"p": 0.5, "values": [x, x]}},
}


@dataclass(frozen=True)
class Num:
    """A number in a generated scenario: ``value``, a uniform range ``[low, high]`` used
    when rendered uncertain, and the family used when rendered with zero width."""

    value: float | str
    low: float | None = None
    high: float | None = None
    family: str = "uniform"

    def render(self, mode: str) -> Any:
        if mode == "uncertain" and self.low is not None and self.high is not None and self.low < self.high:
            return {"uniform": [self.low, self.high]}
        if mode == "zero_width":
            return ZERO_WIDTH[self.family](self.value)
        return self.value


def render(node: Any, mode: str = "uncertain") -> Any:
    """A generated tree as scenario data: ``constant``, ``uncertain`` or ``zero_width``."""
    if isinstance(node, Num):
        return node.render(mode)
    if isinstance(node, dict):
        return {key: render(value, mode) for key, value in node.items()}
    if isinstance(node, list):
        return [render(value, mode) for value in node]
    return node


Change = Callable[[Num, float], Num]


def _scale(num: Num, factor: float) -> Num:
    assert isinstance(num.value, float)
    low = None if num.low is None else num.low * factor
    high = None if num.high is None else num.high * factor
    return replace(num, value=num.value * factor, low=low, high=high)


def _toward_one(num: Num, factor: float) -> Num:
    """A fraction moved towards 1: ``x + (1 − x)(1 − 1/factor)``."""
    assert isinstance(num.value, float)
    share = 1.0 - 1.0 / factor

    def up(x: float | None) -> float | None:
        return None if x is None else min(1.0, x + (1.0 - x) * share)

    return replace(num, value=up(num.value), low=up(num.low), high=up(num.high))


def _shrink(num: Num, factor: float) -> Num:
    return _scale(num, 1.0 / factor)


CHANGES: dict[str, Change] = {"scale": _scale, "toward_one": _toward_one, "shrink": _shrink}


@dataclass
class Generated:
    """A generated scenario tree, and the paths of its supply inputs with the change
    that means "more supply" for each (scale up, a fraction towards 1, a defect density down)."""

    tree: dict[str, Any]
    supply_inputs: list[tuple[tuple[str | int, ...], str]] = field(default_factory=list)

    def loaded(self, mode: str = "uncertain") -> LoadedScenario:
        return load(render(self.tree, mode))

    def more(self, path: tuple[str | int, ...], change: str, factor: float) -> Generated:
        """A copy with every number under ``path`` changed towards more supply."""
        tree = copy.deepcopy(self.tree)
        parent: Any = tree
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = _apply(parent[path[-1]], CHANGES[change], factor)
        return Generated(tree, list(self.supply_inputs))


def _apply(node: Any, change: Change, factor: float) -> Any:
    if isinstance(node, Num):
        return change(node, factor)
    if isinstance(node, dict):
        return {key: value if key == "shift" else _apply(value, change, factor) for key, value in node.items()}
    if isinstance(node, list):
        return [_apply(value, change, factor) for value in node]
    return node


@st.composite
def nums(
    draw: st.DrawFn, low: int, high: int, *, scale: float = 1.0, fraction: bool = False, spread: bool = True
) -> Num:
    """A number ``scale × k`` with ``k`` in ``[low, high]``; maybe with a ±20% uniform range."""
    value = draw(st.integers(low, high)) * scale
    family = draw(st.sampled_from(sorted(ZERO_WIDTH)))
    if not spread or not draw(st.booleans()):
        return Num(float(value), family=family)
    lo, hi = value * 0.8, value * 1.2
    if fraction:
        hi = min(hi, 1.0)
    return Num(float(value), float(lo), float(hi), family)


@st.composite
def rates(draw: st.DrawFn, low: int, high: int, scale: float, months: int, *, curve: bool = True) -> Any:
    """A rate: a number, or a two-knot curve inside the horizon (maybe stepped or shifted)."""
    if not curve or not draw(st.booleans()):
        return draw(nums(low, high, scale=scale))
    first = draw(st.integers(0, months - 1))
    second = draw(st.integers(first + 1, months + 2))
    knots = {month(first): draw(nums(low, high, scale=scale)), month(second): draw(nums(low, high, scale=scale))}
    result: dict[str, Any] = {"knots": knots}
    if draw(st.booleans()):
        result["step"] = True
    if draw(st.booleans()):
        # Never fixed when rendered uncertain or zero-width: a fixed shift of uncertain knots
        # trips an engine bug (see test_known_answers.test_fixed_shift_of_uncertain_curve).
        shift = draw(st.integers(0, 3))
        family = draw(st.sampled_from(sorted(set(ZERO_WIDTH) - {"fixed"})))
        result["shift"] = Num(float(shift), float(shift), float(shift + 2), family)
    return result


def _launch(draw: st.DrawFn, months: int) -> Num | None:
    if not draw(st.booleans()):
        return None
    return Num(month(draw(st.integers(0, months - 1))), family=draw(st.sampled_from(sorted(ZERO_WIDTH))))


@st.composite
def scenarios(draw: st.DrawFn, *, max_months: int = 18, correlated: bool = False) -> Generated:
    """A small random scenario: a fab line and maybe a die bank for logic dies, an HBM line
    and maybe an HBM stockpile, maybe another memory from a flow, one or two packaging
    lines, one to four variants over one to three products, maybe imports and market demand."""
    months = draw(st.integers(3, max_months))
    gen = Generated({})
    components: dict[str, Any] = {"logic": {"kind": "logic_die"}, "hbm": {"kind": "hbm_stack"}}
    sources: dict[str, Any] = {"fab": _fab(draw, months, correlated, gen)}
    if draw(st.booleans()):
        sources["bank"] = _stockpile(draw, "logic", 0, 300, 1e3, months)
        gen.supply_inputs += [(("sources", "bank", "initial"), "scale")]
        components["logic"]["draw_order"] = draw(st.permutations(["fab", "bank"]))
    sources["hbm_line"] = _memory_line(draw, months, gen)
    if draw(st.booleans()):
        sources["hbm_stock"] = _stockpile(draw, "hbm", 0, 300, 1e4, months)
        gen.supply_inputs += [(("sources", "hbm_stock", "initial"), "scale")]
        components["hbm"]["draw_order"] = draw(st.permutations(["hbm_line", "hbm_stock"]))
    if draw(st.booleans()):
        components["mem"] = {"kind": "memory"}
        sources["mem_flow"] = {"kind": "flow", "component": "mem", "rate": draw(rates(1, 100, 1e3, months))}
        gen.supply_inputs += [(("sources", "mem_flow", "rate"), "scale")]
    lines = ["pkg0"] if not draw(st.booleans()) else ["pkg0", "pkg1"]
    packaging = {line: _packaging(draw, months, correlated and line == "pkg0") for line in lines}
    for line in lines:
        gen.supply_inputs += [(("packaging", line, "capacity"), "scale"), (("packaging", line, "yield"), "toward_one")]
    data: dict[str, Any] = {
        "stackbound": 1,
        "name": "generated",
        "horizon": {"start": START, "end": month(months - 1)},
        "components": components,
        "sources": sources,
        "packaging": packaging,
        "products": _products(draw, months, list(components), lines),
    }
    if draw(st.booleans()):
        data["products"]["imported"] = {"vendor": "ForeignCo", "origin": "imported"}
        data["imports"] = {"licensed": {"product": "imported", "units": draw(rates(0, 50, 1e3, months))}}
    if draw(st.booleans()):
        data["market_demand"] = {"units": draw(rates(1, 100, 2e3, months)), "cap_domestic": draw(st.booleans())}
    if correlated:
        rank = draw(st.sampled_from([-0.7, -0.3, 0.4, 0.8]))
        data["correlations"] = [{"between": ["sources.fab.wafer_starts", "packaging.pkg0.capacity"], "rank": rank}]
    gen.tree = data
    return gen


def _fab(draw: st.DrawFn, months: int, correlated: bool, gen: Generated) -> dict[str, Any]:
    starts = draw(rates(1, 30, 100.0, months, curve=not correlated))
    if correlated:
        starts = Num(starts.value, starts.value * 0.5, starts.value * 1.5, starts.family)
    fab: dict[str, Any] = {"kind": "fab_line", "wafer_starts": starts, "cycle_time": draw(nums(0, 3, spread=False))}
    start = _launch(draw, months)
    if start is not None:
        fab["start"] = start
    die: dict[str, Any] = {"component": "logic", "share": draw(nums(20, 100, scale=0.01, fraction=True))}
    gen.supply_inputs += [
        (("sources", "fab", "wafer_starts"), "scale"),
        (("sources", "fab", "dies", 0, "share"), "toward_one"),
    ]
    if draw(st.booleans()):
        die["dies_per_wafer"] = draw(nums(20, 120))
        die["yield"] = draw(nums(30, 100, scale=0.01, fraction=True))
        gen.supply_inputs += [(("sources", "fab", "dies", 0, "yield"), "toward_one")]
    else:
        die["die_area"] = draw(nums(100, 800))
        die["defect_density"] = draw(nums(5, 50, scale=0.01))
        die["yield_model"] = draw(st.sampled_from(["poisson", "murphy"]))
        gen.supply_inputs += [(("sources", "fab", "dies", 0, "defect_density"), "shrink")]
    fab["dies"] = [die]
    return fab


def _stockpile(draw: st.DrawFn, component: str, low: int, high: int, scale: float, months: int) -> dict[str, Any]:
    pile: dict[str, Any] = {"kind": "stockpile", "component": component, "initial": draw(nums(low, high, scale=scale))}
    if draw(st.booleans()):
        pile["max_draw"] = draw(rates(1, 100, scale / 5, months))
    if draw(st.booleans()):
        pile["arrivals"] = {month(draw(st.integers(0, months - 1))): draw(nums(1, 100, scale=scale))}
    return pile


def _memory_line(draw: st.DrawFn, months: int, gen: Generated) -> dict[str, Any]:
    line: dict[str, Any] = {"kind": "memory_line", "component": "hbm", "lag": draw(nums(0, 3, spread=False))}
    if draw(st.booleans()):
        line["stacks"] = draw(rates(0, 100, 2e3, months))
        gen.supply_inputs += [(("sources", "hbm_line", "stacks"), "scale")]
    else:
        line["dram_wafer_starts"] = draw(rates(0, 50, 100.0, months))
        line["dies_per_wafer"] = draw(nums(200, 1000))
        line["dies_per_stack"] = draw(nums(4, 12, spread=False))
        line["stacking_yield"] = draw(nums(40, 100, scale=0.01, fraction=True))
        gen.supply_inputs += [
            (("sources", "hbm_line", "dram_wafer_starts"), "scale"),
            (("sources", "hbm_line", "stacking_yield"), "toward_one"),
        ]
    start = _launch(draw, months)
    if start is not None:
        line["start"] = start
    return line


def _packaging(draw: st.DrawFn, months: int, correlated: bool) -> dict[str, Any]:
    capacity = draw(rates(1, 100, 1e3, months, curve=not correlated))
    if correlated:
        capacity = Num(capacity.value, capacity.value * 0.5, capacity.value * 1.5, capacity.family)
    line: dict[str, Any] = {"capacity": capacity, "yield": draw(nums(50, 100, scale=0.01, fraction=True))}
    if draw(st.booleans()):
        line["lag"] = draw(nums(0, 2, spread=False))
    return line


def _products(draw: st.DrawFn, months: int, components: list[str], lines: list[str]) -> dict[str, Any]:
    count = draw(st.integers(1, 3))
    per_product = [draw(st.integers(1, 2)) for _ in range(count)]
    while sum(per_product) > 4:
        per_product[per_product.index(max(per_product))] -= 1
    priorities = iter(draw(st.permutations(range(1, sum(per_product) + 1))))
    products: dict[str, Any] = {}
    for i, variants in enumerate(per_product):
        spec: dict[str, Any] = {"vendor": f"Vendor{i % 2}", "origin": "domestic", "variants": {}}
        for j in range(variants):
            spec["variants"][f"v{j}"] = _variant(draw, next(priorities), components, lines)
        if draw(st.booleans()):
            spec["demand_cap"] = draw(rates(1, 100, 500.0, months))
        launch = _launch(draw, months)
        if launch is not None:
            spec["launch"] = launch
        products[f"accel{i}"] = spec
    return products


def _variant(draw: st.DrawFn, priority: int, components: list[str], lines: list[str]) -> dict[str, Any]:
    used = draw(st.lists(st.sampled_from(components), min_size=1, max_size=len(components), unique=True))
    bill = {c: draw(nums(1, 4 if c == "logic" else 12, spread=c != "logic")) for c in used}
    variant: dict[str, Any] = {"priority": priority, "bill": bill}
    line = draw(st.sampled_from([*lines, None]))
    if line is not None:
        variant["packaging"] = line
        if draw(st.booleans()):
            variant["slots"] = draw(nums(1, 3, spread=False))
    return variant


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``stackbound ARGS`` in process as a user would: (exit status, stdout, stderr).
    Faster than a subprocess (no imports to repeat); ``main`` exits through SystemExit."""
    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 1 if done.code else 0
    captured = capsys.readouterr()
    return code, captured.out, captured.err
