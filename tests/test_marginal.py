"""Marginal values and growth needed: known answers worked out by hand.

Common random numbers make an input that never binds worth exactly zero; where one input
always binds, one more of it gives the bill's worth of units, times the packaging yield.
Extra output is credited to the year the extra input arrived, wherever in the horizon it
appears; the whole-horizon figure divides all of it by all the extra input.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from stackbound.analysis.growth import growth_needed, top_growth
from stackbound.analysis.marginal import MarginalValues, Target, marginal_values
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
    assert hbm.horizon_units == pytest.approx(0.9 / 8, rel=RTOL)
    assert hbm.horizon_compute == pytest.approx(2 * 0.9 / 8, rel=RTOL)
    assert hbm.input.bound == 1 / 8
    assert hbm.elasticity == pytest.approx(1.0, rel=RTOL)
    assert values.values[0] is hbm  # sorted by elasticity


def test_inputs_that_never_bind_are_worth_exactly_zero(tmp_path: Path) -> None:
    values = _by_name(marginal_values(_hbm_binds(tmp_path), samples=64, seed=1))
    for name in ("logic supply", "pkg packaging capacity"):
        assert values[name].units == (0.0, 0.0)
        assert values[name].compute == (0.0, 0.0)
        assert values[name].horizon_units == values[name].horizon_compute == 0.0
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
    # the whole-horizon figures: per wafer start over both years; per point held through both years
    assert values["fab wafer starts"].horizon_units == pytest.approx(11.25, rel=RTOL)
    assert values["fab die yield"].horizon_units == pytest.approx(24 * 1500 * 0.5 * 60 * 0.01 / 2, rel=RTOL)
    assert values["logic supply"].input.bound == 0.5
    assert values["fab wafer starts"].input.bound is None
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
    assert hbm["horizon"]["units_per_unit"] == pytest.approx(0.9 / 8, rel=RTOL)
    assert hbm["horizon"]["h100e_per_unit"] == pytest.approx(2 * 0.9 / 8, rel=RTOL)
    assert hbm["bound_units_per_unit"] == 1 / 8
    assert document["attributed_to"] == "arrival year"
    assert document["growth"][0]["factor"] == pytest.approx(1.1, rel=0.006)
    table = runner.invoke(command, [path, "--samples", "32", "--rise", "5k", "--target-year", "2025"])
    assert table.exit_code == 0, table.output
    assert "extra units per extra unit of input, over the whole horizon, and by the year" in table.output
    assert "whole horizon" in table.output
    assert "1 / bill" in table.output
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


def _stranded_then_used(tmp_path: Path) -> Any:
    """80k stacks a month (8 a unit, 10k units' worth); packaging takes 5k a month in 2025,
    so 480k stacks pile up, and 20k a month in 2026, which uses them up by June; then HBM
    binds. Every stack is used within the horizon."""
    capacity = {"knots": {"2025-01": 5_000, "2026-01": 20_000}, "step": True}
    return _hbm_binds(tmp_path, packaging_yield=0.9, capacity=capacity, hbm=80_000)


def test_stacks_stranded_in_one_year_and_used_the_next_count_where_they_arrived(tmp_path: Path) -> None:
    # Issue 11: crediting output to the year it appears gave 2026 the 2025 stacks too,
    # 2 × 0.9 / 8 = 0.225 a stack, above the 0.125 the bill allows.
    values = _by_name(marginal_values(_stranded_then_used(tmp_path), samples=16, seed=5))
    hbm = values["hbm supply"]
    np.testing.assert_allclose(hbm.units, [0.9 / 8] * 2, rtol=RTOL)
    assert hbm.horizon_units == pytest.approx(0.9 / 8, rel=RTOL)
    assert max(hbm.units) <= 1 / 8
    # One more package builds a unit from a stranded stack earlier, not an extra unit: the
    # stacks are all used by the end anyway (crediting by year of output gave 2025 0.9).
    packaging = values["pkg packaging capacity"]
    np.testing.assert_allclose(packaging.units, [0.0, 0.0], atol=1e-3)
    assert packaging.horizon_units == pytest.approx(0.0, abs=1e-3)
    assert packaging.input.level == pytest.approx(12_500)


def test_horizon_only_skips_the_yearly_runs(tmp_path: Path) -> None:
    loaded = _stranded_then_used(tmp_path)
    calls: list[tuple[int, int]] = []
    values = marginal_values(loaded, samples=8, seed=5, by_year=False, progress=lambda d, t: calls.append((d, t)))
    assert values.years == ()
    hbm = _by_name(values)["hbm supply"]
    assert hbm.units == ()
    assert hbm.compute == ()
    assert hbm.horizon_units == pytest.approx(0.9 / 8, rel=RTOL)
    assert calls[-1] == (8 * 4, 8 * 4)  # the base and one run for each of three inputs
    frame = values.to_frame()
    assert len(frame) == 3
    assert frame["units_per_unit"].isna().all()
    np.testing.assert_allclose(frame[frame["input"] == "hbm supply"]["horizon_units_per_unit"], 0.9 / 8, rtol=RTOL)
    path = str(tmp_path / "scenario.yaml")
    table = CliRunner().invoke(command, [path, "--samples", "8", "--horizon-only"])
    assert table.exit_code == 0, table.output
    assert "whole horizon" in table.output
    assert "2025" not in table.output  # no year columns


def test_progress_counts_every_run(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    marginal_values(_stranded_then_used(tmp_path), samples=8, seed=5, progress=lambda d, t: calls.append((d, t)))
    runs = 1 + 3 * (1 + 2)  # the base; each of three inputs in every month, then in each year
    assert calls[-1] == (8 * runs, 8 * runs)
    assert all(later >= earlier for (earlier, _), (later, _) in itertools.pairwise(calls))


def test_frame_has_a_row_per_input_and_arrival_year(tmp_path: Path) -> None:
    values = marginal_values(_stranded_then_used(tmp_path), samples=8, seed=5)
    frame = values.to_frame()
    assert len(frame) == 3 * 2
    hbm = frame[frame["input"] == "hbm supply"]
    assert list(hbm["year"]) == [2025, 2026]
    np.testing.assert_allclose(hbm["horizon_units_per_unit"], 0.9 / 8, rtol=RTOL)
    assert list(hbm["bound_units_per_unit"]) == [1 / 8, 1 / 8]


def test_help_says_why_marginal_takes_fewer_samples() -> None:
    text = " ".join(CliRunner().invoke(command, ["--help"]).output.split())
    assert "1,000 rather than run's 10,000" in text
    assert "--horizon-only" in text
