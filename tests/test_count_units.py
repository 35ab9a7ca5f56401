"""Each field that counts has one counting unit (issue 11).

A bare number is read as that unit; another counting unit is refused, naming the field and
the conversion it needs. Packaging capacity alone takes a second one: interposer wafers,
beside ``packages_per_wafer`` or an ``interposer_area`` that gives it (gross dies per wafer).
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from stackbound.errors import ScenarioError
from stackbound.scenario.inputs import walk_params
from stackbound.scenario.loader import load_scenario
from stackbound.scenario.months import parse_month
from stackbound.scenario.values import Param
from support import block, load, product, scenario, simulate_block

FIXTURE = Path(__file__).parent / "fixtures" / "blackwell.yaml"
RETICLE = 26.0 * 33.0  # mm², the lithography field
INTERPOSER = 3.3 * RETICLE  # 2831.4 mm², CoWoS-L for Blackwell Ultra


def hand_packages_per_wafer(area: float, diameter: float = 300.0) -> float:
    """Gross dies per wafer, written out: π(d/2)²/A − πd/√(2A)."""
    return math.pi * (diameter / 2) ** 2 / area - math.pi * diameter / math.sqrt(2 * area)


def base(**packaging: Any) -> dict[str, Any]:
    """One logic die, one HBM stockpile, one packaging line ``pkg`` with ``packaging``."""
    return scenario(
        components={"logic": {"kind": "logic_die"}, "hbm": {"kind": "hbm_stack"}},
        sources={
            "fab": {
                "kind": "fab_line",
                "wafer_starts": "10k wafer/month",
                "dies": [{"component": "logic", "share": 1.0, "dies_per_wafer": 60, "yield": 1.0}],
            },
            "hbm_pile": {"kind": "stockpile", "component": "hbm", "initial": "10M stack"},
        },
        products={"accel": product({"logic": 2, "hbm": 8})},
        packaging={"pkg": {"capacity": "10k package/month", **packaging}},
    )


def capacity(data: dict[str, Any]) -> np.ndarray:
    _, supply = block(load(data), 2)
    return supply.capacity[0]


def problems(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ScenarioError) as error:
        load(data)
    return [(p.path, p.message) for p in error.value.problems]


# ------------------------------------------------------------------ packaging in wafers


def test_the_hand_figure_for_a_cowos_l_interposer() -> None:
    assert math.isclose(INTERPOSER, 2831.4)
    assert hand_packages_per_wafer(INTERPOSER) == pytest.approx(12.4406, abs=1e-4)


def test_wafers_times_packages_per_wafer_given() -> None:
    data = base(capacity="15k wafer/month", packages_per_wafer=14)
    np.testing.assert_allclose(capacity(data), 15_000 * 14)


def test_wafers_times_packages_per_wafer_computed_from_the_interposer_area() -> None:
    data = base(capacity="15k wafer/month", interposer_area=f"{INTERPOSER} mm^2")
    np.testing.assert_allclose(capacity(data), 15_000 * hand_packages_per_wafer(INTERPOSER))
    assert capacity(data)[0, 0] == pytest.approx(186_609.26, abs=0.01)


def test_the_wafer_diameter_of_a_packaging_line() -> None:
    data = base(capacity="1k wafer/month", interposer_area="1000 mm^2", wafer_diameter="200 mm")
    np.testing.assert_allclose(capacity(data), 1_000 * hand_packages_per_wafer(1000.0, 200.0))


def test_packages_per_wafer_may_be_a_curve_and_levers_still_multiply() -> None:
    data = base(capacity="10k wafer/month", packages_per_wafer={"2025-01": 10, "2025-11": 20}, levers=["more"])
    data["levers"] = {"more": {"value": 1.5}}
    result = capacity(data)[:, 0]
    assert result[0] == pytest.approx(10_000 * 10 * 1.5)
    assert result[5] == pytest.approx(10_000 * 15 * 1.5)
    assert result[11] == pytest.approx(10_000 * 20 * 1.5)


def test_wafers_per_year_are_converted_before_packages_per_wafer() -> None:
    data = base(capacity="120k wafer/year", packages_per_wafer="12 package/wafer")
    np.testing.assert_allclose(capacity(data), 10_000 * 12)


def test_capacity_in_wafers_shows_its_unit() -> None:
    data = base(capacity="15k wafer/month", packages_per_wafer=14)
    assert _param(data, "packaging.pkg.capacity").kind.unit == "wafer/month"
    assert _param(base(), "packaging.pkg.capacity").kind.unit == "package/month"


# ------------------------------------------------------------------ packaging refusals


def test_the_old_trap_wafers_without_packages_per_wafer_is_refused() -> None:
    """``15k wafer/month`` was read as 15,000 packages: ~12× too few B300s."""
    found = problems(base(capacity={"2025-01": "15k wafer/month"}))
    assert len(found) == 1
    path, message = found[0]
    assert path == "packaging.pkg.capacity"
    assert "got '15k wafer/month'" in message
    assert "give packages_per_wafer, or interposer_area to compute it" in message


def test_the_old_trap_exits_2_naming_the_field_and_the_conversion(tmp_path: Path) -> None:
    text = FIXTURE.read_text(encoding="utf-8")
    start = text.index("    interposer_area:")
    end = text.index("    yield: {value: 95 %")
    path = tmp_path / "trap.yaml"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "stackbound", "check", str(path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2, done.stderr
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "15k wafer/month" in text)
    assert f"{path}:{line}:" in done.stderr
    assert "packaging.cowos_l.capacity: expected a rate in package/month, got '15k wafer/month'" in done.stderr
    assert "give packages_per_wafer, or interposer_area to compute it" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("packaging", "message"),
    [
        ({"capacity": "15k", "packages_per_wafer": 12}, "state the unit (write 15000 wafer/month)"),
        ({"capacity": {"to": [10_000, 20_000]}, "packages_per_wafer": 12}, "state the unit"),
        ({"capacity": "15k/month", "packages_per_wafer": 12}, "write the counting unit (wafer/month)"),
        ({"capacity": "15k package/month", "packages_per_wafer": 12}, "this field counts wafers, not packages"),
        ({"capacity": "15k stack/month", "packages_per_wafer": 12}, "counts wafers, not stacks"),
        ({"capacity": "15k die/month"}, "this field counts packages, not dies"),
        ({"capacity": "15k unit/month"}, "this field counts packages, not units"),
    ],
)
def test_capacity_in_another_count_is_refused(packaging: dict[str, Any], message: str) -> None:
    found = problems(base(**packaging))
    assert any(path == "packaging.pkg.capacity" and message in text for path, text in found), found


def test_capacity_needs_one_conversion_not_two() -> None:
    found = problems(base(capacity="1k wafer/month", packages_per_wafer=12, interposer_area="2800 mm^2"))
    assert (
        "packaging.pkg",
        "give packages_per_wafer or interposer_area (packages per wafer are computed), not both",
    ) in (found)


def test_a_wafer_diameter_without_an_interposer_area_is_refused() -> None:
    found = problems(base(capacity="1k wafer/month", packages_per_wafer=12, wafer_diameter="200 mm"))
    assert any("wafer_diameter is used only" in text for _, text in found), found


@pytest.mark.parametrize("per_wafer", ["12 die/wafer", "0", "-3"])
def test_packages_per_wafer_is_a_positive_number_of_packages(per_wafer: str) -> None:
    found = problems(base(capacity="1k wafer/month", packages_per_wafer=per_wafer))
    assert any(path == "packaging.pkg.packages_per_wafer" for path, _ in found), found


# ------------------------------------------------------------------ every counting field


def full(**edits: Any) -> dict[str, Any]:
    """A scenario with every counting field once, bare; ``edits`` replace them by path."""
    data = scenario(
        components={"logic": {"kind": "logic_die"}, "hbm": {"kind": "hbm_stack"}, "dram": {"kind": "memory"}},
        sources={
            "fab": {
                "kind": "fab_line",
                "wafer_starts": "10k wafer/month",
                "dies": [{"component": "logic", "share": 1.0, "dies_per_wafer": 60, "yield": 1.0}],
            },
            "pile": {"kind": "stockpile", "component": "hbm", "initial": 1000, "arrivals": {"2025-03": 10}},
            "capped": {"kind": "stockpile", "component": "logic", "initial": 5, "max_draw": 100},
            "flow": {"kind": "flow", "component": "hbm", "rate": 100},
            "line": {"kind": "memory_line", "component": "dram", "stacks": 100},
        },
        products={"accel": product({"logic": 1, "hbm": 8, "dram": 2}, demand_cap=50)},
        packaging={"pkg": {"capacity": 100}},
        imports={"licensed": {"product": "accel", "units": 10}},
        market_demand={"units": 1000},
        initial={
            "installed_base": [{"product": "accel", "units": 10, "installed": "2024-06"}],
            "work_in_progress": [{"product": "accel", "units": 10, "completes": "2025-02"}],
        },
    )
    data["products"]["accel"]["variants"]["main"]["slots"] = 1
    for dotted, value in edits.items():
        node = data
        *parents, last = dotted.split(".")
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[last] = value
    return data


FIELDS = [
    # path, counting unit, rate?, a wrong count, the conversion (or refusal) named
    ("sources.pile.initial", "stack", False, "die", "DRAM dies become stacks on a memory_line"),
    ("sources.pile.arrivals.2025-03", "stack", False, "wafer", "DRAM wafers become stacks on a memory_line"),
    ("sources.capped.initial", "die", False, "stack", "no conversion from stacks to dies"),
    ("sources.capped.max_draw", "die", True, "wafer", "wafers become dies on a fab_line"),
    ("sources.flow.rate", "stack", True, "package", "no conversion from packages to stacks"),
    ("sources.line.stacks", "package", True, "stack", "no conversion from stacks to packages"),
    ("products.accel.variants.main.bill.hbm", "stack", False, "die", "DRAM dies become stacks"),
    ("products.accel.variants.main.bill.dram", "package", False, "unit", "no conversion from units to packages"),
    ("products.accel.variants.main.slots", "package", False, "wafer", "interposer wafers become packages"),
    ("products.accel.demand_cap", "unit", True, "package", "no conversion from packages to units"),
    ("packaging.pkg.capacity", "package", True, "wafer", "give packages_per_wafer"),
    ("imports.licensed.units", "unit", True, "die", "no conversion from dies to units"),
    ("market_demand.units", "unit", True, "stack", "no conversion from stacks to units"),
    ("initial.installed_base.0.units", "unit", False, "package", "no conversion from packages to units"),
    ("initial.work_in_progress.0.units", "unit", False, "wafer", "no conversion from wafers to units"),
]


def _shown(dotted: str) -> str:
    """The problem path as the loader writes it (list indices in brackets)."""
    parts = dotted.split(".")
    return ".".join(f"[{p}]" if p.isdigit() else p for p in parts).replace(".[", "[")


def _param(data: dict[str, Any], dotted: str) -> Param:
    node: Any = load(data).scenario
    for key in dotted.split("."):
        if key.isdigit():
            node = node[int(key)]
        elif isinstance(node, dict):
            node = node[key] if key in node else node[parse_month(key)]
        else:
            node = getattr(node, key)
    assert isinstance(node, Param)
    return node


@pytest.mark.parametrize(("dotted", "count", "rate", "wrong", "conversion"), FIELDS)
def test_a_bare_number_is_read_as_the_fields_count(
    dotted: str, count: str, rate: bool, wrong: str, conversion: str
) -> None:
    param = _param(full(), dotted)
    assert param.kind.unit == (f"{count}/month" if rate else count)
    assert param.kind.count == count


@pytest.mark.parametrize(("dotted", "count", "rate", "wrong", "conversion"), FIELDS)
def test_the_fields_own_count_is_accepted(dotted: str, count: str, rate: bool, wrong: str, conversion: str) -> None:
    written = "12 " + (f"{count}/month" if rate else f"{count}s")
    assert _param(full(**{dotted: written}), dotted).median() == 12


@pytest.mark.parametrize(("dotted", "count", "rate", "wrong", "conversion"), FIELDS)
def test_another_count_is_refused_naming_the_conversion(
    dotted: str, count: str, rate: bool, wrong: str, conversion: str
) -> None:
    written = "12 " + (f"{wrong}/month" if rate else wrong)
    found = problems(full(**{dotted: written}))
    assert len(found) == 1, found
    path, message = found[0]
    assert path == _shown(dotted)
    assert f"got '{written}'" in message
    assert f"this field counts {count}s, not {wrong}s" in message
    assert conversion in message


@pytest.mark.parametrize("dotted", [f[0] for f in FIELDS if f[2]])
def test_a_count_per_month_without_a_counting_unit_is_the_fields_count(dotted: str) -> None:
    param = _param(full(**{dotted: "1.2k/month"}), dotted)
    assert param.median() == pytest.approx(1_200)
    assert param.kind.unit != "1/month"


def test_a_distributions_unit_is_checked_too() -> None:
    found = problems(full(**{"sources.flow.rate": {"to": [10, 20], "unit": "die/month"}}))
    assert [path for path, _ in found] == ["sources.flow.rate"]
    assert "counts stacks, not dies" in found[0][1]


def test_a_curve_with_one_wrong_knot_is_refused() -> None:
    found = problems(full(**{"imports.licensed.units": {"2025-01": "10 unit/month", "2025-06": "20 package/month"}}))
    assert [path for path, _ in found] == ["imports.licensed.units"]


def test_an_other_component_counts_units() -> None:
    data = full(**{"components.dram.kind": "other"})
    assert _param(data, "sources.line.stacks").kind.unit == "unit/month"


def test_no_counting_field_is_shown_as_a_bare_rate() -> None:
    """No field of any shipped scenario, or of the fixture, degrades to ``1/month``."""
    for name in ("china", "example", str(FIXTURE)):
        loaded = load_scenario(name)
        for path, param in walk_params(loaded.scenario):
            assert param.kind.unit != "1/month", (name, path)
            assert param.kind.targets != ("", "die", "stack", "package", "unit", "wafer"), (name, path)


# ------------------------------------------------------------------ the B300 fixture


def test_the_fixture_is_packaging_bound_at_the_hand_derived_number() -> None:
    """January 2025: 15k interposer wafers × 12.4406 packages a wafer = 186,609 package
    attempts; one slot each, so 186,609 B300 attempts, 95 % good, in every sample (dies
    and HBM are ample then)."""
    loaded = load_scenario(FIXTURE)
    plan, supply, paths = simulate_block(loaded, 64, seed=3)
    v = next(i for i, spec in enumerate(plan.variants) if spec.name == "b300/main")
    attempts = 15_000 * hand_packages_per_wafer(INTERPOSER)
    assert attempts == pytest.approx(186_609.26, abs=0.01)
    np.testing.assert_allclose(paths.attempts[v, 0], attempts, rtol=1e-9)
    assert np.all(paths.binding[v, 0] == plan.code_packaging)
    np.testing.assert_allclose(paths.attempts[v, 0] * supply.packaging_yield[0, 0], attempts * 0.95, rtol=1e-9)


def test_the_fixture_declares_two_dies_and_eight_stacks_per_unit() -> None:
    variant = load_scenario(FIXTURE).scenario.products["b300"].variants["main"]
    assert {c: p.median() for c, p in variant.bill.items()} == {"blackwell_die": 2, "hbm3e": 8}
    assert variant.bill["hbm3e"].kind.unit == "stack"
