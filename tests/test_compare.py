"""Scenario comparison on common random numbers, and the policy-lever view."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from stackbound.analysis.compare import (
    ALL_CHANGES,
    HEADLINE_METRICS,
    REST,
    changed_levers,
    compare,
    lever_view,
    paired_difference,
    with_lever,
)
from stackbound.cli.compare import command
from stackbound.engine.results import RunResult
from stackbound.engine.run import run
from stackbound.errors import ScenarioError, SimulationError
from stackbound.scenario.loader import LoadedScenario, load_scenario
from support import AMPLE, product, scenario

SAMPLES = 200
SEED = 5


def run_one(loaded: LoadedScenario) -> RunResult:
    return run(loaded, samples=SAMPLES, seed=SEED)


def write(directory: Path, name: str, data: dict[str, Any]) -> Path:
    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def base_data() -> dict[str, Any]:
    """An HBM stockpile (uncertain, rationed) feeds a domestic accelerator; smuggled HBM
    is scaled by an enforcement lever; a licensed import is switched by another lever.
    Packaging capacity is uncertain too, so the draws matter."""
    sources = {
        "die_bank": {"kind": "stockpile", "component": "logic", "initial": AMPLE},
        "hbm_stock": {
            "kind": "stockpile",
            "component": "hbm",
            "initial": {"uniform": [2000.0, 6000.0]},
            "max_draw": 800.0,
        },
        "hbm_smuggled": {
            "kind": "flow",
            "component": "hbm",
            "rate": {"uniform": [100.0, 300.0]},
            "levers": ["enforcement"],
        },
    }
    products = {"accel": product({"logic": 1, "hbm": 4}), "import_gpu": {"vendor": "ForeignCo", "origin": "imported"}}
    components = {
        "logic": {"kind": "logic_die"},
        "hbm": {"kind": "hbm_stack", "draw_order": ["hbm_smuggled", "hbm_stock"]},
    }
    return scenario(
        components=components,
        sources=sources,
        packaging={"pkg": {"capacity": {"uniform": [100.0, 300.0]}, "yield": 0.9}},
        products=products,
        levers={"enforcement": {"value": 1.0}, "licence": {"value": 1.0}},
        imports={"licensed": {"product": "import_gpu", "units": {"uniform": [50.0, 150.0]}, "levers": ["licence"]}},
        end="2026-12",
    )


def overlay(directory: Path, name: str, base: Path, overrides: dict[str, Any]) -> Path:
    data = {"stackbound": 1, "extends": str(base), "name": name, "overrides": overrides}
    return write(directory, name, data)


@pytest.fixture
def base_file(tmp_path: Path) -> Path:
    return write(tmp_path, "base", base_data())


# ------------------------------------------------------------------ comparison


def test_a_scenario_compared_with_itself_differs_by_exactly_zero(base_file: Path) -> None:
    """The guard of pairing: two runs of one scenario with one seed draw the same numbers
    sample by sample, so every difference is exactly zero (any unpaired draw would show)."""
    loaded = load_scenario(base_file)
    comparison = compare([run_one(loaded), run_one(loaded)])
    frame = comparison.to_frame()
    assert set(frame["metric"]) == set(HEADLINE_METRICS)
    assert set(frame.loc[frame["metric"] == "units", "group"]) == {"total", "domestic", "imported"}
    assert set(frame.loc[frame["metric"] == "dies_consumed", "group"]) == {"total"}
    assert (frame[["mean", "p5", "p50", "p95"]] == 0.0).all().all()
    assert comparison.years == (2025, 2026)
    assert frame["base_p50"].gt(0).any()


def _quarter_licence(tmp_path: Path, base_file: Path) -> tuple[RunResult, RunResult, np.ndarray]:
    """The base and an overlay that sets the licence lever to 0.25, with the paired
    difference of imported units known per sample: each sample draws its licensed imports
    U ~ U(50, 150) a month once, so it imports 12·U a year in the base and a quarter of
    that with the lever at 0.25; the difference is −0.75 · 12 · U = −9U, between −1 350
    and −450, the same in both years."""
    quarter = overlay(tmp_path, "quarter-licence", base_file, {"levers.licence.value": 0.25})
    base, other = run_one(load_scenario(base_file)), run_one(load_scenario(quarter))
    imported = base.annual_values("units", "imported")
    monthly = imported[:, 0] / 12.0  # U, read off the base run
    assert np.all((monthly >= 50.0) & (monthly <= 150.0))
    np.testing.assert_allclose(imported, np.column_stack([12.0 * monthly] * 2), rtol=1e-6)
    expected = np.column_stack([-9.0 * monthly] * 2)
    return base, other, expected


def test_a_known_non_zero_paired_difference(tmp_path: Path, base_file: Path) -> None:
    base, other, expected = _quarter_licence(tmp_path, base_file)
    np.testing.assert_allclose(paired_difference(base, other, "units", "imported"), expected, rtol=1e-5)
    frame = compare([base, other]).to_frame().query("metric == 'units' and group == 'imported'")
    assert frame["year"].tolist() == [2025, 2026]
    np.testing.assert_allclose(frame["mean"], expected.mean(axis=0), rtol=1e-5)
    assert (frame["p95"] < 0).all()  # every sample loses imports


def test_paired_difference_percentiles_follow_the_tables_definition(tmp_path: Path, base_file: Path) -> None:
    base, other, expected = _quarter_licence(tmp_path, base_file)
    frame = compare([base, other]).to_frame().query("metric == 'units' and group == 'imported'")
    want = np.percentile(expected, [5.0, 50.0, 95.0], axis=0, method="inverted_cdf")
    np.testing.assert_allclose(frame[["p5", "p50", "p95"]].to_numpy().T, want, rtol=1e-5)
    level = np.percentile(base.annual_values("units", "imported"), 50.0, axis=0, method="inverted_cdf")
    np.testing.assert_allclose(frame["base_p50"], level, rtol=1e-5)


def test_doubling_a_stockpile_never_gives_fewer_units(tmp_path: Path, base_file: Path) -> None:
    doubled = overlay(tmp_path, "doubled", base_file, {"sources.hbm_stock.initial": {"uniform": [4000.0, 12000.0]}})
    base, more = run_one(load_scenario(base_file)), run_one(load_scenario(doubled))
    per_sample = paired_difference(base, more, "units", "accel")
    assert per_sample.shape == (SAMPLES, 2)
    assert (per_sample >= -1e-3).all()  # float32 annual totals
    assert per_sample.sum() > 0
    units = compare([base, more]).to_frame().query("metric == 'units'")
    assert (units[["p5", "p50", "p95", "mean"]] >= -1e-3).all().all()
    assert units.query("group == 'imported'")[["p5", "p95"]].eq(0.0).all().all()  # imports untouched


def test_differences_are_paired_per_sample(tmp_path: Path, base_file: Path) -> None:
    """With the licence off, each sample loses exactly its own licensed imports."""
    no_licence = overlay(tmp_path, "no-licence", base_file, {"levers.licence.value": 0.0})
    base, off = run_one(load_scenario(base_file)), run_one(load_scenario(no_licence))
    lost = paired_difference(base, off, "units", "imported")
    np.testing.assert_allclose(lost, -base.annual_values("units", "imported"), rtol=1e-6)
    assert np.ptp(lost) > 0  # uncertain, yet each sample is paired with itself


def test_compare_needs_paired_runs(base_file: Path) -> None:
    loaded = load_scenario(base_file)
    with pytest.raises(SimulationError, match="one seed"):
        compare([run_one(loaded), run(loaded, samples=SAMPLES, seed=SEED + 1)])
    with pytest.raises(SimulationError, match="at least two"):
        compare([run_one(loaded)])


# ------------------------------------------------------------------ levers


def test_one_lever_overlay_is_reproduced_by_its_lever_alone(tmp_path: Path, base_file: Path) -> None:
    weaker = overlay(tmp_path, "weaker", base_file, {"levers.enforcement.value": {"uniform": [0.2, 0.6]}})
    base, over = load_scenario(base_file), load_scenario(weaker)
    assert changed_levers(base, over) == ("enforcement",)
    view = lever_view(base, [over], run_one)
    frame = view.to_frame()
    assert set(frame["change"]) == {"enforcement", ALL_CHANGES, REST}
    keys = ["metric", "group", "year"]
    alone = frame[frame["change"] == "enforcement"].set_index(keys)
    whole = frame[frame["change"] == ALL_CHANGES].set_index(keys)
    columns = ["mean", "p5", "p50", "p95"]
    assert (alone[columns] == whole[columns]).all().all()
    assert (frame.loc[frame["change"] == REST, columns] == 0.0).all().all()
    effects = {(d.scenario, d.metric, d.group, d.year): d for d in view.effects[0]}
    assert effects[(ALL_CHANGES, "units", "domestic", 2025)].p50 < 0  # less smuggled HBM, fewer units
    [change] = view.changes
    assert (change.lever, change.base_value) == ("enforcement", "1")
    assert change.overlay_value == "0.2 to 0.6 (uniform)"  # as written, the family named


def test_lever_built_in_memory_equals_the_overlay_file(tmp_path: Path, base_file: Path) -> None:
    """``with_lever`` loads to what an overlay overriding only that lever loads to."""
    both = overlay(
        tmp_path,
        "both",
        base_file,
        {"levers.enforcement.value": 0.5, "levers.licence.value": 0.0, "sources.hbm_stock.max_draw": 400.0},
    )
    only = overlay(tmp_path, "only", base_file, {"levers.enforcement.value": 0.5})
    base, over = load_scenario(base_file), load_scenario(both)
    assert changed_levers(base, over) == ("enforcement", "licence")
    built, from_file = with_lever(base, over, "enforcement"), load_scenario(only)
    assert built.scenario.levers == from_file.scenario.levers
    assert [i.name for i in built.inputs] == [i.name for i in from_file.inputs]
    ours, theirs = run_one(built), run_one(from_file)
    for key, values in theirs.annual.items():
        np.testing.assert_array_equal(ours.annual[key], values, err_msg=str(key))


def test_lever_view_splits_an_overlay_into_levers_and_the_rest(tmp_path: Path, base_file: Path) -> None:
    both = overlay(
        tmp_path,
        "both",
        base_file,
        {"levers.enforcement.value": 0.5, "levers.licence.value": 0.0, "sources.hbm_stock.max_draw": 400.0},
    )
    view = lever_view(load_scenario(base_file), [load_scenario(both)], run_one)
    effects = {(d.scenario, d.metric, d.group, d.year): d for d in view.effects[0]}
    assert effects[("licence", "units", "imported", 2025)].p50 < 0
    assert effects[("licence", "units", "domestic", 2025)].p95 == 0.0  # no market demand: no substitution
    assert effects[("enforcement", "units", "imported", 2025)].p95 == 0.0
    assert effects[(REST, "units", "domestic", 2025)].mean < 0  # the tighter ration is not a lever
    document = view.to_document()
    assert [c["lever"] for c in document["changes"]] == ["enforcement", "licence"]


def test_an_overlay_without_levers_has_only_its_whole_change(tmp_path: Path, base_file: Path) -> None:
    ration = overlay(tmp_path, "ration", base_file, {"sources.hbm_stock.max_draw": 400.0})
    view = lever_view(load_scenario(base_file), [load_scenario(ration)], run_one)
    assert view.changes == ()
    assert set(view.to_frame()["change"]) == {ALL_CHANGES}


def test_with_lever_needs_the_lever_in_both(base_file: Path) -> None:
    loaded = load_scenario(base_file)
    with pytest.raises(SimulationError, match="not in both"):
        with_lever(loaded, loaded, "missing")
    with pytest.raises(SimulationError, match="at least one overlay"):
        lever_view(loaded, [], run_one)


# ------------------------------------------------------------------ the command


def invoke(*args: str) -> Any:
    return CliRunner().invoke(command, [*args, "--samples", "64", "--seed", "2"])


def test_command_table_and_json(tmp_path: Path, base_file: Path) -> None:
    doubled = overlay(tmp_path, "doubled", base_file, {"sources.hbm_stock.initial": 9000.0})
    done = invoke(str(base_file), str(doubled))
    assert done.exit_code == 0, done.output
    assert "doubled" in done.output
    assert "HBM stacks consumed" in done.output
    done = invoke(str(base_file), str(doubled), "--format", "json")
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    assert (document["base"], document["scenarios"], document["seed"]) == ("test", ["doubled"], 2)
    assert {row["metric"] for row in document["differences"]} == set(HEADLINE_METRICS)


def test_command_lever_view_on_the_builtin_example(tmp_path: Path) -> None:
    data = {
        "stackbound": 1,
        "extends": "example",
        "name": "enforced",
        "overrides": {"levers.smuggling_enforcement.value": {"value": 0, "assumption": "test"}},
    }
    enforced = write(tmp_path, "enforced", data)
    done = invoke("example", str(enforced), "--levers")
    assert done.exit_code == 0, done.output
    assert "smuggling_enforcement" in done.output
    document = json.loads(invoke("example", str(enforced), "--levers", "--format", "json").stdout)
    assert document["changes"] == [
        {"overlay": "enforced", "lever": "smuggling_enforcement", "base_value": "1", "overlay_value": "0"}
    ]
    rest = [e for e in document["effects"] if e["change"] == REST]
    assert rest
    assert all(e["p5"] == e["p95"] == 0.0 for e in rest)


def test_command_bad_input(tmp_path: Path, base_file: Path) -> None:
    done = invoke(str(base_file), str(tmp_path / "missing.yaml"))
    assert isinstance(done.exception, ScenarioError)
    done = invoke(str(base_file))
    assert done.exit_code == 2  # a usage error: one scenario is nothing to compare
    assert "at least one more" in done.output
