"""Marginal values and growth needed: known answers worked out by hand.

Common random numbers make an input that never binds worth exactly zero; where one input
always binds, one more of it gives the bill's worth of units, times the packaging yield.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from stackbound.analysis.marginal import MarginalValues, Target, growth_needed, marginal_values, top_growth
from stackbound.cli.marginal import command
from stackbound.engine.run import run
from stackbound.errors import SimulationError
from support import AMPLE, load, product, scenario

LOGIC_HBM = {"logic": {"kind": "logic_die"}, "hbm": {"kind": "hbm_stack"}}
RTOL = 1e-4
"""Annual totals are float32; a 1% nudge moves them far above that rounding."""


def _by_name(values: MarginalValues) -> dict[str, Any]:
    return {v.input.name: v for v in values.values}


def _hbm_binds(tmp_path: Path, packaging_yield: float = 0.9, capacity: Any = AMPLE, hbm: Any = None) -> Any:
    """HBM from a flow always binds (8 stacks a unit); logic and packaging are ample."""
    sources = {
        "logic_flow": {"kind": "flow", "component": "logic", "rate": AMPLE},
        "hbm_flow": {"kind": "flow", "component": "hbm", "rate": hbm or {"uniform": [80_000, 160_000]}},
    }
    packaging = {"pkg": {"capacity": capacity, "yield": packaging_yield}}
    accel = product({"logic": 1, "hbm": 8}, specs={"dense_bf16": "1978.8 TFLOPS"})  # 2 H100e a unit
    data = scenario(
        components=LOGIC_HBM, sources=sources, packaging=packaging, products={"accel": accel}, end="2026-12"
    )
    return load(data, tmp_path)


def test_hbm_that_always_binds_is_worth_one_eighth_unit_per_stack_times_packaging_yield(tmp_path: Path) -> None:
    values = marginal_values(_hbm_binds(tmp_path), samples=64, seed=1)
    assert values.years == (2025, 2026)
    hbm = _by_name(values)["hbm supply"]
    assert hbm.input.per == "HBM stack"
    np.testing.assert_allclose(hbm.units, [0.9 / 8] * 2, rtol=RTOL)
    np.testing.assert_allclose(hbm.compute, [2 * 0.9 / 8] * 2, rtol=RTOL)
    assert hbm.elasticity == pytest.approx(1.0, rel=RTOL)
    assert values.values[0] is hbm  # sorted by elasticity


def test_inputs_that_never_bind_are_worth_exactly_zero(tmp_path: Path) -> None:
    values = _by_name(marginal_values(_hbm_binds(tmp_path), samples=64, seed=1))
    for name in ("logic supply", "pkg packaging capacity"):
        assert values[name].units == (0.0, 0.0)
        assert values[name].compute == (0.0, 0.0)
        assert values[name].elasticity == 0.0


def _logic_binds(tmp_path: Path) -> Any:
    """A fab line of 1500 wafer starts a month, half of them for the die (60 a wafer, 75%
    yield): 33 750 good dies a month, two a unit; HBM and packaging ample."""
    die = {"component": "logic", "share": 0.5, "dies_per_wafer": 60, "yield": 0.75}
    sources = {
        "fab": {"kind": "fab_line", "wafer_starts": 1500, "cycle_time": "2 month", "dies": [die]},
        "hbm_flow": {"kind": "flow", "component": "hbm", "rate": {"uniform": ["1B", "2B"]}},
    }
    data = scenario(
        components=LOGIC_HBM,
        sources=sources,
        packaging={"pkg": {"capacity": AMPLE, "yield": 1.0}},
        products={"accel": product({"logic": 2, "hbm": 8})},
        end="2026-12",
    )
    return load(data, tmp_path)


def test_wafer_starts_die_yield_and_dies_by_hand(tmp_path: Path) -> None:
    values = _by_name(marginal_values(_logic_binds(tmp_path), samples=16, seed=2))
    np.testing.assert_allclose(values["fab wafer starts"].units, [0.5 * 60 * 0.75 / 2] * 2, rtol=RTOL)  # 11.25
    assert values["fab wafer starts"].input.level == pytest.approx(1500)
    # one more point of yield on every wafer of the year: 12 × 1500 × 0.5 × 60 × 0.01 / 2 units
    np.testing.assert_allclose(values["fab die yield"].units, [12 * 1500 * 0.5 * 60 * 0.01 / 2] * 2, rtol=RTOL)
    np.testing.assert_allclose(values["logic supply"].units, [0.5] * 2, rtol=RTOL)
    assert values["hbm supply"].units == (0.0, 0.0)


def test_growth_search_finds_the_linear_factor(tmp_path: Path) -> None:
    loaded = _hbm_binds(tmp_path)
    target = Target("units", 2026)
    item = _by_name(marginal_values(loaded, samples=64, seed=3, target=target))["hbm supply"].input
    base = float(np.percentile(run(loaded, samples=64, seed=3).annual_values("units")[:, 1], 50, method="inverted_cdf"))
    growth = growth_needed(loaded, item, target, 0.5, samples=64, seed=3, relative=True)
    assert growth.base_p50 == pytest.approx(base, rel=1e-6)
    assert growth.factor == pytest.approx(1.5, rel=0.006)
    assert growth.binding is None
    assert "must grow 1.5" in growth.describe()
    absolute = growth_needed(loaded, item, target, 0.25 * base, samples=64, seed=3)
    assert absolute.factor == pytest.approx(1.25, rel=0.006)


def test_growth_blocked_by_another_constraint_names_it(tmp_path: Path) -> None:
    # 80k stacks make 10k attempts a month; packaging takes 12k: HBM can lift output by 20% at most
    loaded = _hbm_binds(tmp_path, packaging_yield=1.0, capacity=12_000, hbm=80_000)
    values = marginal_values(loaded, samples=4, seed=0)
    (growth,) = top_growth(loaded, values, 0.5, top=1, relative=True)
    assert growth.input.name == "hbm supply"
    assert growth.factor is None
    assert growth.binding == "packaging"
    assert growth.p50 == pytest.approx(12 * 12_000, rel=RTOL)
    assert "cannot lift" in growth.describe()
    assert "packaging binds instead" in growth.describe()
    reachable = growth_needed(loaded, growth.input, values.target, 0.1, samples=4, seed=0, relative=True)
    assert reachable.factor == pytest.approx(1.1, rel=0.006)


def test_bad_target_is_one_clear_error(tmp_path: Path) -> None:
    loaded = _hbm_binds(tmp_path)
    with pytest.raises(SimulationError, match="outside the horizon"):
        marginal_values(loaded, samples=4, seed=0, target=Target("units", 2031))
    with pytest.raises(SimulationError, match="unknown output 'unitz'"):
        marginal_values(loaded, samples=4, seed=0, target=Target("unitz", 2026))


def test_cli_table_json_and_growth(tmp_path: Path) -> None:
    _hbm_binds(tmp_path)
    path = str(tmp_path / "scenario.yaml")
    runner = CliRunner()
    result = runner.invoke(command, [path, "--samples", "32", "--format", "json", "--rise", "10%", "--top", "1"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    hbm = next(v for v in document["values"] if v["input"] == "hbm supply")
    assert hbm["units_per_unit"]["2026"] == pytest.approx(0.9 / 8, rel=RTOL)
    assert document["growth"][0]["factor"] == pytest.approx(1.1, rel=0.006)
    table = runner.invoke(command, [path, "--samples", "32", "--rise", "5k", "--target-year", "2025"])
    assert table.exit_code == 0, table.output
    assert "extra units per extra unit of input" in table.output
    assert "hbm supply" in table.output
    assert "must grow" in table.output
    bad = runner.invoke(command, [path, "--rise", "lots"])
    assert bad.exit_code == 2
    assert "not a number or a percentage" in bad.output


def test_a_rationed_stockpile_gets_its_ration_raised_with_the_extra_stacks(tmp_path: Path) -> None:
    pile = {"kind": "stockpile", "component": "hbm", "initial": "1B stack", "max_draw": {"uniform": [40_000, 80_000]}}
    sources = {"logic_flow": {"kind": "flow", "component": "logic", "rate": AMPLE}, "hbm_pile": pile}
    data = scenario(
        components=LOGIC_HBM,
        sources=sources,
        packaging={"pkg": {"capacity": AMPLE, "yield": 0.8}},
        products={"accel": product({"logic": 1, "hbm": 8})},
    )
    hbm = _by_name(marginal_values(load(data, tmp_path), samples=32, seed=4))["hbm supply"]
    np.testing.assert_allclose(hbm.units, [0.8 / 8], rtol=RTOL)
    assert 40_000 < hbm.input.level < 80_000  # the ration, not the billion stacks that arrive at once
