"""Drive the command line as a user does: real processes, exit codes, printed output."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

EXAMPLE = "example"


def stackbound(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "stackbound", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300
    )


def test_run_default_prints_tables() -> None:
    done = stackbound("run", "--samples", "2000", "--seed", "4")
    assert done.returncode == 0, done.stderr
    assert "china" in done.stdout
    assert "ascend910c/hbm2e" in done.stdout
    done = stackbound("run", EXAMPLE, "--samples", "2000", "--seed", "4")
    assert done.returncode == 0, done.stderr
    assert "example" in done.stdout
    assert "P50 (P5–P95)" in done.stdout
    assert "most likely binding constraint" in done.stdout
    assert "accel_a/hbm2e" in done.stdout
    assert "Traceback" not in done.stderr


def test_run_json_document_shape() -> None:
    done = stackbound("run", EXAMPLE, "--samples", "1500", "--seed", "11", "--format", "json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["scenario"] == "example"
    assert doc["seed"] == 11
    assert doc["samples"] == 1500
    metrics = {row["metric"] for row in doc["annual"]}
    assert metrics == {
        "units",
        "units_delivered",
        "dies_consumed",
        "hbm_stacks_consumed",
        "compute_added_h100e",
        "effective_compute_added_h100e",
        "stranded_dies",
        "stranded_hbm_stacks",
        "value_usd",
        "domestic_share_units",
    }
    groups = {row["group"] for row in doc["annual"] if row["metric"] == "units"}
    assert {"accel_a", "accel_b", "import_gpu", "VendorA", "domestic", "imported", "total"} <= groups
    for row in doc["annual"]:
        assert row["p5"] <= row["p50"] <= row["p95"]
        assert set(row) == {"year", "metric", "group", "mean", "p5", "p50", "p95"}


def test_same_seed_same_json_and_different_seed_differs() -> None:
    first = stackbound("run", "--samples", "1100", "--seed", "3", "--format", "json").stdout
    again = stackbound("run", "--samples", "1100", "--seed", "3", "--format", "json", "--chunk-size", "7").stdout
    other = stackbound("run", "--samples", "1100", "--seed", "4", "--format", "json").stdout
    assert first == again
    assert first != other


def test_several_scenarios_give_a_list(tmp_path: Path) -> None:
    overlay = tmp_path / "no_smuggling.yaml"
    overlay.write_text(
        "stackbound: 1\nextends: example\nname: no-smuggling\n"
        "overrides:\n  levers.smuggling_enforcement.value: {value: 0, assumption: test}\n"
    )
    done = stackbound("run", EXAMPLE, str(overlay), "--samples", "1024", "--seed", "2", "--format", "json")
    assert done.returncode == 0, done.stderr
    docs = json.loads(done.stdout)
    assert [d["scenario"] for d in docs] == ["example", "no-smuggling"]
    assert docs[1]["levers"]["smuggling_enforcement"] == "0"


def test_out_directory_is_complete(tmp_path: Path) -> None:
    out = tmp_path / "results"
    done = stackbound("run", "--samples", "1024", "--seed", "9", "--out", str(out))
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runs"][0]["seed"] == 9
    assert manifest["runs"][0]["samples"] == 1024
    assert len(manifest["runs"][0]["digest"]) == 64
    for name in ("annual", "quarterly", "monthly", "binding", "inputs"):
        csv = pd.read_csv(out / f"{name}.csv")
        parquet = pd.read_parquet(out / f"{name}.parquet")
        assert len(csv) == len(parquet) > 0
    assert "source" in pd.read_csv(out / "inputs.csv").columns
    assert (out / "scenario.resolved.yaml").read_text().startswith("stackbound: 1")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no staging directory left behind"


def test_out_refuses_a_foreign_directory(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    done = stackbound("run", "--samples", "1024", "--seed", "1", "--out", str(tmp_path))
    assert done.returncode == 2
    assert "not a stackbound output" in done.stderr
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_interrupted_run_leaves_no_output(tmp_path: Path) -> None:
    """Ctrl-C while the results are being written (stopped there by the test-only pause
    hook, not by timing): exit 130, no traceback, nothing written, no staging left."""
    parent, flag = tmp_path / "parent", tmp_path / "paused"
    parent.mkdir()
    out = parent / "results"
    env = {**os.environ, "STACKBOUND_TEST_PAUSE_AT": "staging-written", "STACKBOUND_TEST_PAUSE_FILE": str(flag)}
    process = subprocess.Popen(
        [sys.executable, "-m", "stackbound", "run", EXAMPLE, "--samples", "64", "--seed", "1", "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 240
        while not flag.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert flag.exists(), "the run never reached the writing stage"
        assert [p.name[:20] for p in parent.iterdir()] == [".results.stackbound-"], "staging is being written"
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=120)
    finally:
        process.kill()
        process.wait(timeout=60)
    assert process.returncode == 130
    assert "interrupted" in stderr
    assert "Traceback" not in stderr
    assert not out.exists()
    assert list(parent.iterdir()) == []


def test_check_ok_and_bad(tmp_path: Path) -> None:
    ok = stackbound("check", EXAMPLE)
    assert ok.returncode == 0
    assert "ok" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("stackbound: 1\nname: bad\nhorizon: {start: 2024-01, end: 2023-01}\n")
    done = stackbound("check", str(bad))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"{bad}:" in done.stderr
    assert "components" in done.stderr
    assert "horizon" in done.stderr


def test_bad_units_error_names_file_line_field(tmp_path: Path) -> None:
    text = (Path(__file__).parents[1] / "src/stackbound/scenario/builtin/example.yaml").read_text()
    bad = tmp_path / "units.yaml"
    bad.write_text(text.replace("value: 600 mm^2", "value: 600 wafer/month"))
    done = stackbound("run", str(bad), "--samples", "10")
    assert done.returncode == 2
    line = next(i for i, t in enumerate(bad.read_text().splitlines(), 1) if "600 wafer/month" in t)
    assert f"units.yaml:{line}:" in done.stderr
    assert "sources.fab.dies[0].die_area" in done.stderr
    assert "expected an area in mm^2" in done.stderr


def test_missing_scenario_and_bad_options() -> None:
    missing = stackbound("run", "no-such-scenario")
    assert missing.returncode == 2
    assert "no such scenario" in missing.stderr
    assert stackbound("run", "--samples", "0").returncode == 2
    assert stackbound("run", "--format", "xml").returncode == 2
    assert stackbound("run", "--samples", "5000", "--exact").returncode == 2


def test_exact_mode_runs() -> None:
    done = stackbound("run", EXAMPLE, "--samples", "20", "--seed", "1", "--exact", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["exact"] is True


def test_show_lists_values_with_provenance() -> None:
    done = stackbound("show", EXAMPLE)
    assert done.returncode == 0, done.stderr
    assert "sources.fab.wafer_starts" in done.stdout
    assert "assumption" in done.stdout


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["--version"], ["scenarios"]])
def test_help_and_listing(args: list[str]) -> None:
    done = stackbound(*args)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


def test_scenarios_lists_each_builtin_with_its_story() -> None:
    """Issue 11 §3: ``stackbound scenarios`` gives each built-in's one-line story and base."""
    done = stackbound("scenarios")
    assert done.returncode == 0, done.stderr
    lines = {line.split()[0]: " ".join(line.split()[1:]) for line in done.stdout.splitlines() if line[:1].strip()}
    assert lines["tight-controls"] == (
        "Tighter US/allied HBM and tool controls from 2026 - slower SMIC ramp, leakage closed, no licences. "
        "(extends china)"
    )
    assert lines["hbm-smuggling"].endswith("then enforcement catches up. (extends china)")
    assert lines["china"].startswith("China 2024-2028: Huawei Ascend")
    assert "extends" not in lines["china"]
