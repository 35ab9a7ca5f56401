"""Lost output: the paired difference with one limit lifted, against answers derived by hand.

Every scenario runs 2025-01 to 2025-12 (twelve months); every expected number is worked
out in the test's docstring from the scenario's own inputs.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from stackbound.analysis.lost import DEFINITION, NEGATIVE, LostOutput, _difference, limits, lost_output
from stackbound.cli.bottlenecks import command
from stackbound.engine.histogram import sample_percentiles
from stackbound.engine.plan import build_plan
from stackbound.engine.run import run
from stackbound.errors import SimulationError
from stackbound.scenario.loader import LoadedScenario
from support import AMPLE, load, month, product, scenario

SAMPLES = 64
LOGIC_HBM = {"logic": {"kind": "logic_die"}, "hbm": {"kind": "hbm_stack"}}
AMPLE_LOGIC = {"logic_flow": {"kind": "flow", "component": "logic", "rate": AMPLE}}


def flows(logic: Any, hbm: Any) -> dict[str, Any]:
    return {
        "logic_flow": {"kind": "flow", "component": "logic", "rate": logic},
        "hbm_flow": {"kind": "flow", "component": "hbm", "rate": hbm},
    }


def lost(tmp_path: Path, data: dict[str, Any], samples: int = SAMPLES, paired: int = SAMPLES) -> LostOutput:
    loaded = load(data, tmp_path)
    return lost_output(loaded, run(loaded, samples=samples, seed=5), samples=paired)


def horizon(result: LostOutput, limit: str, scope: str = "total") -> float:
    """The mean difference over the horizon for one limit and scope."""
    k = [item.name for item in result.limits].index(limit)
    return float(result.mean[k, result.scopes.index(scope), -1])


def unbounded_hbm() -> dict[str, Any]:
    """HBM 100 a month, logic ample, no packaging line and no cap."""
    return scenario(
        components=LOGIC_HBM,
        sources=flows(AMPLE, 100.0),
        products={"accel": product({"logic": 1, "hbm": 1}, packaging=None)},
    )


def logic_bound(logic: Any = 100.0) -> dict[str, Any]:
    """One variant, one die and one stack a unit; logic 100 a month, HBM 150, packaging 1,000."""
    return scenario(
        components=LOGIC_HBM,
        sources=flows(logic, 150.0),
        packaging={"pkg": {"capacity": 1000.0, "yield": 1.0}},
        products={"accel": product({"logic": 1, "hbm": 1})},
    )


# ------------------------------------------------------------------ one variant


def test_lifting_the_binding_limit_gives_the_gap_to_the_next_one(tmp_path: Path) -> None:
    """Logic binds at 100 a month and HBM would allow 150: lifting logic gives 50 more a
    month, 600 in the year; lifting HBM or packaging gives nothing. 1,200 are built."""
    result = lost(tmp_path, logic_bound())
    assert [item.name for item in result.limits] == ["logic", "hbm", "packaging pkg"]
    assert result.scopes == ("accel", "total")
    assert result.periods == ("2025", "all")
    np.testing.assert_array_equal(result.built, 1200.0)
    for band in (result.mean, result.p5, result.p50, result.p95):
        np.testing.assert_allclose(band[0], 600.0)
        np.testing.assert_array_equal(band[1:], 0.0)
    np.testing.assert_array_equal(result.unbounded, False)


def test_differences_are_paired_sample_by_sample(tmp_path: Path) -> None:
    """Logic uncertain in 80–120 a month, HBM 150: with logic lifted every sample makes
    1,800, so its difference is 1,800 − its own base output; lifting HBM changes no sample.
    The lifted runs take the first 40 of 256 samples and are paired with exactly those."""
    loaded = load(logic_bound({"uniform": [80.0, 120.0]}), tmp_path)
    base = run(loaded, samples=256, seed=5)
    result = lost_output(loaded, base, samples=40)
    expected = 1800.0 - base.annual_values("units", "accel")[:40, 0]
    assert result.samples == 40
    assert np.ptp(expected) > 100  # the samples differ, so a mispairing would show
    assert result.mean[0, 0, 0] == pytest.approx(expected.mean())
    for band, q in zip((result.p5, result.p50, result.p95), (5.0, 50.0, 95.0), strict=True):
        assert band[0, 0, 0] == pytest.approx(sample_percentiles(expected, [q])[0])
    for band in (result.mean, result.p5, result.p95):
        np.testing.assert_array_equal(band[1], 0.0)  # common random numbers: exactly nothing


def test_held_stock_is_not_counted_again_every_month(tmp_path: Path) -> None:
    """The issue's regression. HBM 100 stacks a month to June and 300 from July (4 a unit),
    packaging 50 a month. Built: 25 a month to June, then 50: 450. Packaging lifted: 25
    then 75 a month, 600, so +150 (the old per-month headroom said 525, counting the stacks
    held since July again every month). HBM lifted: 50 every month, 600, so +150 as well.
    Logic, ample, costs nothing."""
    rate = {"knots": {month(0): 100.0, month(6): 300.0}, "step": True}
    data = scenario(
        components=LOGIC_HBM,
        sources={**AMPLE_LOGIC, "hbm_flow": {"kind": "flow", "component": "hbm", "rate": rate}},
        packaging={"pkg": {"capacity": 50.0, "yield": 1.0}},
        products={"accel": product({"logic": 1, "hbm": 4})},
    )
    result = lost(tmp_path, data)
    assert result.built[-1, -1] == pytest.approx(450.0)
    assert horizon(result, "packaging pkg") == pytest.approx(150.0)
    assert horizon(result, "hbm") == pytest.approx(150.0)
    assert horizon(result, "logic") == 0.0


def test_demand_cap_then_market_demand(tmp_path: Path) -> None:
    """HBM 100 a month, a demand cap of 60 and market demand of 70: the cap binds. Lifting
    the cap lets market demand bind at 70: +10 a month, 120. Lifting market demand or HBM
    changes nothing while the cap holds."""
    data = scenario(
        components=LOGIC_HBM,
        sources=flows(AMPLE, 100.0),
        packaging={"pkg": {"capacity": 1000.0, "yield": 1.0}},
        products={"accel": product({"logic": 1, "hbm": 1}, demand_cap=60.0)},
        market_demand={"units": 70.0},
    )
    result = lost(tmp_path, data)
    assert [item.name for item in result.limits][-2:] == ["demand caps", "market demand"]
    assert horizon(result, "demand caps") == pytest.approx(120.0)
    assert horizon(result, "market demand") == 0.0
    assert horizon(result, "hbm") == 0.0


def test_a_limit_with_nothing_behind_it_is_unbounded(tmp_path: Path) -> None:
    """No packaging line and no cap: with HBM lifted only logic (AMPLE) limits the variant,
    which then draws the lifted stock without end. Its numbers are NaN, flagged unbounded."""
    result = lost(tmp_path, unbounded_hbm())
    assert [item.name for item in result.limits] == ["logic", "hbm"]
    assert result.unbounded == (False, True)
    assert math.isnan(horizon(result, "hbm"))
    frame = result.to_frame()
    assert frame.loc[frame["limit"] == "hbm", "unbounded"].all()
    hbm_rows = [row for row in result.to_document()["rows"] if row["limit"] == "hbm"]
    assert all(row["mean"] is None for row in hbm_rows)  # NaN is null in JSON


# ------------------------------------------------------------------ two variants


def shared_stockpile() -> dict[str, Any]:
    """1,000 HBM stacks in a stockpile, logic ample. ``top`` (priority 1, one stack a unit,
    its own line of 10,000) launches in July; ``second`` (priority 2, two stacks a unit, its
    own line of 50) runs all year.

    Built: ``second`` 50 a month to June (600 stacks), then ``top`` takes the 400 left in
    July: top 400, second 300, total 700."""
    packaging = {"line_top": {"capacity": 10_000.0, "yield": 1.0}, "line_second": {"capacity": 50.0, "yield": 1.0}}
    products = {
        "top": product({"logic": 1, "hbm": 1}, priority=1, packaging="line_top", launch=month(6)),
        "second": product({"logic": 1, "hbm": 2}, priority=2, packaging="line_second"),
    }
    sources = {**AMPLE_LOGIC, "hbm_stock": {"kind": "stockpile", "component": "hbm", "initial": 1000.0}}
    return scenario(components=LOGIC_HBM, sources=sources, packaging=packaging, products=products)


def test_lifting_a_limit_can_cost_the_top_variant_and_the_total(tmp_path: Path) -> None:
    """The documented counterexample. Lifting ``second``'s line lets it take all 1,000
    stacks in January (500 units), before ``top`` launches: top −400, second +200, total
    −200. Lifting ``top``'s line changes nothing (it is held to the 400 stacks left).
    Lifting HBM: top 10,000 a month for six months, second 50 a month all year: top
    +59,600, second +300, total +59,900. The rows add up to nothing in particular."""
    result = lost(tmp_path, shared_stockpile())
    np.testing.assert_allclose(result.built[:, -1], [400.0, 300.0, 700.0])
    assert horizon(result, "packaging line_second", "top") == pytest.approx(-400.0)
    assert horizon(result, "packaging line_second", "second") == pytest.approx(200.0)
    assert horizon(result, "packaging line_second") == pytest.approx(-200.0)
    assert horizon(result, "packaging line_top") == 0.0
    assert horizon(result, "hbm", "top") == pytest.approx(59_600.0)
    assert horizon(result, "hbm", "second") == pytest.approx(300.0)
    assert horizon(result, "logic") == 0.0


def test_limits_lists_what_some_variant_has(tmp_path: Path) -> None:
    """An unused packaging line and a component in no bill are not limits."""
    data = shared_stockpile()
    data["packaging"]["unused"] = {"capacity": 1.0, "yield": 1.0}
    data["components"] = {**LOGIC_HBM, "spare": {"kind": "memory"}}
    data["sources"]["spare_flow"] = {"kind": "flow", "component": "spare", "rate": 1.0}
    loaded: LoadedScenario = load(data, tmp_path)
    names = [item.name for item in limits(build_plan(loaded))]
    assert names == ["logic", "hbm", "packaging line_top", "packaging line_second"]


def test_nothing_to_lift_without_variants(tmp_path: Path) -> None:
    """Imports only: no variant, so no limit and only the total, which is built by nobody."""
    data = scenario(
        components=LOGIC_HBM,
        sources=flows(100.0, 100.0),
        products={"import_gpu": {"vendor": "ForeignCo", "origin": "imported"}},
        imports={"licensed": {"product": "import_gpu", "units": 50.0}},
    )
    result = lost(tmp_path, data)
    assert result.limits == ()
    assert result.scopes == ("total",)
    assert result.mean.shape == (0, 1, 2)
    np.testing.assert_array_equal(result.built, 0.0)
    assert result.to_document()["rows"] == []


def test_differences_within_float32_rounding_are_zero() -> None:
    """Annual values are kept as float32: 1,000,000 and 1,000,000.0625 are the same sum in
    another order, while a whole unit is a difference."""
    more = np.array([1e6 + 0.0625, 1e6 + 1.0, -3.0])
    less = np.array([1e6, 1e6, 0.0])
    np.testing.assert_array_equal(_difference(more, less), [0.0, 1.0, -3.0])


def test_samples_must_be_positive(tmp_path: Path) -> None:
    loaded = load(logic_bound(), tmp_path)
    with pytest.raises(SimulationError, match="at least 1"):
        lost_output(loaded, run(loaded, samples=4, seed=0), samples=0)


# ------------------------------------------------------------------ the command


def write(tmp_path: Path, data: dict[str, Any]) -> str:
    path = tmp_path / "lost.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return str(path)


def flat(text: str) -> str:
    """The printed text with table rules as spaces and all runs of spaces as one."""
    return " ".join(text.replace("│", " ").split())


def test_command_prints_the_definition_and_negative_differences(tmp_path: Path) -> None:
    done = CliRunner().invoke(command, [write(tmp_path, shared_stockpile()), "--samples", "16"])
    assert done.exit_code == 0, done.output
    printed = flat(done.output)
    assert flat(DEFINITION) in printed
    assert flat(NEGATIVE) in printed
    assert "over 16 paired samples" in printed
    assert "packaging line_second -200 -200 -200 to -200" in printed  # 2025, horizon, P5 to P95
    assert "top 400 hbm +59.6k packaging line_second -400" in printed
    assert "lifted to the next one" not in printed  # the old per-month headroom is gone


def test_command_json_has_the_definition(tmp_path: Path) -> None:
    args = [write(tmp_path, shared_stockpile()), "--samples", "16", "--lifted-samples", "8", "--format", "json"]
    done = CliRunner().invoke(command, args)
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)["lost_output"]
    assert document["definition"] == DEFINITION
    assert document["negative"] == NEGATIVE
    assert document["samples"] == 8
    row = next(r for r in document["rows"] if r["limit"] == "packaging line_second" and r["scope"] == "top")
    assert row == {
        "limit": "packaging line_second",
        "kind": "packaging",
        "scope": "top",
        "period": "2025",
        "built": 400.0,
        "mean": -400.0,
        "p5": -400.0,
        "p50": -400.0,
        "p95": -400.0,
        "h100e_mean": row["h100e_mean"],
        "unbounded": False,
    }


def test_command_without_lost_output(tmp_path: Path) -> None:
    args = [write(tmp_path, shared_stockpile()), "--samples", "16", "--lifted-samples", "0"]
    done = CliRunner().invoke(command, [*args, "--format", "json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["lost_output"] is None
    done = CliRunner().invoke(command, args)
    assert done.exit_code == 0, done.output
    assert "lost output" not in done.output


def test_command_says_unbounded(tmp_path: Path) -> None:
    done = CliRunner().invoke(command, [write(tmp_path, unbounded_hbm()), "--samples", "8"])
    assert done.exit_code == 0, done.output
    assert "hbm – unbounded" in flat(done.output)
