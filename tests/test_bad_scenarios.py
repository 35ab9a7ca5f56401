"""Every kind of mistake a scenario file can hold is reported as a located ScenarioError.

Each file in ``tests/bad_scenarios/`` is ``_base_valid.yaml`` with one mistake (files whose
name starts with ``_`` are helpers: the valid base, and the other half of an overlay
cycle). The table below says, for each file, one problem the loader must report: the
line, a substring of the field path and a substring of the message.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest

from stackbound.errors import Problem, ScenarioError
from stackbound.scenario.loader import load_scenario

BAD = Path(__file__).parent / "bad_scenarios"
BASE = BAD / "_base_valid.yaml"


class Expected(NamedTuple):
    line: int
    path: str
    message: str
    file: str | None = None  # the file the problem is in, when it is not the entry file


CASES: dict[str, Expected] = {
    # YAML syntax
    "yaml_unclosed_bracket": Expected(5, "", "flow mapping at line 4"),
    "yaml_bad_indentation": Expected(10, "", "mapping values are not allowed here"),
    "yaml_tab_indent": Expected(10, "", "cannot start any token"),
    "yaml_duplicate_key": Expected(4, "name", "duplicate key 'name'"),
    "yaml_python_tag": Expected(3, "name", "python/object/apply:os.system' is not allowed"),
    "yaml_empty": Expected(1, "", "the file is empty"),
    "yaml_top_level_list": Expected(2, "", "a scenario must be a mapping of keys, got list"),
    "yaml_two_documents": Expected(22, "", "expected a single document"),
    "yaml_self_referencing_alias": Expected(4, "notes", "does an alias contain itself?"),
    "yaml_control_character": Expected(18, "", "character U+0007 is not allowed"),
    "yaml_bad_explicit_int": Expected(21, "variants.main.priority", "'first' cannot be read as"),
    # types
    "type_string_for_mapping": Expected(4, "horizon", "valid dictionary"),
    "type_list_for_number": Expected(10, "sources.fab.wafer_starts", "expected a rate in wafer/month, got ["),
    "type_bool_for_number": Expected(14, "sources.fab.dies[0].die_area", "expected an area in mm^2, got True"),
    "type_priority_string": Expected(21, "products.accel.variants.main.priority", "expected a priority, got 'first'"),
    "type_mapping_for_string": Expected(18, "products.accel.vendor", "valid string"),
    "type_bad_component_name": Expected(7, "components.hbm 3", "a name must start with a letter"),
    # units
    "unit_wrong_dimension": Expected(10, "sources.fab.wafer_starts", "expected a rate in wafer/month, got '45k mm"),
    "unit_unknown": Expected(10, "sources.fab.wafer_starts", "unknown unit 'bananas/month'"),
    "unit_count_for_area": Expected(14, "sources.fab.dies[0].die_area", "expected an area in mm^2, got '600 die'"),
    "unit_rate_for_area": Expected(14, "sources.fab.dies[0].die_area", "got '600 wafer/month'"),
    "unit_malformed_expression": Expected(10, "sources.fab.wafer_starts", "unknown unit 'wafer/0'"),
    "unit_tflops_for_bandwidth": Expected(20, "products.accel.specs.bandwidth", "expected a bandwidth in TB/s"),
    "unit_capacity_wafers_without_conversion": Expected(24, "packaging.cowos.capacity", "give packages_per_wafer"),
    "unit_capacity_bare_beside_packages_per_wafer": Expected(24, "packaging.cowos.capacity", "state the unit"),
    "unit_stack_for_die_stockpile": Expected(19, "sources.die_bank.initial", "counts dies, not stacks"),
    "unit_package_for_demand_cap": Expected(20, "products.accel.demand_cap", "counts units, not packages"),
    "unit_wafer_in_bill": Expected(21, "variants.main.bill.logic_die", "wafers become dies on a fab_line"),
    # ranges
    "range_yield_over_100": Expected(15, "sources.fab.dies[0].yield", "a fraction must be <= 1, got 1.3"),
    "range_negative_wafer_starts": Expected(10, "sources.fab.wafer_starts", "must be >= 0, got -5000"),
    "range_horizon_reversed": Expected(4, "horizon", "end (2025-01) must come after start (2026-12)"),
    "range_zero_die_area": Expected(14, "sources.fab.dies[0].die_area", "an area must be > 0, got 0"),
    "range_huge_integer": Expected(14, "sources.fab.dies[0].die_area", "must be a finite number"),
    "range_knot_correlation": Expected(10, "sources.fab.wafer_starts", "knot_correlation must be between -1 and 1"),
    "range_correlation_rank": Expected(24, "correlations[0].rank", "less than 1; got 2"),
    # missing required fields
    "missing_horizon": Expected(2, "horizon", "required field is missing"),
    "missing_components": Expected(2, "components", "required field is missing"),
    "missing_die_yield": Expected(12, "sources.fab.dies[0]", "give exactly one of yield or defect_density"),
    # unknown fields
    "unknown_field_typo": Expected(10, "sources.fab.wafer_start", "unknown field"),
    "unknown_field_top_level": Expected(4, "seed", "unknown field"),
    # references
    "ref_bill_unknown_component": Expected(21, "variants.main.bill.hbm3", "unknown component 'hbm3'"),
    "ref_unknown_packaging": Expected(21, "variants.main.packaging", "unknown packaging line 'cowos'"),
    "ref_unknown_lever": Expected(10, "sources.fab.levers[0]", "unknown lever 'enforcement'"),
    "ref_unknown_platform": Expected(20, "products.accel.platform", "unknown platform 'native'"),
    "ref_import_unknown_product": Expected(24, "imports.licensed.product", "unknown product 'gpu_x'"),
    "ref_draw_order_incomplete": Expected(6, "components.logic_die.draw_order", "must list each source"),
    "ref_duplicate_priority": Expected(26, "products.accel_b.variants.main.priority", "priority 1 is already used"),
    "ref_component_without_source": Expected(7, "components.hbm3", "has no source"),
    # distributions
    "dist_uniform_reversed": Expected(13, "sources.fab.dies[0].share", "[low, high] in increasing order"),
    "dist_to_reversed": Expected(10, "sources.fab.wafer_starts", "low < high"),
    "dist_unknown_family": Expected(10, "sources.fab.wafer_starts", "unknown distribution 'gamma'"),
    "dist_pert_out_of_order": Expected(15, "sources.fab.dies[0].yield", "[low, mode, high] in increasing order"),
    "dist_to_too_wide": Expected(10, "sources.fab.wafer_starts", "a rate must lie within ±1e+15, got 1e+300"),
    "dist_normal_out_of_reach": Expected(13, "sources.fab.dies[0].share", "lie too far out for mean 0.5"),
    "dist_bernoulli_p_over_1": Expected(7, "levers.import_ban.value", "must be <= 1, got 1.5"),
    # curves
    "curve_bad_month": Expected(10, "sources.fab.wafer_starts", "month must be 01 to 12, got '2024-13'"),
    "curve_step_not_bool": Expected(10, "sources.fab.wafer_starts", "step must be true or false"),
    "curve_where_fixed_expected": Expected(14, "sources.fab.dies[0].die_area", "not a curve over time"),
    # overlays
    "overlay_cycle": Expected(3, "extends", "overlays form a cycle", file="_overlay_cycle_b.yaml"),
    "overlay_override_missing_path": Expected(5, "overrides.sources.fab.wafer_start", "does not exist in the base"),
    "overlay_add_existing_path": Expected(5, "add.sources.fab.wafer_starts", "already exists in the base"),
    "overlay_extends_missing_file": Expected(3, "extends", "no such scenario file"),
    "overlay_unknown_key": Expected(4, "horizon", "only through overrides, add or remove"),
    "overlay_override_bad_value": Expected(5, "sources.fab.dies[0].yield", "a fraction must be <= 1"),
    # correlations
    "corr_not_uncertain": Expected(23, "correlations[0].between[0]", "is not an uncertain input"),
    "corr_inconsistent_error": Expected(24, "correlations", "not positive semi-definite"),
    # issue 9: inputs that once loaded, hung or crashed (an empty message: any wording will do)
    "names_nul_byte": Expected(3, "name", ""),
    "names_escape_sequence": Expected(3, "name", ""),
    "names_control_character": Expected(3, "name", ""),
    "names_rtl_mark": Expected(3, "name", ""),
    "names_vendor_control_character": Expected(18, "products.accel.vendor", ""),
    "range_cycle_time_huge": Expected(11, "sources.fab.cycle_time", ""),
    "range_delivery_lag_huge": Expected(20, "products.accel.delivery_lag", ""),
    "range_shift_huge": Expected(10, "sources.fab.wafer_starts", ""),
    "range_horizon_too_long": Expected(4, "horizon", "50 years"),
    "unit_double_percent": Expected(15, "sources.fab.dies[0].yield", ""),
    "yaml_sexagesimal": Expected(14, "sources.fab.dies[0].die_area", ""),
    "yaml_latin1_bytes": Expected(18, "", ""),
    "type_priority_true": Expected(21, "products.accel.variants.main.priority", ""),
    "corr_pair_twice_opposite": Expected(24, "correlations", ""),
}

FAMILIES = ("yaml", "type", "unit", "range", "missing", "unknown", "ref", "dist", "curve", "overlay", "corr", "names")


def load_problems(path: Path) -> list[Problem]:
    """The problems ``load_scenario`` reports for ``path``; any other outcome fails the test."""
    try:
        load_scenario(path)
    except ScenarioError as error:
        problems = error.problems
    except Exception as error:  # the point of the test: nothing but ScenarioError may escape
        pytest.fail(f"{path.name}: {type(error).__name__} escaped instead of ScenarioError: {error}")
    else:
        pytest.fail(f"{path.name}: loaded without error")
    assert problems, "a ScenarioError must carry at least one problem"
    return problems


def entry_files() -> list[str]:
    return sorted(p.stem for p in BAD.glob("*.yaml") if not p.name.startswith("_"))


def test_every_bad_file_has_an_expectation() -> None:
    assert entry_files() == sorted(CASES)


def test_bad_files_cover_every_family() -> None:
    counts = {family: sum(name.startswith(f"{family}_") for name in CASES) for family in FAMILIES}
    assert all(counts.values()), counts
    assert sum(counts.values()) == len(CASES) >= 36


def test_the_base_is_valid() -> None:
    loaded = load_scenario(BASE)
    assert loaded.name == "base"


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_scenario_is_reported(name: str) -> None:
    expected = CASES[name]
    problems = load_problems(BAD / f"{name}.yaml")
    for problem in problems:
        assert Path(problem.file).parent.resolve() == BAD.resolve(), f"not a file of this case: {problem}"
        assert Path(problem.file).is_file(), f"names no file: {problem}"
        assert problem.line > 0, f"no line number: {problem}"
        assert problem.column > 0, f"no column: {problem}"
        assert str(problem).startswith(f"{problem.file}:{problem.line}:{problem.column}:")
    matching = [
        p
        for p in problems
        if Path(p.file).name == (expected.file or f"{name}.yaml")
        and p.line == expected.line
        and expected.path in p.path
        and expected.message in p.message
    ]
    assert matching, f"expected {expected}, got:\n" + "\n".join(map(str, problems))


def _with_mistakes(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    text = BASE.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "three_mistakes.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _located(problems: list[Problem]) -> set[tuple[int, str]]:
    return {(p.line, p.path) for p in problems}


def test_three_field_mistakes_are_reported_together(tmp_path: Path) -> None:
    path = _with_mistakes(
        tmp_path,
        ("wafer_starts: 10k wafer/month", "wafer_starts: 45k mm^2"),
        ("yield: 80 %", "yield: 130 %"),
        ("{priority: 1,", "{priority: first,"),
    )
    problems = load_problems(path)
    assert _located(problems) >= {
        (10, "sources.fab.wafer_starts"),
        (15, "sources.fab.dies[0].yield"),
        (21, "products.accel.variants.main.priority"),
    }
    assert all(p.file == str(path) for p in problems)


def test_three_broken_references_are_reported_together(tmp_path: Path) -> None:
    path = _with_mistakes(
        tmp_path,
        ("    kind: fab_line\n", "    kind: fab_line\n    levers: [enforcement]\n"),
        ("    origin: domestic\n", "    origin: domestic\n    platform: native\n"),
        ("bill: {logic_die: 1}}", "bill: {logic_die: 1, hbm3: 4}}"),
    )
    problems = load_problems(path)
    assert _located(problems) >= {
        (10, "sources.fab.levers[0]"),
        (21, "products.accel.platform"),
        (23, "products.accel.variants.main.bill.hbm3"),
    }


def test_a_singular_but_valid_correlation_matrix_loads(tmp_path: Path) -> None:
    """On the edge of positive semi-definite (smallest eigenvalue about -4e-11, inside the
    tolerance): no repair is reported, and the copula still has a Cholesky factor."""
    text = (BAD / "corr_inconsistent_error.yaml").read_text(encoding="utf-8")
    text = text.replace("\ncorrelation_repair: error\n", "\n").replace("rank: -0.9}", "rank: 0.631033824298117}")
    path = tmp_path / "singular.yaml"
    path.write_text(text, encoding="utf-8")
    loaded = load_scenario(path)
    assert loaded.copula is not None
    assert loaded.warnings == ()
