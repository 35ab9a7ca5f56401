"""The perfect-foresight bound: known answers derived by hand, invariants on generated
scenarios, shadow prices against finite differences, the command.

Hand-built scenarios count compute against a 1,000-TFLOPS reference, so a 2,000-TFLOPS
chip is exactly 2 H100e. The whole file runs in well under a minute: no test is marked slow.
"""

from __future__ import annotations

import json
import textwrap
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackbound.cli.foresight import command
from stackbound.engine.foresight import DROPPED, _build_layout, _numbers, _solve_batch, foresight
from stackbound.engine.run import run
from stackbound.errors import SimulationError
from stackbound.scenario.loader import LoadedScenario, load_scenario, load_scenario_text
from support import Generated, block, run_main, scenarios

PROPERTIES = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HEAD = """\
stackbound: 1
name: hand
horizon: {{start: 2025-01, end: {end}}}
reference: {{dense_bf16: 1000 TFLOPS}}
"""


def hand(body: str, end: str = "2025-12") -> LoadedScenario:
    return load_scenario_text(HEAD.format(end=end) + textwrap.dedent(body))


def chip(name: str, bill: str, *, tflops: int = 2000, priority: int = 1, vendor: str = "A", extra: str = "") -> str:
    """A product block with one variant packaged on ``pkg``."""
    return f"""\
  {name}:
    vendor: {vendor}
    origin: domestic
    specs: {{dense_bf16: {tflops} TFLOPS}}
{textwrap.indent(extra, "    ")}    variants:
      main: {{priority: {priority}, bill: {bill}, packaging: pkg}}
"""


# ------------------------------------------------------------------ known answers

STOCK_AND_LINE = """\
components:
  die: {kind: logic_die}
  hbm: {kind: hbm_stack}
sources:
  bank: {kind: stockpile, component: die, initial: 1000}
  hbm_line: {kind: memory_line, component: hbm, stacks: 400}
EXTRA
packaging:
  pkg: {capacity: 1M}
products:
"""


@pytest.mark.parametrize(
    ("extra", "hbm_2025"),
    [("", 4000), ("  hbm_stock: {kind: stockpile, component: hbm, initial: 800}", 4800)],
    ids=["one HBM source", "two HBM sources"],
)
def test_a_die_stockpile_and_an_hbm_line(extra: str, hbm_2025: int) -> None:
    """1,000 dies, 400 stacks a month (and maybe 800 in stock), 8 stacks a unit, delivered two
    months after the attempt. To 2025: attempts up to October count, on the HBM arrived by then
    (hbm_2025 / 8 units); to 2026: up to October 2026, when the dies bind (1,000 units)."""
    body = STOCK_AND_LINE.replace("EXTRA\n", extra + "\n" if extra else "")
    loaded = hand(body + chip("chip", "{die: 1, hbm: 8}", extra="delivery_lag: 2\n"), end="2026-12")
    result = foresight(loaded, samples=2, workers=1)
    assert result.years == (2025, 2026)
    units = np.array([hbm_2025 / 8, 1000])[:, None]
    np.testing.assert_allclose(result.bound[2], units.repeat(2, axis=1), rtol=1e-9)
    np.testing.assert_allclose(result.bound[0], 2 * units.repeat(2, axis=1), rtol=1e-9)
    np.testing.assert_allclose(result.engine, result.bound, rtol=1e-9)  # greedy is optimal here
    die, hbm = result.accounts.index("bank"), result.accounts.index("hbm_line")
    prices = result.prices[..., 0]
    np.testing.assert_allclose(prices[0, hbm, :10], 0.25, atol=1e-9)  # 2 H100e per 8 stacks
    np.testing.assert_allclose(prices[0, hbm, 10:], 0.0, atol=1e-9)  # too late to be delivered in 2025
    np.testing.assert_allclose(prices[0, die], 0.0, atol=1e-9)  # dies to spare in 2025
    np.testing.assert_allclose(prices[1, die, :22], 2.0, atol=1e-9)  # dies bind in 2026
    np.testing.assert_allclose(prices[1, hbm], 0.0, atol=1e-9)


SHARED_DIES = (
    """\
components:
  die: {kind: logic_die}
  hbm: {kind: hbm_stack}
  gddr: {kind: memory}
sources:
  bank: {kind: stockpile, component: die, initial: DIES}
  hbm_stock: {kind: stockpile, component: hbm, arrivals: {2025-07: 80}}
  gddr_flow: {kind: flow, component: gddr, rate: 1M}
packaging:
  pkg: {capacity: 1M}
products:
"""
    + chip("top", "{die: 1, hbm: 1}", priority=1)
    + chip("low", "{die: 1, gddr: 1}", tflops=1000, priority=2)
)


def test_the_bound_waits_for_the_memory_where_priority_does_not() -> None:
    """100 dies; 80 HBM stacks arrive in July. Month by month, the top product (2 H100e) has no
    HBM in January, so the low one (1 H100e, GDDR) takes every die: 100 H100e. The bound keeps
    80 dies for July: 80 × 2 + 20 × 1 = 180. One more die is worth 1 (the low product), one more
    stack 1 (a die moves from the low product to the top one), whenever it arrives."""
    result = foresight(hand(SHARED_DIES.replace("DIES", "100")), samples=1, workers=1)
    assert result.engine[0, 0, 0] == pytest.approx(100.0)
    assert result.bound[0, 0, 0] == pytest.approx(180.0)
    assert result.gap[0, 0] == pytest.approx(80.0)
    assert result.bound[2, 0, 0] == pytest.approx(100.0)
    prices = result.prices[0, :, :, 0]
    for name, value in (("bank", 1.0), ("hbm_stock", 1.0), ("gddr_flow", 0.0), ("pkg", 0.0)):
        np.testing.assert_allclose(prices[result.accounts.index(name)], value, atol=1e-9, err_msg=name)


def test_shadow_prices_equal_finite_differences_on_a_small_instance() -> None:
    loaded = hand(SHARED_DIES.replace("DIES", "100"))
    plan, supply = block(loaded, 1)
    layout = _build_layout(plan)
    numbers = _numbers(plan, supply, "compute", 0)
    base = _solve_batch(layout, numbers)
    for name in ("bank", "hbm_stock", "gddr_flow", "pkg"):
        a = plan.accounts.index(next(acc for acc in plan.accounts if acc.name == name))
        for t in (0, 3, 6, 11):
            for step in (-1.0, 1.0):
                changed = numbers.limits.copy()
                changed[t * layout.ub_rows + a] += step
                if changed[t * layout.ub_rows + a] < 0:
                    continue
                moved = _solve_batch(layout, numbers._replace(limits=changed))
                difference = (moved.objective[0, 0] - base.objective[0, 0]) / step
                assert difference == pytest.approx(base.prices[0, a, t, 0], abs=1e-7), (name, t, step)


@pytest.mark.parametrize(
    ("owners", "expected"),
    [("", 220.0), ("owner: A", 120.0), ("owners: {A: 50 %, shared: rest}", 170.0)],
    ids=["shared", "owned by A", "half A's"],
)
def test_a_variant_draws_only_on_what_its_vendor_may(owners: str, expected: float) -> None:
    """A bank of 100 dies, B's own 10. B's chip (2 H100e) may use the bank's shared part and its
    own; A's (1 H100e) the rest of the bank."""
    pile = "{kind: stockpile, component: die, initial: 100" + (", " + owners if owners else "") + "}"
    own = "{kind: stockpile, component: die, initial: 10, owner: B}"
    body = f"components:\n  die: {{kind: logic_die}}\nsources:\n  bank: {pile}\n  b_bank: {own}\n"
    body += "packaging:\n  pkg: {capacity: 1M}\n"
    products = "products:\n" + chip("b_chip", "{die: 1}", vendor="B")
    products += chip("a_chip", "{die: 1}", tflops=1000, priority=2)
    result = foresight(hand(body + products), samples=1, workers=1)
    assert result.bound[0, 0, 0] == pytest.approx(expected)


PACKAGING = """\
components:
  die: {kind: logic_die}
sources:
  bank: {kind: stockpile, component: die, initial: 1000}
packaging:
  pkg: {capacity: 10, yield: 50 %, lag: 1}
MARKET
products:
"""


@pytest.mark.parametrize(
    ("product", "market", "units", "slot"),
    [
        ("", "", 55.0, 1.0),  # 10 attempts a month, 5 good, attempts up to November count
        ("launch: 2025-07\n", "", 25.0, 1.0),  # July to November
        ("demand_cap: 3\n", "", 33.0, 0.0),  # 3 good units a month, January to November
        ("", "market_demand: {units: 2, cap_domestic: true}", 22.0, 0.0),
    ],
    ids=["capacity", "launch", "demand cap", "market demand"],
)
def test_packaging_capacity_does_not_carry_over(product: str, market: str, units: float, slot: float) -> None:
    """Dies to spare, 10 package attempts a month at 50% yield, one month of packaging lag. One
    more attempt a month is worth 0.5 × 2 H100e while packaging binds, else nothing."""
    loaded = hand(PACKAGING.replace("MARKET\n", market + "\n" if market else "") + chip("c", "{die: 1}", extra=product))
    result = foresight(loaded, samples=1, workers=1)
    assert result.bound[2, 0, 0] == pytest.approx(units)
    assert result.bound[0, 0, 0] == pytest.approx(2 * units)
    assert result.engine[0, 0, 0] == pytest.approx(2 * units)
    line = result.accounts.index("pkg")
    first = 6 if product.startswith("launch") else 0
    np.testing.assert_allclose(result.prices[0, line, first:11, 0], slot, atol=1e-9)
    np.testing.assert_allclose(result.prices[0, line, 11, 0], 0.0, atol=1e-9)
    np.testing.assert_allclose(result.prices[0, result.accounts.index("bank"), :, 0], 0.0, atol=1e-9)


def test_a_wafer_is_worth_its_good_dies() -> None:
    """A fab line: 100 dies per wafer at 50% yield, 10 wafers a month; 8 HBM stacks per unit,
    300 stacks in stock: HBM binds, a die is worth nothing, nor a wafer. With 1M stacks the
    packaging line (1,000 a month) binds first. With dies binding, a die is worth 2 and a wafer
    start 2 × 50 good dies = 100."""
    fab = (
        "  fab: {kind: fab_line, wafer_starts: 10, dies: [{component: die, share: 100 %, dies_per_wafer: 100, "
        "yield: 50 %}]}\n"
    )
    body = (
        "components:\n  die: {kind: logic_die}\n  hbm: {kind: hbm_stack}\nsources:\n"
        + fab
        + "  hbm_stock: {kind: stockpile, component: hbm, initial: HBM}\npackaging:\n  pkg: {capacity: 1M}\n"
        + "products:\n"
        + chip("c", "{die: 1, hbm: 8}")
    )
    scarce = foresight(hand(body.replace("HBM", "300")), samples=1, workers=1)
    np.testing.assert_allclose(scarce.wafer_prices[0, 0, :, 0], 0.0, atol=1e-9)
    ample = foresight(hand(body.replace("HBM", "1M")), samples=1, workers=1)
    assert ample.fab_pools == ("fab",)
    np.testing.assert_allclose(ample.prices[0, ample.accounts.index("fab"), :, 0], 2.0, atol=1e-9)
    np.testing.assert_allclose(ample.wafer_prices[0, 0, :, 0], 100.0, atol=1e-7)
    assert ample.bound[2, 0, 0] == pytest.approx(12 * 500)


# ------------------------------------------------------------------ the same samples as a run


UNCERTAIN = SHARED_DIES.replace("initial: DIES", "initial: {uniform: [50, 150]}").replace(
    "rate: 1M", "rate: {uniform: [5, 60]}"
)


def test_the_month_by_month_side_is_the_run_of_the_same_seed() -> None:
    loaded = hand(UNCERTAIN, end="2026-12")
    result = foresight(loaded, samples=8, seed=7, workers=1)
    ran = run(loaded, samples=8, seed=7)
    per_year = ran.annual_values("compute_added_h100e", "domestic")  # (samples, years)
    np.testing.assert_allclose(result.engine[1], np.cumsum(per_year, axis=1).T, rtol=1e-5)
    units = ran.annual_values("units_delivered", "domestic")
    np.testing.assert_allclose(result.engine[2], np.cumsum(units, axis=1).T, rtol=1e-5)
    assert (result.gap >= -1e-6).all()
    assert result.gap.max() > 1.0  # some samples gain from planning


def test_the_result_does_not_depend_on_the_number_of_workers() -> None:
    loaded = hand(UNCERTAIN, end="2026-12")
    alone = foresight(loaded, samples=40, seed=2, workers=1)
    shared = foresight(loaded, samples=40, seed=2, workers=2)
    for field in ("bound", "engine", "prices", "wafer_prices"):
        assert np.array_equal(getattr(alone, field), getattr(shared, field)), field
    first = foresight(loaded, samples=5, seed=2, workers=1)
    assert np.array_equal(first.bound, alone.bound[..., :5])  # a sample is the same in any run


def test_the_tables_summarise_per_year_and_account() -> None:
    result = foresight(hand(UNCERTAIN, end="2026-12"), samples=6, workers=1)
    table = result.table()
    assert list(table["year"]) == [2025, 2026]
    assert (table["bound_p50"] >= table["engine_p50"] - 1e-9).all()
    assert (table["gap_p5"] <= table["gap_p50"]).all()
    assert (table["gap_p50"] <= table["gap_p95"]).all()
    prices = result.shadow_table()
    assert set(prices["kind"]) == {"part", "package"}
    assert set(prices["year_end"]) == {2025, 2026}
    assert not ((prices["year_end"] == 2025) & (prices["year"] == 2026)).any()  # nothing after the year-end
    assert result.to_dict()["dropped"] == list(DROPPED)


def test_bad_arguments_are_refused() -> None:
    loaded = hand(UNCERTAIN)
    with pytest.raises(SimulationError, match="objective must be one of compute, units"):
        foresight(loaded, samples=2, objective="value")
    with pytest.raises(SimulationError, match="at least 1"):
        foresight(loaded, samples=0)


def test_samples_past_the_first_block_are_the_runs() -> None:
    loaded = hand(UNCERTAIN)
    result = foresight(loaded, samples=1030, seed=4, workers=2)
    ran = run(loaded, samples=1030, seed=4)
    np.testing.assert_allclose(result.engine[1], ran.annual_values("compute_added_h100e", "domestic").T, rtol=1e-5)


def test_china_bound_is_above_the_engine() -> None:
    result = foresight(load_scenario("china"), samples=4, workers=2)
    assert (result.gap >= -1e-6 * np.maximum(result.bound[0], 1.0)).all()
    assert (np.diff(result.bound[0], axis=0) >= -1e-6 * result.bound[0, 1:]).all()  # cumulative


# ------------------------------------------------------------------ properties


def _tolerance(values: np.ndarray) -> np.ndarray:
    return 1e-6 * np.maximum(np.abs(values), 1.0)


@PROPERTIES
@given(scenarios(max_months=8), st.sampled_from(["compute", "units"]))
def test_the_bound_is_at_least_the_month_by_month_result(gen: Generated, objective: str) -> None:
    result = foresight(gen.loaded(), samples=3, workers=1, objective=objective)
    assert (result.bound[0] >= result.engine[0] - _tolerance(result.engine[0])).all()
    assert (result.prices >= -1e-6).all()


@PROPERTIES
@given(scenarios(max_months=8), st.data())
def test_more_supply_never_lowers_the_bound(gen: Generated, data: st.DataObject) -> None:
    path, change = data.draw(st.sampled_from(gen.supply_inputs))
    factor = data.draw(st.floats(1.1, 3.0))
    base = foresight(gen.loaded(), samples=3, workers=1)
    more = foresight(gen.more(path, change, factor).loaded(), samples=3, workers=1)
    assert (more.bound[0] >= base.bound[0] - _tolerance(base.bound[0])).all(), (path, change, factor)


@PROPERTIES
@given(scenarios(max_months=8), st.data())
def test_shadow_prices_lie_between_one_sided_differences(gen: Generated, data: st.DataObject) -> None:
    """The bound is concave in every arrival, so the dual of an inventory row lies between the
    one-sided finite differences of any step: (V(b + h) − V(b)) / h ≤ price ≤ (V(b) − V(b − h)) / h."""
    plan, supply = block(gen.loaded(), 1)
    layout = _build_layout(plan)
    numbers = _numbers(plan, supply, "compute", 0)
    base = _solve_batch(layout, numbers)
    a = data.draw(st.integers(0, len(plan.accounts) - 1))
    t = data.draw(st.integers(0, layout.months - 1))
    row = t * layout.ub_rows + a
    step = max(1.0, 0.01 * float(numbers.limits[row, 0]))
    price, value = base.prices[-1, a, t, 0], base.objective[-1, 0]
    slack = 1e-6 * max(abs(value), 1.0) / step + 1e-7
    up = numbers.limits.copy()
    up[row] += step
    rise = (_solve_batch(layout, numbers._replace(limits=up)).objective[-1, 0] - value) / step
    assert rise <= price + slack
    if numbers.limits[row, 0] >= step:
        down = numbers.limits.copy()
        down[row] -= step
        fall = (value - _solve_batch(layout, numbers._replace(limits=down)).objective[-1, 0]) / step
        assert price <= fall + slack


# ------------------------------------------------------------------ the command


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "hand.yaml"
    path.write_text(HEAD.format(end="2026-12") + textwrap.dedent(UNCERTAIN), encoding="utf-8")
    return path


def test_the_command_prints_the_bound_and_the_shadow_prices(scenario_file: Path) -> None:
    done = CliRunner().invoke(command, [str(scenario_file), "--samples", "4", "--workers", "1"])
    assert done.exit_code == 0, done.output
    for text in ("perfect-foresight bound", "month-by-month P50", "gap P5–P95", "shadow prices", "bank", "Dropped"):
        assert text in done.output


def test_the_command_writes_json_and_csv(scenario_file: Path, tmp_path: Path) -> None:
    done = CliRunner().invoke(command, [str(scenario_file), "--samples", "4", "--workers", "1", "--format", "json"])
    assert done.exit_code == 0, done.output
    document = json.loads(done.output)
    assert document["samples"] == 4
    assert [row["year"] for row in document["years"]] == [2025, 2026]
    assert document["non_finite"] == []
    target = tmp_path / "out" / "bound.csv"
    args = [str(scenario_file), "--samples", "4", "--workers", "1", "--format", "csv", "--out", str(target)]
    done = CliRunner().invoke(command, args)
    assert done.exit_code == 0, done.output
    table = pd.read_csv(StringIO(target.read_text(encoding="utf-8")))
    assert set(table["table"]) == {"years", "shadow_prices"}
    assert {"bound_p50", "engine_p50", "gap_p50", "p50", "name"} <= set(table)


def test_run_with_foresight_prints_the_bound_beside_the_run(capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, stderr = run_main(capsys, "run", "example", "--samples", "40", "--foresight")
    assert code == 0, stderr
    text = " ".join(stdout.split())
    assert "perfect-foresight bound" in text
    assert "month-by-month P50" in text
    assert "Dropped: priorities" in text
    code, _, stderr = run_main(capsys, "run", "example", "--samples", "40", "--foresight", "--format", "json")
    assert code == 2
    assert "stackbound foresight --format" in stderr
