"""``stackbound sweep``: lever grids and lists over a base scenario and its overlays, every
point paired with point 0 on common random numbers.

The small scenario's output has a closed form: a fab line of ``STARTS`` wafers a month,
``DPW`` dies a wafer at ``YIELD``, scaled by the lever ``fab_power``, makes one die per
unit, so a year holds ``12 × STARTS × DPW × YIELD × fab_power`` units; HBM (scaled by
``hbm_power``) and packaging (uncertain, so the runs draw) are ample.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from stackbound.analysis.sweep import (
    DEFAULT_SEED,
    LEVER_PREFIX,
    MAX_POINTS,
    STATISTICS,
    load_sweep,
    per_sample_table,
    point_table,
    run_points,
    sweep_table,
)
from stackbound.cli import app, common
from stackbound.cli.sweep import command
from stackbound.errors import ScenarioError, SimulationError
from stackbound.scenario.overlay import builtin_dir
from support import AMPLE, product, run_main, scenario

SHORT_HELP = "Sweep lever values and overlays, paired sample by sample."
STARTS, DPW, YIELD = 1000.0, 50.0, 0.8
PER_YEAR = 12 * STARTS * DPW * YIELD  # 480 000 units at fab_power 1
SAMPLES = 64
EXAMPLE = builtin_dir() / "sweeps" / "china-levers.yaml"


@pytest.fixture(autouse=True)
def sweep_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """``stackbound sweep`` as cli/app.py will list it (the line is added there by hand)."""
    monkeypatch.setitem(app.COMMANDS, "sweep", ("stackbound.cli.sweep:command", SHORT_HELP))


def base_data(die_yield: Any = YIELD) -> dict[str, Any]:
    fab = {
        "kind": "fab_line",
        "cycle_time": 0,
        "levers": ["fab_power"],
        "dies": [{"component": "logic", "wafer_starts": STARTS, "dies_per_wafer": DPW, "yield": die_yield}],
    }
    return scenario(
        components={"logic": {"kind": "logic_die"}, "hbm": {"kind": "hbm_stack"}},
        sources={"fab": fab, "hbm_flow": {"kind": "flow", "component": "hbm", "rate": AMPLE, "levers": ["hbm_power"]}},
        packaging={"pkg": {"capacity": {"uniform": [AMPLE / 2, AMPLE]}, "yield": 1.0}},
        products={"accel": product({"logic": 1, "hbm": 8})},
        end="2026-12",
        levers={"fab_power": {"value": 1.0}, "hbm_power": {"value": 1.0}},
    )


OVERLAY = {
    "stackbound": 1,
    "extends": "base.yaml",
    "name": "twice-the-wafers",
    "overrides": {"sources.fab.dies.0.wafer_starts": 2 * STARTS},
}


def folder(tmp_path: Path, die_yield: Any = YIELD) -> Path:
    """``tmp_path`` holding ``base.yaml`` and its overlay ``over.yaml``."""
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(base_data(die_yield), sort_keys=False), encoding="utf-8")
    (tmp_path / "over.yaml").write_text(yaml.safe_dump(OVERLAY, sort_keys=False), encoding="utf-8")
    return tmp_path


def sweep_file(directory: Path, text: str, name: str = "s.sweep.yaml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def grid(values: str, extra: str = "") -> str:
    """A sweep of ``base.yaml`` over the grid ``values``, then the lines ``extra``."""
    samples = "" if "samples:" in extra else f"samples: {SAMPLES}\n"
    return f"stackbound_sweep: 1\nscenario: base.yaml\n{samples}levers:\n  grid:\n{values}{extra}"


def rows(table: pd.DataFrame, statistic: str, **where: Any) -> pd.DataFrame:
    chosen = table[table["statistic"] == statistic]
    for column, value in where.items():
        chosen = chosen[chosen[column] == value]
    return chosen


# ------------------------------------------------------------------ known answers


def test_doubling_the_lever_on_wafer_starts_doubles_units_and_halving_halves_them(tmp_path: Path) -> None:
    path = sweep_file(folder(tmp_path), grid("    fab_power: [0.5, 2]\n    hbm_power: [1]\n"))
    table = sweep_table(load_sweep(path))
    for point, power in ((0, 1.0), (1, 0.5), (2, 2.0)):
        level = rows(table, "p50", point=point, metric="units", group="total")
        change = rows(table, "diff_p50", point=point, metric="units", group="total")
        assert list(level["year"]) == [2025, 2026]
        np.testing.assert_allclose(level["value"], PER_YEAR * power, rtol=1e-6)
        np.testing.assert_allclose(change["value"], PER_YEAR * (power - 1), rtol=1e-6)
    assert rows(table, "p5", point=2, metric="units")["value"].tolist() == pytest.approx([2 * PER_YEAR] * 2)


def test_switching_off_the_hbm_lever_stops_every_unit(tmp_path: Path) -> None:
    path = sweep_file(folder(tmp_path), grid("    hbm_power: [0]\n"))
    table = sweep_table(load_sweep(path))
    assert rows(table, "p95", point=1, metric="units")["value"].tolist() == [0.0, 0.0]
    np.testing.assert_allclose(rows(table, "diff_p50", point=1, metric="units")["value"], -PER_YEAR, rtol=1e-6)


def test_an_overlay_runs_as_it_is_when_there_are_no_levers(tmp_path: Path) -> None:
    path = sweep_file(
        folder(tmp_path), "stackbound_sweep: 1\nscenario: base.yaml\noverlays: [over.yaml]\nsamples: 16\n"
    )
    sweep = load_sweep(path)
    assert [(p.index, p.overlay, dict(p.levers)) for p in sweep.points] == [
        (0, "test", {}),
        (1, "twice-the-wafers", {}),
    ]
    change = rows(sweep_table(sweep), "diff_mean", point=1, metric="units")
    np.testing.assert_allclose(change["value"], PER_YEAR, rtol=1e-6)


def test_a_scaled_lever_scales_every_sample_of_an_uncertain_output(tmp_path: Path) -> None:
    """Common random numbers: the same die-yield draw in the same sample of every point."""
    path = sweep_file(folder(tmp_path, {"uniform": [0.5, 0.9]}), grid("    fab_power: [3]\n"))
    base, tripled = run_points(load_sweep(path))
    units = base.values[("units", "total")]
    assert units.std() > 0  # the draws matter
    np.testing.assert_allclose(tripled.values[("units", "total")], 3 * units, rtol=1e-6)


# ------------------------------------------------------------------ paired differences


def test_a_point_that_sets_the_base_levers_differs_from_point_0_by_exactly_zero(tmp_path: Path) -> None:
    path = sweep_file(folder(tmp_path, {"uniform": [0.5, 0.9]}), grid("    fab_power: [1, 2]\n    hbm_power: [1]\n"))
    table = sweep_table(load_sweep(path))
    for point in (0, 1):
        differences = table[(table["point"] == point) & table["statistic"].str.startswith("diff_")]
        assert len(differences) == 4 * 2 * 2  # 4 statistics, 2 outputs, 2 years
        assert (differences["value"] == 0.0).all()
    assert (rows(table, "diff_p50", point=2, metric="units")["value"] > 0).all()


def test_point_table_of_a_point_with_itself_is_zero_and_its_levels_are_the_runs(tmp_path: Path) -> None:
    path = sweep_file(folder(tmp_path, {"uniform": [0.5, 0.9]}), grid("    fab_power: [2]\n"))
    sweep = load_sweep(path)
    _, doubled = run_points(sweep)
    table = point_table(sweep, doubled, doubled)
    assert (table[table["statistic"].str.startswith("diff_")]["value"] == 0.0).all()
    p50 = rows(table, "p50", metric="units")["value"].to_numpy()
    np.testing.assert_allclose(
        p50, np.percentile(doubled.values[("units", "total")], 50, axis=0, method="inverted_cdf")
    )


# ------------------------------------------------------------------ points


@pytest.mark.parametrize(
    ("fab", "hbm", "overlays"), [([1], [1], []), ([0.5, 1, 2], [0, 1], []), ([0, 2], [1, 2, 3], ["over.yaml"])]
)
def test_a_grid_has_one_point_per_combination_per_scenario_plus_point_0(
    tmp_path: Path, fab: list[float], hbm: list[float], overlays: list[str]
) -> None:
    text = grid(f"    fab_power: {fab}\n    hbm_power: {hbm}\n", f"overlays: {overlays}\n")
    sweep = load_sweep(sweep_file(folder(tmp_path), text))
    assert len(sweep.points) == 1 + (1 + len(overlays)) * len(fab) * len(hbm)
    assert [p.index for p in sweep.points] == list(range(len(sweep.points)))
    combos = [(p.levers["fab_power"], p.levers["hbm_power"]) for p in sweep.points[1 : 1 + len(fab) * len(hbm)]]
    assert combos == [(f, h) for f in fab for h in hbm]  # the last lever varies fastest


def test_a_list_runs_its_points_in_order_and_leaves_unnamed_levers_as_they_are(tmp_path: Path) -> None:
    text = (
        f"stackbound_sweep: 1\nscenario: base.yaml\nsamples: {SAMPLES}\n"
        "levers:\n  list:\n    - {fab_power: 50 %}\n    - {hbm_power: 1, fab_power: 1.5}\n"
    )
    sweep = load_sweep(sweep_file(folder(tmp_path), text))
    assert [dict(p.levers) for p in sweep.points] == [{}, {"fab_power": 0.5}, {"hbm_power": 1.0, "fab_power": 1.5}]
    table = sweep_table(sweep)
    assert math.isnan(rows(table, "p50", point=1)[f"{LEVER_PREFIX}hbm_power"].iloc[0])
    np.testing.assert_allclose(rows(table, "p50", point=2, metric="units")["value"], 1.5 * PER_YEAR, rtol=1e-6)


def test_samples_and_seed_default_to_every_commands_and_the_command_line_replaces_them(tmp_path: Path) -> None:
    text = "stackbound_sweep: 1\nscenario: base.yaml\nlevers: {grid: {fab_power: [2]}}\n"
    path = sweep_file(folder(tmp_path), text)
    assert DEFAULT_SEED == common.DEFAULT_SEED
    assert (load_sweep(path).seed, load_sweep(path).samples) == (DEFAULT_SEED, 10_000)
    assert (load_sweep(path, samples=8, seed=3).samples, load_sweep(path, samples=8, seed=3).seed) == (8, 3)


def test_run_options_reach_every_run_but_may_not_set_the_pairing(tmp_path: Path) -> None:
    sweep = load_sweep(sweep_file(folder(tmp_path, {"uniform": [0.5, 0.9]}), grid("    fab_power: [2]\n")))
    chunked = [r.values[("units", "total")] for r in run_points(sweep, {"chunk_size": 1, "workers": 1})]
    whole = [r.values[("units", "total")] for r in run_points(sweep)]
    for a, b in zip(chunked, whole, strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(SimulationError, match="seed"):
        next(run_points(sweep, {"seed": 1}))


# ------------------------------------------------------------------ the command, as a user runs it


def test_the_command_prints_a_table_per_output_that_fits_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = sweep_file(folder(tmp_path), grid("    fab_power: [0.5, 2]\n    hbm_power: [0, 1]\n"))
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = run_main(capsys, "sweep", str(path))
    assert code == 0, err
    assert f"5 points on test  samples {SAMPLES}  seed 0" in out
    assert "units, total (units): difference to point" in out
    assert "+480k" in out  # fab_power 2 against 480k
    assert "-240k" in out  # fab_power 0.5
    assert max(len(line) for line in out.splitlines()) <= 80
    code, levels, _ = run_main(capsys, "sweep", str(path), "--levels")
    assert code == 0
    assert "each point's" in levels
    assert "960k" in levels


def test_out_writes_the_tidy_table_per_sample_files_and_a_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = sweep_file(folder(tmp_path), grid("    fab_power: [2]\n", "overlays: [over.yaml]\nseed: 11\n"))
    out_dir = tmp_path / "results"
    code, _, err = run_main(capsys, "sweep", str(path), "--out", str(out_dir), "--per-sample")
    assert code == 0, err
    table = pd.read_parquet(out_dir / "sweep.parquet")
    columns = ["point", "overlay", "lever_fab_power", "metric", "group", "unit", "year", "statistic", "value"]
    assert list(table.columns) == columns
    assert len(table) == 3 * 2 * 2 * len(STATISTICS)  # points × outputs × years × statistics
    assert set(table["statistic"]) == set(STATISTICS)
    assert table["overlay"].tolist()[:: 2 * 2 * len(STATISTICS)] == ["test", "test", "twice-the-wafers"]
    pd.testing.assert_frame_equal(pd.read_csv(out_dir / "sweep.csv"), table, check_dtype=False)
    samples = sorted(p.name for p in (out_dir / "samples").iterdir())
    assert samples == ["point-000.parquet", "point-001.parquet", "point-002.parquet"]
    one = pd.read_parquet(out_dir / "samples" / "point-002.parquet")
    assert list(one.columns) == ["point", "overlay", "lever_fab_power", "metric", "group", "year", "sample", "value"]
    assert len(one) == SAMPLES * 2 * 2
    np.testing.assert_allclose(one[one["metric"] == "units"]["value"], 4 * PER_YEAR, rtol=1e-6)  # 2 × 2 wafers
    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["seed"], manifest["samples"], manifest["sweep"]["seed"]) == (11, SAMPLES, 11)
    assert set(manifest["files"]) == {"sweep.csv", "sweep.parquet", *(f"samples/{s}" for s in samples)}


def test_csv_and_json_print_the_same_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = sweep_file(folder(tmp_path), grid("    fab_power: [2]\n"))
    code, csv_text, _ = run_main(capsys, "sweep", str(path), "--format", "csv")
    assert code == 0
    assert csv_text.splitlines()[0] == "point,overlay,lever_fab_power,metric,group,unit,year,statistic,value"
    code, json_text, _ = run_main(capsys, "sweep", str(path), "--format", "json")
    document = json.loads(json_text)
    assert document["sweep"]["seed"] == 0
    assert len(document["rows"]) == len(csv_text.splitlines()) - 1


def test_an_interrupted_sweep_leaves_the_earlier_output_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = sweep_file(folder(tmp_path), grid("    fab_power: [2, 3]\n"))
    out_dir = tmp_path / "results"
    assert run_main(capsys, "sweep", str(path), "--out", str(out_dir))[0] == 0
    before = {p.name: p.read_bytes() for p in out_dir.iterdir()}
    calls = []

    def interrupted(*args: Any) -> pd.DataFrame:
        calls.append(args)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return point_table(*args)

    monkeypatch.setattr("stackbound.cli.sweep.point_table", interrupted)
    code, _, err = run_main(capsys, "sweep", str(path), "--out", str(out_dir), "--per-sample", "--seed", "4")
    assert code == 130, err
    assert {p.name: p.read_bytes() for p in out_dir.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base.yaml", "over.yaml", "results", "s.sweep.yaml"]


def test_the_worked_example_runs_and_its_base_lever_point_differs_by_zero(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, "sweep", str(EXAMPLE), "--samples", "100", "--format", "csv")
    assert code == 0, err
    table = pd.read_csv(__import__("io").StringIO(out))
    assert table["point"].nunique() == 13
    same = table[(table["overlay"] == "china") & (table["lever_tool_controls"] == 1)]
    same = same[(same["lever_memory_tool_controls"] == 1) & same["statistic"].str.startswith("diff_")]
    assert len(same) > 0
    assert (same["value"] == 0).all()
    assert set(table["group"]) == {"total", "domestic", "Huawei"}


def test_the_short_help_is_one_whole_sentence_that_fits_the_listing() -> None:
    assert command.get_short_help_str(limit=10_000) == SHORT_HELP
    assert SHORT_HELP.endswith(".")
    assert SHORT_HELP.count(". ") == 0
    assert len(SHORT_HELP) <= 80 - 6 - len("sensitivity")  # click's listing would cut it past this


# ------------------------------------------------------------------ bad input: exit 2, file, line, field

BAD: list[tuple[str, str, int | None, str, str]] = [
    # (id, sweep text, line, field, words of the message)
    ("unknown lever", grid("    fab_powr: [1]\n"), 6, "levers.grid.fab_powr", "did you mean 'fab_power'?"),
    ("negative value", grid("    fab_power: [1, -1]\n"), 6, "levers.grid.fab_power[1]", "must be >= 0, got -1"),
    ("value with a unit", grid("    fab_power: [2 wafer]\n"), 6, "levers.grid.fab_power[0]", "expected a multiplier"),
    ("distribution", grid("    fab_power: [{uniform: [0, 1]}]\n"), 6, "levers.grid.fab_power[0]", "write an overlay"),
    ("boolean value", grid("    fab_power: [true]\n"), 6, "levers.grid.fab_power[0]", "got True"),
    ("value twice", grid("    fab_power: [0.5, 50 %]\n"), 6, "levers.grid.fab_power[1]", "listed twice"),
    ("no values", grid("    fab_power: []\n"), 6, "levers.grid.fab_power", "non-empty list of values"),
    ("empty grid", grid("    {}\n"), 6, "levers.grid", "a grid maps each lever"),
    ("empty list", "stackbound_sweep: 1\nscenario: base.yaml\nlevers: {list: []}\n", 3, "levers.list", "non-empty"),
    ("grid and list", grid("    fab_power: [1]\n", "  list: [{fab_power: 1}]\n"), 5, "levers", "not both"),
    (
        "point twice",
        "stackbound_sweep: 1\nscenario: base.yaml\nlevers:\n  list:\n    - {fab_power: 2}\n    - {fab_power: 2.0}\n",
        6,
        "levers.list[1]",
        "repeats the one at levers.list[0]",
    ),
    ("too many points", grid("    fab_power: [1, 2, 3]\n"), 5, "levers", "4 points (1 + 1 scenario x 3 lever points)"),
    ("unknown overlay", grid("    fab_power: [1]\n", "overlays: [nope.yaml]\n"), 7, "overlays[0]", "no such scenario"),
    (
        "overlay without the lever",
        grid("    fab_power: [1]\n", "overlays: [example]\n"),
        6,
        "levers.grid.fab_power",
        "of 'example'",
    ),
    ("unknown scenario", "stackbound_sweep: 1\nscenario: nowhere\noverlays: [over.yaml]\n", 2, "scenario", "no such"),
    ("overlays not a list", grid("    fab_power: [1]\n", "overlays: over.yaml\n"), 7, "overlays", "non-empty list"),
    ("samples text", grid("    fab_power: [1]\n", "samples: many\n"), 6, "samples", "whole number >= 1, got 'many'"),
    ("negative seed", grid("    fab_power: [1]\n", "seed: -1\n"), 7, "seed", "whole number >= 0, got -1"),
    ("unknown key", grid("    fab_power: [1]\n", "sample: 5\n"), 7, "sample", "unknown field"),
    ("no version", "scenario: base.yaml\noverlays: [over.yaml]\n", 1, "stackbound_sweep", "version must be 1"),
    ("nothing to sweep", "stackbound_sweep: 1\nscenario: base.yaml\n", 1, "levers", "needs levers"),
    (
        "unknown metric",
        grid("    fab_power: [1]\n", "outputs: {metrics: {unitz: [total]}}\n"),
        7,
        "outputs.metrics.unitz",
        "did you mean 'units'?",
    ),
    (
        "unknown group",
        grid("    fab_power: [1]\n", "outputs: {metrics: {units: [hbm]}}\n"),
        7,
        "outputs.metrics.units",
        "no group 'hbm'",
    ),
    ("year outside", grid("    fab_power: [1]\n", "outputs: {years: [2030]}\n"), 7, "outputs.years[0]", "2025–2026"),
    ("year text", grid("    fab_power: [1]\n", "outputs: {years: [next]}\n"), 7, "outputs.years[0]", "expected a year"),
    ("YAML syntax", grid("    fab_power: [1\n"), 7, "", "YAML syntax"),
    ("missing file", "", None, "", "cannot open the file: no such file"),
]


@pytest.mark.parametrize(("text", "line", "field", "words"), [pytest.param(*case[1:], id=case[0]) for case in BAD])
def test_bad_input_names_file_line_and_field_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, line: int | None, field: str, words: str
) -> None:
    path = sweep_file(folder(tmp_path), text) if text else tmp_path / "absent.yaml"
    code, out, err = run_main(capsys, "sweep", str(path), "--max-points", "3")
    assert code == 2, err
    assert "Traceback" not in out + err
    first = err.splitlines()[0]
    where = f"{path}:{line}:" if line is not None else f"{path}:"
    assert first.startswith(where), err
    assert (f": {field}: " in first) if field else True, err
    assert words in first, err


def test_every_problem_of_a_stage_is_reported_together(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = grid("    fab_power: [-1, true]\n", "samples: 0\nseed: x\nfrob: 1\n")  # lines 5, 6, 7, 8
    path = sweep_file(folder(tmp_path), text)
    code, _, err = run_main(capsys, "sweep", str(path))
    assert code == 2
    fields = [line.split(": ")[1] for line in err.splitlines()]
    assert fields == ["levers.grid.fab_power[0]", "levers.grid.fab_power[1]", "samples", "seed", "frob"]


def test_a_scenario_outside_the_sweeps_folder_needs_allow_outside(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder(tmp_path)
    inner = tmp_path / "sweeps"
    inner.mkdir()
    path = sweep_file(
        inner, "stackbound_sweep: 1\nscenario: ../base.yaml\nlevers: {grid: {fab_power: [2]}}\nsamples: 8\n"
    )
    monkeypatch.chdir(inner)
    code, _, err = run_main(capsys, "sweep", str(path))
    assert code == 2
    assert err.startswith(f"{path}:2:11: scenario: ")
    assert "--allow-outside" in err
    assert run_main(capsys, "sweep", str(path), "--allow-outside")[0] == 0


def test_per_sample_needs_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = sweep_file(folder(tmp_path), grid("    fab_power: [2]\n"))
    code, _, err = run_main(capsys, "sweep", str(path), "--per-sample")
    assert code == 2
    assert "--per-sample needs --out" in err


def test_the_cap_is_documented_and_refused_in_the_library_too(tmp_path: Path) -> None:
    assert f"at most **{MAX_POINTS} points**" in (Path(__file__).parents[1] / "docs" / "sweep-format.md").read_text()
    path = sweep_file(folder(tmp_path), grid("    fab_power: [1, 2]\n"))
    with pytest.raises(ScenarioError, match="cap of 2"):
        load_sweep(path, max_points=2)
    assert len(load_sweep(path, max_points=3).points) == 3
    assert (
        per_sample_table(load_sweep(path, samples=2), next(run_points(load_sweep(path, samples=2))))["sample"].max()
        == 1
    )
