"""Who gets the scarce parts: ownership, shares, proportional pools, rationing, priorities
over time and the ledger of every account — known answers derived by hand, error tests,
and the documented counterexample to monotonicity under month-by-month priority.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackbound.engine.exact import lp_solver
from stackbound.engine.kernel import waterfill
from stackbound.engine.results import RunResult
from stackbound.engine.run import run
from stackbound.errors import ScenarioError
from support import AMPLE, load, month, product, run_main, scenario, simulate_block

SAMPLES = 8
RTOL = 1e-6

LOGIC_HBM = {"logic": {"kind": "logic_die"}, "hbm": {"kind": "hbm_stack"}}
AMPLE_LOGIC = {"logic_flow": {"kind": "flow", "component": "logic", "rate": AMPLE}}
AMPLE_HBM = {"hbm_flow": {"kind": "flow", "component": "hbm", "rate": AMPLE}}


def line(capacity: float = AMPLE, **fields: Any) -> dict[str, Any]:
    return {"capacity": capacity, "yield": 1.0, **fields}


def go(tmp_path: Path, data: dict[str, Any], **options: Any) -> RunResult:
    return run(load(data, tmp_path), samples=SAMPLES, seed=3, keep_paths=True, **options)


def monthly(result: RunResult, product: str) -> np.ndarray:
    assert result.paths is not None
    return result.paths[("units", product)].astype(np.float64)


def yearly(result: RunResult, metric: str, group: str) -> np.ndarray:
    return result.annual_values(metric, group)[:, 0]


# ------------------------------------------------------------------ ownership


def die_bank_owned_by_a(owner: str | None) -> dict[str, Any]:
    """B (first in priority) and A share a 10-a-month fab; a 120-die bank belongs to A
    (or, with ``owner`` None, to no one). A's own packaging line takes 20 a month."""
    bank: dict[str, Any] = {"kind": "stockpile", "component": "logic", "initial": 120}
    if owner is not None:
        bank["owner"] = owner
    return scenario(
        components=LOGIC_HBM,
        sources={"fab": {"kind": "flow", "component": "logic", "rate": 10}, "bank": bank, **AMPLE_HBM},
        packaging={"pkg_a": line(20), "pkg_b": line()},
        products={
            "accel_a": product({"logic": 1, "hbm": 1}, priority=2, packaging="pkg_a", vendor="VendorA"),
            "accel_b": product({"logic": 1, "hbm": 1}, priority=1, packaging="pkg_b", vendor="VendorB"),
        },
    )


def test_a_vendor_draws_only_on_what_it_owns_and_on_shared_pools(tmp_path: Path) -> None:
    owned = go(tmp_path, die_bank_owned_by_a("VendorA"))
    # B is first but may not touch A's bank: it gets the shared fab's 10 a month
    np.testing.assert_allclose(monthly(owned, "accel_b"), 10.0, rtol=RTOL)
    # A gets its bank at its packaging line's 20 a month: 120 dies last six months
    expected_a = np.array([20.0] * 6 + [0.0] * 6)
    np.testing.assert_allclose(monthly(owned, "accel_a"), np.broadcast_to(expected_a, (SAMPLES, 12)), rtol=RTOL)
    np.testing.assert_allclose(yearly(owned, "units_by_die_source", "accel_a@bank"), 120.0, rtol=RTOL)
    np.testing.assert_allclose(yearly(owned, "units_by_die_source", "accel_b@fab"), 120.0, rtol=RTOL)
    # shared, B (first) drains the bank as fast as its ample packaging allows
    shared = go(tmp_path, die_bank_owned_by_a(None))
    np.testing.assert_allclose(yearly(shared, "units", "accel_b"), 120.0 + 120.0, rtol=RTOL)
    np.testing.assert_allclose(yearly(shared, "units", "accel_a"), 0.0, atol=1e-6)


def test_shares_with_a_rest_split_a_stockpile_exactly(tmp_path: Path) -> None:
    pile = {"kind": "stockpile", "component": "hbm", "initial": 1000, "owners": {"VendorA": 0.3, "VendorB": "rest"}}
    data = scenario(
        components=LOGIC_HBM,
        sources={**AMPLE_LOGIC, "pile": pile},
        packaging={"pkg": line()},
        products={
            "accel_a": product({"logic": 1, "hbm": 1}, priority=2, vendor="VendorA"),
            "accel_b": product({"logic": 1, "hbm": 1}, priority=1, vendor="VendorB"),
        },
    )
    result = go(tmp_path, data)
    np.testing.assert_allclose(yearly(result, "units", "accel_a"), 300.0, rtol=RTOL)
    np.testing.assert_allclose(yearly(result, "units", "accel_b"), 700.0, rtol=RTOL)
    np.testing.assert_allclose(yearly(result, "parts_made", "pile@VendorA"), 300.0, rtol=RTOL)
    np.testing.assert_allclose(yearly(result, "parts_made", "pile@VendorB"), 700.0, rtol=RTOL)
    # the component and the owner are groups of the accounts
    np.testing.assert_allclose(yearly(result, "parts_drawn", "hbm"), 1000.0, rtol=RTOL)
    np.testing.assert_allclose(yearly(result, "parts_drawn", "VendorA"), 300.0, rtol=RTOL)


def test_uncertain_shares_with_a_rest_sum_to_one_in_every_sample(tmp_path: Path) -> None:
    pile = {
        "kind": "stockpile",
        "component": "hbm",
        "initial": 1000,
        "owners": {"VendorA": {"uniform": [0.1, 0.5]}, "VendorB": {"uniform": [0.1, 0.4]}, "VendorC": "rest"},
    }
    data = scenario(
        components=LOGIC_HBM,
        sources={**AMPLE_LOGIC, "pile": pile},
        packaging={"pkg": line()},
        products={
            "a": product({"logic": 1, "hbm": 1}, priority=1, vendor="VendorA"),
            "b": product({"logic": 1, "hbm": 1}, priority=2, vendor="VendorB"),
            "c": product({"logic": 1, "hbm": 1}, priority=3, vendor="VendorC"),
        },
    )
    result = go(tmp_path, data)
    made = sum(yearly(result, "parts_made", f"pile@{v}") for v in ("VendorA", "VendorB", "VendorC"))
    np.testing.assert_allclose(made, 1000.0, rtol=RTOL)
    assert np.all(yearly(result, "parts_made", "pile@VendorC") >= 100.0 - 1e-3)


# ------------------------------------------------------------------ proportional pools


def proportional(need_a: float, need_b: float, weights: dict[str, Any] | None) -> dict[str, Any]:
    allocation: dict[str, Any] = {"policy": "proportional"}
    if weights is not None:
        allocation["weights"] = weights
    hbm = {"kind": "flow", "component": "hbm", "rate": 100, "allocation": allocation}
    return scenario(
        components=LOGIC_HBM,
        sources={**AMPLE_LOGIC, "hbm_pool": hbm},
        packaging={"pkg_a": line(need_a), "pkg_b": line(need_b)},
        products={
            "accel_a": product({"logic": 1, "hbm": 1}, priority=1, packaging="pkg_a", vendor="VendorA"),
            "accel_b": product({"logic": 1, "hbm": 1}, priority=2, packaging="pkg_b", vendor="VendorB"),
        },
    )


@pytest.mark.parametrize(
    ("need_a", "need_b", "weights", "a", "b"),
    [
        (10.0, AMPLE, {"VendorA": 1, "VendorB": 3}, 10.0, 90.0),  # A's part (25) is above its need: B gets the rest
        (40.0, AMPLE, {"VendorA": 1, "VendorB": 3}, 25.0, 75.0),  # both above their parts: 1 : 3
        (40.0, 160.0, None, 20.0, 80.0),  # weights by need: each gets half of what it could use
        (30.0, 50.0, None, 30.0, 50.0),  # enough for both
    ],
)
def test_a_proportional_pool_is_water_filled(
    tmp_path: Path, need_a: float, need_b: float, weights: dict[str, Any] | None, a: float, b: float
) -> None:
    result = go(tmp_path, proportional(need_a, need_b, weights))
    np.testing.assert_allclose(monthly(result, "accel_a"), a, rtol=RTOL)
    np.testing.assert_allclose(monthly(result, "accel_b"), b, rtol=RTOL)


def test_priority_would_give_the_first_vendor_everything(tmp_path: Path) -> None:
    data = proportional(40.0, AMPLE, None)
    data["sources"]["hbm_pool"].pop("allocation")
    result = go(tmp_path, data)
    np.testing.assert_allclose(monthly(result, "accel_a"), 40.0, rtol=RTOL)
    np.testing.assert_allclose(monthly(result, "accel_b"), 60.0, rtol=RTOL)


# ------------------------------------------------------------------ rationing


def rationed(pile: dict[str, Any], products: dict[str, Any] | None = None) -> dict[str, Any]:
    return scenario(
        components=LOGIC_HBM,
        sources={**AMPLE_LOGIC, "pile": {"kind": "stockpile", "component": "hbm", **pile}},
        packaging={"pkg": line()},
        products=products or {"accel": product({"logic": 1, "hbm": 1})},
    )


def test_a_runway_spreads_what_is_held_over_the_months_still_planned(tmp_path: Path) -> None:
    # 60 at the start, 60 more in July; runway to December. Not counting the tranche:
    # 60 / 12 = 5 a month until July, then (30 + 60) / 6 = 15 a month.
    pile = {"initial": 60, "arrivals": {month(6): 60}, "runway": {"until": month(11)}}
    result = go(tmp_path, rationed(pile))
    expected = np.array([5.0] * 6 + [15.0] * 6)
    np.testing.assert_allclose(monthly(result, "accel"), np.broadcast_to(expected, (SAMPLES, 12)), rtol=RTOL)
    # counting the tranche: 120 / 12 = 10 a month throughout
    counted = {**pile, "runway": {"until": month(11), "counts_scheduled": True}}
    result = go(tmp_path, rationed(counted))
    np.testing.assert_allclose(monthly(result, "accel"), 10.0, rtol=RTOL)


def test_after_the_runway_ends_the_stock_is_drawn_freely(tmp_path: Path) -> None:
    pile = {"initial": 120, "runway": {"until": month(2)}}  # 40, 40, 40: all gone by March
    result = go(tmp_path, rationed(pile))
    expected = np.array([40.0, 40.0, 40.0] + [0.0] * 9)
    np.testing.assert_allclose(monthly(result, "accel"), np.broadcast_to(expected, (SAMPLES, 12)), atol=1e-6)


def test_a_reserve_keeps_stock_for_the_named_product(tmp_path: Path) -> None:
    products = {
        "accel_a": product({"logic": 1, "hbm": 1}, priority=1, vendor="VendorA"),
        "accel_b": product({"logic": 1, "hbm": 1}, priority=2, vendor="VendorB"),
    }
    pile = {"initial": 100, "reserve": {"amount": 40, "products": ["accel_b"]}}
    result = go(tmp_path, rationed(pile, products))
    np.testing.assert_allclose(yearly(result, "units", "accel_a"), 60.0, rtol=RTOL)
    np.testing.assert_allclose(yearly(result, "units", "accel_b"), 40.0, rtol=RTOL)


def test_held_back_stock_is_held_by_policy_not_stranded(tmp_path: Path) -> None:
    pile = {"initial": 120, "max_draw": 10}
    data = rationed(pile)
    result = go(tmp_path, data)
    held = result.annual_values("parts_held", "pile")[:, 0]
    policy = result.annual_values("parts_held_by_policy", "pile")[:, 0]
    np.testing.assert_allclose(held, 0.0, atol=1e-6)  # 10 a month for 12 months: all gone
    data["sources"]["pile"]["initial"] = 200
    result = go(tmp_path, data)
    np.testing.assert_allclose(result.annual_values("parts_held_by_policy", "pile")[:, 0], 80.0, rtol=RTOL)
    np.testing.assert_allclose(result.annual_values("parts_stranded", "pile")[:, 0], 0.0, atol=1e-6)
    assert policy.shape == held.shape


# ------------------------------------------------------------------ priorities over time


def switching(priority_a: Any) -> dict[str, Any]:
    """Two variants of one vendor share 10 dies a month; A's priority changes over time."""
    return scenario(
        components=LOGIC_HBM,
        sources={"fab": {"kind": "flow", "component": "logic", "rate": 10}, **AMPLE_HBM},
        packaging={"pkg": line()},
        products={
            "accel_a": product({"logic": 1, "hbm": 1}, priority=priority_a),
            "accel_b": product({"logic": 1, "hbm": 1}, priority=2),
        },
    )


def test_a_step_in_priority_switches_the_mix_in_that_month(tmp_path: Path) -> None:
    result = go(tmp_path, switching({month(0): 1, month(6): 3, "step": True}))
    first_half = np.array([10.0] * 6 + [0.0] * 6)
    np.testing.assert_allclose(monthly(result, "accel_a"), np.broadcast_to(first_half, (SAMPLES, 12)), atol=1e-6)
    np.testing.assert_allclose(monthly(result, "accel_b"), np.broadcast_to(10.0 - first_half, (SAMPLES, 12)), atol=1e-6)


def test_an_uncertain_switch_moves_the_mix_per_sample(tmp_path: Path) -> None:
    shifted = {month(0): 1, month(6): 3, "step": True, "shift": {"uniform": [-3, 3]}}
    result = run(load(switching(shifted), tmp_path), samples=64, seed=5, keep_paths=True)
    a = monthly(result, "accel_a")
    months_first = (a > 5.0).sum(axis=1)  # the months A came first, per sample
    assert set(np.unique(months_first)) <= set(range(3, 10))
    assert len(np.unique(months_first)) >= 3


def test_a_per_sample_order_that_never_changes_equals_the_fixed_order(tmp_path: Path) -> None:
    fixed = go(tmp_path, switching(1))
    # a shift that rounds to 0 makes the order per sample, the same in every sample
    barely = go(tmp_path, switching({month(0): 1, month(11): 1, "shift": {"uniform": [0.0, 0.4]}}))
    for key, values in fixed.annual.items():
        assert np.array_equal(values, barely.annual[key]), key


# ------------------------------------------------------------------ the ledger


def test_idle_parts_after_end_of_life_appear_in_the_ledger(tmp_path: Path) -> None:
    data = scenario(
        components=LOGIC_HBM,
        sources={"fab": {"kind": "flow", "component": "logic", "rate": 10}, **AMPLE_HBM},
        packaging={"pkg": line(4)},
        products={"accel": product({"logic": 1, "hbm": 1}, end_of_life=month(5))},
    )
    result = go(tmp_path, data)
    # 120 dies made; 6 months x 4 packaged; the other 96 are held, idle, at year end
    np.testing.assert_allclose(yearly(result, "parts_made", "fab"), 120.0, rtol=RTOL)
    np.testing.assert_allclose(yearly(result, "parts_drawn", "fab"), 24.0, rtol=RTOL)
    np.testing.assert_allclose(yearly(result, "parts_held", "fab"), 96.0, rtol=RTOL)
    np.testing.assert_allclose(yearly(result, "parts_idle", "fab"), 96.0, rtol=RTOL)


def test_failed_packages_destroy_parts(tmp_path: Path) -> None:
    data = scenario(
        components=LOGIC_HBM,
        sources={"fab": {"kind": "flow", "component": "logic", "rate": 10}, **AMPLE_HBM},
        packaging={"pkg": {"capacity": AMPLE, "yield": 0.8}},
        products={"accel": product({"logic": 1, "hbm": 1})},
    )
    result = go(tmp_path, data)
    np.testing.assert_allclose(yearly(result, "parts_in_good_units", "fab"), 96.0, rtol=RTOL)
    np.testing.assert_allclose(yearly(result, "parts_destroyed", "fab"), 24.0, rtol=RTOL)


def test_the_china_ledger_adds_up_per_sample_in_float64() -> None:
    from stackbound.scenario.loader import load_scenario

    plan, _, paths = simulate_block(load_scenario("china"), 64)
    held = list(plan.component_accounts)
    opening = np.zeros_like(paths.closing[held])
    opening[:, 1:] = paths.closing[held][:, :-1]
    arrived, drawn, closing = paths.arrived[held], paths.drawn[held], paths.closing[held]
    scale = 1e-9 * np.maximum(opening + arrived, 1.0)
    assert np.all(np.abs(opening + arrived - drawn - closing) <= scale)
    parts = paths.idle[held] + paths.stranded[held] + paths.policy[held]
    assert np.all(np.abs(np.maximum(closing, 0.0) - parts) <= scale)


# ------------------------------------------------------------------ monotonicity as it holds


def test_more_supply_can_give_the_top_variant_fewer_units_month_by_month(tmp_path: Path) -> None:
    """The documented counterexample (DESIGN.md, "Properties"): a vendor's HBM variant is
    first but its HBM arrives only in month 2; its GDDR variant, second, uses the shared
    dies in month 1. More GDDR lets the GDDR variant take more dies in month 1, so the HBM
    variant, top of the list, gets fewer: month-by-month priority reserves nothing. Within
    a month the first claimant never gets less (the next test)."""

    def case(gddr: float) -> RunResult:
        data = scenario(
            components={**LOGIC_HBM, "gddr": {"kind": "memory"}},
            sources={
                "bank": {"kind": "stockpile", "component": "logic", "initial": 100},
                "hbm_pile": {"kind": "stockpile", "component": "hbm", "arrivals": {month(1): 100}},
                "gddr_pile": {"kind": "stockpile", "component": "gddr", "initial": gddr},
            },
            packaging={"pkg": line()},
            products={
                "accel_hbm": product({"logic": 1, "hbm": 1}, priority=1),
                "accel_gddr": product({"logic": 1, "gddr": 1}, priority=2),
            },
        )
        return go(tmp_path, data)

    low, high = case(20.0), case(60.0)
    np.testing.assert_allclose(yearly(low, "units", "accel_hbm"), 80.0, rtol=RTOL)
    np.testing.assert_allclose(yearly(high, "units", "accel_hbm"), 40.0, rtol=RTOL)


def test_within_a_month_more_of_a_component_never_gives_its_first_claimant_less(tmp_path: Path) -> None:
    def first_claimant(hbm: float) -> float:
        data = scenario(
            components=LOGIC_HBM,
            sources={
                "fab": {"kind": "flow", "component": "logic", "rate": 50},
                "hbm": {"kind": "flow", "component": "hbm", "rate": hbm},
            },
            packaging={"pkg": line(70)},
            products={
                "top": product({"logic": 1, "hbm": 2}, priority=1),
                "next": product({"logic": 2, "hbm": 1}, priority=2),
            },
            end="2025-02",
        )
        return float(monthly(go(tmp_path, data), "top")[0, 0])

    values = [first_claimant(h) for h in (0.0, 10.0, 40.0, 100.0, 1000.0)]
    assert values == sorted(values)


# ------------------------------------------------------------------ errors


def broken(tmp_path: Path, change: dict[str, Any]) -> str:
    data = die_bank_owned_by_a("VendorA")
    for section, entries in change.items():
        for name, fields in entries.items():
            target = data[section].setdefault(name, {})
            if "owners" in fields:
                target.pop("owner", None)
            target.update(fields)
    with pytest.raises(ScenarioError) as caught:
        load(data, tmp_path)
    return str(caught.value)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"sources": {"bank": {"owner": "VendorZ"}}}, "unknown vendor 'VendorZ'"),
        ({"sources": {"bank": {"owners": {"VendorA": 0.7, "VendorB": 0.6}}}}, "not 1: write one of them as 'rest'"),
        (
            {"sources": {"bank": {"owners": {"VendorA": "rest", "VendorB": "rest"}}}},
            "only one owner's share may be 'rest'",
        ),
        (
            {"sources": {"bank": {"owners": {"VendorA": {"uniform": [0.5, 0.9]}, "VendorB": 0.3, "shared": "rest"}}}},
            "can add up to 1.2",
        ),
        (
            {"sources": {"bank": {"owners": {"VendorA": {"uniform": [0.2, 0.4]}, "VendorB": 0.6}}}},
            "write one of them as 'rest'",
        ),
        (
            {"sources": {"fab": {"allocation": {"policy": "proportional", "weights": {"VendorQ": 1}}}}},
            "unknown vendor 'VendorQ'",
        ),
        ({"sources": {"bank": {"allocation": {"policy": "proportional"}}}}, "allocation applies to a shared pool"),
        ({"sources": {"bank": {"reserve": {"amount": 5, "products": ["nothing"]}}}}, "unknown product 'nothing'"),
        ({"packaging": {"pkg_a": {"owner": "VendorB"}}}, "VendorA owns no part of packaging line 'pkg_a'"),
        ({"sources": {"fab": {"owner": "VendorA"}}}, "VendorB owns no part of any source of 'logic'"),
    ],
)
def test_bad_ownership_is_refused_with_its_reason(tmp_path: Path, change: dict[str, Any], expected: str) -> None:
    assert expected in broken(tmp_path, change)


# ------------------------------------------------------------------ properties


@settings(max_examples=200, deadline=None)
@given(
    total=st.floats(0.0, 1e6),
    needs=st.lists(st.floats(0.0, 1e6), min_size=1, max_size=5),
    data=st.data(),
)
def test_water_filling_gives_no_one_above_its_need_and_splits_the_rest_by_weight(
    total: float, needs: list[float], data: st.DataObject
) -> None:
    # weights are 0 or at least 1e-3 of the largest: a weight of 1e-300 beside 1 is 0 in
    # floating point, and the proportions it would set are not representable
    weight = st.one_of(st.just(0.0), st.floats(1e-2, 10.0))
    weights = data.draw(st.lists(weight, min_size=len(needs), max_size=len(needs)))
    out = np.empty(len(needs))
    waterfill(total, np.array(needs), np.array(weights), out)
    need, weight = np.array(needs), np.array(weights)
    tol = 1e-9 * max(total, 1.0)
    assert np.all(out >= -tol)
    assert np.all(out <= need + tol)
    assert out.sum() <= total + tol * len(needs)
    if need.sum() <= total:
        np.testing.assert_allclose(out, need, rtol=1e-12, atol=tol)
        return
    # nothing is left over while someone with a weight still wants more
    wanting = (out < need - tol) & (weight > 0)
    if wanting.any():
        assert out.sum() >= total - tol * len(needs)
        # among those held below their need, parts are proportional to the weights
        level = out[wanting] / weight[wanting]
        np.testing.assert_allclose(level, level[0], rtol=1e-9, atol=tol)
        # and anyone satisfied was offered at least as much per unit of weight
        satisfied = (out >= need - tol) & (weight > 0)
        assert np.all(need[satisfied] <= level[0] * weight[satisfied] + tol)


VENDORS = ("VendorA", "VendorB", "VendorC")


@st.composite
def owned_instances(draw: st.DrawFn) -> dict[str, Any]:
    """A small random scenario with owned, split, shared, proportional and rationed pools."""
    months = draw(st.integers(2, 8))
    amount = st.floats(0.0, 500.0)
    count = draw(st.integers(2, 4))
    vendors = VENDORS[: min(count, 3)]

    def owner_fields(alone: bool) -> dict[str, Any]:
        """Owners of a pool; ``alone``: no other pool gives the component, so part of it
        stays shared (every vendor needs some access)."""
        form = draw(st.sampled_from(["shared", "owner", "owners", "proportional"]))
        first = draw(st.floats(0.0, 0.6))
        if form == "owner":
            owner = draw(st.sampled_from(vendors))
            return {"owners": {owner: first, "shared": "rest"}} if alone else {"owner": owner}
        if form == "owners":
            rest = "shared" if alone else "VendorB"
            return {"owners": {"VendorA": first, rest: "rest"}}
        if form == "proportional":
            weights = {v: draw(st.sampled_from([1, 2, 5, "need"])) for v in vendors}
            return {"allocation": {"policy": "proportional", "weights": weights}}
        return {}

    sources: dict[str, Any] = {
        "logic_flow": {"kind": "flow", "component": "logic", "rate": draw(amount)},
        "hbm_flow": {"kind": "flow", "component": "hbm", "rate": draw(amount), **owner_fields(True)},
    }
    bank: dict[str, Any] = {"kind": "stockpile", "component": "logic", "initial": draw(st.floats(0.0, 3000.0))}
    rationing = draw(st.sampled_from(["none", "max_draw", "runway", "reserve"]))
    if rationing == "max_draw":
        bank["max_draw"] = draw(amount)
    elif rationing == "runway":
        bank["runway"] = {"until": month(draw(st.integers(0, months))), "counts_scheduled": draw(st.booleans())}
        bank["arrivals"] = {month(draw(st.integers(1, months - 1))): draw(amount)}
    if rationing == "reserve":
        bank["reserve"] = {"amount": draw(amount), "products": ["p0"]}
    else:
        bank.update(owner_fields(False))
    sources["bank"] = bank
    products = {}
    for p in range(count):
        vendor = VENDORS[p % 3]
        bill = {"logic": draw(st.sampled_from([1, 2])), "hbm": draw(st.sampled_from([1, 4, 8]))}
        priority: Any = p + 1
        if draw(st.booleans()):  # a switch to last place, on an uncertain month: orders per sample
            switch = {"uniform": [-2, 2]} if draw(st.booleans()) else {"uniform": [0, 0.4]}
            priority = {month(0): p + 1, month(draw(st.integers(1, months))): count + 1, "step": True, "shift": switch}
        products[f"p{p}"] = product(bill, priority=priority, vendor=vendor, packaging="pkg" if p % 2 else "shared_pkg")
    packaging = {
        "pkg": {"capacity": draw(st.floats(1.0, 400.0)), "yield": draw(st.floats(0.5, 1.0))},
        "shared_pkg": {"capacity": draw(st.floats(1.0, 400.0)), "yield": 0.9},
    }
    if draw(st.booleans()):
        packaging["shared_pkg"]["allocation"] = {"policy": "proportional"}
    return scenario(
        components=LOGIC_HBM, sources=sources, packaging=packaging, products=products, end=month(months - 1)
    )


@settings(max_examples=40, deadline=None)
@given(owned_instances())
def test_fast_path_equals_the_exact_lp_with_ownership_proportional_pools_and_rationing(data: dict[str, Any]) -> None:
    """Where a bill draws on two proportional pools (the HBM flow and the shared line) the
    exact mode splits them together by max-min fairness and the fast path one by one
    (tests/test_fairness.py); the allocation within the slices is then checked against the
    exact LP on the fast path's own slices."""
    loaded = load(data)
    plan, supply, greedy = simulate_block(loaded, 4, seed=1)
    _, _, exact = simulate_block(loaded, 4, seed=1, solver=partial(lp_solver, split_fairly=False))
    scale = max(float(greedy.attempts.max()), 1.0)
    np.testing.assert_allclose(exact.attempts, greedy.attempts, rtol=1e-7, atol=1e-7 * scale)
    held = list(plan.component_accounts)
    opening = np.zeros_like(greedy.closing[held])
    opening[:, 1:] = greedy.closing[held][:, :-1]
    balance = opening + greedy.arrived[held] - greedy.drawn[held] - greedy.closing[held]
    assert np.all(np.abs(balance) <= 1e-9 * np.maximum(opening + greedy.arrived[held], 1.0))
    assert supply.bill.shape[0] == len(plan.variants)


# ------------------------------------------------------------------ the ledger command


def test_the_ledger_command_prints_means_that_add_up(capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, stderr = run_main(capsys, "ledger", "example", "--samples", "256", "--format", "json")
    assert code == 0, stderr
    rows = json.loads(stdout)["rows"]
    assert {row["account"] for row in rows} >= {"fab", "die_bank", "hbm_stockpile"}
    for row in rows:
        flows = row["opening"] + row["made"]
        scale = max(flows, 1.0)
        assert abs(flows - row["drawn"] - row["held"]) <= 1e-5 * scale
        assert abs(row["drawn"] - row["in_good_units"] - row["destroyed"]) <= 1e-5 * scale
        assert abs(row["held"] - row["idle"] - row["stranded"] - row["held_by_policy"]) <= 1e-5 * scale
        assert row["held_p5_not_additive"] <= row["held_p95_not_additive"]


def test_the_ledger_table_reads_by_component(capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, _ = run_main(capsys, "ledger", "example", "--samples", "64", "--by", "component", "--year", "2026")
    assert code == 0
    assert "held at start + made = drawn + held at end" in " ".join(stdout.split())
    years = {line.split("│")[1].strip() for line in stdout.splitlines() if line.startswith("│")}
    assert years == {"2026"}


@st.composite
def one_month(draw: st.DrawFn) -> tuple[dict[str, Any], float]:
    """Variants sharing dies and HBM flows and two packaging lines, in one month; and how
    much more HBM to add."""
    count = draw(st.integers(2, 4))
    products = {
        f"p{p}": product(
            {"logic": draw(st.sampled_from([1, 2])), "hbm": draw(st.sampled_from([0.5, 1, 4, 8]))},
            priority=p + 1,
            packaging=draw(st.sampled_from(["pkg", "pkg2"])),
        )
        for p in range(count)
    }
    data = scenario(
        components=LOGIC_HBM,
        sources={
            "logic_flow": {"kind": "flow", "component": "logic", "rate": draw(st.floats(1.0, 1e4))},
            "hbm_flow": {"kind": "flow", "component": "hbm", "rate": draw(st.floats(0.0, 1e4))},
        },
        packaging={
            "pkg": {"capacity": draw(st.floats(1.0, 1e4)), "yield": 0.9},
            "pkg2": {"capacity": draw(st.floats(1.0, 1e4)), "yield": 0.8},
        },
        products=products,
        end=month(1),
    )
    return data, draw(st.floats(1.0, 1e4))


@settings(max_examples=60, deadline=None)
@given(one_month())
def test_within_a_month_the_first_claimant_never_gets_less_of_more_hbm(case: tuple[dict[str, Any], float]) -> None:
    data, extra = case
    _, _, before = simulate_block(load(data), 1)
    data["sources"]["hbm_flow"]["rate"] += extra
    _, _, after = simulate_block(load(data), 1)
    top = 0  # p0 has priority 1 and every bill uses HBM
    assert after.attempts[top, 0, 0] >= before.attempts[top, 0, 0] * (1 - 1e-12)
