"""Known-answer scenarios: small supply chains whose monthly output has a closed form.

Every expected number is derived by hand in the test from the scenario's own inputs,
never copied from an engine run.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from stackbound.engine.results import RunResult
from stackbound.engine.run import run
from stackbound.engine.supply import gross_dies_per_wafer, murphy_yield, poisson_yield
from support import AMPLE, load, product, scenario

SAMPLES = 16
RTOL = 1e-6
"""Monthly paths and annual totals are kept as float32."""

LOGIC_HBM = {"logic": {"kind": "logic_die"}, "hbm": {"kind": "hbm_stack"}}
AMPLE_HBM = {"hbm_flow": {"kind": "flow", "component": "hbm", "rate": AMPLE}}
AMPLE_PACKAGING = {"pkg": {"capacity": AMPLE, "yield": 1.0}}


def logic_flow(rate: Any) -> dict[str, Any]:
    return {"logic_flow": {"kind": "flow", "component": "logic", "rate": rate}}


def fab(starts: float, dies_per_wafer: float, die_yield: float, **line: Any) -> dict[str, Any]:
    die = {"component": "logic", "wafer_starts": starts, "dies_per_wafer": dies_per_wafer, "yield": die_yield}
    return {"fab": {"kind": "fab_line", "dies": [die], **line}}


def go(tmp_path: Path, data: dict[str, Any], samples: int = SAMPLES, **options: Any) -> RunResult:
    return run(load(data, tmp_path), samples=samples, seed=7, keep_paths=True, **options)


def path(result: RunResult, metric: str, group: str) -> np.ndarray:
    assert result.paths is not None
    return result.paths[(metric, group)].astype(np.float64)


def binding_share(result: RunResult, variant: str, constraint: str) -> np.ndarray:
    """Per month, the share of samples in which ``constraint`` bound ``variant``."""
    v, k = result.variants.index(variant), result.constraint_names.index(constraint)
    return result.binding_counts[v, k] / result.samples


# ------------------------------------------------------------------ capacity


def test_constant_capacity_gives_starts_times_dies_times_yield_per_bill(tmp_path: Path) -> None:
    line_starts, share, dies_per_wafer, die_yield, dies_per_unit = 2400.0, 0.5, 60.0, 0.75, 2.0
    per_month = line_starts * share * dies_per_wafer * die_yield / dies_per_unit  # 27 000
    die = {"component": "logic", "share": share, "dies_per_wafer": dies_per_wafer, "yield": die_yield}
    sources = {"fab": {"kind": "fab_line", "wafer_starts": line_starts, "cycle_time": "3 month", "dies": [die]}}
    data = scenario(
        components=LOGIC_HBM,
        sources={**sources, **AMPLE_HBM},
        packaging=AMPLE_PACKAGING,
        products={"accel": product({"logic": dies_per_unit, "hbm": 8})},
    )
    result = go(tmp_path, data)
    np.testing.assert_allclose(path(result, "units", "accel"), per_month, rtol=RTOL)
    np.testing.assert_allclose(result.annual_values("units", "accel"), 12 * per_month, rtol=RTOL)
    used = 12 * per_month * dies_per_unit
    np.testing.assert_allclose(result.annual_values("dies_consumed", "logic"), used, rtol=RTOL)
    np.testing.assert_allclose(result.annual_values("hbm_stacks_consumed", "hbm"), 12 * per_month * 8, rtol=RTOL)
    assert np.all(binding_share(result, "accel/main", "logic") == 1.0)


def test_cycle_time_only_shifts_the_output_of_a_line_that_starts_at_the_horizon(tmp_path: Path) -> None:
    starts, dies_per_wafer, die_yield = 1000.0, 50.0, 0.8
    per_month = starts * dies_per_wafer * die_yield
    for cycle_time in (0, 1, 3, 5):
        line = fab(starts, dies_per_wafer, die_yield, cycle_time=f"{cycle_time} month", start="2025-01")
        data = scenario(
            components=LOGIC_HBM,
            sources={**line, **AMPLE_HBM},
            packaging=AMPLE_PACKAGING,
            products={"accel": product({"logic": 1, "hbm": 1})},
        )
        units = path(go(tmp_path, data, samples=2), "units", "accel")
        expected = np.where(np.arange(12) < cycle_time, 0.0, per_month)
        np.testing.assert_allclose(units, np.broadcast_to(expected, units.shape), rtol=RTOL, err_msg=f"{cycle_time=}")


def test_a_line_running_before_the_horizon_delivers_from_the_first_month(tmp_path: Path) -> None:
    line = fab(1000.0, 50.0, 0.8, cycle_time="4 month")
    data = scenario(
        components=LOGIC_HBM,
        sources={**line, **AMPLE_HBM},
        packaging=AMPLE_PACKAGING,
        products={"accel": product({"logic": 1, "hbm": 1})},
    )
    np.testing.assert_allclose(path(go(tmp_path, data, samples=2), "units", "accel"), 1000 * 50 * 0.8, rtol=RTOL)


def test_memory_line_from_dram_wafers(tmp_path: Path) -> None:
    wafers, dies_per_wafer, dies_per_stack, stacking_yield, lag = 2000.0, 600.0, 8.0, 0.6, 2
    stacks = wafers * dies_per_wafer / dies_per_stack * stacking_yield  # 90 000 a month
    line = {
        "kind": "memory_line",
        "component": "hbm",
        "dram_wafer_starts": wafers,
        "dies_per_wafer": dies_per_wafer,
        "dies_per_stack": dies_per_stack,
        "stacking_yield": stacking_yield,
        "lag": f"{lag} month",
        "start": "2025-01",
    }
    data = scenario(
        components=LOGIC_HBM,
        sources={**logic_flow(AMPLE), "hbm_line": line},
        packaging=AMPLE_PACKAGING,
        products={"accel": product({"logic": 1, "hbm": 6})},
    )
    units = path(go(tmp_path, data, samples=2), "units", "accel")
    expected = np.where(np.arange(12) < lag, 0.0, stacks / 6)
    np.testing.assert_allclose(units, np.broadcast_to(expected, units.shape), rtol=RTOL)


# ------------------------------------------------------------------ die yield and dies per wafer


# Gross dies on a 300 mm wafer, π(d/2)²/A − πd/√(2A) (de Vries 2005, eq. 1), worked by
# hand for die areas A = 2k² mm², where √(2A) = 2k and both terms are multiples of π:
#   A =  50: 22 500π/50  − 300π/10 = 450π    − 30π  = 420π    = 1 319.4689
#   A = 200: 22 500π/200 − 300π/20 = 112.5π  − 15π  = 97.5π   =   306.3053
#   A = 450: 22 500π/450 − 300π/30 = 50π     − 10π  = 40π     =   125.6637
#   A = 800: 22 500π/800 − 300π/40 = 28.125π − 7.5π = 20.625π =    64.7953
# and for a reticle-size die, A = 665.6 mm² (26 mm × 25.6 mm), √1331.2 = 36.4856:
#   70 685.835/665.6 − 942.47780/36.4856 = 106.19867 − 25.83149 = 80.36718.
# A = 80 000 mm² is larger than the wafer: 0.28125π − 0.75π < 0, floored at 0.
GROSS_DIES_300MM = [
    (50.0, 1_319.4689),
    (200.0, 306.30528),
    (450.0, 125.66371),
    (800.0, 64.795348),
    (665.6, 80.367179),
    (80_000.0, 0.0),
]


@pytest.mark.parametrize(("area", "expected"), GROSS_DIES_300MM)
def test_gross_dies_per_wafer_by_hand(area: float, expected: float) -> None:
    assert float(gross_dies_per_wafer(np.float64(area), np.float64(300.0))) == pytest.approx(expected, rel=1e-7)


def test_gross_dies_per_wafer_on_a_200mm_wafer() -> None:
    # A = 200 mm², d = 200 mm: π·100²/200 − 200π/20 = 50π − 10π = 40π = 125.66371.
    assert float(gross_dies_per_wafer(np.float64(200.0), np.float64(200.0))) == pytest.approx(125.66371, rel=1e-7)


# Die yields at a defect density D0 (per cm²) on a die of A mm² (A/100 cm²), AD = A·D0/100:
# Poisson exp(−AD); Murphy ((1 − exp(−AD))/AD)². By hand, with e^−0.1 = 0.904837418,
# e^−1 = 0.367879441, e^−2 = 0.135335283, e^−0.59904 = 0.549338748:
#   AD = 0.1:     Murphy (0.095162582/0.1)² = 0.951625820² = 0.905591701
#   AD = 1:       Murphy 0.632120559²                     = 0.399576401
#   AD = 2:       Murphy (0.864664717/2)² = 0.432332358²  = 0.186911268
#   AD = 0.59904: Murphy (0.450661252/0.59904)² = 0.752305776² = 0.565963980
#   AD = 0:       both 1 (no defects).
YIELDS = [
    # area mm², D0 /cm², Poisson, Murphy
    (100.0, 0.1, 0.904837418, 0.905591701),
    (50.0, 0.2, 0.904837418, 0.905591701),
    (100.0, 1.0, 0.367879441, 0.399576401),
    (200.0, 0.5, 0.367879441, 0.399576401),
    (400.0, 0.5, 0.135335283, 0.186911268),
    (665.6, 0.09, 0.549338748, 0.565963980),
    (200.0, 0.0, 1.0, 1.0),
]


@pytest.mark.parametrize(("area", "defects", "poisson", "murphy"), YIELDS)
def test_poisson_and_murphy_yields_by_hand(area: float, defects: float, poisson: float, murphy: float) -> None:
    assert float(poisson_yield(np.float64(area), np.float64(defects))) == pytest.approx(poisson, abs=1e-9)
    assert float(murphy_yield(np.float64(area), np.float64(defects))) == pytest.approx(murphy, abs=1e-9)


@pytest.mark.parametrize("model", ["poisson", "murphy"])
def test_fab_line_yield_from_defect_density(tmp_path: Path, model: str) -> None:
    starts, area, defects = 1000.0, 665.6, 0.09
    gross = 80.367179  # GROSS_DIES_300MM, by hand
    die_yield = 0.549338748 if model == "poisson" else 0.565963980  # YIELDS, AD = 0.59904
    die = {
        "component": "logic",
        "wafer_starts": starts,
        "die_area": f"{area} mm^2",
        "defect_density": defects,
        "yield_model": model,
    }
    sources = {"fab": {"kind": "fab_line", "cycle_time": 0, "dies": [die]}, **AMPLE_HBM}
    data = scenario(
        components=LOGIC_HBM,
        sources=sources,
        packaging=AMPLE_PACKAGING,
        products={"accel": product({"logic": 1, "hbm": 1})},
    )
    units = path(go(tmp_path, data, samples=2), "units", "accel")
    np.testing.assert_allclose(units, starts * gross * die_yield, rtol=RTOL)


# ------------------------------------------------------------------ stockpiles


def test_die_bank_alone_is_used_up_in_the_first_month(tmp_path: Path) -> None:
    bank, dies_per_unit = 90_000.0, 3.0
    sources = {"bank": {"kind": "stockpile", "component": "logic", "initial": bank}, **AMPLE_HBM}
    data = scenario(
        components=LOGIC_HBM,
        sources=sources,
        packaging=AMPLE_PACKAGING,
        end="2026-06",
        products={"accel": product({"logic": dies_per_unit, "hbm": 4})},
    )
    result = go(tmp_path, data)
    units = path(result, "units", "accel")
    np.testing.assert_allclose(units[:, 0], bank / dies_per_unit, rtol=RTOL)
    assert np.all(units[:, 1:] == 0.0)
    annual = result.annual_values("units", "accel")
    np.testing.assert_allclose(annual, [[bank / dies_per_unit, 0.0]] * SAMPLES, rtol=RTOL)
    assert np.all(result.runout == 0)


def test_rationed_die_bank_runs_down_with_its_runway(tmp_path: Path) -> None:
    bank, max_draw, dies_per_unit = 45_000.0, 10_000.0, 2.0
    pile = {"kind": "stockpile", "component": "logic", "initial": f"{bank} die", "max_draw": f"{max_draw} die/month"}
    data = scenario(
        components=LOGIC_HBM,
        sources={"bank": pile, **AMPLE_HBM},
        packaging=AMPLE_PACKAGING,
        products={"accel": product({"logic": dies_per_unit, "hbm": 4})},
    )
    result = go(tmp_path, data)
    t = np.arange(12)
    drawn = np.clip(bank - max_draw * t, 0.0, max_draw)  # 10k, 10k, 10k, 10k, 5k, 0, …
    left = np.maximum(bank - max_draw * (t + 1), 0.0)
    runway = np.ceil(left / max_draw)  # months until the bank is empty: 4, 3, 2, 1, 0, …
    np.testing.assert_allclose(
        path(result, "units", "accel"), np.broadcast_to(drawn / dies_per_unit, (SAMPLES, 12)), rtol=RTOL
    )
    np.testing.assert_allclose(path(result, "stock", "bank"), np.broadcast_to(left, (SAMPLES, 12)), rtol=RTOL)
    np.testing.assert_array_equal(path(result, "runway_months", "bank"), np.broadcast_to(runway, (SAMPLES, 12)))
    assert np.all(result.runout[:, 0] == math.ceil(bank / max_draw) - 1)
    assert np.all(binding_share(result, "accel/main", "logic") == 1.0)


def test_hbm_stockpile_ration_binds_with_probability_one(tmp_path: Path) -> None:
    max_draw, stacks_per_unit, dies = 80_000.0, 8.0, 5e6
    pile = {"kind": "stockpile", "component": "hbm", "initial": "1B stack", "max_draw": max_draw}
    packaging = {"pkg": {"capacity": {"uniform": ["1B", "2B"]}, "yield": {"uniform": [0.999, 1.0]}}}
    data = scenario(
        components=LOGIC_HBM,
        sources={**logic_flow(dies), "hbm_stock": pile},
        packaging=packaging,
        products={"accel": product({"logic": 1, "hbm": stacks_per_unit})},
    )
    result = go(tmp_path, data, samples=64)
    attempts = max_draw / stacks_per_unit
    units = path(result, "units", "accel")
    assert np.all((units <= attempts * (1 + RTOL)) & (units >= 0.999 * attempts * (1 - RTOL)))
    table = result.binding_table()
    hbm = table[(table["variant"] == "accel/main") & (table["constraint"] == "hbm")]
    assert list(hbm["probability"]) == [1.0]
    assert np.all(binding_share(result, "accel/main", "hbm") == 1.0)
    # dies pile up waiting for HBM: all of them are stranded
    held = (dies - attempts) * (np.arange(12) + 1)
    np.testing.assert_allclose(path(result, "stranded", "logic"), np.broadcast_to(held, (64, 12)), rtol=RTOL)
    assert np.all(path(result, "stranded", "hbm") == 0.0)


# ------------------------------------------------------------------ packaging, caps, demand


def test_packaging_yield_destroys_what_failed_packages_used(tmp_path: Path) -> None:
    dies, packaging_yield, bill = 16_000.0, 0.8, {"logic": 2.0, "hbm": 8.0}
    good = dies / bill["logic"] * packaging_yield  # 6 400 good units from 8 000 attempts
    packaging = {"pkg": {"capacity": AMPLE, "yield": f"{packaging_yield * 100:g} %"}}
    data = scenario(
        components=LOGIC_HBM,
        sources={**logic_flow(dies), **AMPLE_HBM},
        packaging=packaging,
        products={"accel": product(bill)},
    )
    result = go(tmp_path, data)
    units = result.annual_values("units", "accel")
    np.testing.assert_allclose(units, 12 * good, rtol=RTOL)
    for component, metric in (("logic", "dies_consumed"), ("hbm", "hbm_stacks_consumed")):
        per_unit = result.annual_values(metric, component) / units
        np.testing.assert_allclose(per_unit, bill[component] / packaging_yield, rtol=RTOL)


def test_packaging_capacity_counts_slots(tmp_path: Path) -> None:
    capacity, slots = 30_000.0, 3.0
    product_spec = product({"logic": 1, "hbm": 1})
    product_spec["variants"]["main"]["slots"] = slots
    data = scenario(
        components=LOGIC_HBM,
        sources={**logic_flow(AMPLE), **AMPLE_HBM},
        packaging={"pkg": {"capacity": capacity}},
        products={"accel": product_spec},
    )
    result = go(tmp_path, data)
    np.testing.assert_allclose(path(result, "units", "accel"), capacity / slots, rtol=RTOL)
    assert np.all(binding_share(result, "accel/main", "packaging") == 1.0)


def test_demand_cap_binds_on_good_units(tmp_path: Path) -> None:
    cap, packaging_yield, dies_per_unit = 5_000.0, 0.8, 2.0
    data = scenario(
        components=LOGIC_HBM,
        sources={**logic_flow(AMPLE), **AMPLE_HBM},
        packaging={"pkg": {"capacity": AMPLE, "yield": packaging_yield}},
        products={"accel": product({"logic": dies_per_unit, "hbm": 8}, demand_cap=f"{cap} unit/month")},
    )
    result = go(tmp_path, data)
    np.testing.assert_allclose(path(result, "units", "accel"), cap, rtol=RTOL)
    used = 12 * cap * dies_per_unit / packaging_yield
    np.testing.assert_allclose(result.annual_values("dies_consumed", "logic"), used, rtol=RTOL)
    assert np.all(binding_share(result, "accel/main", "demand cap") == 1.0)


@pytest.mark.parametrize("cap_domestic", [True, False])
def test_market_demand_minus_imports_caps_domestic_output(tmp_path: Path, cap_domestic: bool) -> None:
    market, imported, dies = 30_000.0, 12_000.0, 40_000.0
    products = {"accel": product({"logic": 1, "hbm": 1}), "import_gpu": {"vendor": "ForeignCo", "origin": "imported"}}
    data = scenario(
        components=LOGIC_HBM,
        sources={**logic_flow(dies), **AMPLE_HBM},
        packaging=AMPLE_PACKAGING,
        products=products,
        imports={"licensed": {"product": "import_gpu", "units": imported}},
        market_demand={"units": market, "cap_domestic": cap_domestic},
    )
    result = go(tmp_path, data)
    domestic = market - imported if cap_domestic else dies
    np.testing.assert_allclose(path(result, "units", "accel"), domestic, rtol=RTOL)
    np.testing.assert_allclose(path(result, "units", "import_gpu"), imported, rtol=RTOL)
    np.testing.assert_allclose(result.annual_values("units", "imported"), 12 * imported, rtol=RTOL)
    np.testing.assert_allclose(result.annual_values("units", "domestic"), 12 * domestic, rtol=RTOL)
    expected = "market demand" if cap_domestic else "logic"
    assert np.all(binding_share(result, "accel/main", expected) == 1.0)


def test_imports_above_market_demand_leave_nothing_for_domestic(tmp_path: Path) -> None:
    products = {"accel": product({"logic": 1, "hbm": 1}), "import_gpu": {"vendor": "ForeignCo", "origin": "imported"}}
    data = scenario(
        components=LOGIC_HBM,
        sources={**logic_flow(AMPLE), **AMPLE_HBM},
        packaging=AMPLE_PACKAGING,
        products=products,
        imports={"licensed": {"product": "import_gpu", "units": 50_000}},
        market_demand={"units": 30_000},
    )
    result = go(tmp_path, data)
    assert np.all(path(result, "units", "accel") == 0.0)
    assert np.all(binding_share(result, "accel/main", "market demand") == 1.0)


# ------------------------------------------------------------------ launch, priority


def test_launch_window_is_inactive_outside(tmp_path: Path) -> None:
    capacity = 1_000.0
    accel = product({"logic": 1, "hbm": 1}, launch="2025-04", end_of_life="2025-09")
    data = scenario(
        components=LOGIC_HBM,
        sources={**logic_flow(AMPLE), **AMPLE_HBM},
        packaging={"pkg": {"capacity": capacity}},
        products={"accel": accel},
    )
    result = go(tmp_path, data)
    live = (np.arange(12) >= 3) & (np.arange(12) <= 8)  # April to September
    units = path(result, "units", "accel")
    np.testing.assert_allclose(units, np.broadcast_to(np.where(live, capacity, 0.0), units.shape), rtol=RTOL)
    np.testing.assert_array_equal(binding_share(result, "accel/main", "inactive"), np.where(live, 0.0, 1.0))
    np.testing.assert_array_equal(binding_share(result, "accel/main", "packaging"), np.where(live, 1.0, 0.0))


def test_uncertain_launch_month(tmp_path: Path) -> None:
    """The launch month is a uniform draw U over months 2…6 (March to July) rounded to the
    nearest month: launch L = 2 with P(U < 2.5) = 0.5/4 = 1/8, L = 3, 4, 5 with 1/4 each,
    L = 6 with 1/8. Before L the variant is inactive and makes nothing; from L on it makes
    the packaging capacity, 1 000. So the share inactive in month m is P(L > m):
    1 before March, then 7/8, 5/8, 3/8, 1/8 from March to June, 0 from July."""
    accel = product({"logic": 1, "hbm": 1}, launch={"uniform": ["2025-03", "2025-07"]})
    data = scenario(
        components=LOGIC_HBM,
        sources={**logic_flow(AMPLE), **AMPLE_HBM},
        packaging={"pkg": {"capacity": 1_000}},
        products={"accel": accel},
    )
    samples = 4_096
    result = go(tmp_path, data, samples=samples)
    units = path(result, "units", "accel")
    first = np.argmax(units > 0, axis=1)
    assert set(first) == {2, 3, 4, 5, 6}
    month = np.arange(12)
    np.testing.assert_array_equal(units, np.where(month[None, :] >= first[:, None], 1_000.0, 0.0))
    launch_share = np.bincount(first, minlength=7)[2:] / samples
    # binomial standard error at most √(0.25/4096) = 0.0078; 0.03 is about four of them
    np.testing.assert_allclose(launch_share, [1 / 8, 1 / 4, 1 / 4, 1 / 4, 1 / 8], atol=0.03)
    inactive = binding_share(result, "accel/main", "inactive")
    expected = [1.0, 1.0, 7 / 8, 5 / 8, 3 / 8, 1 / 8, 0, 0, 0, 0, 0, 0]
    np.testing.assert_allclose(inactive, expected, atol=0.03)
    np.testing.assert_array_equal(inactive[[0, 1, *range(6, 12)]], [1.0, 1.0, *[0.0] * 6])


@pytest.mark.parametrize("first_cap", [3_000.0, None])
def test_second_priority_gets_only_what_the_first_leaves(tmp_path: Path, first_cap: float | None) -> None:
    dies = 10_000.0
    first = product({"logic": 1, "hbm": 1}, priority=1, **({} if first_cap is None else {"demand_cap": first_cap}))
    second = product({"logic": 1, "hbm": 1}, priority=2, vendor="VendorB")
    data = scenario(
        components=LOGIC_HBM,
        sources={**logic_flow(dies), **AMPLE_HBM},
        packaging=AMPLE_PACKAGING,
        products={"first": first, "second": second},
    )
    result = go(tmp_path, data)
    taken = dies if first_cap is None else first_cap
    np.testing.assert_allclose(path(result, "units", "first"), taken, rtol=RTOL)
    np.testing.assert_allclose(path(result, "units", "second"), dies - taken, rtol=RTOL, atol=1e-6)
    v_first, v_second = result.variants.index("first/main"), result.variants.index("second/main")
    assert np.all(result.starved_counts[v_first] == 0)
    assert np.all(result.starved_counts[v_second] == SAMPLES)
    assert np.all(binding_share(result, "second/main", "logic") == 1.0)
    assert np.all(binding_share(result, "first/main", "logic" if first_cap is None else "demand cap") == 1.0)
    starved = result.binding_table().query("variant == 'second/main'")["starved_by_priority"]
    assert np.all(starved == 1.0)


def test_fallback_variant_of_one_product_uses_the_dies_the_first_cannot(tmp_path: Path) -> None:
    dies, hbm2e_ration, hbm2e_per_unit = 10_000.0, 24_000.0, 6.0
    components = {**LOGIC_HBM, "hbm3": {"kind": "hbm_stack"}}
    sources = {
        **logic_flow(dies),
        "hbm_stock": {"kind": "stockpile", "component": "hbm", "initial": "1B", "max_draw": hbm2e_ration},
        "hbm3_flow": {"kind": "flow", "component": "hbm3", "rate": AMPLE},
    }
    accel = {
        "vendor": "VendorA",
        "origin": "domestic",
        "variants": {
            "hbm2e": {"priority": 1, "bill": {"logic": 1, "hbm": hbm2e_per_unit}, "packaging": "pkg"},
            "hbm3": {"priority": 2, "bill": {"logic": 1, "hbm3": 4}, "packaging": "pkg"},
        },
    }
    data = scenario(components=components, sources=sources, packaging=AMPLE_PACKAGING, products={"accel": accel})
    result = go(tmp_path, data)
    # the HBM2E variant makes 4 000 a month, the HBM3 fallback the other 6 000 dies' worth
    first = hbm2e_ration / hbm2e_per_unit
    np.testing.assert_allclose(path(result, "units", "accel"), dies, rtol=RTOL)
    np.testing.assert_allclose(path(result, "units_by_variant", "accel/hbm2e"), first, rtol=RTOL)
    np.testing.assert_allclose(path(result, "units_by_variant", "accel/hbm3"), dies - first, rtol=RTOL)
    np.testing.assert_allclose(result.annual_values("hbm_stacks_consumed", "hbm"), 12 * hbm2e_ration, rtol=RTOL)
    np.testing.assert_allclose(result.annual_values("hbm_stacks_consumed", "hbm3"), 12 * (dies - first) * 4, rtol=RTOL)
    assert np.all(binding_share(result, "accel/hbm2e", "hbm") == 1.0)
    assert np.all(binding_share(result, "accel/hbm3", "logic") == 1.0)


# ------------------------------------------------------------------ lags and service life


def test_delivery_lag_shifts_delivered_against_produced(tmp_path: Path) -> None:
    lag = 2
    ramp = {"2025-01": 1_000, "2025-12": 12_000}  # 1 000 more each month
    data = scenario(
        components=LOGIC_HBM,
        sources={**logic_flow(ramp), **AMPLE_HBM},
        packaging=AMPLE_PACKAGING,
        products={"accel": product({"logic": 1, "hbm": 1}, delivery_lag=f"{lag} month")},
    )
    result = go(tmp_path, data)
    produced = 1_000.0 * (np.arange(12) + 1)
    delivered = np.r_[np.zeros(lag), produced[:-lag]]
    np.testing.assert_allclose(path(result, "units", "accel"), np.broadcast_to(produced, (SAMPLES, 12)), rtol=RTOL)
    np.testing.assert_allclose(
        path(result, "units_delivered", "total"), np.broadcast_to(delivered, (SAMPLES, 12)), rtol=RTOL
    )
    np.testing.assert_allclose(result.annual_values("units_delivered", "accel"), delivered.sum(), rtol=RTOL)


def test_packaging_lag_delays_good_units_after_components_are_used(tmp_path: Path) -> None:
    lag, dies = 2, 5_000.0
    packaging = {"pkg": {"capacity": AMPLE, "lag": f"{lag} month"}}
    data = scenario(
        components=LOGIC_HBM,
        sources={**logic_flow(dies), **AMPLE_HBM},
        packaging=packaging,
        products={"accel": product({"logic": 1, "hbm": 1})},
    )
    result = go(tmp_path, data)
    np.testing.assert_allclose(result.annual_values("dies_consumed", "logic"), 12 * dies, rtol=RTOL)
    expected = np.where(np.arange(12) < lag, 0.0, dies)
    np.testing.assert_allclose(path(result, "units", "accel"), np.broadcast_to(expected, (SAMPLES, 12)), rtol=RTOL)


def test_service_life_retires_units(tmp_path: Path) -> None:
    per_month, life = 1_000.0, 3
    accel = product(
        {"logic": 1, "hbm": 1}, service_life=f"{life} month", specs={"dense_bf16": "989.4 TFLOPS"}
    )  # exactly one H100-equivalent
    data = scenario(
        components=LOGIC_HBM,
        sources={**logic_flow(per_month), **AMPLE_HBM},
        packaging=AMPLE_PACKAGING,
        products={"accel": accel},
    )
    result = go(tmp_path, data)
    in_service = per_month * np.minimum(np.arange(12) + 1, life)
    np.testing.assert_allclose(
        path(result, "installed_h100e", "total"), np.broadcast_to(in_service, (SAMPLES, 12)), rtol=RTOL
    )
    np.testing.assert_allclose(result.annual_values("compute_added_h100e", "accel"), 12 * per_month, rtol=RTOL)
    np.testing.assert_allclose(result.annual_values("installed_h100e", "total"), life * per_month, rtol=RTOL)


# ------------------------------------------------------------------ curves and distributions


def rate_of(tmp_path: Path, rate: Any, samples: int = 2) -> np.ndarray:
    """Monthly units of one product whose only limit is a logic flow of ``rate`` (one die each)."""
    data = scenario(
        components=LOGIC_HBM,
        sources={**logic_flow(rate), **AMPLE_HBM},
        packaging=AMPLE_PACKAGING,
        products={"accel": product({"logic": 1, "hbm": 1})},
    )
    return path(go(tmp_path, data, samples=samples), "units", "accel")


def test_curve_is_linear_between_knots_and_flat_outside(tmp_path: Path) -> None:
    units = rate_of(tmp_path, {"2025-03": 1_000, "2025-07": 5_000})
    # March is month 2 and July month 6: 1 000 more a month in between
    expected = [1_000, 1_000, 1_000, 2_000, 3_000, 4_000, 5_000, 5_000, 5_000, 5_000, 5_000, 5_000]
    np.testing.assert_allclose(units, np.broadcast_to(expected, units.shape), rtol=RTOL)


def test_step_curve_holds_each_knot_until_the_next(tmp_path: Path) -> None:
    units = rate_of(tmp_path, {"knots": {"2025-03": 1_000, "2025-07": 5_000, "2025-10": 2_000}, "step": True})
    expected = [1_000] * 6 + [5_000] * 3 + [2_000] * 3
    np.testing.assert_allclose(units, np.broadcast_to(expected, units.shape), rtol=RTOL)


def test_curve_shift_moves_it_later(tmp_path: Path) -> None:
    units = rate_of(tmp_path, {"knots": {"2025-03": 1_000, "2025-07": 5_000}, "shift": {"uniform": [2, 2]}})
    expected = [1_000] * 5 + [2_000, 3_000, 4_000] + [5_000] * 4
    np.testing.assert_allclose(units, np.broadcast_to(expected, units.shape), rtol=RTOL)


def test_fixed_shift_of_uncertain_curve(tmp_path: Path) -> None:
    """Knots March (month 2) at K ~ U(900, 1 100) per sample and July (month 6) at 5 000,
    shifted 2 months later: K up to May (month 4), then K + (5 000 − K)(m − 4)/4 up to
    September (month 8), 5 000 after. (A fixed shift of uncertain knots used to crash.)"""
    knots = {"2025-03": {"uniform": [900, 1_100]}, "2025-07": 5_000}
    units = rate_of(tmp_path, {"knots": knots, "shift": 2}, samples=64)
    start = units[:, :1]  # K, the flat part before the shifted first knot
    assert np.all((start >= 900) & (start <= 1_100))
    assert np.ptp(start) > 50  # uncertain: K differs between samples
    month = np.arange(12)[None, :]
    expected = np.where(month <= 4, start, np.where(month >= 8, 5_000.0, start + (5_000.0 - start) * (month - 4) / 4))
    np.testing.assert_allclose(units, expected, rtol=RTOL)


def test_to_interval_is_a_90_percent_interval(tmp_path: Path) -> None:
    low, high = 1_000.0, 4_000.0
    units = rate_of(tmp_path, {"to": [low, high], "unit": "die/month"}, samples=20_000)[:, 0]
    p5, p50, p95 = np.percentile(units, [5, 50, 95])
    assert p5 == pytest.approx(low, rel=0.03)
    assert p95 == pytest.approx(high, rel=0.03)
    assert p50 == pytest.approx(math.sqrt(low * high), rel=0.03)  # lognormal: the geometric mean
    assert np.mean(units < low) == pytest.approx(0.05, abs=0.01)
