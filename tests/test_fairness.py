"""Weighted max-min fairness across proportional pools (exact mode, progressive filling):
known answers derived by hand, the fast path's pool-by-pool split beside it, and the
fairness property on random instances."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackbound.engine.allocate import MonthState, kernel_inputs
from stackbound.engine.exact import fairness_month, lp_solver
from stackbound.engine.fairness import Fairness, coupled_pools
from stackbound.engine.plan import build_plan
from stackbound.engine.run import run
from support import AMPLE, load, month, product, scenario, simulate_block

SAMPLES = 4
RTOL = 1e-6
COMPONENTS = {"logic": {"kind": "logic_die"}, "hbm": {"kind": "hbm_stack"}, "gddr": {"kind": "memory"}}


def two_pools(
    weights_hbm: dict[str, Any] | None, weights_pkg: dict[str, Any] | None, gddr: float = 25
) -> dict[str, Any]:
    """100 HBM stacks a month shared by A and B, a 100-a-month packaging line shared by A
    and C, both proportional. A needs one of each (and could use 100 a month); B's own line
    takes 150; C's own GDDR gives 25 (``gddr``) a month."""

    def allocation(weights: dict[str, Any] | None) -> dict[str, Any]:
        return {"policy": "proportional", **({"weights": weights} if weights else {})}

    return scenario(
        components=COMPONENTS,
        sources={
            "logic_flow": {"kind": "flow", "component": "logic", "rate": AMPLE},
            "hbm_pool": {"kind": "flow", "component": "hbm", "rate": 100, "allocation": allocation(weights_hbm)},
            "gddr_c": {"kind": "flow", "component": "gddr", "rate": gddr, "owner": "VendorC"},
        },
        packaging={
            "pkg_shared": {"capacity": 100, "yield": 1.0, "allocation": allocation(weights_pkg)},
            "pkg_b": {"capacity": 150, "yield": 1.0},
        },
        products={
            "accel_a": product({"logic": 1, "hbm": 1}, priority=1, packaging="pkg_shared", vendor="VendorA"),
            "accel_b": product({"logic": 1, "hbm": 1}, priority=2, packaging="pkg_b", vendor="VendorB"),
            "accel_c": product({"logic": 1, "gddr": 1}, priority=3, packaging="pkg_shared", vendor="VendorC"),
        },
        end=month(2),
    )


def units(tmp_path: Path, data: dict[str, Any], *, exact: bool) -> dict[str, float]:
    """Each product's units in the first month."""
    result = run(load(data, tmp_path), samples=SAMPLES, seed=1, exact=exact, keep_paths=True)
    assert result.paths is not None
    out = {}
    for name in ("accel_a", "accel_b", "accel_c"):
        first = result.paths[("units", name)].astype(np.float64)[:, 0]  # later months carry stock over
        np.testing.assert_allclose(first, first[0], rtol=RTOL)  # no input is uncertain
        out[name] = float(first[0])
    return out


def test_a_vendor_held_back_by_one_pool_passes_its_part_of_the_other_on(tmp_path: Path) -> None:
    """Needs: A 100 on each pool, B 150 on HBM, C 25 on packaging. Levels rise together as
    fractions of need: HBM fills at 0.4 (A 40 + B 60 = 100), which freezes A and B; C goes
    on to its need, 25, on a line with 100 − 40 = 60 left. The fast path splits the line on
    its own (needs 100 and 25 → A 80, C 20) and A's unused 40 stays idle, so C makes 20."""
    data = two_pools(None, None)
    assert coupled_pools(build_plan(load(data, tmp_path)))
    exact = units(tmp_path, data, exact=True)
    assert exact == pytest.approx({"accel_a": 40.0, "accel_b": 60.0, "accel_c": 25.0}, rel=RTOL)
    fast = units(tmp_path, data, exact=False)
    assert fast == pytest.approx({"accel_a": 40.0, "accel_b": 60.0, "accel_c": 20.0}, rel=RTOL)


def test_fixed_weights_set_the_levels(tmp_path: Path) -> None:
    """Weights 1 : 3 on HBM (A : B) and 1 : 1 on the line (A : C). Levels are draws ÷
    weight: A min(hbm, line), B hbm ÷ 3, C line. C stops at its 25 (level 25); HBM fills at
    A λ + B 3λ = 100, λ = 25: A 25, B 75, C 25. The fast path agrees here (A's HBM part is
    25, below its line part 50; the line's water-filling gives C its 25)."""
    data = two_pools({"VendorA": 1, "VendorB": 3}, {"VendorA": 1, "VendorC": 1})
    expected = {"accel_a": 25.0, "accel_b": 75.0, "accel_c": 25.0}
    assert units(tmp_path, data, exact=True) == pytest.approx(expected, rel=RTOL)
    assert units(tmp_path, data, exact=False) == pytest.approx(expected, rel=RTOL)


def test_a_claimant_of_weight_zero_gets_what_the_others_leave(tmp_path: Path) -> None:
    """C has weight 0 on the line: A and B fill HBM at need-level 0.4 (A 40, B 60); the
    line then has 60 left, and C takes its 25 of it."""
    data = two_pools(None, {"VendorA": 1, "VendorC": 0})
    exact = units(tmp_path, data, exact=True)
    assert exact == pytest.approx({"accel_a": 40.0, "accel_b": 60.0, "accel_c": 25.0}, rel=RTOL)


def test_one_proportional_pool_per_bill_is_left_to_the_opening(tmp_path: Path) -> None:
    data = two_pools(None, None)
    data["packaging"]["pkg_shared"].pop("allocation")
    assert not coupled_pools(build_plan(load(data, tmp_path)))


# ------------------------------------------------------------------ the fairness property


@st.composite
def coupled_instances(draw: st.DrawFn) -> dict[str, Any]:
    """Two or three vendors on a proportional HBM pool and a proportional packaging line,
    each with its own line besides, random rates and weights. Logic dies are ample: a
    shared pool under priority is given out by priority after the fair split, which
    fairness does not see (each vendor's need sees it whole)."""
    vendors = ["VendorA", "VendorB", "VendorC"][: draw(st.integers(2, 3))]
    amount = st.floats(1.0, 300.0)

    def weights() -> dict[str, Any]:
        return {v: draw(st.sampled_from([1, 2, 5])) for v in vendors}

    products = {}
    packaging: dict[str, Any] = {
        "pkg_shared": {
            "capacity": draw(amount),
            "yield": 1.0,
            "allocation": {"policy": "proportional", "weights": weights()},
        }
    }
    for i, vendor in enumerate(vendors):
        own = f"pkg_{i}"
        packaging[own] = {"capacity": draw(amount), "yield": 1.0, "owner": vendor}
        bill = {"logic": 1, "hbm": draw(st.sampled_from([1, 2, 4]))}
        products[f"p{i}"] = product(bill, priority=i + 1, packaging="pkg_shared", vendor=vendor)
        products[f"q{i}"] = product({"logic": 1, "hbm": 1}, priority=i + 4, packaging=own, vendor=vendor)
    hbm = {"kind": "flow", "component": "hbm", "rate": draw(amount)}
    hbm["allocation"] = {"policy": "proportional", "weights": weights()}
    return scenario(
        components={"logic": {"kind": "logic_die"}, "hbm": {"kind": "hbm_stack"}},
        sources={"logic_flow": {"kind": "flow", "component": "logic", "rate": AMPLE}, "hbm_pool": hbm},
        packaging=packaging,
        products=products,
        end=month(1),
    )


@settings(max_examples=15, deadline=None)
@given(coupled_instances())
def test_the_exact_mode_conserves_and_never_gives_a_slice_above_a_pool(data: dict[str, Any]) -> None:
    """On random coupled instances the exact mode's proportional slices never sum above
    what the pool may give, every account balances, and every slice is drawn within it."""
    loaded = load(data)
    plan, _, exact = simulate_block(loaded, 3, seed=1, solver=lp_solver)
    assert coupled_pools(plan)
    held = list(plan.component_accounts)
    opening = np.zeros_like(exact.closing[held])
    opening[:, 1:] = exact.closing[held][:, :-1]
    balance = opening + exact.arrived[held] - exact.drawn[held] - exact.closing[held]
    assert np.all(np.abs(balance) <= 1e-7 * np.maximum(opening + exact.arrived[held], 1.0))
    assert np.all(exact.drawn >= -1e-9)
    assert np.all(exact.closing >= -1e-6 * np.maximum(exact.arrived, 1.0))


def recording(seen: list[tuple[Any, Any]], *, split_fairly: bool = True) -> Any:
    """An exact solver that keeps each month's state after the split."""

    def factory(plan: Any, supply: Any) -> Any:
        inner = lp_solver(plan, supply, split_fairly=split_fairly)
        _, block = kernel_inputs(plan, supply)

        def solve(state: MonthState) -> Any:
            answer = inner(state)
            seen.append((state, block))
            return answer

        return solve

    return factory


def _draws(fairness: Fairness, coef: np.ndarray, attempts: np.ndarray) -> np.ndarray:
    """What each claim's vendor drew on the claimed pool: attempts × what one draws there."""
    out = np.zeros((len(fairness.claims), attempts.shape[1]))
    for c, claim in enumerate(fairness.claims):
        for v, k, s in fairness.flows:
            if s == claim.slice:
                out[c] += attempts[v] * coef[v, k]
    return out


def unfair_vendors(data: dict[str, Any], *, split_fairly: bool = True) -> list[int]:
    """The vendors that, in the first month, could have reached a higher level without
    lowering a vendor whose level is not above their own — the definition of max-min
    fairness, checked as a linear program per vendor; a level is a vendor's draw on a pool ÷
    its weight there, the least over its pools (fixed weights only)."""
    loaded = load(data)
    seen: list[tuple[Any, Any]] = []
    plan, _, paths = simulate_block(loaded, 2, seed=1, solver=recording(seen, split_fairly=split_fairly))
    fairness = Fairness(plan)
    state, block = seen[0]
    assert all(block[8][c.slice] >= 0 for c in fairness.claims), "fixed weights only"
    month = fairness_month(fairness, block[10], block[8], block[9], state)
    weight = month.weight
    drawn = _draws(fairness, block[10], paths.attempts[:, 0])
    owner = np.array([c.vendor for c in fairness.claims])
    level = {j: np.min(drawn[owner == j] / weight[owner == j], axis=0) for j in fairness.vendors}
    unfair = []
    for j in fairness.vendors:
        rising = np.stack([weight[c] * (claim.vendor == j) for c, claim in enumerate(fairness.claims)])
        poorer = np.stack([(level[k] <= level[j] * (1 + 1e-6) + 1e-9) & (k != j) for k in owner])
        lower = np.where(poorer, np.stack([level[k] for k in owner]) * weight * (1 - 1e-7), 0.0)
        x = fairness._solve(month, [fairness.level], set(fairness.vendors), rising=rising, lower=lower)
        if np.any(x[fairness.level] > level[j] * (1 + 1e-5) + 1e-6):  # HiGHS works to about 1e-7
            unfair.append(j)
    return unfair


@settings(max_examples=12, deadline=None)
@given(coupled_instances())
def test_the_exact_split_is_weighted_max_min_fair(data: dict[str, Any]) -> None:
    assert unfair_vendors(data) == []


def test_the_pool_by_pool_split_is_not_and_the_check_says_so() -> None:
    """Weights 1 : 3 on HBM (A : B), 1 : 1 on the line (A : C), C with 80 GDDR. Pool by pool,
    A gets 25 stacks and 50 packages, C 50 packages: A leaves 25 idle that C could use. Max-min
    fair: A 25, B 75, C 75 (the line's rest). The check finds C held back, and only there."""
    data = two_pools({"VendorA": 1, "VendorB": 3}, {"VendorA": 1, "VendorC": 1}, gddr=80)
    assert unfair_vendors(data) == []
    vendors = build_plan(load(data)).vendors
    assert [vendors[j] for j in unfair_vendors(data, split_fairly=False)] == ["VendorC"]
