"""The embedded China dataset, its overlays and its validation: provenance on every value,
stories that show, overlays that touch only what they say, a stable validate output."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from stackbound.analysis.validate import validate
from stackbound.engine.results import RunResult
from stackbound.engine.run import run
from stackbound.report.register import register_markdown
from stackbound.scenario.inputs import needs_source, walk_params
from stackbound.scenario.loader import LoadedScenario, load_scenario
from stackbound.scenario.overlay import builtin_dir, builtin_names, overlays_of
from stackbound.scenario.validation import builtin_validation, load_validation
from stackbound.scenario.yamlio import format_path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden" / "validate_china.json"
REGENERATE = "STACKBOUND_REGENERATE_GOLDEN"
"""Set to 1 to rewrite the golden files from this run (the test then fails: review, commit)."""
OVERLAYS = ["domestic-hbm-takeoff", "hbm-smuggling", "huawei-fabs", "more-licences", "no-die-bank", "tight-controls"]
SAMPLES, SEED = 3_000, 20261128

# What each overlay's story names: every resolved change must fall under one of these paths.
STORY_PATHS = {
    "no-die-bank": ["sources.tsmc_die_bank", "totals.tsmc_die_bank", "components.ascend910_die.draw_order"],
    "tight-controls": ["levers."],
    "domestic-hbm-takeoff": ["sources.cxmt_hbm3.", "sources.huawei_hbm."],
    "hbm-smuggling": ["levers.hbm_smuggling_enforcement.", "levers.hbm_controls."],
    "more-licences": ["levers.h20_", "levers.h200_"],
    "huawei-fabs": ["sources.huawei_fabs."],
}
PLACEHOLDER = re.compile(r"\b(todo|tbd|xxx|placeholder|example\.(com|org)|lorem)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def results() -> dict[str, RunResult]:
    return {name: run(load_scenario(name), samples=SAMPLES, seed=SEED) for name in ["china", *OVERLAYS]}


def test_every_builtin_scenario_loads_and_runs() -> None:
    for name in builtin_names():
        result = run(load_scenario(name), samples=1_024, seed=1)
        assert np.isfinite(result.annual_values("units")).all(), name


def test_overlays_of_china_are_the_six_stories() -> None:
    assert sorted(overlays_of("china")) == OVERLAYS


def test_every_value_has_provenance() -> None:
    missing = [
        format_path(path)
        for name in ["china", *OVERLAYS]
        for path, param in walk_params(load_scenario(name).scenario)
        if param.provenance is None and needs_source(param) and not format_path(path).startswith("reference.")
    ]
    assert missing == []


def _sources(loaded: LoadedScenario) -> Iterator[tuple[str, dict[str, str]]]:
    for path, param in walk_params(loaded.scenario):
        if param.provenance is not None:
            yield format_path(path), param.provenance.as_dict()


def test_every_source_is_a_dated_graded_citation() -> None:
    for field, prov in _sources(load_scenario("china")):
        if "assumption" in prov:
            assert len(prov["assumption"]) >= 15, f"{field}: an assumption needs its reason"
            assert not PLACEHOLDER.search(prov["assumption"]), field
            continue
        source = prov["source"]
        assert source.startswith("http") or re.search(r"\d{4}", source), f"{field}: {source!r} is no citation"
        assert not PLACEHOLDER.search(source), f"{field}: placeholder source {source!r}"
        assert prov.get("date"), f"{field}: source without a date"
        assert prov.get("grade") in {"A", "B", "C"}, f"{field}: source without a grade"


def test_grade_c_values_are_marked_weak() -> None:
    for field, prov in _sources(load_scenario("china")):
        if prov.get("grade") == "C":
            assert prov.get("note"), f"{field}: a grade-C source needs a note saying how it is used"


def _flatten(node: Any, path: str = "") -> dict[str, Any]:
    if isinstance(node, dict):
        return {
            k: v for key, value in node.items() for k, v in _flatten(value, f"{path}.{key}" if path else key).items()
        }
    if isinstance(node, list):
        return {k: v for i, value in enumerate(node) for k, v in _flatten(value, f"{path}.{i}").items()}
    return {path: node}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_changes_only_what_its_story_names(overlay: str) -> None:
    base, changed = _flatten(load_scenario("china").data), _flatten(load_scenario(overlay).data)
    differing = {k for k in base.keys() | changed.keys() if base.get(k) != changed.get(k)}
    differing -= {k for k in differing if k.split(".")[0] in {"name", "description", "notes"}}
    assert differing, f"{overlay} changes nothing"
    outside = sorted(k for k in differing if not any(k.startswith(p) for p in STORY_PATHS[overlay]))
    assert outside == []


def _p50(result: RunResult, metric: str, group: str, years: list[int]) -> float:
    columns = [result.years.index(y) for y in years]
    return float(np.median(result.annual_values(metric, group)[:, columns].sum(axis=1)))


def test_no_die_bank_has_fewer_early_units(results: dict[str, RunResult]) -> None:
    assert _p50(results["no-die-bank"], "units", "domestic", [2024, 2025]) < _p50(
        results["china"], "units", "domestic", [2024, 2025]
    )


def test_domestic_hbm_takeoff_has_more_2027_units(results: dict[str, RunResult]) -> None:
    assert _p50(results["domestic-hbm-takeoff"], "units", "domestic", [2027]) > _p50(
        results["china"], "units", "domestic", [2027]
    )


def test_tight_controls_has_fewer_units(results: dict[str, RunResult]) -> None:
    years = [2026, 2027, 2028]
    assert _p50(results["tight-controls"], "units", "total", years) < _p50(results["china"], "units", "total", years)


def test_more_licences_brings_more_imports(results: dict[str, RunResult]) -> None:
    assert _p50(results["more-licences"], "units", "imported", [2025, 2026]) > _p50(
        results["china"], "units", "imported", [2025, 2026]
    )


def test_more_licences_leave_domestic_output_unchanged_because_the_scenario_is_supply_limited(
    results: dict[str, RunResult],
) -> None:
    """china has no market_demand on purpose (docs/china-calibration.md, item 4 of the
    2026-12 step): licensed imports add to domestic output and never displace it."""
    licensed, base = results["more-licences"], results["china"]
    assert np.array_equal(licensed.annual_values("units", "domestic"), base.annual_values("units", "domestic"))


def test_smic_stops_910_class_wafers_with_the_910c(results: dict[str, RunResult]) -> None:
    """The 910-die share falls to 0 about a cycle time before the 910C's end of life (its
    shift is rank-correlated with that end of life), so SMIC makes far fewer 910-class dies
    in 2028 than in 2026."""
    made = results["china"].annual_values("dies_made", "ascend910_die")
    years = results["china"].years
    assert np.median(made[:, years.index(2028)]) < 0.1 * np.median(made[:, years.index(2026)])


def test_hbm_smuggling_lifts_output_without_a_stable_base(results: dict[str, RunResult]) -> None:
    diff = results["hbm-smuggling"].annual_values("units", "Huawei") - results["china"].annual_values("units", "Huawei")
    median = np.median(diff, axis=0)
    assert median.max() > 0  # a lift for a while …
    assert median[-1] < median.max()  # … that does not last


def test_huawei_fabs_add_dies_that_wait_for_hbm(results: dict[str, RunResult]) -> None:
    assert _p50(results["huawei-fabs"], "stranded_dies", "total", [2028]) > _p50(
        results["china"], "stranded_dies", "total", [2028]
    )


def test_validate_matches_golden_file(results: dict[str, RunResult]) -> None:
    path = builtin_validation("china")
    assert path is not None
    outcomes = validate(results["china"], load_validation(path))
    got = {o.case.id: {"p5": o.p5, "p50": o.p50, "p95": o.p95, "inside": o.inside} for o in outcomes}
    if os.environ.get(REGENERATE) == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(got, indent=2, sort_keys=True) + "\n")
        pytest.fail(f"{REGENERATE}=1: wrote {GOLDEN}; review the diff, commit it, and run again without it")
    assert GOLDEN.exists(), f"{GOLDEN} is missing: regenerate it with {REGENERATE}=1, review it and commit it"
    golden = json.loads(GOLDEN.read_text())
    assert golden.keys() == got.keys()
    for case, expected in golden.items():
        for q in ("p5", "p50", "p95"):
            assert got[case][q] == pytest.approx(expected[q], rel=0.02, abs=1e-3), (case, q)
        assert got[case]["inside"] == expected["inside"], case


def test_validate_command_prints_every_case(results: dict[str, RunResult]) -> None:
    """The command, run with the fixture's seed and samples, prints every case with the
    P5–P50–P95 the library computes for that run, and counts as inside exactly the cases
    whose P5–P95 overlaps the published band (the range with its tolerance; an open end is
    written as null)."""
    command = ["validate", "china", "--samples", str(SAMPLES), "--seed", str(SEED), "--format", "json"]
    done = subprocess.run([sys.executable, "-m", "stackbound", *command], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    path = builtin_validation("china")
    assert path is not None
    outcomes = validate(results["china"], load_validation(path))
    assert document["total"] == len(outcomes) == len(document["cases"])
    printed = {case["id"]: case for case in document["cases"]}
    assert list(printed) == [o.case.id for o in outcomes]
    for outcome in outcomes:
        case = printed[outcome.case.id]
        assert (case["p5"], case["p50"], case["p95"]) == pytest.approx((outcome.p5, outcome.p50, outcome.p95), rel=1e-9)
        low, high = case["band_low"], case["band_high"]
        overlaps = (low is None or low <= case["p95"]) and (high is None or high >= case["p5"])
        assert case["inside"] is overlaps, case["id"]
    assert document["inside"] == sum(case["inside"] for case in document["cases"])
    assert document["inside"] == sum(o.inside for o in outcomes)
    assert 0 < document["inside"] < document["total"]  # the golden file has cases on both sides


def test_assumptions_register_is_generated_from_the_dataset() -> None:
    committed = (ROOT / "docs" / "china-dataset.md").read_text(encoding="utf-8")
    assert committed == register_markdown(load_scenario("china")), (
        "docs/china-dataset.md is stale: run `stackbound register china --out docs/china-dataset.md`"
    )


def test_builtin_files_are_in_the_package() -> None:
    assert (builtin_dir() / "china.yaml").is_file()


# ------------------------------------------------------------------ who gets the scarce parts


def _overlay(tmp_path: Path, name: str, overrides: str) -> LoadedScenario:
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"stackbound: 1\nextends: china\nname: {name}\ndescription: test\noverrides:\n{overrides}")
    return load_scenario(path)


def test_more_dies_for_the_other_vendors_leave_huaweis_output_unchanged(tmp_path: Path) -> None:
    """Huawei owns its die bank and its share of every foreign HBM source: what the other
    vendors get cannot change what Huawei builds (under one global priority list it did)
    while no pool is shared. CXMT's HBM3 (from late 2026) is the one shared pool, drawn by
    priority with Huawei's variants first: what the others take of it in one month is not
    there for Huawei the next (month-by-month priority holds nothing back), so from 2026 on
    a sample may move either way; the median does not fall."""
    more = _overlay(
        tmp_path,
        "more-for-others",
        "  sources.smic_n2.dies.3.share: {value: 0.25, assumption: test}\n"
        "  sources.smic_n2.dies.4.share: {value: 0.25, assumption: test}\n",
    )
    base = run(load_scenario("china"), samples=2048, seed=1)
    changed = run(more, samples=2048, seed=1)
    assert not np.array_equal(changed.annual_values("units", "Others"), base.annual_values("units", "Others"))
    shared_from = base.years.index(2026)
    for product, vendor in base.vendors.items():
        if vendor == "Huawei":
            before, after = base.annual_values("units", product), changed.annual_values("units", product)
            assert np.array_equal(after[:, :shared_from], before[:, :shared_from]), product
    huawei_before = base.annual_values("units", "Huawei").cumsum(axis=1)
    huawei_after = changed.annual_values("units", "Huawei").cumsum(axis=1)
    assert np.all(np.median(huawei_after, axis=0) >= np.median(huawei_before, axis=0) * (1 - 1e-6))


def test_all_of_smics_advanced_capacity_no_longer_lowers_huaweis_units(tmp_path: Path) -> None:
    """The overlay of issue 10: SMIC's total advanced capacity (SemiAnalysis series, facts
    file §A) all to AI dies. Under one global priority list Huawei's 2026 P50 fell from
    463k to 365k while Cambricon's rose; with ownership Huawei's cumulative P50 never falls.
    A few samples still lose: Huawei's own 960 takes Huawei HBM its 950DT would have used, or
    its 910C the dies and HBM2E of its 910B (a vendor's second product competing for its own
    parts, DESIGN.md's documented counterexample), which month-by-month priority allows.

    Restated (2026-12, third step) as what holds: since the next die's SMIC wafers start
    relative to the 960's launch (no longer stockpiled from a calendar month), the base
    960 is die-limited in late-launch samples, so more SMIC wafers lift it and it takes more
    Huawei HBM from the 950DT: one sample of 4,000 lost 7.3% (2028), and the 2028 P50 moved
    by 9 units of 2.25M. So the test checks the cause of every loss (another Huawei product
    gained by then, or the loss is under 1% and the others drew more of CXMT's shared HBM3)
    for every loss above 0.1%, that such losses stay rare, and the P50 within 1e-5 (was:
    every loss under 5%, P50 within 1e-6); docs/china-calibration.md says so."""
    capacity = (
        "  sources.smic_n2.wafer_starts:\n"
        "    value: {2024-01: 30k wafer/month, 2025-12: 45k wafer/month, 2026-12: 60k wafer/month,"
        " 2027-12: 80k wafer/month}\n"
        "    assumption: test\n"
    )
    base = run(load_scenario("china"), samples=4000, seed=1)
    more = run(_overlay(tmp_path, "smic-all-ai", capacity), samples=4000, seed=1)
    before = base.annual_values("units", "Huawei").cumsum(axis=1)
    after = more.annual_values("units", "Huawei").cumsum(axis=1)
    assert np.all(np.median(after, axis=0) >= np.median(before, axis=0) * (1 - 1e-5))
    falls = (before - after) / np.maximum(before, 1.0)
    assert np.mean(falls.max(axis=1) > 1e-3) < 0.01  # the counterexample is rare ...
    huawei = [p for p, vendor in base.vendors.items() if vendor == "Huawei"]
    gained = np.stack(
        [(more.annual_values("units", p) - base.annual_values("units", p)).cumsum(axis=1) for p in huawei]
    )
    others = (more.annual_values("units", "Others") - base.annual_values("units", "Others")).cumsum(axis=1)
    lost = np.argwhere(falls > 1e-3)
    assert len(lost) > 0  # the counterexample shows in this run
    for sample, year in lost:  # ... and every loss has one of the two documented causes:
        substitution = (gained[:, sample, year] > 0).any()  # another Huawei product gained
        # or CXMT's HBM3, the one pool shared by priority: the others' extra dies drew on it
        # in months Huawei could not use it (see the test above); then the loss is small
        shared_pool = others[sample, year] > 0 and falls[sample, year] < 0.01
        assert substitution or shared_pool, (sample, base.years[year])


# ------------------------------------------ launch-relative curves, totals, several sources


def test_launch_tied_ramps_follow_their_products_launch() -> None:
    """Ramps that the sources tie to a launch are written after that launch, so they move
    with it in every sample (docs/china-calibration.md, 'Re-expressed with launch-relative
    curves, totals and multi-source grades')."""
    from stackbound.scenario.values import LaunchCurve

    tied = {
        "packaging.ascend_multi.capacity": "ascend910c",
        "packaging.ascend_multi.yield": "ascend910c",
        "sources.smic_n2.dies[1].share": "ascend950pr",
        "sources.smic_n2.dies[2].share": "ascend960",
        "sources.smic_n3.wafer_starts": "ascend960",
        "sources.huawei_fabs.dies[0].share": "ascend960",
        "sources.huawei_fabs.dies[1].share": "ascend960",
    }
    params = {format_path(path): param for path, param in walk_params(load_scenario("china").scenario)}
    for field, product in tied.items():
        value = params[field].value
        assert isinstance(value, LaunchCurve), field
        assert value.relative_to == product, field
    for variant in ("huawei_hbm", "hbm3"):  # the 4-die 970's own package yield, after its own launch
        value = params[f"products.ascend970.variants.{variant}.yield"].value
        assert isinstance(value, LaunchCurve)
        assert value.relative_to is None
    # the 910-die share stops with the 910C's END of life, which no launch-relative curve follows
    assert not isinstance(params["sources.smic_n2.dies[0].share"].value, LaunchCurve)


def test_stockpile_tranches_are_shares_of_one_total() -> None:
    """The die bank and the foreign HBM2E stockpile are one uncertain total each; their
    tranches are shares of it, one of them the rest, so they add up to the total in every
    sample. no-die-bank removes the die bank's total with its source."""
    from stackbound.scenario.inputs import parts_of

    scenario = load_scenario("china").scenario
    parts = parts_of(scenario)
    for total, source in (("tsmc_die_bank", "tsmc_die_bank"), ("foreign_hbm2e", "hbm2e_stockpile")):
        assert total in scenario.totals
        found = parts[total]
        assert {format_path(p).split(".")[1] for p, _ in found} == {source}
        assert sum(part.share == "rest" for _, part in found) == 1, total
    assert "tsmc_die_bank" not in load_scenario("no-die-bank").scenario.totals


def test_values_from_several_sources_carry_each_grade_and_the_weakest() -> None:
    """A derived value lists every source with its own date and grade; its grade is the
    weakest. Nikkei's SJ figure (A) read through re-posts (C) is graded C."""
    params = {format_path(path): param for path, param in walk_params(load_scenario("china").scenario)}
    several = {f: p.provenance for f, p in params.items() if p.provenance is not None and p.provenance.sources}
    for field in (
        "products.ascend910b.specs.dense_int8",
        "products.ascend910c.specs.dense_int8",
        "products.mlu590.specs.dense_int8",
        "platforms.cann.utilisation",
        "packaging.ascend_single.capacity",
        "totals.tsmc_die_bank.value",
        "totals.foreign_hbm2e.value",
    ):
        assert field in several, field
    for field, prov in several.items():
        assert len(prov.sources) >= 2, field
        for citation in prov.sources:
            assert citation.date, (field, citation.source)
            assert citation.grade in {"A", "B", "C"}, (field, citation.source)
        assert prov.grade == max(c.grade for c in prov.sources), field  # "C" > "B" > "A": the weakest
    assert params["packaging.ascend_single.capacity"].provenance.grade == "C"
