"""Property tests: the invariants of DESIGN.md on small random scenarios.

Scenarios come from :func:`support.scenarios`: up to 18 months, a fab line, an HBM line,
maybe stockpiles, flows, two packaging lines, up to four variants, imports and market demand.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackbound.engine.results import RunResult
from stackbound.engine.run import run, run_deterministic
from stackbound.scenario.loader import load_scenario
from support import Generated, available, load, opening, product, scenario, scenarios, simulate_block

SAMPLES = 16
REL = 1e-9

quick = settings(max_examples=80, deadline=None)


def close_or_below(value: np.ndarray, limit: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return value <= limit + REL * np.maximum(scale, 1.0)


# ------------------------------------------------------------------ conservation and bounds


@quick
@given(scenarios())
def test_every_account_is_conserved_every_month_every_sample(gen: Generated) -> None:
    plan, supply, paths = simulate_block(gen.loaded(), SAMPLES)
    held = list(plan.component_accounts)
    before = opening(paths)[held]
    on_hand = before + paths.arrived[held]
    drawn, closing = paths.drawn[held], paths.closing[held]
    scale = REL * np.maximum(on_hand, 1.0)
    np.testing.assert_array_less(np.abs(on_hand - drawn - closing), scale)
    assert np.all(drawn >= 0.0)
    assert np.all(closing >= -scale)
    # what is held is idle, stranded or held by policy; what was drawn went into good
    # packages or failed ones
    parts = paths.idle[held] + paths.stranded[held] + paths.policy[held]
    np.testing.assert_array_less(np.abs(np.maximum(closing, 0.0) - parts), scale)
    assert np.all(paths.used[held] <= drawn + scale)
    # what the accounts gave is what the variants used
    for c in range(len(plan.components)):
        given = sum(paths.drawn[a] for a in held if plan.accounts[a].component == c)
        used = sum(paths.attempts[v] * supply.bill[v, c][None, :] for v in range(len(plan.variants)))
        np.testing.assert_allclose(given, used, rtol=REL, atol=REL)


@quick
@given(scenarios())
def test_no_variant_exceeds_a_limit_or_goes_negative(gen: Generated) -> None:
    plan, supply, paths = simulate_block(gen.loaded(), SAMPLES)
    assert np.all(paths.attempts >= 0.0)
    assert np.all(paths.good >= 0.0)
    limit = available(plan, supply, paths)
    for c in range(len(plan.components)):
        used = sum(paths.attempts[v] * supply.bill[v, c][None, :] for v in range(len(plan.variants)))
        assert np.all(close_or_below(used, limit[c], limit[c]))
    for line in range(len(plan.packaging)):
        slots = sum(
            paths.attempts[v] * supply.slots[v][None, :]
            for v, spec in enumerate(plan.variants)
            if spec.packaging == line
        )
        assert np.all(close_or_below(slots, supply.capacity[line], supply.capacity[line]))
    domestic = np.zeros(paths.good.shape[1:])
    for p, name in enumerate(plan.products):
        own = [v for v, spec in enumerate(plan.variants) if spec.product == p]
        good = sum((paths.good[v] for v in own), np.zeros_like(domestic))
        cap = supply.demand_cap[p]
        assert np.all(close_or_below(good, cap, np.where(np.isfinite(cap), cap, 1.0)))
        if plan.loaded.scenario.products[name].origin == "domestic":
            domestic += good
    if supply.market is not None:
        assert np.all(close_or_below(domestic, supply.market, supply.market))
    for v, spec in enumerate(plan.variants):
        active = supply.active[spec.product]
        assert np.all(paths.attempts[v][~active] == 0.0)
        assert np.all((paths.binding[v] == 0) == ~active)  # 'inactive' exactly outside the window
        line = spec.packaging
        per_attempt = supply.packaging_yield[line] if line is not None else 1.0
        np.testing.assert_allclose(paths.good[v], paths.attempts[v] * per_attempt, rtol=REL)


# ------------------------------------------------------------------ monotonicity


def isolate_top(gen: Generated) -> Generated:
    """Drop every lower-priority variant that shares a component or packaging line with the
    top-priority one (see test_more_supply_for_a_lower_variant_can_cost_the_top_one_units)."""
    tree = copy.deepcopy(gen.tree)
    variants = [
        (spec["priority"], name, key, spec)
        for name, prod in tree["products"].items()
        for key, spec in prod.get("variants", {}).items()
    ]
    _, top_name, top_key, top = min(variants, key=lambda item: item[0])
    for _, name, key, spec in variants:
        shares = set(spec["bill"]) & set(top["bill"]) or (
            spec.get("packaging") is not None and spec.get("packaging") == top.get("packaging")
        )
        if (name, key) != (top_name, top_key) and shares:
            del tree["products"][name]["variants"][key]
    return Generated(tree, gen.supply_inputs)


def top_cumulative(gen: Generated) -> np.ndarray:
    _, _, paths = simulate_block(gen.loaded(), 8)
    return paths.good[0].sum(axis=0)


@settings(max_examples=120, deadline=None)
@given(scenarios(), st.data(), st.sampled_from([1.01, 1.5, 4.0]))
def test_more_supply_never_gives_the_top_variant_fewer_units(
    gen: Generated, data: st.DataObject, factor: float
) -> None:
    gen = isolate_top(gen)
    where, change = data.draw(st.sampled_from(gen.supply_inputs))
    base = top_cumulative(gen)
    more = top_cumulative(gen.more(where, change, factor))
    assert np.all(more >= base * (1 - REL) - REL), (where, base, more)


def _starved_top(bank: float) -> dict[str, Any]:
    """``top`` needs x and y; y only arrives in month 2. ``low`` needs x and z, from a bank."""
    components = {"x": {"kind": "logic_die"}, "y": {"kind": "hbm_stack"}, "z": {"kind": "memory"}}
    sources = {
        "x_bank": {"kind": "stockpile", "component": "x", "initial": 100},
        "y_bank": {"kind": "stockpile", "component": "y", "arrivals": {"2025-02": 100}},
        "z_bank": {"kind": "stockpile", "component": "z", "initial": bank},
    }
    products = {
        "top": product({"x": 1, "y": 1}, priority=1, packaging=None),
        "low": product({"x": 1, "z": 1}, priority=2, packaging=None),
    }
    return scenario(components=components, sources=sources, products=products, end="2025-02")


def test_allocation_is_month_by_month_and_reserves_nothing_for_later() -> None:
    """Documented limit of the monotonicity property (docs/scenario-format.md, "Allocation"):
    allocation is greedy within each month and keeps no stock back for a higher-priority
    variant's future months, so a lower variant that shares a component may use it first.
    The property is therefore tested where no lower variant shares the top one's inputs."""
    base = simulate_block(load(_starved_top(0.0)), 1)[2].good[0].sum()  # top: 0 then 100
    more = simulate_block(load(_starved_top(50.0)), 1)[2].good[0].sum()  # low takes 50 x first: top 0 then 50
    assert base == pytest.approx(100.0)
    assert more == pytest.approx(50.0)


# ------------------------------------------------------------------ determinism


def same_result(a: RunResult, b: RunResult) -> None:
    assert a.annual.keys() == b.annual.keys()
    for key in a.annual:
        assert np.array_equal(a.annual[key], b.annual[key]), key
    for key in a.quarterly:
        assert np.array_equal(a.quarterly[key], b.quarterly[key]), key
    for name in ("monthly_sums", "monthly_counts", "binding_counts", "starved_counts", "runout"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


CHUNKED_SAMPLES = 3_100  # four random blocks, the last one partial


@settings(max_examples=5, deadline=None)
@given(scenarios(max_months=12, correlated=True))
def test_results_are_bit_identical_whatever_the_chunk_size(gen: Generated) -> None:
    loaded = gen.loaded()
    assert loaded.copula is not None
    sizes_and_workers = [(1, 1), (7, 2), (1_024, 1), (3_000, 2), (5_000, 1)]
    results = [
        run(loaded, samples=CHUNKED_SAMPLES, seed=11, chunk_size=size, workers=workers)
        for size, workers in sizes_and_workers
    ]
    for other in results[1:]:
        same_result(results[0], other)


def test_builtin_example_is_bit_identical_whatever_the_chunk_size() -> None:
    loaded = load_scenario("example")
    assert loaded.copula is not None
    first, *others = (
        run(loaded, samples=2_100, seed=3, chunk_size=size, workers=workers)
        for size, workers in ((7, 1), (2_048, 2), (4_096, 2))
    )
    for other in others:
        same_result(first, other)


@settings(max_examples=3, deadline=None)
@given(scenarios(max_months=12, correlated=True))
def test_a_sample_does_not_depend_on_how_many_are_run(gen: Generated) -> None:
    loaded = gen.loaded()
    short = run(loaded, samples=1_500, seed=5)
    long = run(loaded, samples=CHUNKED_SAMPLES, seed=5, chunk_size=1_024)
    for key, values in short.annual.items():
        assert np.array_equal(values, long.annual[key][:1_500]), key


# ------------------------------------------------------------------ zero variance


@settings(max_examples=50, deadline=None)
@given(scenarios())
def test_zero_width_distributions_equal_constants(gen: Generated) -> None:
    fixed = run(gen.loaded("constant"), samples=5, seed=2)
    zero = run(gen.loaded("zero_width"), samples=5, seed=2)
    same_result(fixed, zero)
    deterministic = run_deterministic(gen.loaded("constant"))
    for key, values in zero.annual.items():
        assert np.array_equal(values, np.broadcast_to(deterministic.annual[key], values.shape)), key
