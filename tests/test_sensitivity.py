"""Sensitivity analysis on scenarios with known answers.

The linear scenario: two flows feed two products, everything else is ample, so the total
units of a year are ``12·(X1 + X2/4)`` with X1 ~ U(100, 200) and X2 ~ U(100, 300)
independent; a third flow (HBM, far above any need) does not enter the output. Expected
indices and swings are derived by hand below, never copied from a run.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from SALib.sample import sobol as salib_sample

from stackbound.analysis.sensitivity import (
    DEFAULT_SAMPLES,
    Output,
    delta,
    factors,
    saltelli_design,
    sobol,
    tornado,
)
from stackbound.analysis.sensitivity.tornado import INTERACTION_TOTAL
from stackbound.cli.sensitivity import command
from stackbound.errors import SimulationError, StackboundError
from support import AMPLE, load, product, scenario

X1, X2, X3 = (100.0, 200.0), (100.0, 300.0), (AMPLE, 2 * AMPLE)
A, B = 12.0, 12.0 / 4
"""Annual units per unit of X1 (one logic die a unit) and of X2 (four memory packages a unit)."""
F1, F2, F3 = "sources.f1.rate", "sources.f2.rate", "sources.f3.rate"
UNITS_2025 = Output("units", 2025)


def linear(**sections: Any) -> dict[str, Any]:
    flows = {
        name: {"kind": "flow", "component": component, "rate": {"uniform": list(bounds)}}
        for name, component, bounds in (("f1", "logic", X1), ("f2", "mem", X2), ("f3", "hbm", X3))
    }
    components = {"logic": {"kind": "logic_die"}, "mem": {"kind": "memory"}, "hbm": {"kind": "hbm_stack"}}
    products = {"accel1": product({"logic": 1, "hbm": 1}, priority=1), "accel2": product({"mem": 4}, priority=2)}
    return scenario(
        components=components,
        sources=flows,
        products=products,
        packaging={"pkg": {"capacity": AMPLE, "yield": 1.0}},
        **sections,
    )


def variance(bounds: tuple[float, float]) -> float:
    return (bounds[1] - bounds[0]) ** 2 / 12


def correlated(rank: float) -> dict[str, Any]:
    return linear(correlations=[{"between": [F1, F3], "rank": rank}])


# ------------------------------------------------------------------ factors and design


def test_factors_join_a_curves_knots_and_each_correlated_set(tmp_path: Path) -> None:
    data = correlated(-0.6)
    data["sources"]["f2"]["rate"] = {"knots": {"2025-01": {"uniform": [100, 200]}, "2025-12": {"uniform": [200, 300]}}}
    loaded = load(data, tmp_path)
    by_group = {f.name: f for f in factors(loaded, "group")}
    assert set(by_group) == {f"{F1} - {F3}", F2}
    assert by_group[f"{F1} - {F3}"].directions == (1, -1)  # F3 falls when F1 rises
    assert by_group[F2].inputs == (f"{F2}@2025-01", f"{F2}@2025-12")
    assert [f.name for f in factors(loaded, "curve")] == [F1, F2, F3]
    assert len(factors(loaded, "input")) == 4


def test_saltelli_design_is_salibs_row_for_row(tmp_path: Path) -> None:
    loaded = load(correlated(0.5), tmp_path)
    found = factors(loaded, "group")
    groups = ["g0", "g1", "g0"]
    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0.0, 1.0]] * 3, "groups": groups}
    expected = salib_sample.sample(problem, 16, calc_second_order=False, seed=np.random.default_rng(3))
    design = saltelli_design(found, 3, 16, np.random.default_rng(3))
    assert design.shape == (16 * (2 + 2), 3)
    np.testing.assert_array_equal(design, expected)


# ------------------------------------------------------------------ tornado


def test_tornado_swing_of_a_linear_input_is_its_slope_times_p90_minus_p10(tmp_path: Path) -> None:
    result = tornado(load(linear(), tmp_path), UNITS_2025, by="input")
    p10 = {F1: X1[0] + 0.1 * (X1[1] - X1[0]), F2: X2[0] + 0.1 * (X2[1] - X2[0])}
    p90 = {F1: X1[0] + 0.9 * (X1[1] - X1[0]), F2: X2[0] + 0.9 * (X2[1] - X2[0])}
    median = {F1: sum(X1) / 2, F2: sum(X2) / 2}
    assert result.base == pytest.approx(A * median[F1] + B * median[F2], rel=1e-6)
    bars = {bar.factor: bar for bar in result.bars}
    assert [bar.factor for bar in result.bars] == [F1, F2]  # 12·80 = 960 before 3·160 = 480
    assert bars[F1].swing == pytest.approx(A * (p90[F1] - p10[F1]), rel=1e-6)
    assert bars[F2].swing == pytest.approx(B * (p90[F2] - p10[F2]), rel=1e-6)
    assert bars[F1].low == pytest.approx(A * p10[F1] + B * median[F2], rel=1e-6)
    assert result.no_effect == (F3,)
    assert F3 not in bars
    assert [(e.factor, e.kind) for e in result.effects()] == [("f3 · rate", "alone")]  # effects speak of labels
    assert [(e.factor, e.kind) for e in result.effects({F3: 0.0})] == [("f3 · rate", "none")]
    frame = result.to_frame()
    assert list(frame["factor"]) == [F1, F2]


@pytest.mark.parametrize(("rank", "sign"), [(0.6, "+"), (-0.6, "-")])
def test_tornado_moves_a_correlated_set_together(tmp_path: Path, rank: float, sign: str) -> None:
    result = tornado(load(correlated(rank), tmp_path), UNITS_2025)
    assert [bar.factor for bar in result.bars] == [f"{F1} {sign} {F3}", F2]
    # F3 is ample either way: the set's bar is F1's, P10 below P90
    assert result.bars[0].high - result.bars[0].low == pytest.approx(A * 0.8 * (X1[1] - X1[0]), rel=1e-6)


def interacting() -> dict[str, Any]:
    """One product of a logic die and an HBM stack: units are 12·min(logic, hbm). Logic is
    lognormal with a 90% interval of 1k–10k a month (median 3.16k), HBM uniform on 3.3k–6k
    (P10 3.57k). With logic at its median, HBM never binds, so the tornado cannot move it;
    but logic exceeds HBM in about a third of the runs, where HBM alone sets the output."""
    flows = {
        "logic_flow": {"kind": "flow", "component": "logic", "rate": {"to": [1000, 10000]}},
        "hbm_flow": {"kind": "flow", "component": "hbm", "rate": {"uniform": [3300, 6000]}},
    }
    return scenario(
        components={"logic": {"kind": "logic_die"}, "hbm": {"kind": "hbm_stack"}},
        sources=flows,
        products={"accel": product({"logic": 1, "hbm": 1})},
        packaging={"pkg": {"capacity": AMPLE, "yield": 1.0}},
    )


def test_a_factor_acting_only_through_interactions_is_said_to(tmp_path: Path) -> None:
    loaded = load(interacting(), tmp_path)
    hbm = "sources.hbm_flow.rate"
    result = tornado(loaded, UNITS_2025)
    assert result.no_effect == (hbm,)
    indices = sobol(loaded, UNITS_2025, samples=512, seed=1).indices
    totals = {index.factor: index.total for index in indices}
    assert totals[hbm] >= INTERACTION_TOTAL
    (found,) = result.effects(totals)
    assert found.kind == "interactions"
    assert found.describe() == (
        f"no one-at-a-time effect; its total Sobol index of {totals[hbm]:.2f} means it acts through interactions "
        "with other inputs"
    )


# ------------------------------------------------------------------ Sobol'


def test_sobol_first_and_total_order_of_a_linear_output(tmp_path: Path) -> None:
    result = sobol(load(linear(), tmp_path), UNITS_2025, samples=1024, seed=2)
    share1 = A**2 * variance(X1) / (A**2 * variance(X1) + B**2 * variance(X2))  # 0.8
    expected = {F1: share1, F2: 1 - share1, F3: 0.0}
    assert result.evaluations == 1024 * (3 + 2)
    assert result.stable, result.notes
    assert not result.copula_ignored
    indices = {i.factor: i for i in result.indices}
    for name, value in expected.items():
        index = indices[name]
        # additive model: first order equals total order
        assert abs(index.first - value) <= min(index.first_conf, 0.02), name
        assert abs(index.total - value) <= min(index.total_conf, 0.02), name
    assert indices[F3].first == 0.0
    assert indices[F3].total == 0.0
    assert [i.factor for i in result.indices] == [F1, F2, F3]


def test_sobol_treats_a_curve_as_one_factor(tmp_path: Path) -> None:
    data = linear()
    data["sources"]["f1"]["rate"] = {
        "knots": {
            "2025-01": {"uniform": [100, 200]},
            "2025-12": {"uniform": [100, 200]},
            "2026-06": {"uniform": [100, 200]},
        }
    }
    loaded = load(data, tmp_path)
    assert len(loaded.inputs) == 5
    result = sobol(loaded, UNITS_2025, samples=64, seed=1)
    assert result.evaluations == 64 * (3 + 2)
    assert [i.inputs for i in result.indices if i.factor == F1] == [(f"{F1}@2025-01", f"{F1}@2025-12", f"{F1}@2026-06")]


def test_sobol_switches_correlations_off_and_says_so(tmp_path: Path) -> None:
    result = sobol(load(correlated(0.8), tmp_path), UNITS_2025, samples=64, seed=1)
    assert result.copula_ignored
    assert "correlations were switched off" in result.notes[0]
    assert result.to_dict()["copula_ignored"] is True


def test_sobol_warns_when_the_sample_is_too_small_and_rounds_to_a_power_of_two(tmp_path: Path) -> None:
    result = sobol(load(linear(), tmp_path), UNITS_2025, samples=6, seed=1)
    assert result.base_samples == 8
    assert not result.stable
    assert any("rounded up to 8" in note for note in result.notes)
    assert any(note.startswith("unstable") for note in result.notes)


def test_an_output_that_does_not_vary_has_zero_indices(tmp_path: Path) -> None:
    loaded = load(linear(), tmp_path)
    stranded = Output("stranded_dies", 2025, "logic")  # HBM is ample: no die ever waits
    result = sobol(loaded, stranded, samples=16)
    assert result.stable
    assert all(i.first == 0.0 and i.total == 0.0 for i in result.indices)
    assert "does not vary" in result.notes[0]
    assert all(i.delta == 0.0 for i in delta(loaded, stranded, samples=128).indices)
    assert tornado(loaded, stranded).bars == ()


def test_sobol_is_reproducible_from_its_seed(tmp_path: Path) -> None:
    loaded = load(linear(), tmp_path)
    first, again = (sobol(loaded, UNITS_2025, samples=32, seed=9) for _ in range(2))
    other = sobol(loaded, UNITS_2025, samples=32, seed=10)
    assert first == again
    assert first.indices != other.indices


# ------------------------------------------------------------------ delta


def test_delta_ranks_the_influential_input_first_under_correlation(tmp_path: Path) -> None:
    state = np.random.get_state()
    filters, formatter = list(warnings.filters), warnings.formatwarning
    result = delta(load(correlated(0.7), tmp_path), UNITS_2025, samples=1024, seed=5)
    assert result.indices[0].factor == F1
    indices = {i.factor: i for i in result.indices}
    assert indices[F1].delta > indices[F2].delta > result.noise_floor
    # F3 does not enter the output but, correlated with F1, it tells about it: δ sees that
    assert indices[F3].delta > result.noise_floor
    assert indices[F1].first == pytest.approx(0.8, abs=0.1)
    assert result.stable
    # SALib's delta seeds numpy's global generator and resets the warning filters: both restored
    np.testing.assert_array_equal(np.random.get_state()[1], state[1])
    assert warnings.filters == filters
    assert warnings.formatwarning is formatter


def test_delta_of_a_curve_is_one_factor(tmp_path: Path) -> None:
    data = linear()
    data["sources"]["f1"]["rate"] = {"knots": {"2025-01": {"uniform": [100, 200]}, "2025-12": {"uniform": [100, 200]}}}
    result = delta(load(data, tmp_path), UNITS_2025, samples=512, seed=1)
    assert [i.factor for i in result.indices] == [F1, F2, F3]
    assert result.indices[0].inputs == (f"{F1}@2025-01", f"{F1}@2025-12")
    assert result.indices[0].delta > result.noise_floor


def test_delta_needs_enough_samples(tmp_path: Path) -> None:
    with pytest.raises(SimulationError, match="at least 100 samples"):
        delta(load(linear(), tmp_path), UNITS_2025, samples=50)


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("output", "message"),
    [
        (Output("unit", 2025), "unknown output metric 'unit'"),
        (Output("units", 2025, "nobody"), "has no group 'nobody'"),
        (Output("units", 2031), "year 2031 is outside the run"),
    ],
)
def test_bad_outputs_are_clear_errors(tmp_path: Path, output: Output, message: str) -> None:
    loaded = load(linear(), tmp_path)
    for method in (tornado, sobol, delta):
        with pytest.raises(SimulationError, match=message):
            method(loaded, output)


def test_a_scenario_without_uncertain_inputs_is_an_error(tmp_path: Path) -> None:
    data = linear()
    for flow in data["sources"].values():
        flow["rate"] = 100.0
    with pytest.raises(SimulationError, match="no uncertain inputs"):
        tornado(load(data, tmp_path), UNITS_2025)


# ------------------------------------------------------------------ command line


def invoke(*args: str) -> Any:
    return CliRunner().invoke(command, list(args), catch_exceptions=True)


def test_cli_tornado_table(tmp_path: Path) -> None:
    path = tmp_path / "linear.yaml"
    load(linear(), tmp_path, name="linear")
    done = invoke(str(path), "--output", "units", "--year", "2025")
    assert done.exit_code == 0, done.output
    assert "f1 · rate" in done.stdout  # inputs in words; their paths stay in --format json
    assert F1 not in done.stdout
    assert "no one-at-a-time effect: f3 · rate" in done.stdout
    assert "no effect" not in done.stdout
    assert "it may still act through interactions with other inputs" in " ".join(done.stdout.split())


@pytest.mark.parametrize("method", ["sobol", "delta"])
def test_cli_json_parses(tmp_path: Path, method: str) -> None:
    load(correlated(0.5), tmp_path, name="linear")
    done = invoke(
        str(tmp_path / "linear.yaml"),
        "--output",
        "units",
        "--year",
        "2025",
        "--method",
        method,
        "--samples",
        "128",
        "--format",
        "json",
    )
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    assert document["method"] == method
    assert {row["factor"] for row in document["rows"]} >= {F2}
    assert document["notes"]


def test_cli_errors(tmp_path: Path) -> None:
    load(linear(), tmp_path, name="linear")
    done = invoke(str(tmp_path / "linear.yaml"), "--output", "nope", "--year", "2025")
    assert isinstance(done.exception, StackboundError)
    assert "unknown output metric 'nope'" in str(done.exception)
    done = invoke(str(tmp_path / "linear.yaml"), "--output", "units", "--year", "2025", "--samples", "10")
    assert done.exit_code == 2
    assert "--samples does not apply" in done.output


def test_default_sobol_base_size_is_a_power_of_two() -> None:
    assert DEFAULT_SAMPLES["sobol"] & (DEFAULT_SAMPLES["sobol"] - 1) == 0
