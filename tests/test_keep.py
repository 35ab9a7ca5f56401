"""What a run keeps per sample (``run(..., keep=...)``, ``stackbound run --keep``).

Known answers: a run that keeps no per-sample values (``keep="none"``) reads every annual
metric and group from histograms of the very values a run that keeps them holds, so its
percentiles are within RELATIVE_ERROR of the exact ones (0 below LOW) and its means equal
theirs up to the order of summation; the modes that keep values keep them bit for bit; the
histograms do not depend on the chunk size. Paired analyses refuse ``none``, from the
library and from the command line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackbound.analysis.compare import compare
from stackbound.analysis.discover import Outcome, discover
from stackbound.engine import budget
from stackbound.engine.annual import SOURCED, UNSOURCED, UNSOURCED_SHARE
from stackbound.engine.executors import Processes
from stackbound.engine.histogram import CELL_BINS, CELL_SHIFT, EDGES, FIRST_CELL, LOW, RELATIVE_ERROR
from stackbound.engine.keep import KEEP_MODES, Keep, parse_keep
from stackbound.engine.kernel import bin_and_sum
from stackbound.engine.plan import build_plan
from stackbound.engine.results import RunResult
from stackbound.engine.run import run
from stackbound.engine.summaries import summarise
from stackbound.errors import NotKeptError, SimulationError, StackboundError
from stackbound.scenario.loader import LoadedScenario, load_scenario

SAMPLES = 3_000
SEED = 5
SLACK = 1.0 + 1e-9
"""A value exactly on a bin edge, read at the bin's upper edge, meets the bound with equality
(see test_histogram)."""


@pytest.fixture(scope="module", params=["example", "china"])
def loaded(request: pytest.FixtureRequest) -> LoadedScenario:
    return load_scenario(request.param)


@pytest.fixture(scope="module")
def runs(loaded: LoadedScenario) -> dict[Keep, RunResult]:
    return {keep: run(loaded, samples=SAMPLES, seed=SEED, keep=keep) for keep in KEEP_MODES}


def printed(result: RunResult) -> list[tuple[str, str]]:
    """Every annual (metric, group) a run's tables and sentences read."""
    found = [(m, g) for m in result.metrics() for g in result.groups(m)]
    if result.unsourced:
        found += [("units", UNSOURCED), ("units", SOURCED), (UNSOURCED_SHARE, "total")]
    return found


def within_bound(approximate: np.ndarray, exact: np.ndarray) -> np.ndarray:
    return np.where(exact >= LOW, np.abs(approximate - exact) <= RELATIVE_ERROR * exact * SLACK, approximate == 0)


# ------------------------------------------------------------------ known answers


def test_without_values_every_annual_percentile_is_within_the_histogram_bound(runs: dict[Keep, RunResult]) -> None:
    kept, summarised = runs["annual,quarterly"], runs["none"]
    assert summarised.annual == {}
    for metric, group in printed(kept):
        exact = kept.annual_percentiles(metric, group)
        approximate = summarised.annual_percentiles(metric, group)
        assert within_bound(approximate, exact).all(), (metric, group, exact, approximate)


def test_without_values_every_annual_mean_is_the_exact_one(runs: dict[Keep, RunResult]) -> None:
    kept, summarised = runs["annual,quarterly"], runs["none"]
    for metric, group in printed(kept):
        np.testing.assert_allclose(
            summarised.annual_mean(metric, group), kept.annual_mean(metric, group), rtol=1e-9, atol=1e-9
        )


@settings(max_examples=30, deadline=None)
@given(q=st.floats(min_value=0.0, max_value=100.0))
def test_any_percentile_is_within_the_bound(runs: dict[Keep, RunResult], q: float) -> None:
    kept, summarised = runs["annual,quarterly"], runs["none"]
    for metric, group in [("units", "total"), ("compute_added_h100e", "total"), ("domestic_share_units", "total")]:
        exact = kept.annual_percentiles(metric, group, [q])
        assert within_bound(summarised.annual_percentiles(metric, group, [q]), exact).all()


def test_without_quarterly_values_the_quarterly_table_is_within_the_bound(runs: dict[Keep, RunResult]) -> None:
    kept = runs["annual,quarterly"]
    for keep in ("annual", "none"):
        summarised = runs[keep]
        assert summarised.quarterly == {}
        for metric, _ in kept.quarterly_keys:
            exact = kept.quarterly_percentiles(metric)
            assert within_bound(summarised.quarterly_percentiles(metric), exact).all()
            np.testing.assert_allclose(summarised.quarterly_mean(metric), kept.quarterly_mean(metric), rtol=1e-6)


def test_what_is_kept_is_kept_bit_for_bit(runs: dict[Keep, RunResult]) -> None:
    full, annual, summarised = runs["annual,quarterly"], runs["annual"], runs["none"]
    assert full.annual.keys() == annual.annual.keys()
    for key, values in full.annual.items():
        assert np.array_equal(values, annual.annual[key])
    assert full.annual_table().equals(annual.annual_table())
    for other in (annual, summarised):
        assert np.array_equal(full.monthly_counts, other.monthly_counts)
        assert np.array_equal(full.monthly_sums, other.monthly_sums)
        assert np.array_equal(full.binding_counts, other.binding_counts)
        assert np.array_equal(full.relief_sums, other.relief_sums)
        assert np.array_equal(full.runout, other.runout)
        assert other.metrics() == full.metrics()


def test_the_histograms_do_not_depend_on_the_chunk_size(loaded: LoadedScenario) -> None:
    small, large = (run(loaded, samples=SAMPLES, seed=SEED, keep="none", chunk_size=c) for c in (1_024, 3_072))
    for a, b in (
        (small.annual_histograms, large.annual_histograms),
        (small.quarterly_histograms, large.quarterly_histograms),
    ):
        assert a is not None
        assert b is not None
        assert a.keys == b.keys
        assert np.array_equal(a.counts, b.counts)
        assert np.array_equal(a.sums, b.sums)
        assert (a.counts.sum(axis=-1) == SAMPLES).all()


def test_a_series_of_zeros_summarises_as_the_kernel_bins_it() -> None:
    """Zero series skip the kernel: their bins and block sums are what it would give."""
    zeros = np.zeros((2_000, 3))
    rows, starts = np.ascontiguousarray(zeros.T), np.array([0, 1_024], dtype=np.int64)
    bins, sums = np.empty((3, 2_000), np.uint16), np.empty((2, 3))
    bin_and_sum(rows, rows.view(np.int64), EDGES, CELL_BINS, FIRST_CELL, CELL_SHIFT, starts, bins, sums)
    summary = summarise([zeros], 1, zeros.shape, [0, 1_024])
    assert np.array_equal(summary.bins[0], bins)
    assert summary.block_sums[:, 0].tobytes() == sums.tobytes()


def test_worker_processes_summarise_alike() -> None:
    loaded = load_scenario("example")
    local = run(loaded, samples=2_500, seed=SEED, keep="none")
    with Processes(2) as pool:
        spread = run(loaded, samples=2_500, seed=SEED, keep="none", executor=pool)
    assert local.annual_histograms is not None
    assert spread.annual_histograms is not None
    assert np.array_equal(local.annual_histograms.counts, spread.annual_histograms.counts)
    assert np.array_equal(local.annual_histograms.sums, spread.annual_histograms.sums)


# ------------------------------------------------------------------ what refuses


def test_per_sample_values_not_kept_raise_a_clear_error(runs: dict[Keep, RunResult]) -> None:
    with pytest.raises(NotKeptError, match="--keep annual") as raised:
        runs["none"].annual_values("units")
    assert isinstance(raised.value, StackboundError)
    with pytest.raises(NotKeptError, match="quarterly"):
        runs["annual"]._quarterly("units")
    assert runs["none"].to_xarray().attrs["keep"] == "none"


def test_a_paired_analysis_refuses_a_run_that_kept_no_values(runs: dict[Keep, RunResult]) -> None:
    with pytest.raises(NotKeptError):
        compare([runs["none"], runs["none"]])


def test_a_paired_analysis_refuses_none_before_it_runs() -> None:
    loaded = load_scenario("example")
    with pytest.raises(NotKeptError, match="discover pairs samples"):
        discover(loaded, Outcome("units", 2026, "below", 1e5), samples=10**9, seed=1, keep="none")


def test_unknown_metrics_are_refused_in_every_mode(runs: dict[Keep, RunResult]) -> None:
    for result in runs.values():
        with pytest.raises(KeyError, match="unknown metric"):
            result.annual_percentiles("no_such_metric")


@pytest.mark.parametrize("text", ["annual,quarterly", "quarterly,annual", " annual , quarterly", "annual", "none"])
def test_keep_modes_are_read_in_any_order(text: str) -> None:
    assert parse_keep(text) in KEEP_MODES
    assert set(parse_keep(text).split(",")) == {p.strip() for p in text.split(",")}


@pytest.mark.parametrize("text", ["", "quarterly", "none,annual", "annual,annual,paths", "all"])
def test_other_keep_modes_are_refused(text: str) -> None:
    with pytest.raises(SimulationError, match="keep must be one of"):
        parse_keep(text)
    with pytest.raises(SimulationError, match="keep must be one of"):
        run(load_scenario("example"), samples=1, seed=1, keep=text)  # type: ignore[arg-type]


# ------------------------------------------------------------------ memory


@pytest.mark.parametrize("keep", KEEP_MODES)
def test_the_budget_counts_what_each_mode_keeps(keep: Keep) -> None:
    loaded = load_scenario("example")
    need = budget.budget(build_plan(loaded), 64, 1_024, 1, keep_paths=False, keep=keep)
    result = run(loaded, samples=64, seed=1, keep=keep)
    kept = sum(a.nbytes for a in result.annual.values()) + sum(a.nbytes for a in result.quarterly.values())
    assert need.per_sample * 64 == kept + result.runout.nbytes


def test_a_million_sample_run_that_keeps_nothing_is_not_refused_for_memory_it_will_not_use() -> None:
    plan = build_plan(load_scenario("china"))
    full = budget.budget(plan, 1_000_000, 1_024, 2, keep_paths=False)
    light = budget.budget(plan, 1_000_000, 1_024, 2, keep_paths=False, keep="none")
    assert light.per_sample * 10 < full.per_sample
    available = light.total(1_000_000) + 200_000_000  # room for a few thousand kept samples, not a million
    budget.check_fits(light, 1_000_000, False, available, "none")
    with pytest.raises(SimulationError, match="--keep none"):
        budget.check_fits(full, 1_000_000, False, available)


# ------------------------------------------------------------------ the command line


def stackbound(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "stackbound", *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_run_keep_none_prints_the_tables() -> None:
    done = stackbound("run", "example", "--samples", "2000", "--seed", "4", "--keep", "none")
    assert done.returncode == 0, done.stderr
    assert "P50 (P5–P95)" in done.stdout
    assert "units by product" in done.stdout
    assert "most likely binding constraint" in done.stdout
    assert "Traceback" not in done.stderr
    document = json.loads(
        stackbound("run", "example", "--samples", "1500", "--keep", "none", "--format", "json").stdout
    )
    assert document["keep"] == "none"
    assert document["percentile_relative_error"] == RELATIVE_ERROR
    assert {row["metric"] for row in document["annual"]} >= {"units", "domestic_share_units"}


def test_the_default_json_says_what_was_kept() -> None:
    document = json.loads(stackbound("run", "example", "--samples", "1024", "--format", "json").stdout)
    assert (document["keep"], document["percentile_relative_error"]) == ("annual,quarterly", 0.0)


@pytest.mark.parametrize(
    "args",
    [
        ("compare", "example", "example"),
        ("validate",),
        ("sensitivity", "example", "--output", "units", "--year", "2026"),
        ("discover", "example", "--output", "units", "--year", "2026", "--below", "1k"),
        ("marginal", "example"),
        ("sweep", "no-such-sweep.yaml"),
        ("report", "example", "--out", "never-written"),
        ("run", "example", "--all-scenarios"),
    ],
)
def test_paired_analyses_refuse_keep_none(args: tuple[str, ...]) -> None:
    done = stackbound(*args, "--samples", "100", "--keep", "none")
    assert done.returncode == 2
    assert "--keep" in done.stderr
    assert "annual" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_a_bad_keep_value_is_refused() -> None:
    done = stackbound("run", "example", "--samples", "100", "--keep", "everything")
    assert done.returncode == 2
    assert "Invalid value for '--keep': 'everything' is not one of" in done.stderr
    assert "Traceback" not in done.stderr
