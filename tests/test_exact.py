"""The fast greedy allocation equals the exact lexicographic LP on small random instances.

Instances are built from seeded random numbers: two to four variants over one to three
products share logic dies, HBM and a packaging line; the top variant is rationed by an
HBM2E stockpile or a demand cap, so lower-priority variants get what it leaves.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings

from stackbound.engine.allocate import Paths
from stackbound.engine.exact import lp_solver
from stackbound.engine.run import run
from support import Generated, load, month, scenario, scenarios, simulate_block

SAMPLES = 12
REL = 1e-6
SEEDS = range(16)


def instance(seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)

    def spread(value: float) -> dict[str, Any]:
        return {"uniform": [round(value * 0.7, 3), round(value * 1.3, 3)]}

    def between(low: float, high: float) -> float:
        return round(float(rng.uniform(low, high)), 3)

    components = {
        "logic": {"kind": "logic_die"},
        "hbm2e": {"kind": "hbm_stack"},
        "hbm3": {"kind": "hbm_stack"},
        "lpddr": {"kind": "memory"},
    }
    die = {
        "component": "logic",
        "wafer_starts": spread(between(500, 1_500)),
        "dies_per_wafer": between(40, 90),
        "yield": between(0.4, 0.9),
    }
    sources = {
        "fab": {"kind": "fab_line", "cycle_time": int(rng.integers(0, 3)), "dies": [die]},
        "bank": {
            "kind": "stockpile",
            "component": "logic",
            "initial": spread(between(0, 2e5)),
            "max_draw": between(5e3, 3e4),
        },
        "hbm2e_stock": {
            "kind": "stockpile",
            "component": "hbm2e",
            "initial": spread(between(1e5, 2e6)),
            "max_draw": spread(between(2e4, 2e5)),
        },
        "hbm3_line": {
            "kind": "memory_line",
            "component": "hbm3",
            "lag": int(rng.integers(0, 3)),
            "stacks": {month(int(rng.integers(0, 6))): 0, month(int(rng.integers(6, 12))): between(5e4, 4e5)},
        },
        "lpddr_flow": {"kind": "flow", "component": "lpddr", "rate": spread(between(1e4, 1e5))},
    }
    packaging = {
        "cowos": {"capacity": spread(between(1e4, 6e4)), "yield": between(0.7, 0.98)},
        "fcbga": {"capacity": between(1e4, 5e4), "yield": between(0.9, 1.0)},
    }
    bills = [  # the top variant first; lower ones share its logic dies and packaging line
        ({"logic": int(rng.integers(1, 3)), "hbm2e": int(rng.integers(4, 9))}, "cowos"),
        ({"logic": int(rng.integers(1, 3)), "hbm3": int(rng.integers(4, 9))}, "cowos"),
        ({"logic": 2, "hbm2e": int(rng.integers(6, 13)), "hbm3": 2}, "cowos"),
        ({"logic": 1, "lpddr": int(rng.integers(2, 9))}, "fcbga"),
    ]
    count = int(rng.integers(2, 5))
    owners = [0, *sorted(rng.integers(0, 3, size=count - 1))]  # product of each variant
    products: dict[str, Any] = {}
    for v in range(count):
        name = f"accel{owners[v]}"
        spec = products.setdefault(name, {"vendor": f"Vendor{owners[v]}", "origin": "domestic", "variants": {}})
        bill, line = bills[v]
        spec["variants"][f"v{v}"] = {"priority": v + 1, "bill": bill, "packaging": line}
        if rng.random() < 0.4:
            spec["variants"][f"v{v}"]["slots"] = int(rng.integers(1, 3))
    if rng.random() < 0.5:
        products["accel0"]["demand_cap"] = spread(between(2e3, 2e4))
    extra: dict[str, Any] = {}
    if rng.random() < 0.3:
        extra["market_demand"] = {"units": spread(between(1e4, 5e4))}
    return scenario(components=components, sources=sources, packaging=packaging, products=products, **extra)


def assert_attempts_match(greedy: Paths, exact: Paths) -> None:
    """Attempts per variant, month and sample agree within REL of the month's largest."""
    scale = np.maximum(np.abs(greedy.attempts).max(axis=0, keepdims=True), 1.0)
    gap = np.abs(greedy.attempts - exact.attempts)
    worst = float((gap / scale).max())
    assert worst <= REL, f"largest relative gap {worst:.3g}"


@pytest.mark.parametrize("seed", SEEDS)
def test_greedy_equals_exact_lp_on_random_instances(seed: int) -> None:
    loaded = load(instance(seed))
    _, _, greedy = simulate_block(loaded, SAMPLES, seed=seed)
    _, _, exact = simulate_block(loaded, SAMPLES, seed=seed, solver=lp_solver)
    assert_attempts_match(greedy, exact)
    np.testing.assert_allclose(exact.drawn, greedy.drawn, rtol=REL, atol=REL * max(greedy.drawn.max(), 1.0))


def test_instances_give_lower_priorities_something() -> None:
    lower = []
    for seed in SEEDS:
        _, _, paths = simulate_block(load(instance(seed)), SAMPLES, seed=seed)
        lower.append(paths.good[1:].sum(axis=(1, 2)))  # per lower-priority variant
    positive = [bool((per_variant > 0).any()) for per_variant in lower]
    assert sum(positive) >= len(SEEDS) // 2
    assert any(len(per_variant) >= 3 and (per_variant[1:] > 0).any() for per_variant in lower)


def test_exact_run_matches_fast_run() -> None:
    loaded = load(instance(3))
    fast = run(loaded, samples=40, seed=9)
    exact = run(loaded, samples=40, seed=9, exact=True)
    assert exact.exact
    for key, values in fast.annual.items():
        np.testing.assert_allclose(
            exact.annual[key], values, rtol=REL, atol=REL * max(float(values.max()), 1.0), err_msg=str(key)
        )
    np.testing.assert_allclose(
        exact.monthly_sums, fast.monthly_sums, rtol=REL, atol=REL * max(float(fast.monthly_sums.max()), 1.0)
    )


@settings(max_examples=25, deadline=None)
@given(scenarios(max_months=10))
def test_greedy_equals_exact_lp_on_generated_scenarios(gen: Generated) -> None:
    loaded = gen.loaded()
    _, _, greedy = simulate_block(loaded, 6)
    _, _, exact = simulate_block(loaded, 6, solver=lp_solver)
    assert_attempts_match(greedy, exact)
