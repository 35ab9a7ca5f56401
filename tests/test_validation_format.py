"""The validation file format (docs/validation-format.md): open bounds, tolerances, kinds,
differences and ratios, and figures in another chip's equivalents.

Known answers come from a shop whose output has a closed form: 1,000 accelerators a month
at 2 H100e each (twice the H100's 1,978.9 dense 8-bit TFLOPS and 3.35 TB/s), and 500
imported GPUs a month at 1 H100e, over 2025. Nothing is uncertain, so every sample is the
same and P5 = P50 = P95. Bad input is refused as a user sees it: exit status 2, one line
per problem naming the file, the line and the field, never a traceback.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from stackbound.analysis.validate import CaseResult, measure, published_text, validate
from stackbound.engine.results import RunResult
from stackbound.engine.run import run
from stackbound.errors import ScenarioError
from stackbound.scenario.validation import Case, Estimate, load_validation
from support import AMPLE, load, product, run_main, scenario

ACCEL_UNITS, GPU_UNITS = 12 * 1_000.0, 12 * 500.0
ACCEL_H100E, GPU_H100E = 2 * ACCEL_UNITS, GPU_UNITS
H100_8BIT, H100_BANDWIDTH = 1978.9, 3.35
"""The H100's figures on the dense 8-bit and the memory-bandwidth metric (the defaults)."""

CASE = {
    "id": "K1",
    "claim": "a claim",
    "estimate": "{value: 12k}",
    "unit": "units",
    "definition": "accelerators made in 2025",
    "model": "{metric: units, groups: [accel], years: [2025]}",
    "source": "https://example.org/report",
    "date": "2025-01-01",
    "grade": "A",
}
ACCEL = "{metric: units, groups: [accel], years: [2025]}"
GPU = "{metric: units, groups: [gpu], years: [2025]}"
ACCEL_COMPUTE = "{metric: compute_added_h100e, groups: [accel], years: [2025]}"
GPU_COMPUTE = "{metric: compute_added_h100e, groups: [gpu], years: [2025]}"


def shop(metric: str) -> dict[str, Any]:
    specs = {"dense_int8": f"{2 * H100_8BIT} TFLOPS", "bandwidth": f"{2 * H100_BANDWIDTH} TB/s"}
    return scenario(
        components={"logic": {"kind": "logic_die"}, "hbm": {"kind": "hbm_stack"}},
        sources={
            "logic_flow": {"kind": "flow", "component": "logic", "rate": 1_000},
            "hbm_flow": {"kind": "flow", "component": "hbm", "rate": AMPLE},
        },
        packaging={"pkg": {"capacity": AMPLE, "yield": 1.0}},
        products={
            "accel": product({"logic": 1, "hbm": 1}, specs=specs),
            "gpu": {
                "vendor": "ForeignCo",
                "origin": "imported",
                "specs": {"dense_fp8": f"{H100_8BIT} TFLOPS", "bandwidth": f"{H100_BANDWIDTH} TB/s"},
            },
        },
        imports={"licensed": {"product": "gpu", "units": 500}},
        metric=metric,
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, RunResult]:
    folder = tmp_path_factory.mktemp("shop")
    return {m: run(load(shop(m), folder, f"shop-{m}"), samples=16, seed=1) for m in ("dense_8bit", "memory_bandwidth")}


@pytest.fixture
def shop_file(tmp_path: Path) -> Path:
    path = tmp_path / "shop.yaml"
    path.write_text(yaml.safe_dump(shop("dense_8bit"), sort_keys=False), encoding="utf-8")
    return path


def cases_text(*cases: dict[str, str]) -> str:
    """A validation file: each case a mapping of field -> YAML text, one field a line."""
    lines = ["stackbound_validation: 1", "scenario: shop", "cases:"]
    for case in cases:
        fields = [f"{key}: {value}" for key, value in case.items()]
        lines += [f"  - {fields[0]}", *(f"    {field}" for field in fields[1:])]
    return "\n".join(lines) + "\n"


def write_cases(folder: Path, *cases: dict[str, str]) -> Path:
    path = folder / "cases.yaml"
    path.write_text(cases_text(*cases), encoding="utf-8")
    return path


def line_of(path: Path, start: str, nth: int = 0) -> int:
    """The 1-based number of the ``nth`` line of ``path`` that starts (after indent) with ``start``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [i + 1 for i, line in enumerate(lines) if line.strip(" -").startswith(start)][nth]


def judge(folder: Path, result: RunResult, metric: str = "dense_8bit", **fields: str) -> CaseResult:
    """The one case ``CASE | fields`` read from a file and judged against ``result``."""
    (outcome,) = validate(result, load_validation(write_cases(folder, CASE | fields)), metric=metric)
    return outcome


def refused(capsys: pytest.CaptureFixture[str], shop_file: Path, cases: Path) -> str:
    """What ``stackbound validate`` prints when it refuses ``cases``: exit 2, no traceback."""
    code, out, err = run_main(capsys, "validate", str(shop_file), "--cases", str(cases), "--samples", "16")
    assert code == 2, out + err
    assert out == ""
    assert "Traceback" not in err
    return err


def assert_located(err: str, cases: Path, line: int, field: str, message: str) -> None:
    located = [row for row in err.splitlines() if row.startswith(f"{cases}:{line}:") and f" {field}: " in row]
    assert located, err
    assert message in located[0], located[0]


# ------------------------------------------------------------------ open-ended estimates


@pytest.mark.parametrize(
    ("estimate", "inside"),
    [
        ("{at_least: 12k}", True),  # P95 = 12,000 reaches the bound
        ("{at_least: 12001}", False),
        ("{at_most: 12k}", True),  # P5 = 12,000 reaches the bound
        ("{at_most: 11999}", False),
        ("{low: 1, high: 11999}", False),
        ("{value: 12k}", True),
    ],
)
def test_an_open_bound_is_a_range_with_one_infinite_end(
    tmp_path: Path, runs: dict[str, RunResult], estimate: str, inside: bool
) -> None:
    outcome = judge(tmp_path, runs["dense_8bit"], estimate=estimate)
    assert (outcome.p5, outcome.p50, outcome.p95) == (ACCEL_UNITS, ACCEL_UNITS, ACCEL_UNITS)
    assert outcome.inside is inside


def test_open_bounds_read_as_half_lines() -> None:
    assert Estimate(at_least=300_000).bounds == (300_000, math.inf)
    assert Estimate(at_most=1e6).bounds == (-math.inf, 1e6)
    assert Estimate(low=1, high=2).bounds == (1, 2)


@pytest.mark.parametrize(
    ("estimate", "message"),
    [
        (
            "{at_least: 300k, at_most: 1M}",
            "give one of: value; low and high; at_least; at_most (got at_least, at_most)",
        ),
        ("{value: 1, at_least: 2}", "(got at_least, value)"),
        ("{at_least: lots}", "expected a number, got 'lots'"),
        ("{}", "(got none of them)"),
    ],
)
def test_a_bad_estimate_is_refused_at_its_line(
    tmp_path: Path, shop_file: Path, capsys: pytest.CaptureFixture[str], estimate: str, message: str
) -> None:
    cases = write_cases(tmp_path, CASE | {"estimate": estimate})
    field = "cases[0].estimate.at_least" if "lots" in estimate else "cases[0].estimate"
    assert_located(refused(capsys, shop_file, cases), cases, line_of(cases, "estimate:"), field, message)


# ------------------------------------------------------------------ tolerance


@pytest.mark.parametrize(
    ("estimate", "tolerance", "inside"),
    [
        ("{value: 9.6k}", "25%", True),  # 9,600 × 1.25 = 12,000
        ("{value: 9.6k}", "24%", False),  # 11,904
        ("{value: 9.6k}", "0.25", True),  # a fraction reads like the percentage
        ("{low: 4k, high: 9.6k}", "25%", True),
        ("{low: 4k, high: 9.6k}", "24%", False),
        ("{at_least: 16k}", "25%", True),  # 16,000 × 0.75 = 12,000
        ("{at_least: 16k}", "24%", False),  # 12,160
        ("{at_most: 9.6k}", "25%", True),
        ("{at_most: 9.6k}", "24%", False),
    ],
)
def test_a_tolerance_widens_each_finite_end(
    tmp_path: Path, runs: dict[str, RunResult], estimate: str, tolerance: str, inside: bool
) -> None:
    assert judge(tmp_path, runs["dense_8bit"], estimate=estimate, tolerance=tolerance).inside is inside


def _case(estimate: dict[str, float], **fields: Any) -> Case:
    raw = yaml.safe_load(cases_text(CASE))["cases"][0] | {"estimate": estimate} | fields
    return Case.model_validate(raw)


def test_the_band_by_hand() -> None:
    assert _case({"value": 1_000}).band == (1_000, 1_000)  # no tolerance: the published figure
    assert _case({"value": 1_000}, tolerance="10%").band == pytest.approx((900, 1_100))
    assert _case({"value": -8_000}, tolerance="25%").band == (-10_000, -6_000)  # a negative difference
    assert _case({"value": 0}, tolerance="50%").band == (0, 0)
    assert _case({"low": 400, "high": 500}, tolerance="20%").band == pytest.approx((320, 600))
    assert _case({"at_least": 800}, tolerance="25%").band == (600, math.inf)
    assert _case({"at_most": 800}, tolerance="25%").band == (-math.inf, 1_000)


@pytest.mark.parametrize(
    ("tolerance", "message"),
    [("150%", "a fraction must be <= 1, got 1.5"), ("-5%", "a fraction must be >= 0, got -0.05"), ("wide", "'wide'")],
)
def test_a_bad_tolerance_is_refused_at_its_line(
    tmp_path: Path, shop_file: Path, capsys: pytest.CaptureFixture[str], tolerance: str, message: str
) -> None:
    cases = write_cases(tmp_path, CASE | {"tolerance": tolerance})
    err = refused(capsys, shop_file, cases)
    assert_located(err, cases, line_of(cases, "tolerance:"), "cases[0].tolerance", message)


# ------------------------------------------------------------------ kind


def test_kind_defaults_to_estimate_and_is_shown(
    tmp_path: Path, shop_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = write_cases(
        tmp_path,
        CASE | {"id": "K-plan", "kind": "plan", "estimate": "{at_least: 10k}"},
        CASE | {"id": "K-count", "kind": "count", "estimate": "{value: 9.6k}", "tolerance": "25%"},
        CASE | {"id": "K-default"},
    )
    args = ["validate", str(shop_file), "--cases", str(cases), "--samples", "16"]
    code, out, err = run_main(capsys, *args, "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    assert [c["kind"] for c in document["cases"]] == ["plan", "count", "estimate"]
    assert document["cases"][1]["band_high"] == 12_000
    assert document["inside"] == 3
    code, out, err = run_main(capsys, *args)
    assert code == 0, err
    rows = {row.split("│")[1].strip(): row for row in out.splitlines() if row.startswith("│ K-")}
    assert " plan " in rows["K-plan"]
    assert "≥ 10k units" in rows["K-plan"]
    assert " count " in rows["K-count"]
    assert "9.6k ± 25% units" in rows["K-count"]
    assert " estimate " in rows["K-default"]


def test_an_unknown_kind_is_refused_at_its_line(
    tmp_path: Path, shop_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = write_cases(tmp_path, CASE | {"kind": "rumour"})
    err = refused(capsys, shop_file, cases)
    assert_located(err, cases, line_of(cases, "kind:"), "cases[0].kind", "'estimate', 'plan' or 'count'")


def test_published_text() -> None:
    assert published_text(_case({"value": 12_000})) == "12k"
    assert published_text(_case({"at_least": 820_000})) == "≥ 820k"
    assert published_text(_case({"at_most": 1.6e6})) == "≤ 1.6M"
    assert published_text(_case({"low": 4_000, "high": 9_600}, tolerance="25%")) == "4k–9.6k ± 25%"
    assert published_text(_case({"value": 0.5}, tolerance="12.5%"), "nl") == "0,5 ± 12,5%"


# ------------------------------------------------------------------ differences and ratios


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (f"{{difference: [{ACCEL}, {GPU}]}}", ACCEL_UNITS - GPU_UNITS),
        (f"{{difference: [{GPU}, {ACCEL}]}}", GPU_UNITS - ACCEL_UNITS),
        (f"{{ratio: [{GPU}, {ACCEL}]}}", GPU_UNITS / ACCEL_UNITS),
        ("{metric: units, groups: [gpu], years: [2025], over: " + ACCEL + "}", GPU_UNITS / ACCEL_UNITS),
        ("{ratio: [" + GPU + ", {metric: rental_h100e, years: [2025]}]}", 0.0),  # a zero denominator counts as 0
        ("{metric: units, groups: [accel, gpu], years: [2025]}", ACCEL_UNITS + GPU_UNITS),
    ],
)
def test_differences_and_ratios_by_hand(
    tmp_path: Path, runs: dict[str, RunResult], model: str, expected: float
) -> None:
    outcome = judge(tmp_path, runs["dense_8bit"], model=model)
    assert (outcome.p5, outcome.p50, outcome.p95) == pytest.approx((expected, expected, expected))


@pytest.mark.parametrize(
    ("model", "field", "message"),
    [
        (f"{{difference: [{ACCEL}, {GPU}, {GPU}]}}", "cases[0].model.difference", "at most 2 items"),
        (f"{{ratio: [{ACCEL}]}}", "cases[0].model.ratio[1]", "Field required"),
        (f"{{difference: [{ACCEL}, {GPU}], metric: units}}", "cases[0].model.metric", "Extra inputs"),
        (f"{{ratio: [{ACCEL}, {{metric: units}}]}}", "cases[0].model.ratio[1].years", "Field required"),
    ],
)
def test_a_bad_difference_or_ratio_is_refused_at_its_line(
    tmp_path: Path, shop_file: Path, capsys: pytest.CaptureFixture[str], model: str, field: str, message: str
) -> None:
    cases = write_cases(tmp_path, CASE | {"model": model})
    assert_located(refused(capsys, shop_file, cases), cases, line_of(cases, "model:"), field, message)


def test_what_the_run_does_not_hold_is_refused_at_its_line_after_the_run(
    tmp_path: Path, shop_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = "{metric: units, groups: [acel], years: [2025, 2031]}"
    cases = write_cases(
        tmp_path,
        CASE | {"model": f"{{difference: [{ACCEL}, {wrong}]}}"},
        CASE | {"id": "K2", "model": "{ratio: [{metric: unitz, years: [2025]}, " + ACCEL + "]}"},
    )
    err = refused(capsys, shop_file, cases)
    first, second = line_of(cases, "model:"), line_of(cases, "model:", 1)
    assert_located(err, cases, first, "cases[0].model.difference[1].groups[0]", "'units' has no group 'acel'; known:")
    assert_located(
        err, cases, first, "cases[0].model.difference[1].years[1]", "year 2031 is outside the run (2025–2025)"
    )
    assert_located(err, cases, second, "cases[1].model.ratio[0].metric", "unknown metric 'unitz'; known: units,")
    assert len(err.splitlines()) == 3


# ------------------------------------------------------------------ another chip's equivalents


def test_compute_in_another_chips_equivalents_by_hand(tmp_path: Path, runs: dict[str, RunResult]) -> None:
    b300 = {"unit": "B300-equivalents", "model": ACCEL_COMPUTE}
    on_8bit = judge(tmp_path, runs["dense_8bit"], **b300, equivalent="{name: B300, dense_8bit: 4.5 PFLOPS}")
    assert on_8bit.p50 == pytest.approx(ACCEL_H100E * H100_8BIT / 4_500)
    on_bandwidth = judge(
        tmp_path, runs["memory_bandwidth"], "memory_bandwidth", **b300, equivalent="{name: B300, bandwidth: 8 TB/s}"
    )
    assert on_bandwidth.p50 == pytest.approx(ACCEL_H100E * H100_BANDWIDTH / 8)
    in_tflops = "{name: B300, dense_8bit: 4500 TFLOPS}"
    difference = judge(
        tmp_path,
        runs["dense_8bit"],
        unit="B300-equivalents",
        model=f"{{difference: [{ACCEL_COMPUTE}, {GPU_COMPUTE}]}}",
        equivalent=in_tflops,
    )
    assert difference.p50 == pytest.approx((ACCEL_H100E - GPU_H100E) * H100_8BIT / 4_500)
    as_an_h100 = judge(tmp_path, runs["dense_8bit"], **b300, equivalent=f"{{name: H100, dense_8bit: {H100_8BIT}}}")
    assert as_an_h100.p50 == pytest.approx(ACCEL_H100E)


def test_a_chip_figure_off_the_scenarios_metric_is_refused_at_its_line(
    tmp_path: Path, runs: dict[str, RunResult]
) -> None:
    cases = write_cases(
        tmp_path, CASE | {"model": ACCEL_COMPUTE, "equivalent": "{name: B300, dense_bf16: 2.25 PFLOPS}"}
    )
    with pytest.raises(ScenarioError) as refusal:
        validate(runs["dense_8bit"], load_validation(cases), metric="dense_8bit")
    (problem,) = refusal.value.problems
    assert (problem.file, problem.line, problem.path) == (
        str(cases),
        line_of(cases, "equivalent:"),
        "cases[0].equivalent.dense_bf16",
    )
    assert (
        problem.message
        == "the scenario counts compute on dense_8bit: give the B300's dense_8bit figure, not dense_bf16"
    )
    with pytest.raises(ScenarioError, match="counts compute on memory_bandwidth: give the B300's bandwidth figure"):
        validate(runs["memory_bandwidth"], load_validation(cases), metric="memory_bandwidth")


def test_equivalents_convert_h100e_only(tmp_path: Path, runs: dict[str, RunResult]) -> None:
    cases = write_cases(tmp_path, CASE | {"equivalent": "{name: B300, dense_8bit: 4.5 PFLOPS}"})  # units
    with pytest.raises(ScenarioError) as refusal:
        validate(runs["dense_8bit"], load_validation(cases), metric="dense_8bit")
    (problem,) = refusal.value.problems
    assert (problem.line, problem.path) == (line_of(cases, "model:"), "cases[0].model.metric")
    assert problem.message.startswith("B300-equivalents are converted from H100e: use one of compute_added_h100e,")
    assert problem.message.endswith("got 'units'")


def test_a_caller_that_does_not_give_the_metric_gets_the_runs(tmp_path: Path, runs: dict[str, RunResult]) -> None:
    cases = write_cases(tmp_path, CASE | {"model": ACCEL_COMPUTE, "equivalent": "{name: B300, dense_8bit: 4.5 PFLOPS}"})
    result = runs["dense_8bit"]
    assert result.metric == "dense_8bit"
    implied = validate(result, load_validation(cases))
    given = validate(result, load_validation(cases), metric="dense_8bit")
    assert [(c.p5, c.p50, c.p95) for c in implied] == [(c.p5, c.p50, c.p95) for c in given]
    with pytest.raises(ScenarioError, match=r"cases\[0\].equivalent.dense_8bit: the scenario counts compute on"):
        validate(runs["dense_8bit"], load_validation(cases), metric="dense_bf16")


@pytest.mark.parametrize(
    ("equivalent", "model", "field", "message"),
    [
        ("{name: B300}", ACCEL_COMPUTE, "cases[0].equivalent", "give exactly one figure of the chip"),
        (
            "{name: B300, dense_8bit: 4.5 PFLOPS, bandwidth: 8 TB/s}",
            ACCEL_COMPUTE,
            "cases[0].equivalent",
            "(got dense_8bit, bandwidth)",
        ),
        ("{name: B300, dense_8bit: 0 PFLOPS}", ACCEL_COMPUTE, "cases[0].equivalent.dense_8bit", "must be > 0"),
        (
            "{name: B300, dense_8bit: 8 TB/s}",
            ACCEL_COMPUTE,
            "cases[0].equivalent.dense_8bit",
            "expected a throughput in TFLOPS",
        ),
        (
            "{name: B300, dense_8bit: 4.5 PFLOPS}",
            f"{{ratio: [{ACCEL_COMPUTE}, {GPU_COMPUTE}]}}",
            "cases[0].equivalent",
            "a ratio has no unit",
        ),
        ("{dense_8bit: 4.5 PFLOPS}", ACCEL_COMPUTE, "cases[0].equivalent.name", "Field required"),
    ],
)
def test_a_bad_equivalent_is_refused_at_its_line(
    tmp_path: Path,
    shop_file: Path,
    capsys: pytest.CaptureFixture[str],
    equivalent: str,
    model: str,
    field: str,
    message: str,
) -> None:
    cases = write_cases(tmp_path, CASE | {"model": model, "equivalent": equivalent})
    err = refused(capsys, shop_file, cases)
    assert_located(err, cases, line_of(cases, "equivalent:"), field, message)


def test_the_command_refuses_a_chip_figure_it_cannot_use(
    tmp_path: Path, shop_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = write_cases(
        tmp_path, CASE | {"model": ACCEL_COMPUTE, "equivalent": "{name: B300, dense_bf16: 2.25 PFLOPS}"}
    )
    err = refused(capsys, shop_file, cases)
    assert_located(err, cases, line_of(cases, "equivalent:"), "cases[0].equivalent.dense_bf16", "")


def test_measure_is_the_case_value_per_sample(tmp_path: Path, runs: dict[str, RunResult]) -> None:
    result = runs["dense_8bit"]
    (case,) = load_validation(write_cases(tmp_path, CASE | {"model": f"{{difference: [{ACCEL}, {GPU}]}}"})).cases
    values = measure(result, case)
    assert values.shape == (result.samples,)
    assert (values == ACCEL_UNITS - GPU_UNITS).all()
