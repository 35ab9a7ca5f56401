"""The batched quantile functions and the supply built in a worker's reused arrays give,
bit for bit, what the one-input-at-a-time and fresh-array versions give."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from stackbound.engine.plan import build_plan
from stackbound.engine.quantiles import families, quantiles
from stackbound.engine.run import _draws
from stackbound.engine.supply import build_supply
from stackbound.engine.workspace import Workspace
from stackbound.scenario.distributions import PERT_GRID, Distribution
from stackbound.scenario.loader import load_scenario

FloatArray = NDArray[np.float64]
EPS = 1e-12

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@st.composite
def distributions(draw: st.DrawFn) -> Distribution:
    family = draw(st.sampled_from(["fixed", "uniform", "triangular", "pert", "normal", "lognormal", "discrete"]))
    if family == "fixed":
        return Distribution("fixed", (draw(finite),))
    if family == "uniform":
        lo, hi = sorted((draw(finite), draw(finite)))
        return Distribution("uniform", (lo, hi))
    if family in ("triangular", "pert"):
        lo, mode, hi = sorted((draw(finite), draw(finite), draw(finite)))
        if draw(st.booleans()):  # a degenerate range, whose ppf is a constant
            mode = hi = lo
        return Distribution(family, (lo, mode, hi))
    if family == "normal":
        mean, sd = draw(finite), draw(st.floats(1e-3, 1e4))
        low = draw(st.sampled_from([-math.inf, mean - 3 * sd, mean - sd]))
        high = draw(st.sampled_from([math.inf, mean + 2 * sd, mean + 0.5 * sd]))
        return Distribution("normal", (mean, sd, low, high))
    if family == "lognormal":
        return Distribution("lognormal", (draw(st.floats(1e-3, 1e9)), draw(st.floats(0.0, 3.0))))
    weights = draw(st.lists(st.floats(0.01, 1.0), min_size=1, max_size=5))
    cumulative = tuple(float(c) for c in np.cumsum(weights) / sum(weights))
    return Distribution("discrete", cumulative, tuple(float(i) * 1.5 for i in range(len(weights))))


def one_by_one(dists: list[Distribution], u: FloatArray) -> FloatArray:
    return np.array([d.ppf(u[:, j]) for j, d in enumerate(dists)])


def hard_uniforms(rng: np.random.Generator, n: int, k: int) -> FloatArray:
    """Random uniforms with the interpolation grid's own points, the clip limits and 0.5
    among them: where a bracket search can go wrong by one."""
    u = rng.random((n, k))
    u[: n // 4] = PERT_GRID[rng.integers(0, len(PERT_GRID), (n // 4, k))]
    u[n // 4 : n // 2] = np.nextafter(u[n // 4 : n // 2], rng.choice([0.0, 1.0], (n // 2 - n // 4, k)))
    u[0], u[1], u[2] = EPS, 1.0 - EPS, 0.5
    return np.clip(u, EPS, 1.0 - EPS)


@settings(max_examples=150, deadline=None)
@given(st.lists(distributions(), min_size=1, max_size=12), st.integers(0, 2**32 - 1))
def test_batched_quantiles_equal_each_inputs_own_ppf_bit_for_bit(dists: list[Distribution], seed: int) -> None:
    u = hard_uniforms(np.random.default_rng(seed), 64, len(dists))
    got = quantiles(dists, u)
    assert got.shape == (len(dists), 64)
    np.testing.assert_array_equal(got, one_by_one(dists, u))


def test_every_input_of_the_china_scenario_is_bit_identical_on_many_uniforms() -> None:
    dists = [inp.dist for inp in load_scenario("china").inputs]
    u = hard_uniforms(np.random.default_rng(3), 40_000, len(dists))
    got = quantiles(dists, u)
    np.testing.assert_array_equal(got, one_by_one(dists, u))
    assert got.flags.c_contiguous  # each input's draws are one contiguous row


def test_families_group_the_batched_columns_and_leave_the_rest_to_their_own_ppf() -> None:
    dists = (
        Distribution("pert", (1.0, 2.0, 5.0)),
        Distribution("pert", (3.0, 3.0, 3.0)),  # degenerate: its own ppf
        Distribution("lognormal", (10.0, 0.5)),
        Distribution("discrete", (0.5, 1.0), (0.0, 1.0)),
        Distribution("pert", (0.0, 0.1, 1.0)),
    )
    groups = families(dists)
    assert groups.columns["pert"].tolist() == [0, 4]
    assert groups.columns["lognormal"].tolist() == [2]
    assert groups.single == (1, 3)
    assert groups.pert_tables.shape == (2, len(PERT_GRID))


def test_a_supply_built_in_reused_arrays_equals_a_fresh_one_chunk_after_chunk() -> None:
    loaded = load_scenario("china")
    plan = build_plan(loaded)
    space = Workspace()
    for block in (0, 3, 1):  # the workspace holds the previous block's values each time
        draws = _draws(loaded, 5, [(block, 1024)], None, True)
        reused, fresh = build_supply(plan, draws, 1024, space), build_supply(plan, draws, 1024)
        for field in dataclasses.fields(fresh):
            a, b = getattr(reused, field.name), getattr(fresh, field.name)
            if isinstance(b, np.ndarray):
                np.testing.assert_array_equal(a, b, err_msg=field.name)
    assert space.nbytes > 0
