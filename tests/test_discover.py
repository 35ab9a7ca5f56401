"""Scenario discovery: PRIM finds planted boxes; the inputs explained are the engine's draws.

Known answers are built into the data: an outcome that happens exactly inside a box of
inputs, by construction, must be found with those bounds and a density of one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from stackbound.analysis.discover import Condition, Discovery, Outcome, discover, explain
from stackbound.analysis.features import Feature, feature_matrix, sample_inputs
from stackbound.analysis.prim import PrimBox, _box, binomial_tail, paste, peel, quasi_p_value, simplify
from stackbound.cli.discover import command
from stackbound.engine.run import run
from stackbound.errors import SimulationError
from stackbound.scenario.months import parse_month
from stackbound.scenario.units import COUNT_RATE, FRACTION, SIGNED
from stackbound.scenario.values import MONTH
from support import AMPLE, load, product, scenario

LOGIC_HBM = {"logic": {"kind": "logic_die"}, "hbm": {"kind": "hbm_stack"}}
AMPLE_PACKAGING = {"pkg": {"capacity": AMPLE, "yield": 1.0}}


def _features(count: int) -> list[Feature]:
    return [Feature(f"x{j}", f"x{j}", SIGNED, "") for j in range(count)]


def _bounds(condition: Condition) -> tuple[float | None, float | None]:
    return condition.low, condition.high


# ------------------------------------------------------------------ PRIM on synthetic data


def test_prim_recovers_a_planted_box_and_ignores_noise_inputs() -> None:
    rng = np.random.default_rng(1)
    x = rng.random((3000, 6))
    hit = (x[:, 0] > 0.6) & (x[:, 1] < 0.3)
    chosen = explain(x, hit, _features(6))[0]
    assert chosen.role == "chosen"
    bounds = {c.feature.name: _bounds(c) for c in chosen.conditions}
    assert set(bounds) == {"x0", "x1"}
    low, high = bounds["x0"][0], bounds["x1"][1]
    assert low == pytest.approx(0.6, abs=0.02)
    assert high == pytest.approx(0.3, abs=0.02)
    assert bounds["x0"][1] is None
    assert bounds["x1"][0] is None
    assert chosen.density == pytest.approx(1.0, abs=0.01)
    assert chosen.coverage > 0.9


def test_second_pass_finds_the_other_box_of_a_union() -> None:
    rng = np.random.default_rng(2)
    x = rng.random((6000, 5))
    first, second = (x[:, 0] > 0.6) & (x[:, 1] < 0.3), (x[:, 2] > 0.7) & (x[:, 3] > 0.7)
    boxes = {b.role: b for b in explain(x, first | second, _features(5))}
    assert {c.feature.name for c in boxes["chosen"].conditions} == {"x0", "x1"}
    following = {c.feature.name: _bounds(c) for c in boxes["next"].conditions}
    assert set(following) == {"x2", "x3"}
    assert following["x2"][0] == pytest.approx(0.7, abs=0.03)
    assert following["x3"][0] == pytest.approx(0.7, abs=0.03)
    assert boxes["next"].density > 0.9
    assert boxes["next"].coverage == pytest.approx(second[~first].sum() / (first | second).sum(), abs=0.05)


def test_peeling_raises_density_and_pasting_never_lowers_it() -> None:
    rng = np.random.default_rng(3)
    x = rng.random((2000, 4))
    hit = (x[:, 0] + 0.3 * rng.random(2000)) > 0.9
    trajectory = peel(x, hit)
    densities = [b.density for b in trajectory]
    assert densities == sorted(densities)
    assert trajectory[0].mass == 1.0
    assert trajectory[0].coverage == 1.0
    assert trajectory[-1].mass >= 0.05 - 1e-9
    middle = trajectory[len(trajectory) // 2]
    assert paste(x, hit, middle).density >= middle.density


def _planted_box(count: int = 3000) -> tuple[np.ndarray, np.ndarray]:
    """Runs on the unit cube (3 inputs) with cases exactly where x0 > 0.6 and x1 < 0.3."""
    x = np.random.default_rng(6).random((count, 3))
    return x, (x[:, 0] > 0.6) & (x[:, 1] < 0.3)


def _box_of(x: np.ndarray, hit: np.ndarray, low: list[float], high: list[float]) -> PrimBox:
    return _box(x, hit, np.ones(len(hit), dtype=bool), np.array(low), np.array(high))


def test_simplify_drops_a_bound_that_does_not_matter() -> None:
    """The planted box plus a needless x2 < 0.9: dropping x2 keeps density 1 (costs nothing),
    so it goes; then both planted bounds are significant and costly and stay."""
    x, hit = _planted_box()
    inf = np.inf
    padded = _box_of(x, hit, [0.6, -inf, -inf], [inf, 0.3, 0.9])
    assert padded.restricted == (0, 1, 2)
    simple = simplify(x, hit, padded)
    assert simple.restricted == (0, 1)
    np.testing.assert_array_equal(simple.low, [0.6, -inf, -inf])
    np.testing.assert_array_equal(simple.high, [inf, 0.3, inf])
    assert simple.density == 1.0
    assert simple.cases == int(hit.sum())


def test_simplify_keeps_bounds_that_matter_and_a_single_bound() -> None:
    x, hit = _planted_box()
    inf = np.inf
    for box in (_box_of(x, hit, [0.6, -inf, -inf], [inf, 0.3, inf]), _box_of(x, hit, [0.6, -inf, -inf], [inf] * 3)):
        simple = simplify(x, hit, box)
        np.testing.assert_array_equal(simple.low, box.low)
        np.testing.assert_array_equal(simple.high, box.high)
        assert (simple.runs, simple.cases) == (box.runs, box.cases)


def test_simplify_keeps_a_bound_that_costs_more_than_its_tolerance() -> None:
    """Cases where x0 > 0.5, all of them below x2 = 0.5 and 90% above: the box x0 > 0.5,
    x2 < 0.5 has density 1, dropping x2 lowers it to about 0.95. That costs 0.05, more
    than the default tolerance of 0.02, and is significant (0.95^750 ≈ e^−38): x2 stays.
    With a tolerance of 0.1 it goes."""
    rng = np.random.default_rng(8)
    x = rng.random((3000, 3))
    hit = (x[:, 0] > 0.5) & ((x[:, 2] < 0.5) | (rng.random(3000) < 0.9))
    inf = np.inf
    box = _box_of(x, hit, [0.5, -inf, -inf], [inf, inf, 0.5])
    assert box.density == 1.0
    assert simplify(x, hit, box).restricted == (0, 2)
    assert simplify(x, hit, box, tolerance=0.1).restricted == (0,)


def test_simplify_drops_an_insignificant_bound_whatever_it_costs() -> None:
    """40 runs by hand. x0 <= 0.5 holds runs 0–9: 7 cases (0–6). x1 <= 0.5 as well holds
    runs 0–4: 5 cases of 5. Dropping x1 costs 0.3 of density (1 → 0.7), yet 5 of 5 is
    what B(5, 0.7) gives with probability 0.7^5 = 0.168 > 0.05: not significant, so x1
    goes. Dropping x0 instead would give 5 of 20 (p = 0.25^5 ≈ 0.001)."""
    x0 = np.r_[np.full(10, 0.25), np.full(30, 0.75)]
    x1 = np.r_[np.full(5, 0.25), np.full(5, 0.75), np.full(15, 0.25), np.full(15, 0.75)]
    x = np.column_stack([x0, x1])
    hit = np.arange(40) < 7
    inf = np.inf
    box = _box_of(x, hit, [-inf, -inf], [0.5, 0.5])
    assert (box.runs, box.cases) == (5, 5)
    simple = simplify(x, hit, box)
    assert simple.restricted == (0,)
    assert (simple.runs, simple.cases) == (10, 7)


def test_quasi_p_value_is_the_binomial_tail() -> None:
    """P(X >= cases), X ~ B(runs, density of the wider box), by hand: 8 cases of 10 runs
    against density 1/2 is (C(10,8) + C(10,9) + C(10,10)) / 2^10 = (45 + 10 + 1)/1024
    = 0.0546875; all 10 is 1/1024; at least 0 of anything is certain."""
    inf = np.inf

    def box(runs: int, cases: int) -> PrimBox:
        return PrimBox(np.array([-inf]), np.array([inf]), 1.0, cases / runs, 1.0, runs, cases)

    half = box(100, 50)
    assert quasi_p_value(box(10, 8), half) == pytest.approx(56 / 1024, rel=1e-12)
    assert quasi_p_value(box(10, 10), half) == pytest.approx(1 / 1024, rel=1e-12)
    assert quasi_p_value(box(10, 0), half) == 1.0
    # 2 of 4 against density 1/4: 1 − P(0) − P(1) = 1 − 81/256 − 108/256 = 67/256
    assert quasi_p_value(box(4, 2), box(8, 2)) == pytest.approx(67 / 256, rel=1e-12)


def test_quasi_p_value_is_at_least_a_half_for_a_box_no_denser_than_its_parent() -> None:
    """With density k/n in the parent and k of n cases in the box, k is the binomial's
    median, so P(X >= k) >= 1/2; a box sparser than its parent lies further up the tail.
    A box far denser than its parent is significant."""
    rng = np.random.default_rng(4)
    x = rng.random((1000, 2))
    hit = x[:, 0] > 0.5
    trajectory = peel(x, hit)
    for box in trajectory:
        assert quasi_p_value(box, box) >= 0.5, box
    full = trajectory[0]
    sparse = _box(x, hit, np.ones(1000, dtype=bool), np.array([-np.inf, -np.inf]), np.array([0.5, np.inf]))
    assert sparse.density < full.density
    assert quasi_p_value(sparse, full) > 1 - 1e-6
    assert quasi_p_value(trajectory[-1], full) < 1e-6


def test_binomial_tail_by_hand() -> None:
    """P(X >= 2), X ~ B(4, 1/4) = 67/256 (as above); no case is certain; a rate above 1 is 1."""
    assert binomial_tail(2, 4, 0.25) == pytest.approx(67 / 256, rel=1e-12)
    assert binomial_tail(0, 4, 0.25) == 1.0
    assert binomial_tail(4, 4, 1.5) == 1.0


def test_each_box_carries_its_quasi_p_value_against_the_base_rate() -> None:
    rng = np.random.default_rng(1)
    x = rng.random((3000, 6))
    hit = (x[:, 0] > 0.6) & (x[:, 1] < 0.3)
    for box in explain(x, hit, _features(6)):
        runs = round(box.mass * len(hit))
        cases = round(box.density * runs)
        assert box.p_value == pytest.approx(binomial_tail(cases, runs, float(hit.mean())), rel=1e-9)
    assert explain(x, hit, _features(6))[0].strength(float(hit.mean())) == "strong"


def _found(x: np.ndarray, hit: np.ndarray, features: list[Feature]) -> Discovery:
    outcome = Outcome("units", 2027, "below", 800_000.0)
    n, cases = len(hit), int(hit.sum())
    return Discovery("noise", 0, n, outcome, "curves", cases, cases / n, "rule", explain(x, hit, features))


def test_an_outcome_no_input_explains_has_no_box_worth_reporting() -> None:
    """The outcome is a coin flip of 5%, independent of every input: PRIM still returns a
    box, but the verdict says it is not worth reporting, and the headline does not state it."""
    rng = np.random.default_rng(8)
    x = rng.random((2000, 8))
    hit = rng.random(2000) < 0.05
    found = _found(x, hit, _features(8))
    assert found.box is not None
    assert found.box.conditions
    verdict = found.verdict
    assert verdict is not None
    assert verdict.strength == "none"
    assert found.summary().startswith(
        "No box worth reporting: no range of inputs makes 2027 units fall below 800k much more likely than its "
        f"base rate of {found.base_rate:.0%} ({found.cases:,} of 2,000 runs; chosen box: "
    )
    assert " where " not in found.summary()
    assert found.to_dict()["verdict"]["strength"] == "none"


def test_no_case_gives_no_box() -> None:
    x = np.random.default_rng(5).random((100, 2))
    assert explain(x, np.zeros(100, dtype=bool), _features(2)) == ()


# ------------------------------------------------------------------ words


def test_conditions_read_in_plain_words() -> None:
    month = Feature("m", "cxmt_hbm3 start", MONTH, "months")
    stacks = Feature("s", "hbm_smuggled rate", COUNT_RATE, "stacks/month")
    share = Feature("f", "fab die share", FRACTION, "")
    september = float(parse_month("2026-09"))
    assert Condition(month, september + 0.2, None).describe() == "cxmt_hbm3 start is after 2026-08"
    assert Condition(month, None, september - 0.3).describe() == "cxmt_hbm3 start is before 2026-10"
    assert Condition(stacks, None, 1_000_000.0).describe() == "hbm_smuggled rate is under 1M stacks/month"
    assert Condition(stacks, 2500.0, 40_000.0).describe() == "hbm_smuggled rate is between 2.5k and 40k stacks/month"
    assert Condition(share, 0.4, None).describe() == "fab die share is over 40%"
    ban = Feature("b", "lever import_ban", SIGNED, "", (0.0, 1.0))
    assert Condition(ban, None, 0.0).describe() == "lever import_ban is 0 (off)"
    assert Condition(ban, 1.0, None).describe() == "lever import_ban is 1 (on)"
    choice = Feature("c", "hbm per unit", SIGNED, "", (6.0, 9.0))
    assert Condition(choice, 9.0, None).describe() == "hbm per unit is 9"
    outcome = Outcome("units", 2027, "below", 300_000.0)
    assert outcome.describe() == "2027 units fall below 300k"
    assert (
        Outcome("compute_added_h100e", 2026, "above", 2e6, "Huawei").describe()
        == "2026 compute added H100e of Huawei rise above 2M"
    )


# ------------------------------------------------------------------ inputs of each run


def _flow_scenario(tmp_path: Path) -> Any:
    sources = {
        "logic_flow": {"kind": "flow", "component": "logic", "rate": {"uniform": [1000, 5000]}},
        "hbm_flow": {"kind": "flow", "component": "hbm", "rate": AMPLE},
    }
    packaging = {"pkg": {"capacity": {"uniform": ["1B", "2B"]}, "yield": 1.0}}
    data = scenario(
        components=LOGIC_HBM,
        sources=sources,
        packaging=packaging,
        products={"accel": product({"logic": 2, "hbm": 8})},
        correlations=[{"between": ["sources.logic_flow.rate", "packaging.pkg.capacity"], "rank": 0.7}],
    )
    return load(data, tmp_path)


def test_sampled_inputs_line_up_with_the_runs_sample_by_sample(tmp_path: Path) -> None:
    loaded = _flow_scenario(tmp_path)
    samples, seed = 2500, 11  # three random blocks, the last one partial
    result = run(loaded, samples=samples, seed=seed, chunk_size=700)
    rate = sample_inputs(loaded, samples, seed)["sources.logic_flow.rate"]
    np.testing.assert_allclose(result.annual_values("units")[:, 0], 12 * rate / 2, rtol=1e-6)
    capacity = sample_inputs(loaded, samples, seed)["packaging.pkg.capacity"]
    assert np.corrcoef(np.argsort(np.argsort(rate)), np.argsort(np.argsort(capacity)))[0, 1] > 0.6


def test_curves_are_summarised_by_their_average(tmp_path: Path) -> None:
    rate = {"knots": {"2025-01": {"uniform": [0, 1200]}, "2025-12": 600}, "shift": {"uniform": [0, 3]}}
    sources = {
        "logic_flow": {"kind": "flow", "component": "logic", "rate": rate},
        "hbm_flow": {"kind": "flow", "component": "hbm", "rate": AMPLE},
    }
    loaded = load(
        scenario(
            components=LOGIC_HBM,
            sources=sources,
            packaging=AMPLE_PACKAGING,
            products={"accel": product({"logic": 1, "hbm": 1})},
        ),
        tmp_path,
    )
    draws = sample_inputs(loaded, 50, 0)
    features, x = feature_matrix(loaded, draws, "curves")
    names = [f.name for f in features]
    assert names == ["sources.logic_flow.rate@average", "sources.logic_flow.rate@shift"]
    np.testing.assert_allclose(x[:, 0], (draws["sources.logic_flow.rate@2025-01"] + 600) / 2, rtol=1e-12)
    assert features[0].label == "logic flow · rate (average)"
    assert features[0].unit == "dies/month"
    assert features[1].unit == "months"
    knots, _ = feature_matrix(loaded, draws, "knots")
    assert [f.label for f in knots] == ["logic flow · rate at 2025-01", "logic flow · rate shift"]


# ------------------------------------------------------------------ a box planted in a scenario


def _planted(tmp_path: Path) -> Any:
    """2025 units are 1000 from accel_a (its die bank, used at launch) when it launches by
    2025-12, plus 1000 from accel_b (dies arriving 2025-06) when it is still sold then: they
    fall below 500 exactly when accel_a launches after 2025-12 and accel_b ends before 2025-06."""
    components = {"die_a": {"kind": "logic_die"}, "die_b": {"kind": "logic_die"}, "hbm": {"kind": "hbm_stack"}}
    sources = {
        "bank_a": {"kind": "stockpile", "component": "die_a", "initial": 1000},
        "bank_b": {"kind": "stockpile", "component": "die_b", "arrivals": {"2025-06": 1000}},
        "hbm_flow": {"kind": "flow", "component": "hbm", "rate": {"uniform": ["1B", "2B"]}},
    }
    packaging = {"pkg": {"capacity": {"uniform": ["1B", "2B"]}, "yield": 1.0}}
    products = {
        "accel_a": product(
            {"die_a": 1, "hbm": 1},
            launch={"uniform": ["2025-01", "2026-12"]},
            specs={"dense_bf16": {"uniform": [100, 200]}},
        ),
        "accel_b": product({"die_b": 1, "hbm": 1}, priority=2, end_of_life={"uniform": ["2024-12", "2025-12"]}),
    }
    data = scenario(components=components, sources=sources, packaging=packaging, products=products, end="2026-12")
    return load(data, tmp_path)


def test_discover_recovers_the_box_planted_in_a_scenario(tmp_path: Path) -> None:
    found = discover(_planted(tmp_path), Outcome("units", 2025, "below", 500.0), samples=2000, seed=3)
    assert found.cases > 0
    assert found.base_rate == pytest.approx(0.5 * 5.5 / 12, abs=0.04)
    chosen = found.boxes[0]
    bounds = {c.feature.name: _bounds(c) for c in chosen.conditions}
    assert set(bounds) == {"products.accel_a.launch", "products.accel_b.end_of_life"}
    # the bounds sit within one peel (5% of the box's runs, under a month here) inside the edges
    assert bounds["products.accel_a.launch"][0] == pytest.approx(parse_month("2025-12") + 0.5, abs=1.0)
    assert bounds["products.accel_b.end_of_life"][1] == pytest.approx(parse_month("2025-06") - 0.5, abs=1.0)
    assert chosen.density == 1.0
    assert chosen.coverage > 0.95
    assert "accel a · launch is after 2025-12" in found.summary()
    assert "accel b · end of life is before 2025-06" in found.summary()
    frame = found.to_frame()
    assert set(frame["role"]) >= {"chosen"}
    assert set(frame.columns) >= {"coverage", "density", "low", "high"}


def _banned(tmp_path: Path) -> Any:
    """Logic dies flow only when the 0/1 lever ``ban`` is 0; it is 1 with probability 0.3.
    A second input (the HBM flow) does not matter."""
    sources = {
        "logic_flow": {"kind": "flow", "component": "logic", "rate": 1000, "levers": ["ban_off"]},
        "hbm_flow": {"kind": "flow", "component": "hbm", "rate": {"uniform": ["1B", "2B"]}},
    }
    data = scenario(
        components=LOGIC_HBM,
        sources=sources,
        packaging=AMPLE_PACKAGING,
        products={"accel": product({"logic": 1, "hbm": 1})},
        levers={"ban_off": {"value": {"bernoulli": 0.7}}},
    )
    return load(data, tmp_path)


def test_a_zero_one_lever_reads_as_off_or_on(tmp_path: Path) -> None:
    loaded = _banned(tmp_path)
    features, _ = feature_matrix(loaded, sample_inputs(loaded, 10, 1))
    assert {f.name: f.values for f in features}["levers.ban_off.value"] == (0.0, 1.0)
    found = discover(loaded, Outcome("units", 2025, "below", 1.0), samples=1000, seed=2)
    assert [c.describe() for c in found.boxes[0].conditions] == ["lever · ban off is 0 (off)"]
    assert found.base_rate == pytest.approx(0.3, abs=0.05)
    assert found.verdict is not None
    assert found.verdict.strength == "strong"
    assert found.summary().startswith("2025 units fall below 1 in 100% of the runs where lever · ban off is 0 (off) ")
    assert found.to_dict()["boxes"][0]["conditions"][0]["values"] == [0.0]


def test_cli_json_and_table(tmp_path: Path) -> None:
    _planted(tmp_path)
    path = str(tmp_path / "scenario.yaml")
    runner = CliRunner()
    args = [path, "--output", "units", "--year", "2025", "--below", "0.5k", "--samples", "1500", "--seed", "3"]
    result = runner.invoke(command, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["outcome"]["threshold"] == 500.0
    inputs = {c["input"] for c in document["boxes"][0]["conditions"]}
    assert inputs == {"products.accel_a.launch", "products.accel_b.end_of_life"}
    assert document["verdict"]["strength"] == document["boxes"][0]["strength"] == "strong"
    assert document["verdict"]["text"].startswith("a strong finding: ")
    assert "lift at least 1.5×" in document["verdict_rule"]
    table = runner.invoke(command, args)
    assert table.exit_code == 0, table.output
    assert "2025 units fall below 500 in 100% of the runs where" in table.output
    assert "a strong finding" in " ".join(table.output.split())
    assert "chosen" in table.output
    assert "Verdict: strong: lift at least 1.5×, density at least 50%, coverage at least 30%" in " ".join(
        table.output.split()
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--below", "1", "--above", "2"], "exactly one of --below and --above"),
        ([], "exactly one of --below and --above"),
        (["--below", "lots"], "is not a number"),
    ],
)
def test_cli_rejects_a_bad_outcome(tmp_path: Path, extra: list[str], message: str) -> None:
    _planted(tmp_path)
    args = [str(tmp_path / "scenario.yaml"), "--output", "units", "--year", "2025", "--samples", "10", *extra]
    result = CliRunner().invoke(command, args)
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--output", "unitz", "--year", "2025"], "unknown output 'unitz'"),
        (["--output", "units", "--group", "Nobody", "--year", "2025"], "has no group 'Nobody'"),
        (["--output", "units", "--year", "2031"], "year 2031 is outside the horizon"),
    ],
)
def test_unknown_output_group_or_year_is_one_clear_error(tmp_path: Path, args: list[str], message: str) -> None:
    _planted(tmp_path)
    result = CliRunner().invoke(command, [str(tmp_path / "scenario.yaml"), *args, "--below", "5", "--samples", "10"])
    assert isinstance(result.exception, SimulationError)
    assert message in str(result.exception)
    assert "\n" not in str(result.exception)
