"""Bottleneck analysis: known answers on small scenarios, and the command as a user runs it.

Every expected number is derived by hand from the scenario's own inputs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from stackbound.analysis.bottlenecks import Bottlenecks, bottlenecks, bottlenecks_by_month_and_year
from stackbound.cli.bottlenecks import command
from stackbound.engine.run import run
from stackbound.errors import ScenarioError, SimulationError, StackboundError
from stackbound.scenario.loader import load_scenario
from stackbound.scenario.months import parse_month
from support import AMPLE, load, month, product, scenario

SAMPLES = 64
LOGIC_HBM = {"logic": {"kind": "logic_die"}, "hbm": {"kind": "hbm_stack"}}
AMPLE_LOGIC = {"logic_flow": {"kind": "flow", "component": "logic", "rate": AMPLE}}


def analyse(tmp_path: Path, data: dict[str, Any], by: str = "year") -> Bottlenecks:
    return bottlenecks(run(load(data, tmp_path), samples=SAMPLES, seed=3), by=by)  # type: ignore[arg-type]


def hbm_bound(hbm_rate: Any = 100.0) -> dict[str, Any]:
    """HBM 100 stacks a month (4 a unit: 25 units); logic ample; packaging 50 a month.
    HBM binds every month."""
    hbm = {"hbm_flow": {"kind": "flow", "component": "hbm", "rate": hbm_rate}}
    return scenario(
        components=LOGIC_HBM,
        sources={**AMPLE_LOGIC, **hbm},
        packaging={"pkg": {"capacity": 50.0, "yield": 1.0}},
        products={"accel": product({"logic": 1, "hbm": 4})},
    )


# ------------------------------------------------------------------ binding probabilities


@pytest.mark.parametrize("by", ["year", "month"])
def test_hbm_always_binds_with_probability_one(tmp_path: Path, by: str) -> None:
    analysis = analyse(tmp_path, hbm_bound({"uniform": [80.0, 120.0]}), by)
    k = analysis.constraints.index("hbm")
    assert analysis.variants == ("accel/main",)
    assert len(analysis.periods) == (12 if by == "month" else 1)
    np.testing.assert_array_equal(analysis.probability[0, k], 1.0)
    others = np.delete(analysis.probability[0], k, axis=0)
    np.testing.assert_array_equal(others, 0.0)
    np.testing.assert_array_equal(analysis.inactive, 0.0)
    np.testing.assert_array_equal(analysis.starved, 0.0)
    assert analysis.headlines[0].text == "accel/main: hbm (P=1) throughout"
    frame = analysis.to_frame()
    assert set(frame["constraint"]) == {"logic", "hbm", "packaging", "demand cap", "market demand"}
    assert frame.loc[frame["constraint"] == "hbm", "probability"].eq(1.0).all()


def test_inactive_and_starved_by_priority_are_shown_apart(tmp_path: Path) -> None:
    """HBM 100 a month. First has priority, a demand cap of 60 and binds on it; second
    launches in July and takes the HBM that is left: bound by HBM, starved by priority."""
    hbm_flow = {"hbm_flow": {"kind": "flow", "component": "hbm", "rate": 100.0}}
    products = {
        "first": product({"logic": 1, "hbm": 1}, priority=1, demand_cap=60.0),
        "second": product({"logic": 1, "hbm": 1}, priority=2, launch=month(6)),
    }
    data = scenario(
        components=LOGIC_HBM,
        sources={**AMPLE_LOGIC, **hbm_flow},
        packaging={"pkg": {"capacity": 10_000.0, "yield": 1.0}},
        products=products,
    )
    analysis = analyse(tmp_path, data)
    first, second = analysis.variants.index("first/main"), analysis.variants.index("second/main")
    hbm, cap = analysis.constraints.index("hbm"), analysis.constraints.index("demand cap")
    assert analysis.probability[first, cap, 0] == 1.0
    assert analysis.probability[second, hbm, 0] == 1.0  # given active
    assert analysis.inactive[second, 0] == pytest.approx(0.5)  # six of twelve months
    assert analysis.starved[second, 0] == 1.0
    assert analysis.starved[first, 0] == 0.0
    texts = {h.variant: h.text for h in analysis.headlines}
    assert texts["first/main"] == "first/main: demand cap (P=1) throughout"
    assert texts["second/main"] == (
        "second/main: inactive until 2025-06, then hbm (P=1, starved by priority) from 2025-07"
    )


def test_headline_names_the_month_the_binding_constraint_changes(tmp_path: Path) -> None:
    """HBM 100 a month until June and 300 from July (a step): 25 then 75 units wanted
    (4 stacks a unit), packaging 50 a month. HBM binds to June, packaging from July."""
    rate = {"knots": {month(0): 100.0, month(6): 300.0}, "step": True}
    analysis = analyse(tmp_path, hbm_bound(rate), by="month")
    segments = analysis.headlines[0].segments
    assert [(s.label, s.first, s.last) for s in segments] == [
        ("hbm", parse_month("2025-01"), parse_month("2025-06")),
        ("packaging", parse_month("2025-07"), parse_month("2025-12")),
    ]
    assert analysis.headlines[0].text == "accel/main: hbm (P=1) until 2025-06, then packaging (P=1) from 2025-07"


# ------------------------------------------------------------------ stockpiles


def rationed() -> dict[str, Any]:
    """1 000 HBM stacks, drawn at most 100 a month, the only HBM: closing stock 900, 800, …,
    0 at the end of the tenth month (2025-10), which is the run-out month. Runway at the
    end of January is 9 months. The die bank (10⁹ dies) never runs out."""
    sources = {
        "die_bank": {"kind": "stockpile", "component": "logic", "initial": 1e9},
        "hbm_stock": {"kind": "stockpile", "component": "hbm", "initial": 1000.0, "max_draw": 100.0},
    }
    return scenario(
        components=LOGIC_HBM,
        sources=sources,
        packaging={"pkg": {"capacity": 10_000.0, "yield": 1.0}},
        products={"accel": product({"logic": 1, "hbm": 1})},
    )


def test_runout_month_of_a_rationed_stockpile(tmp_path: Path) -> None:
    analysis = analyse(tmp_path, rationed())
    runouts = {r.stockpile: r for r in analysis.runouts}
    hbm = runouts["hbm_stock"]
    assert hbm.probability == 1.0
    assert hbm.p5 == hbm.p50 == hbm.p95 == parse_month("2025-10")
    assert hbm.label("p50") == "2025-10"
    bank = runouts["die_bank"]
    assert bank.probability == 0.0
    assert (bank.p5, bank.p50, bank.p95) == (None, None, None)
    assert bank.label("p95") == "never"


def test_runway_months_of_a_rationed_stockpile(tmp_path: Path) -> None:
    analysis = analyse(tmp_path, rationed(), by="month")
    runway = {b.name: b for b in analysis.runway}["hbm_stock"]
    expected = np.maximum(9 - np.arange(12), 0).astype(float)  # months to the empty month
    np.testing.assert_allclose(runway.mean, expected)
    for band in (runway.p5, runway.p50, runway.p95):  # whole months: rounding removes the histogram's error
        np.testing.assert_array_equal(band, expected)
    by_year = analyse(tmp_path, rationed())
    assert {b.name: b for b in by_year.runway}["hbm_stock"].p50[0] == 0.0  # empty at year end


def test_stranded_dies_wait_for_hbm(tmp_path: Path) -> None:
    """HBM binds, so every die left over is stranded: the die bank holds 10⁹ − 100 a month."""
    analysis = analyse(tmp_path, rationed(), by="month")
    stranded = {b.name: b for b in analysis.stranded}
    np.testing.assert_allclose(stranded["logic"].mean[:10], 1e9 - 100.0 * np.arange(1, 11))
    np.testing.assert_array_equal(stranded["hbm"].mean, 0.0)


def test_bad_period_is_an_error(tmp_path: Path) -> None:
    result = run(load(hbm_bound(), tmp_path), samples=4, seed=0)
    with pytest.raises(SimulationError, match="by must be"):
        bottlenecks(result, by="week")  # type: ignore[arg-type]


# ------------------------------------------------------------------ the command


def write(tmp_path: Path, data: dict[str, Any], name: str = "scenario") -> str:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return str(path)


def test_command_prints_headline_grid_and_stocks(tmp_path: Path) -> None:
    done = CliRunner().invoke(command, [write(tmp_path, rationed()), "--samples", "32", "--seed", "1"])
    assert done.exit_code == 0, done.output
    assert "accel/main: hbm (P=1) throughout" in done.output
    for heading in ("most likely binding constraint by year", "lost output†", "stranded", "runs out"):
        assert heading in done.output
    assert "2025-10" in done.output


def test_command_json_by_month(tmp_path: Path) -> None:
    args = [write(tmp_path, rationed()), "--samples", "32", "--by", "month", "--format", "json"]
    done = CliRunner().invoke(command, args)
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    assert document["by"] == "month"
    assert set(document) >= {"headlines", "binding", "lost_output", "stranded", "runway", "runout"}
    assert {row["period"] for row in document["lost_output"]["rows"]} == {"2025", "all"}  # by year, whatever --by
    assert len({row["period"] for row in document["binding"]}) == 12
    assert document["runout"] == [
        {"stockpile": "die_bank", "probability_runs_out": 0.0, "p5": "never", "p50": "never", "p95": "never"},
        {"stockpile": "hbm_stock", "probability_runs_out": 1.0, "p5": "2025-10", "p50": "2025-10", "p95": "2025-10"},
    ]


def test_command_on_the_builtin_example() -> None:
    done = CliRunner().invoke(command, ["example", "--samples", "256", "--format", "json"])
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    assert {h["variant"] for h in document["headlines"]} == {"accel_a/hbm2e", "accel_a/hbm3", "accel_b/hbm2e"}
    lost = document["lost_output"]
    assert lost["definition"].startswith("lost output of a limit = units built with that limit alone lifted")
    assert lost["samples"] == 256
    assert {r["scope"] for r in lost["rows"]} == {"accel_a", "accel_b", "total"}


def test_command_bad_scenario_raises_a_stackbound_error(tmp_path: Path) -> None:
    done = CliRunner().invoke(command, [str(tmp_path / "missing.yaml")])
    assert isinstance(done.exception, ScenarioError)
    bad = dict(rationed(), horizon={"start": "2025-06", "end": "2025-01"})
    done = CliRunner().invoke(command, [write(tmp_path, bad)])
    assert isinstance(done.exception, StackboundError)


def _same(one: Bottlenecks, other: Bottlenecks) -> None:
    """Every field alike, every array bit for bit."""
    assert one.to_document() == other.to_document()
    for got, expected in ((one.probability, other.probability), (one.inactive, other.inactive)):
        assert got.tobytes() == expected.tobytes()
    for bands, others in ((one.stranded, other.stranded), (one.runway, other.runway)):
        for band, expected in zip(bands, others, strict=True):
            for field in ("mean", "p5", "p50", "p95"):
                assert getattr(band, field).tobytes() == getattr(expected, field).tobytes()


def test_both_periods_at_once_are_each_period_alone() -> None:
    """The findings read both periods, what both read month by month computed once: the
    same analysis as two calls (a scenario with stockpiles, stranded stock and runway)."""
    result = run(load_scenario("example"), samples=512, seed=5)
    monthly, yearly = bottlenecks_by_month_and_year(result)
    assert (monthly.by, yearly.by) == ("month", "year")
    assert monthly.runway
    assert monthly.stranded
    assert monthly.runouts
    _same(monthly, bottlenecks(result, by="month"))
    _same(yearly, bottlenecks(result, by="year"))
    ends = [int(np.flatnonzero(result.months // 12 == year)[-1]) for year in result.years]
    for band, by_month in zip(yearly.stranded + yearly.runway, monthly.stranded + monthly.runway, strict=True):
        assert band.p50.tolist() == by_month.p50[ends].tolist()  # read at the end of each year
        assert band.mean.tolist() == by_month.mean[ends].tolist()
