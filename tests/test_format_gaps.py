"""Format gaps closed: packaging yield per variant; rental given as units of a product
converted on the scenario's metric; curves written in months after an uncertain launch;
arrivals as shares of one uncertain total; several sources with their own grades on one
derived value; a die bank shared by several products; specs per variant — known answers
and errors."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from stackbound.analysis.features import sample_inputs
from stackbound.engine.run import run
from stackbound.errors import ScenarioError
from stackbound.report.register import register_markdown
from stackbound.scenario.inputs import unsourced_products
from stackbound.scenario.loader import load_scenario
from stackbound.scenario.months import parse_month
from support import AMPLE, block, load, product, run_main, scenario

RTOL = 1e-6
LOGIC_HBM = {"logic": {"kind": "logic_die"}, "hbm": {"kind": "hbm_stack"}}
SOURCES = {
    "fab": {"kind": "flow", "component": "logic", "rate": 100},
    "hbm_flow": {"kind": "flow", "component": "hbm", "rate": AMPLE},
}


def two_variants(own_yield: Any) -> dict[str, Any]:
    """Two products on one line of yield 0.9, 50 dies a month each (their own fabs); the
    4-die one may carry its own yield."""
    four = product({"logic": 4, "hbm": 8}, priority=1, vendor="VendorA")
    if own_yield is not None:
        four["variants"]["main"]["yield"] = own_yield
    return scenario(
        components={**LOGIC_HBM, "logic4": {"kind": "logic_die"}},
        sources={**SOURCES, "fab4": {"kind": "flow", "component": "logic4", "rate": 200}},
        packaging={"pkg": {"capacity": AMPLE, "yield": 0.9}},
        products={
            "quad": {**four, "variants": {"main": {**four["variants"]["main"], "bill": {"logic4": 4, "hbm": 8}}}},
            "single": product({"logic": 1, "hbm": 2}, priority=2, vendor="VendorA"),
        },
    )


def test_a_variant_may_fail_more_often_than_its_line(tmp_path: Path) -> None:
    result = run(load(two_variants(0.5), tmp_path), samples=4, seed=1)
    # 200 dies a month / 4 per package = 50 attempts, half of them good
    np.testing.assert_allclose(result.annual_values("units", "quad")[:, 0], 12 * 50 * 0.5, rtol=RTOL)
    # the single-die product keeps the line's 0.9: 100 attempts, 90 good
    np.testing.assert_allclose(result.annual_values("units", "single")[:, 0], 12 * 100 * 0.9, rtol=RTOL)
    # the failed packages destroyed their dies: 50% of what the quad drew
    np.testing.assert_allclose(result.annual_values("parts_destroyed", "fab4")[:, 0], 12 * 200 * 0.5, rtol=RTOL)
    line_only = run(load(two_variants(None), tmp_path), samples=4, seed=1)
    np.testing.assert_allclose(line_only.annual_values("units", "quad")[:, 0], 12 * 50 * 0.9, rtol=RTOL)


def test_a_variant_yield_may_be_a_curve(tmp_path: Path) -> None:
    result = run(load(two_variants({"2025-01": 0.4, "2025-12": 0.4, "2026-01": 0.8}), tmp_path), samples=4, seed=1)
    np.testing.assert_allclose(result.annual_values("units", "quad")[:, 0], 12 * 50 * 0.4, rtol=RTOL)


def rented(rental: dict[str, Any], **specs: Any) -> dict[str, Any]:
    b300 = product({"logic": 1, "hbm": 1}, packaging=None, vendor="Nvidia", origin="imported")
    b300["variants"] = {}
    b300["specs"] = specs
    return scenario(
        components=LOGIC_HBM,
        sources=SOURCES,
        packaging={"pkg": {"capacity": AMPLE, "yield": 1.0}},
        products={"accel": product({"logic": 1, "hbm": 1}), "b300": b300},
        offshore_rental={"abroad": rental},
    )


def test_rental_in_units_of_a_product_is_converted_on_the_scenarios_metric(tmp_path: Path) -> None:
    data = rented({"units": 1000, "product": "b300"}, dense_bf16="2250 TFLOPS")
    result = run(load(data, tmp_path), samples=4, seed=1)
    expected = 1000 * 2250 / 989.4  # the H100's dense BF16, the scenario's reference
    np.testing.assert_allclose(result.annual_values("rental_h100e")[:, 0], expected, rtol=RTOL)
    data["metric"] = "dense_8bit"
    data["products"]["b300"]["specs"] = {"dense_fp8": "4500 TFLOPS"}
    result = run(load(data, tmp_path), samples=4, seed=1)
    np.testing.assert_allclose(result.annual_values("rental_h100e")[:, 0], 1000 * 4500 / 1978.9, rtol=RTOL)


@pytest.mark.parametrize(
    ("rental", "specs", "message"),
    [
        ({"units": 1000, "product": "b300", "h100e": 5}, {"dense_bf16": "2250 TFLOPS"}, "not both or neither"),
        ({"units": 1000}, {"dense_bf16": "2250 TFLOPS"}, "need the product they are"),
        ({"units": 1000, "product": "b3000"}, {"dense_bf16": "2250 TFLOPS"}, "unknown product 'b3000'"),
        ({"units": 1000, "product": "b300"}, {"bandwidth": "8 TB/s"}, "has no dense_bf16 spec"),
    ],
)
def test_bad_rentals_are_refused(tmp_path: Path, rental: dict[str, Any], specs: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        load(rented(rental, **specs), tmp_path)


def test_a_variant_yield_without_a_line_is_refused(tmp_path: Path) -> None:
    data = two_variants(None)
    data["products"]["single"]["variants"]["main"].pop("packaging")
    data["products"]["single"]["variants"]["main"]["yield"] = 0.8
    with pytest.raises(ScenarioError, match="packaging yield needs its packaging line"):
        load(data, tmp_path)


# ------------------------------------------------------------------ curves after a launch

FIXTURE = Path(__file__).parent / "fixtures" / "format-gaps.yaml"
LAUNCHES = {"uniform": ["2025-03", "2025-09"]}


def launched(variant_yield: Any, **line: Any) -> dict[str, Any]:
    """One product launched in an uncertain month of 2025 whose line can start 100
    packages a month from ample dies and HBM."""
    accel = product({"logic": 1, "hbm": 1}, launch=LAUNCHES)
    accel["variants"]["main"]["yield"] = variant_yield
    return scenario(
        components=LOGIC_HBM,
        sources={**SOURCES, "fab": {"kind": "flow", "component": "logic", "rate": AMPLE}},
        packaging={"pkg": {"capacity": 100, "yield": 1.0, **line}},
        products={"accel": accel},
    )


def launch_months(loaded: Any, samples: int, seed: int) -> np.ndarray:
    """Each run's launch month of ``accel``, as months after 2025-01 (rounded as the engine
    rounds months)."""
    draws = sample_inputs(loaded, samples, seed)
    return np.rint(draws["products.accel.launch"]).astype(np.int64) - parse_month("2025-01")


def test_a_yield_after_launch_moves_with_each_samples_launch(tmp_path: Path) -> None:
    """yield(m) = 0.4 + 0.1 · min(max(m − launch, 0), 4): 100 attempts a month from the
    launch on give 40, 50, 60, 70, then 80 good units a month."""
    loaded = load(launched({"after_launch": {0: 0.4, 4: 0.8}}), tmp_path)
    result = run(loaded, samples=16, seed=2, keep_paths=True)
    assert result.paths is not None
    launch = launch_months(loaded, 16, 2)
    assert len(set(launch.tolist())) > 2  # the launch is uncertain: the ramp moves
    month = np.arange(12)[None, :]
    ramp = 0.4 + 0.1 * np.clip(month - launch[:, None], 0, 4)
    expected = np.where(month >= launch[:, None], 100 * ramp, 0.0)
    np.testing.assert_allclose(result.paths[("units", "accel")], expected, rtol=RTOL)
    active = 12 - launch  # months built in 2025: Σ over k < active of 100 · (0.4 + 0.1 min(k, 4))
    closed = np.array([sum(100 * (0.4 + 0.1 * min(k, 4)) for k in range(a)) for a in active])
    np.testing.assert_allclose(result.annual_values("units", "accel")[:, 0], closed, rtol=RTOL)


def test_a_curve_after_a_fixed_launch_is_the_calendar_curve_moved_to_it(tmp_path: Path) -> None:
    """With the launch fixed at 2025-04, a line's capacity {-2: 0, 4: 600} after it is the
    calendar curve {2025-02: 0, 2025-08: 600}, bit for bit."""
    relative = launched(1.0, capacity={"after_launch": {-2: 0, 4: 600}, "relative_to": "accel"})
    relative["products"]["accel"]["launch"] = "2025-04"
    calendar = launched(1.0, capacity={"2025-02": 0, "2025-08": 600})
    calendar["products"]["accel"]["launch"] = "2025-04"
    _, moved = block(load(relative, tmp_path, "relative"), 4)
    _, fixed = block(load(calendar, tmp_path, "calendar"), 4)
    np.testing.assert_array_equal(moved.capacity, fixed.capacity)
    np.testing.assert_allclose(moved.capacity[0, :, 0], [0, 0, 100, 200, 300, 400, 500] + [600] * 5)


def test_uncertain_knots_after_a_launch_are_inputs_named_by_their_offset(tmp_path: Path) -> None:
    data = launched({"after_launch": {0: {"uniform": [0.3, 0.5]}, 6: 0.9}, "shift": {"uniform": [0, 2]}})
    data["correlations"] = [
        {"between": ["products.accel.variants.main.yield@launch+0", "products.accel.launch"], "rank": 0.5}
    ]
    loaded = load(data, tmp_path)
    names = [inp.name for inp in loaded.inputs]
    assert "products.accel.variants.main.yield@launch+0" in names
    assert "products.accel.variants.main.yield@shift" in names
    assert loaded.copula is not None
    _, supply = block(loaded, 8)
    assert np.all((supply.variant_yield >= 0.3 - 1e-12) & (supply.variant_yield <= 0.9 + 1e-12))


# ------------------------------------------------------------------ shares of one uncertain total

TOTAL = {"value": {"uniform": [1000, 3000]}}


def split(share_a: Any, share_b: Any, **totals: Any) -> dict[str, Any]:
    """Two HBM channels as shares of one uncertain total of stacks a month."""
    return scenario(
        components={**LOGIC_HBM, "hbm3": {"kind": "hbm_stack"}},
        totals={"smuggled": TOTAL, **totals},
        sources={
            **SOURCES,
            "channel_a": {"kind": "flow", "component": "hbm", "rate": {"share_of": "smuggled", "share": share_a}},
            "channel_b": {"kind": "flow", "component": "hbm3", "rate": {"share_of": "smuggled", "share": share_b}},
        },
        packaging={"pkg": {"capacity": AMPLE, "yield": 1.0}},
        products={"accel": product({"logic": 1, "hbm": 1})},
    )


def arrivals(loaded: Any, source: str, samples: int = 32) -> np.ndarray:
    plan, supply = block(loaded, samples)
    return supply.arrivals[next(p for p, pool in enumerate(plan.pools) if pool.source == source)]


def test_shares_of_a_total_split_one_draw(tmp_path: Path) -> None:
    """A 60 % and B the rest: A = 0.6 T and B = 0.4 T of the same draw T in every sample."""
    loaded = load(split(0.6, "rest"), tmp_path)
    total = sample_inputs(loaded, 32, 0)["totals.smuggled.value"]
    assert np.ptp(total) > 500  # uncertain
    a, b = arrivals(loaded, "channel_a"), arrivals(loaded, "channel_b")
    np.testing.assert_allclose(a, np.broadcast_to(0.6 * total, a.shape), rtol=RTOL)
    np.testing.assert_allclose(b, np.broadcast_to(0.4 * total, b.shape), rtol=RTOL)
    np.testing.assert_allclose(a + b, np.broadcast_to(total, a.shape), rtol=RTOL)
    assert [inp.name for inp in loaded.inputs] == ["totals.smuggled.value"]


def test_uncertain_and_time_varying_shares_of_a_curve_total(tmp_path: Path) -> None:
    """Total 1 000 → 2 100 over 2025 (100 a month more), A's share 50 % → 28 % (2 points a
    month less): A(m) = (1 000 + 100 m)(0.5 − 0.02 m), B the rest."""
    curve_total = {"value": {"2025-01": 1000, "2025-12": 2100}}
    data = split({"2025-01": 0.5, "2025-12": 0.28}, "rest", smuggled=curve_total)
    a, b = arrivals(load(data, tmp_path), "channel_a", 2), arrivals(load(data, tmp_path), "channel_b", 2)
    m = np.arange(12)
    np.testing.assert_allclose(a[:, 0], (1000 + 100 * m) * (0.5 - 0.02 * m), rtol=RTOL)
    np.testing.assert_allclose(b[:, 0], (1000 + 100 * m) * (0.5 + 0.02 * m), rtol=RTOL)
    uncertain = load(split({"uniform": [0.2, 0.4]}, "rest"), tmp_path)
    draws = sample_inputs(uncertain, 32, 0)
    share, total = draws["sources.channel_a.rate.share"], draws["totals.smuggled.value"]
    np.testing.assert_allclose(arrivals(uncertain, "channel_b")[0], (1 - share) * total, rtol=RTOL)


def test_stockpiles_and_fab_lines_may_be_shares_of_a_total(tmp_path: Path) -> None:
    """A die bank's start and a later tranche are 30 % and 20 % of one uncertain count; two
    fab lines share one total of 1 000 wafer starts a month, 70 % (a die's own starts) and
    the rest (the line's), at 10 good dies a wafer (dies_per_wafer 20, yield 50 %) after a
    cycle time of 0."""
    die = {"component": "logic", "dies_per_wafer": 20, "yield": 0.5}
    fab_a = {
        "kind": "fab_line",
        "cycle_time": 0,
        "dies": [{**die, "wafer_starts": {"share_of": "wafers", "share": 0.7}}],
    }
    fab_b = {
        "kind": "fab_line",
        "cycle_time": 0,
        "wafer_starts": {"share_of": "wafers", "share": "rest"},
        "dies": [{**die, "share": 1.0}],
    }
    bank = {
        "kind": "stockpile",
        "component": "logic",
        "initial": {"share_of": "dies", "share": 0.3},
        "arrivals": {"2025-06": {"share_of": "dies", "share": 0.2}},
    }
    data = scenario(
        components=LOGIC_HBM,
        totals={"wafers": {"value": 1000}, "dies": {"value": {"uniform": [1e5, 2e5]}}},
        sources={"fab_a": fab_a, "fab_b": fab_b, "bank": bank, "hbm_flow": SOURCES["hbm_flow"]},
        packaging={"pkg": {"capacity": AMPLE, "yield": 1.0}},
        products={"accel": product({"logic": 1, "hbm": 1})},
    )
    loaded = load(data, tmp_path)
    np.testing.assert_allclose(arrivals(loaded, "fab_a"), 0.7 * 1000 * 10, rtol=RTOL)
    np.testing.assert_allclose(arrivals(loaded, "fab_b"), 0.3 * 1000 * 10, rtol=RTOL)
    dies = sample_inputs(loaded, 32, 0)["totals.dies.value"]
    held = arrivals(loaded, "bank")
    np.testing.assert_allclose(held[0], 0.3 * dies, rtol=RTOL)
    np.testing.assert_allclose(held[5], 0.2 * dies, rtol=RTOL)
    assert np.all(held[[1, 2, 3, 4, 6, 7, 8, 9, 10, 11]] == 0)


def test_memory_lines_and_imports_may_be_shares_of_a_total(tmp_path: Path) -> None:
    """A memory line (stacking yield 50 %) makes 40 % of the HBM total and channel A the
    rest; licensed imports of two products are 25 % and the rest of one uncertain total."""
    data = split(0.6, 0.1)
    data["sources"]["hbm_line"] = {
        "kind": "memory_line",
        "component": "hbm",
        "stacks": {"share_of": "smuggled", "share": "rest"},
        "stacking_yield": 0.5,
    }
    imported = {"vendor": "Nvidia", "origin": "imported"}
    data["products"].update(h20=imported, h200=imported)
    data["totals"]["licensed"] = {"value": {"uniform": [1000, 2000]}}
    data["imports"] = {
        name: {"product": name, "units": {"share_of": "licensed", "share": share}}
        for name, share in (("h20", 0.25), ("h200", "rest"))
    }
    loaded = load(data, tmp_path)
    draws = sample_inputs(loaded, 32, 0)
    total = draws["totals.smuggled.value"]
    np.testing.assert_allclose(arrivals(loaded, "hbm_line")[0], 0.5 * 0.3 * total, rtol=RTOL)
    result = run(loaded, samples=32, seed=0)
    licensed = draws["totals.licensed.value"]
    np.testing.assert_allclose(result.annual_values("units", "h20")[:, 0], 12 * 0.25 * licensed, rtol=RTOL)
    np.testing.assert_allclose(result.annual_values("units", "h200")[:, 0], 12 * 0.75 * licensed, rtol=RTOL)


@pytest.mark.parametrize(
    ("shares", "message"),
    [
        ([0.7, {"uniform": [0.2, 0.5]}], "can add up to 1.2 \\(their upper bounds\\), over 1"),
        ([{"uniform": [0.5, 0.8]}, 0.4, "rest"], "can add up to 1.2 \\(their upper bounds\\), over 1"),
        (["rest", 0.2, "rest"], "only one share of total 'smuggled' may be 'rest', got 2"),
    ],
)
def test_shares_of_one_total_cannot_add_up_above_one(tmp_path: Path, shares: list[Any], message: str) -> None:
    """The shares other than ``rest`` are summed at their upper bounds (a uniform's 99.99%
    quantile), as owners' shares are; shares below 1 without a rest are allowed."""
    data = split(*shares[:2])
    for i, share in enumerate(shares[2:]):
        extra = {"kind": "flow", "component": "hbm", "rate": {"share_of": "smuggled", "share": share}}
        data["sources"][f"channel_{i}"] = extra
    with pytest.raises(ScenarioError, match=message):
        load(data, tmp_path)
    load(split({"uniform": [0.5, 0.8]}, "rest"), tmp_path)
    load(split(0.3, {"uniform": [0.2, 0.5]}), tmp_path)


# ------------------------------------------------------------------ several sources, several grades


def test_a_value_from_several_sources_has_the_weakest_grade_and_the_newest_date(tmp_path: Path) -> None:
    loaded = load_scenario(FIXTURE)
    provenance = loaded.scenario.products["accel"].specs.dense_int8.provenance  # type: ignore[union-attr]
    assert provenance is not None
    assert [(c.grade, c.date) for c in provenance.sources] == [("B", "2024-05"), ("C", "2025-01")]
    assert (provenance.grade, provenance.date) == ("C", "2025-01")
    assert provenance.source == (
        "https://example.org/clock (grade B, 2024-05, clock speed); "
        "https://example.org/cores (grade C, 2025-01, core count)"
    )
    register = register_markdown(loaded)
    row = next(line for line in register.splitlines() if "products.accel.specs.dense_int8" in line)
    assert "| C (weakest of B, C) |" in row
    assert "[example.org](https://example.org/clock) (grade B, 2024-05, clock speed)" in row
    assert "[example.org](https://example.org/cores) (grade C, 2025-01, core count)" in row
    assert "0 grade B, 1 grade C" in register  # counted once, under its weakest grade


def test_show_prints_every_source_with_its_grade(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, "show", str(FIXTURE))
    assert code == 0, err
    lines = out.splitlines()
    first = next(i for i, line in enumerate(lines) if "accel · dense int8" in line)
    after = next(i for i, line in enumerate(lines) if "accel · launch" in line)  # the next row
    row = [line.split("│") for line in lines[first:after]]  # the row's lines, cut into cells
    source = "".join("".join(cells[4].split()) for cells in row if len(cells) > 5)
    assert source == (
        "https://example.org/clock(gradeB,2024-05,clockspeed);https://example.org/cores(gradeC,2025-01,corecount)"
    )
    assert row[0][5].strip() == "C"  # the weakest grade


def test_one_source_with_one_grade_is_read_as_before(tmp_path: Path) -> None:
    data = launched(1.0)
    data["packaging"]["pkg"]["yield"] = {
        "value": 0.9,
        "source": "https://example.org/y",
        "date": "2025-02",
        "grade": "B",
    }
    provenance = load(data, tmp_path).scenario.packaging["pkg"].packaging_yield.provenance  # type: ignore[union-attr]
    assert provenance is not None
    assert provenance.sources == ()
    assert provenance.as_dict() == {"source": "https://example.org/y", "date": "2025-02", "grade": "B"}


# ------------------------------------------------------------------ a stockpile shared by several products


def test_a_die_bank_feeds_several_products_of_its_owner_and_the_shared_part_anyone(tmp_path: Path) -> None:
    """1 200 dies, a quarter VendorA's; A's two products take 30 and 20 a month, B's 60. A
    uses its 300 in six months while B draws 60 a month on the shared 900; then both draw on
    the shared part, A first, until month 11 leaves 50 for each: A 550 (330 + 220), B 650."""
    bank = {"kind": "stockpile", "component": "die", "initial": 1200, "owners": {"VendorA": 0.25, "shared": "rest"}}
    data = scenario(
        components={"die": {"kind": "logic_die"}},
        sources={"bank": bank},
        products={
            "a1": product({"die": 1}, priority=1, packaging=None, vendor="VendorA", demand_cap=30),
            "a2": product({"die": 1}, priority=2, packaging=None, vendor="VendorA", demand_cap=20),
            "b": product({"die": 1}, priority=3, packaging=None, vendor="VendorB", demand_cap=60),
        },
    )
    result = run(load(data, tmp_path), samples=4, seed=1, keep_paths=True)
    assert result.paths is not None
    expected = {"a1": [30] * 11 + [0], "a2": [20] * 11 + [0], "b": [60] * 10 + [50, 0]}
    for name, units in expected.items():
        np.testing.assert_allclose(result.paths[("units", name)], np.broadcast_to(units, (4, 12)), rtol=RTOL)
    np.testing.assert_allclose(result.annual_values("parts_drawn", "bank@VendorA")[:, 0], 300, rtol=RTOL)
    np.testing.assert_allclose(result.annual_values("parts_drawn", "bank")[:, 0], 900, rtol=RTOL)


# ------------------------------------------------------------------ errors, as `stackbound check` shows them

BAD_EDITS = [
    # (what the fixture says, what the bad file says instead, the field, the message, a text on its line)
    ("relative_to: accel}", "relative_to: acel}", "packaging.cowos.yield", "unknown product 'acel'; did you", "acel"),
    (", relative_to: accel}", "}", "packaging.cowos.yield", "outside a product needs relative_to", "after_launch"),
    ("12: 90 %}", "a year: 90 %}", "packaging.cowos.yield", "a whole number of months after the launch", "a year"),
    ("12: 90 %}", "700: 90 %}", "packaging.cowos.yield", "within 600 months of the launch", "700"),
    (
        '    launch: {value: {uniform: [2025-03, 2025-09]}, assumption: "illustrative"}\n',
        "",
        "products.accel.variants.hbm3.yield",
        "product 'accel' has no launch",
        "after_launch",
    ),
    (
        "share_of: smuggled_hbm, share: rest",
        "share_of: smugled_hbm, share: rest",
        "sources.via_singapore.rate.share_of",
        "unknown total 'smugled_hbm'; did you mean 'smuggled_hbm'?",
        "smugled_hbm",
    ),
    (
        "share_of: smuggled_hbm, share: rest",
        "share_of: smuggled_hbm, share: 50 %",
        "totals.smuggled_hbm",
        "can add up to 1.2 (their upper bounds), over 1",
        "value: {value: {to: [20k, 80k]",
    ),
    (
        "share_of: smuggled_hbm, share: rest",
        "share_of: smuggled_hbm",
        "sources.via_singapore.rate",
        "needs its share: a fraction, or rest",
        "rate:",
    ),
    (
        '    initial: {value: {to: [1M, 3M], unit: stack}, assumption: "illustrative"}',
        '    initial: {share_of: smuggled_hbm, share: {value: 10 %, assumption: "a tenth"}}',
        "sources.hbm_stockpile.initial",
        "this field is a count in stack, but total 'smuggled_hbm' is a rate in stack/month",
        "initial:",
    ),
    (
        "totals:\n",
        "totals:\n  unused: {value: {value: 5, assumption: x}}\n",
        "totals.unused",
        "no value is a share of total 'unused'",
        "unused:",
    ),
    (
        "grade: C, note: core count",
        "grade: D, note: core count",
        "products.accel.specs.dense_int8",
        "sources[1].grade must be A, B or C, got 'D'",
        "value: 640 TFLOPS",
    ),
    (
        '{source: "https://example.org/cores", ',
        "{",
        "products.accel.specs.dense_int8",
        "sources[1].source is missing",
        "value: 640 TFLOPS",
    ),
    (
        "        sources:\n",
        "        grade: B\n        sources:\n",
        "products.accel.specs.dense_int8",
        "give grade in each entry of sources",
        "value: 640 TFLOPS",
    ),
    (
        "        sources:\n",
        "        source: https://x.org\n        sources:\n",
        "products.accel.specs.dense_int8",
        "give source (one) or sources (several",
        "value: 640 TFLOPS",
    ),
]


@pytest.mark.parametrize(("good", "bad", "field", "message", "on_line"), BAD_EDITS, ids=[e[3][:40] for e in BAD_EDITS])
def test_a_bad_construct_is_refused_with_its_file_line_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], good: str, bad: str, field: str, message: str, on_line: str
) -> None:
    """The fixture with one mistake: ``check`` exits 2 with ``file:line:column: field:
    message``, the line being the one that holds the field's value."""
    refused_where_it_is(tmp_path, capsys, FIXTURE, (good, bad), field, message, on_line)


def refused_where_it_is(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fixture: Path,
    edit: tuple[str, str],
    field: str,
    message: str,
    on_line: str,
) -> None:
    """``fixture`` with ``edit`` (good text, bad text) makes ``check`` exit 2 with
    ``file:line:column: field: message``, the line holding ``on_line``."""
    good, bad = edit
    text = fixture.read_text(encoding="utf-8")
    assert good in text
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace(good, bad, 1), encoding="utf-8")
    code, out, err = run_main(capsys, "check", str(path))
    assert code == 2, out + err
    assert "Traceback" not in out + err
    found = next((line for line in err.splitlines() if f": {field}: " in line and message in line), None)
    assert found is not None, err
    where = re.fullmatch(rf"{re.escape(str(path))}:(\d+):\d+", found.partition(f": {field}: ")[0])
    assert where is not None, found
    written = path.read_text(encoding="utf-8").splitlines()[int(where.group(1)) - 1]
    assert on_line in written, (found, written)


def test_the_fixture_checks_clean_and_runs(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, "check", "--strict", str(FIXTURE))
    assert code == 0, err
    assert "4 uncertain inputs, 0 values without source or assumption" in out
    result = run(load_scenario(FIXTURE), samples=64, seed=1)
    hk, sg = (result.annual_values("parts_made", name)[:, 0] for name in ("via_hong_kong", "via_singapore"))
    assert np.all(hk >= sg)  # 50–70 % of one total against the rest


# ------------------------------------------------------------------ specs per variant

VARIANT_SPECS = Path(__file__).parent / "fixtures" / "variant-specs.yaml"
H100_BF16, H100_TBPS = 989.4, 3.35  # the default reference: the H100 SXM's dense BF16 and bandwidth


def variant_specs(**changes: Any) -> dict[str, Any]:
    """The fixture as data, with ``changes`` to the GDDR variant's specs (``None`` removes
    a field)."""
    data = yaml.safe_load(VARIANT_SPECS.read_text(encoding="utf-8"))
    specs = data["products"]["accel"]["variants"]["gddr"]["specs"]
    for field, value in changes.items():
        if value is None:
            specs.pop(field)
        else:
            specs[field] = value
    return data


def test_each_variant_counts_at_its_own_specs(tmp_path: Path) -> None:
    """15 dies and 40 HBM stacks a month: 10 HBM units (1.0 H100e, 3.2 TB/s, 20k USD each)
    and 5 GDDR units (0.4 H100e, 0.8 TB/s, 8k USD), so 12 H100e, 36 TB/s and 240k USD are
    made each month; 3 units of work in progress complete in March at the product's specs.
    Delivered after 2 months and retired after 6 (utilisation 50 %):
    compute added in 2025 = 10 · 12 + 3 = 123; in service at December = the deliveries of
    months 6–11 = 6 · 12 = 72; bandwidth = 10 · 36 + 3 · 3.2 = 369.6 TB/s; value (when
    made) = 12 · 240k + 3 · 20k = 2.94M USD."""
    result = run(load_scenario(VARIANT_SPECS), samples=4, seed=1, keep_paths=True)
    assert result.paths is not None

    def year(metric: str, group: str = "accel") -> np.ndarray:
        return result.annual_values(metric, group)[:, 0]

    np.testing.assert_allclose(year("units"), 12 * 15 + 3, rtol=RTOL)
    for variant, units in (("hbm", 10), ("gddr", 5)):
        np.testing.assert_allclose(result.paths[("units_by_variant", f"accel/{variant}")], units, rtol=RTOL)
    np.testing.assert_allclose(year("compute_added_h100e"), 123, rtol=RTOL)
    np.testing.assert_allclose(year("effective_compute_added_h100e"), 0.5 * 123, rtol=RTOL)
    np.testing.assert_allclose(year("installed_h100e", "total"), 72, rtol=RTOL)
    np.testing.assert_allclose(year("effective_installed_h100e", "total"), 0.5 * 72, rtol=RTOL)
    np.testing.assert_allclose(year("bandwidth_added_tbps", "total"), 10 * 36 + 3 * 3.2, rtol=RTOL)
    np.testing.assert_allclose(year("value_usd"), 12 * 240e3 + 3 * 20e3, rtol=RTOL)
    delivered = np.array([0, 0, 12, 12, 15] + [12] * 7)  # H100e delivered each month
    in_service = [delivered[max(t - 5, 0) : t + 1].sum() for t in range(12)]  # a 6-month life
    np.testing.assert_allclose(result.paths[("compute_added_h100e", "total")], np.broadcast_to(delivered, (4, 12)))
    np.testing.assert_allclose(result.paths[("installed_h100e", "total")], np.broadcast_to(in_service, (4, 12)))


def test_uncertain_variant_specs_are_inputs_drawn_per_sample(tmp_path: Path) -> None:
    """With the GDDR variant's throughput x uncertain: 10 · 12 + 5 · 10 · x / 989.4 + 3
    H100e added in 2025, sample by sample."""
    data = variant_specs(dense_bf16={"value": {"uniform": ["300 TFLOPS", "500 TFLOPS"]}, "assumption": "x"})
    loaded = load(data, tmp_path)
    field = "products.accel.variants.gddr.specs.dense_bf16"
    assert [inp.name for inp in loaded.inputs] == [field]
    throughput = sample_inputs(loaded, 64, 3)[field]
    assert np.ptp(throughput) > 100
    result = run(loaded, samples=64, seed=3)
    expected = 10 * 10 + 10 * 5 * throughput / H100_BF16 + 3
    np.testing.assert_allclose(result.annual_values("compute_added_h100e", "accel")[:, 0], expected, rtol=RTOL)


def test_the_metric_reads_each_variants_figure(tmp_path: Path) -> None:
    """On memory bandwidth, an H100e is 3.35 TB/s: the HBM units count 3.2/3.35 each and
    the GDDR units 0.8/3.35. A variant that gives no throughput of its own takes the
    product's on a throughput metric."""
    data = variant_specs()
    data["metric"] = "memory_bandwidth"
    result = run(load(data, tmp_path), samples=2, seed=0)
    expected = (10 * (10 * 3.2 + 5 * 0.8) + 3 * 3.2) / H100_TBPS
    np.testing.assert_allclose(result.annual_values("compute_added_h100e", "accel")[:, 0], expected, rtol=RTOL)
    result = run(load(variant_specs(dense_bf16=None), tmp_path), samples=2, seed=0)
    np.testing.assert_allclose(result.annual_values("compute_added_h100e", "accel")[:, 0], 153, rtol=RTOL)
    np.testing.assert_allclose(result.annual_values("bandwidth_added_tbps")[:, 0], 369.6, rtol=RTOL)


def test_the_foresight_bound_counts_each_variant_at_its_own_specs() -> None:
    """10 HBM units at 1.0 H100e and 5 GDDR units at 0.4 a month, 10 months delivered in
    2025: a bound of 120 H100e (150 if the GDDR units counted as HBM ones)."""
    from stackbound.engine.foresight import foresight

    result = foresight(load_scenario(VARIANT_SPECS), samples=2, workers=1)
    np.testing.assert_allclose(result.bound[1, 0], 120, rtol=RTOL)
    np.testing.assert_allclose(result.engine[1, 0], 120, rtol=RTOL)


def test_variant_specs_the_outputs_do_not_read_change_nothing(tmp_path: Path) -> None:
    """A variant giving only memory and power (no output reads them) leaves every result
    bit for bit as without it; one repeating its product's figures gives the same numbers."""
    plain = variant_specs()
    del plain["products"]["accel"]["variants"]["gddr"]["specs"]
    quiet = variant_specs(dense_bf16=None, bandwidth=None, price=None)
    quiet["products"]["accel"]["specs"]["power"] = {"value": "700 W", "assumption": "x"}
    quiet["products"]["accel"]["variants"]["gddr"]["specs"]["power"] = {"value": "400 W", "assumption": "x"}
    same = variant_specs(**{f: plain["products"]["accel"]["specs"][f] for f in ("dense_bf16", "bandwidth", "price")})
    base = run(load(plain, tmp_path, "plain"), samples=8, seed=2)
    for name, data, exact in (("quiet", quiet, True), ("same", same, False)):
        other = run(load(data, tmp_path, name), samples=8, seed=2)
        assert base.annual.keys() == other.annual.keys()
        for key, values in base.annual.items():
            if exact:
                np.testing.assert_array_equal(other.annual[key], values, err_msg=str(key))
            else:
                np.testing.assert_allclose(other.annual[key], values, rtol=RTOL, err_msg=str(key))


def test_a_product_sourced_only_in_a_variants_specs_is_sourced(tmp_path: Path) -> None:
    data = variant_specs(bandwidth={"value": "0.8 TB/s", "source": "https://example.org/gddr", "grade": "B"})
    loaded = load(data, tmp_path)
    assert unsourced_products(load_scenario(VARIANT_SPECS).scenario) == ["accel"]
    assert unsourced_products(loaded.scenario) == []
    register = register_markdown(loaded)
    row = next(line for line in register.splitlines() if "`products.accel.variants.gddr.specs.bandwidth`" in line)
    assert "| 0.8 | TB/s | [example.org](https://example.org/gddr) |" in row
    assert "| B |" in row


def test_a_variant_spec_without_provenance_is_flagged_where_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = VARIANT_SPECS.read_text(encoding="utf-8")
    written = '          memory: {value: 48 GB, assumption: "illustrative: 8 × 6 GB GDDR6"}'
    assert written in text
    path = tmp_path / "unsourced.yaml"
    path.write_text(text.replace(written, "          memory: 48 GB"), encoding="utf-8")
    code, _, err = run_main(capsys, "check", "--strict", str(path))
    assert code != 0
    line = text.splitlines().index(written) + 1
    assert f"{path}:{line}:19: products.accel.variants.gddr.specs.memory: warning: no source or assumption" in err
    register = register_markdown(load_scenario(path))
    row = next(r for r in register.splitlines() if "`products.accel.variants.gddr.specs.memory`" in r)
    assert "**no source or assumption**" in row


GDDR_PRICE = '          price: {value: 8k USD, assumption: "illustrative"}\n'
VARIANT_SPEC_EDITS = [
    # (what the fixture says, what the bad file says instead, the field, the message, a text on its line)
    (
        "bandwidth: {value: 0.8 TB/s",
        "bandwidth: {value: 0.8 GB",
        "products.accel.variants.gddr.specs.bandwidth",
        "expected a bandwidth in TB/s, got '0.8 GB'",
        "0.8 GB",
    ),
    (
        "dense_bf16: {value: 395.76 TFLOPS",
        "dense_bf16: {value: 395.76 GB",
        "products.accel.variants.gddr.specs.dense_bf16",
        "expected a throughput in TFLOPS, got '395.76 GB'",
        "395.76 GB",
    ),
    (
        "          bandwidth: {value: 0.8 TB/s",
        "          bandwith: {value: 0.8 TB/s",
        "products.accel.variants.gddr.specs.bandwith",
        "unknown field",
        "bandwith:",
    ),
    (
        "dense_bf16: {value: 395.76 TFLOPS,",
        "dense_bf16: {value: {2025-01: 395.76 TFLOPS, 2025-12: 400 TFLOPS},",
        "products.accel.variants.gddr.specs.dense_bf16",
        "not a curve over time",
        "2025-12: 400 TFLOPS",
    ),
    (
        GDDR_PRICE,
        GDDR_PRICE + '          power: {value: 300 W, assumption: "x"}\n',
        "products.accel.variants.gddr.specs.power",
        "a variant's power replaces its product's, and product 'accel' gives none",
        "300 W",
    ),
    (
        '      price: {value: 20k USD, assumption: "illustrative"}\n',
        "",
        "products.accel.variants.gddr.specs.price",
        "give price in the product's specs too",
        "8k USD",
    ),
]


@pytest.mark.parametrize(
    ("good", "bad", "field", "message", "on_line"), VARIANT_SPEC_EDITS, ids=[e[3][:40] for e in VARIANT_SPEC_EDITS]
)
def test_a_bad_variant_spec_is_refused_with_its_file_line_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], good: str, bad: str, field: str, message: str, on_line: str
) -> None:
    refused_where_it_is(tmp_path, capsys, VARIANT_SPECS, (good, bad), field, message, on_line)


def test_the_variant_specs_fixture_checks_clean(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, "check", "--strict", str(VARIANT_SPECS))
    assert code == 0, err
    assert "0 values without source or assumption" in out
