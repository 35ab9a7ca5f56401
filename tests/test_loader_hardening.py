"""The loader refuses hostile or absurd input quickly, located, and without echoing it.

Names and text (no control or format characters), unit expressions (bounded before pint
sees them), durations, shifts and months (ranges, and the tails of distributions), sizes
(files, curves, problem lists), what may be opened (regular files only), YAML 1.2 number
rules, strict integers and booleans, duplicate correlations, and where ``extends`` may
lead.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stackbound.errors import MAX_PROBLEMS, Problem, ScenarioError
from stackbound.scenario import files, yamlio
from stackbound.scenario.loader import LoadedScenario, load_scenario, load_scenario_text
from stackbound.scenario.units import WAFER_RATE, parse_quantity, unit_problem
from stackbound.scenario.validation import load_validation
from stackbound.scenario.values import MAX_KNOTS
from stackbound.scenario.yamlio import read_yaml

BASE = (Path(__file__).parent / "bad_scenarios" / "_base_valid.yaml").read_text(encoding="utf-8")
CORRELATED = BASE.replace("share: 50 %", "share: {uniform: [0.3, 0.5]}").replace(
    "yield: 80 %", "yield: {uniform: [0.7, 0.9]}"
)
PAIR = ["sources.fab.dies[0].share", "sources.fab.dies[0].yield"]


def problems_of(text: str) -> list[Problem]:
    """The problems of a scenario given as text; loading without error fails the test."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(text, "s.yaml")
    return caught.value.problems


def only(text: str) -> Problem:
    found = problems_of(text)
    assert len(found) == 1, found
    return found[0]


def file_problems(path: Path | str, **options: bool) -> list[Problem]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, **options)
    return caught.value.problems


# ---------------------------------------------------------------- names and text


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ('"a\\0b"', "found U+0000"),
        ('"a\\u202Eb"', "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ('"a\\u200Fb"', "U+200F (RIGHT-TO-LEFT MARK)"),
        ('"a\\e[31mb"', "found U+001B"),
        ('"a\\nb"', "found U+000A"),
        ('"a/b"', "must not contain / or \\"),
        ('"a\\\\b"', "must not contain / or \\"),
        ('".."', "cannot be '..'"),
        ('"."', "cannot be '.'"),
        ('" a"', "must not start or end with a space"),
        ('""', "must not be empty"),
        ("a" * 81, "at most 80 characters, got 81"),
    ],
)
def test_a_bad_scenario_name_is_refused_at_its_line(name: str, message: str) -> None:
    problem = only(BASE.replace("name: base", f"name: {name}"))
    assert (problem.line, problem.path) == (3, "name")
    assert message in problem.message


def test_a_good_name_may_hold_spaces_and_letters_of_any_script() -> None:
    loaded = load_scenario_text(BASE.replace("name: base", "name: Chine 2024 – à la Huawei"))
    assert loaded.name == "Chine 2024 – à la Huawei"


def test_free_text_may_hold_newlines_and_tabs_but_no_other_control() -> None:
    ok = BASE.replace("name: base", 'name: base\ndescription: "one\\ntwo\\tthree"')
    assert load_scenario_text(ok).scenario.description == "one\ntwo\tthree"
    problem = only(BASE.replace("name: base", 'name: base\nnotes: ["fine", "bad \\u202E mark"]'))
    assert (problem.line, problem.path) == (4, "notes[1]")
    assert "U+202E" in problem.message


def test_a_label_is_one_line_and_bounded() -> None:
    problem = only(BASE.replace("vendor: VendorA", 'vendor: "Vendor\\nA"'))
    assert (problem.line, problem.path) == (18, "products.accel.vendor")
    problem = only(BASE.replace("vendor: VendorA", "vendor: " + "v" * 201))
    assert "at most 200 characters" in problem.message


def test_long_free_text_is_refused() -> None:
    problem = only(BASE.replace("name: base", "name: base\ndescription: " + "x" * 5001))
    assert (problem.line, problem.path) == (4, "description")
    assert "at most 5000 characters, got 5001" in problem.message


def test_a_key_with_an_escape_sequence_is_refused_without_showing_it() -> None:
    problem = only(BASE.replace("name: base", 'name: base\n"x\\e[2J": 1'))
    assert problem.line == 4
    assert "\x1b" not in str(problem)
    assert "found U+001B" in problem.message


def test_provenance_text_is_checked() -> None:
    text = BASE.replace("10k wafer/month", '{value: 10k wafer/month, source: "https://a.example/\\u202E"}')
    problem = only(text)
    assert (problem.line, problem.path) == (10, "sources.fab.wafer_starts.source")
    assert "U+202E" in problem.message


# ---------------------------------------------------------------- unit expressions


def test_a_power_tower_in_a_unit_fails_fast_in_a_fresh_process() -> None:
    code = (
        "from stackbound.scenario.units import parse_quantity, WAFER_RATE\n"
        "try:\n    parse_quantity('1 wafer/month**9**9**9', WAFER_RATE)\n"
        "except ValueError as e:\n    print(e)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert "not another power" in done.stdout


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1 wafer/month**9**9**9", "not another power"),
        ("1 wafer/month^2^2", "not another power"),
        ("1 wafer/month**(2)", "not another power"),
        ("1 wafer/month**5", "between -4 and 4"),
        ("1 wafer/((((month))))", "parentheses at most 2 deep"),
        ("1 wafer/month" + "*s/s" * 4, "at most 6 of"),
        ("1 wafer/" + "m" * 70, "at most 64 characters"),
        ("1 wafer/month; import os", "holds only letters"),
    ],
)
def test_unit_expressions_are_bounded_before_pint(text: str, message: str) -> None:
    started = time.monotonic()
    with pytest.raises(ValueError, match="expected a rate") as caught:
        parse_quantity(text, WAFER_RATE)
    assert message in str(caught.value)
    assert time.monotonic() - started < 1.0


def test_ordinary_units_still_read() -> None:
    assert unit_problem("wafer/month") is None
    assert unit_problem("cm^-2") is None
    assert unit_problem("die/(wafer*month)") is None
    assert parse_quantity("540k wafer/year", WAFER_RATE) == pytest.approx(45000.0)


def test_a_double_percent_is_refused_not_read_as_a_ten_thousandth() -> None:
    problem = only(BASE.replace("yield: 80 %", "yield: 80 %%"))
    assert (problem.line, problem.path) == (15, "sources.fab.dies[0].yield")
    assert "% at most once" in problem.message


# ---------------------------------------------------------------- durations, shifts, months


def _with_cycle_time(value: str) -> str:
    return BASE.replace("    dies:", f"    cycle_time: {value}\n    dies:")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1e9 month", "a duration must be <= 120 month, got 1e+09"),
        ("1e10 month", "a duration must be <= 120 month"),
        ("{to: [1, 1e9]}", "a duration must be <= 120 month, got 1e+09"),
        ("{to: [1, 100]}", "the 99.99% quantile of a duration must be <= 120 month"),
        ("{normal: [3, 1e300]}", "must lie within ±1e+15, got 1e+300"),  # a parameter beyond any magnitude
        ("{lognormal: {median: 3, sigma: 1e300}}", "must lie within ±1e+15, got 1e+300"),
        ("{lognormal: {median: 3, sigma: 30}}", "the 99.99% quantile of a duration must be <= 120 month"),
        ("11 years", "a duration must be <= 120 month, got 132"),
    ],
)
def test_cycle_times_are_bounded_including_their_distributions_tails(value: str, message: str) -> None:
    problem = only(_with_cycle_time(value))
    assert (problem.line, problem.path) == (11, "sources.fab.cycle_time")
    assert message in problem.message


def test_a_sane_uncertain_cycle_time_loads() -> None:
    load_scenario_text(_with_cycle_time("{to: [2, 5]}"))
    load_scenario_text(_with_cycle_time("10 years"))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("delivery_lag", "1e9", "a duration must be <= 120 month"),
        ("service_life", "51 years", "a service life must be <= 600 month, got 612"),
        ("launch", "1900-01", "a month must lie between 1950-01 and 2150-12, got 1900-01"),
        ("launch", "{uniform: [2025-01, 9999-01]}", "got 9999-01"),
        (
            "launch",
            "{normal: {mean: 2025-06, sd: 49 years}}",
            "the 0.01% quantile of a month must be >= 1950-01, got 1843-",
        ),
        ("end_of_life", "{normal: {mean: 2025-06, sd: 1e6 month}}", "a spread of months must be <= 600 month"),
    ],
)
def test_product_durations_and_dates_are_bounded(field: str, value: str, message: str) -> None:
    problem = only(BASE.replace("    origin: domestic", f"    origin: domestic\n    {field}: {value}"))
    assert (problem.line, problem.path) == (20, f"products.accel.{field}")
    assert message in problem.message


@pytest.mark.parametrize(
    ("shift", "message"),
    [
        ("-1e300", "a shift must be >= -600 month, got -1e+300"),
        ("601", "a shift must be <= 600 month, got 601"),
        ("{normal: [0, 1e6]}", "the 0.01% quantile of a shift must be >= -600 month"),
    ],
)
def test_curve_shifts_are_bounded(shift: str, message: str) -> None:
    curve = "{2025-01: 10k, 2026-01: 20k, shift: " + shift + ", unit: wafer/month}"
    problem = only(BASE.replace("10k wafer/month", curve))
    assert (problem.line, problem.path) == (10, "sources.fab.wafer_starts")
    assert message in problem.message


def test_horizons_lie_in_the_calendar_and_last_under_fifty_years() -> None:
    problem = only(BASE.replace("{start: 2025-01, end: 2026-12}", "{start: 1949-01, end: 1960-12}"))
    assert (problem.line, problem.path) == (4, "horizon.start")
    assert "between 1950-01 and 2150-12" in problem.message
    problem = only(BASE.replace("{start: 2025-01, end: 2026-12}", "{start: 2000-01, end: 2050-01}"))
    assert "shorter than 50 years" in problem.message


# ---------------------------------------------------------------- sizes


def test_a_curve_with_too_many_knots_fails_fast_with_one_problem() -> None:
    knots = ", ".join(f"{1950 + i // 12}-{i % 12 + 1:02d}: 1" for i in range(MAX_KNOTS + 1))
    started = time.monotonic()
    problem = only(BASE.replace("10k wafer/month", "{" + knots + ", unit: wafer/month}"))
    assert time.monotonic() - started < 5.0
    assert f"at most {MAX_KNOTS} knots, got {MAX_KNOTS + 1}" in problem.message


def test_problems_are_capped_with_a_count_of_the_rest() -> None:
    bad = "".join(f"  c{i}: {{kind: bogus}}\n" for i in range(250))
    found = problems_of(BASE.replace("components:\n", "components:\n" + bad))
    assert len(found) == MAX_PROBLEMS + 1
    assert found[-1].message == f"... and {250 - MAX_PROBLEMS} more problems not shown (fix these first)"
    assert found[-1].line >= 1


def test_a_file_over_the_size_cap_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as out:
        out.truncate(files.MAX_BYTES + 1)
    (problem,) = file_problems(big)
    assert "too large" in problem.message
    assert "at most 10 MB" in problem.message


def test_a_growing_file_is_read_only_to_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file whose size stat does not tell (a /proc file, one still being written) is
    still cut at MAX_BYTES + 1 bytes."""
    path = tmp_path / "small.yaml"
    path.write_text("x" * 100, encoding="utf-8")
    monkeypatch.setattr(files, "MAX_BYTES", 10)
    with pytest.raises(ScenarioError, match="too large"):
        files.read_text(path, "small.yaml")


# ---------------------------------------------------------------- what may be opened


def test_a_fifo_is_named_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    (problem,) = file_problems(fifo)
    assert problem.message == "cannot read the file: it is a FIFO (named pipe), not a regular file"


def test_a_device_and_a_directory_are_named(tmp_path: Path) -> None:
    (problem,) = file_problems("/dev/zero")
    assert "it is a character device, not a regular file" in problem.message
    (problem,) = file_problems(tmp_path)
    assert "it is a directory, not a regular file" in problem.message


def test_a_validation_file_is_read_the_same_way(tmp_path: Path) -> None:
    fifo = tmp_path / "cases.yaml"
    os.mkfifo(fifo)
    with pytest.raises(ScenarioError, match="FIFO"):
        load_validation(fifo)
    with pytest.raises(ScenarioError, match="no such file"):
        load_validation(tmp_path / "missing.yaml")


def test_permission_denied_is_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.yaml"
    path.write_text(BASE, encoding="utf-8")

    def refuse(*args: object) -> int:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", refuse)
    (problem,) = file_problems(path)
    assert problem.message == "cannot open the file: permission denied"


def test_bad_utf8_is_located_at_its_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(BASE.replace("vendor: VendorA", "vendor: Vend\xf6r").encode("latin-1"))
    (problem,) = file_problems(path)
    assert (problem.line, problem.column) == (18, 17)
    assert "not UTF-8" in problem.message
    assert "0xF6" in problem.message


# ---------------------------------------------------------------- YAML 1.2 and strict types


def test_yaml_1_2_number_and_boolean_rules() -> None:
    text = "a: yes\nb: off\nc: 190:20:30\nd: 012\ne: 0o12\nf: 0x1A\ng: 1_000\nh: 1e3\ni: True\nj: 2025-09-08\n"
    data, _ = read_yaml(text, "t.yaml")
    assert data["a"] == "yes"
    assert data["b"] == "off"
    assert data["c"] == "190:20:30"
    assert (data["d"], data["e"], data["f"]) == (12, 10, 26)
    assert data["g"] == "1_000"
    assert data["h"] == 1000.0
    assert data["i"] is True
    assert str(data["j"]) == "2025-09-08"


def test_sexagesimal_is_not_a_number() -> None:
    problem = only(BASE.replace("10k wafer/month", "190:20:30"))
    assert (problem.line, problem.path) == (10, "sources.fab.wafer_starts")
    assert "got '190:20:30'" in problem.message


def test_underscores_in_a_number_are_thousands_separators() -> None:
    loaded = load_scenario_text(BASE.replace("10k wafer/month", "10_000"))
    wafer_starts = loaded.scenario.sources["fab"].wafer_starts  # type: ignore[union-attr]
    assert wafer_starts is not None
    assert wafer_starts.median() == 10000.0


@pytest.mark.parametrize(
    ("old", "new", "line", "path", "message"),
    [
        (
            "priority: 1",
            "priority: true",
            21,
            "products.accel.variants.main.priority",
            "whole number from 1 (first), got True",
        ),
        (
            "priority: 1",
            "priority: 1.0",
            21,
            "products.accel.variants.main.priority",
            "whole number from 1 (first), got 1.0",
        ),
        ("stackbound: 1", "stackbound: true", 2, "stackbound", "format version must be 1, got True"),
        ("stackbound: 1", "stackbound: 1.0", 2, "stackbound", "format version must be 1, got 1.0"),
    ],
)
def test_integers_are_strict(old: str, new: str, line: int, path: str, message: str) -> None:
    problem = only(BASE.replace(old, new))
    assert (problem.line, problem.path) == (line, path)
    assert message in problem.message


def test_yes_is_not_a_boolean() -> None:
    text = BASE.replace("name: base", "name: base\nmarket_demand: {units: 5k/month, cap_domestic: yes}")
    problem = only(text)
    assert (problem.line, problem.path) == (4, "market_demand.cap_domestic")
    assert "valid boolean; got 'yes'" in problem.message


def test_a_rank_of_true_is_refused() -> None:
    text = CORRELATED + f"correlations:\n  - {{between: {PAIR}, rank: true}}\n"
    problem = only(text)
    assert problem.path == "correlations[0].rank"


@pytest.mark.parametrize("second", [PAIR, PAIR[::-1]])
def test_a_correlation_pair_given_twice_is_refused(second: list[str]) -> None:
    text = CORRELATED + f"correlations:\n  - {{between: {PAIR}, rank: 0.5}}\n  - {{between: {second}, rank: -0.5}}\n"
    problem = only(text)
    assert (problem.line, problem.path) == (24, "correlations[1]")
    assert "already correlated by correlations[0]" in problem.message


def test_a_single_correlation_still_loads() -> None:
    loaded = load_scenario_text(CORRELATED + f"correlations:\n  - {{between: {PAIR}, rank: 0.5}}\n")
    assert loaded.copula is not None


# ---------------------------------------------------------------- every problem has a line


def test_an_alias_bomb_is_located_at_the_alias() -> None:
    rows = ["a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"]
    for name, prev in zip("bcde", "abcd", strict=True):
        rows.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    rows.append("f: [" + ", ".join(["*e"] * 10) + "]")
    with pytest.raises(ScenarioError) as caught:
        read_yaml("\n".join(rows) + "\n", "bomb.yaml")
    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == (6, 5)
    assert "more than 200000 values" in problem.message


def test_deep_nesting_is_located_where_the_depth_was_passed() -> None:
    with pytest.raises(ScenarioError) as caught:
        read_yaml("a: 1\nb: " + "[" * 500 + "]" * 500 + "\n", "deep.yaml")
    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == (2, 4 + yamlio.MAX_DEPTH - 1)
    assert f"nested more than {yamlio.MAX_DEPTH} deep" in problem.message


def test_a_recursion_error_still_gives_a_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(self: object, node: object, path: object) -> object:
        raise RecursionError

    monkeypatch.setattr(yamlio._Builder, "_mapping", explode)
    with pytest.raises(ScenarioError) as caught:
        read_yaml("a:\n  b: 1\n", "r.yaml")
    assert all(p.line >= 1 for p in caught.value.problems)


def test_a_huge_integer_is_not_echoed_whole() -> None:
    problem = only(BASE.replace("priority: 1", "priority: !!int " + "9" * 5000))
    assert len(problem.message) < 200


# ---------------------------------------------------------------- extends


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


OVERLAY = "stackbound: 1\nextends: {}\nname: o\n"


def _elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Work in a folder of its own, so that the working directory allows nothing else."""
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")


def test_extends_outside_the_folder_is_refused_unless_allowed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _elsewhere(tmp_path, monkeypatch)
    _write(tmp_path / "elsewhere", "base.yaml", BASE)
    top = _write(tmp_path / "mine", "top.yaml", OVERLAY.format("../elsewhere/base.yaml"))
    (problem,) = file_problems(top)
    assert (problem.line, problem.path) == (2, "extends")
    assert "lies outside the scenario's folder and the working directory" in problem.message
    assert "--allow-outside" in problem.message
    assert load_scenario(top, allow_outside=True).name == "o"


def test_extends_inside_the_working_directory_is_allowed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "elsewhere", "base.yaml", BASE)
    top = _write(tmp_path / "mine", "top.yaml", OVERLAY.format("../elsewhere/base.yaml"))
    assert load_scenario(top).name == "o"


def test_a_symlink_out_of_the_folder_is_followed_before_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _elsewhere(tmp_path, monkeypatch)
    target = _write(tmp_path / "elsewhere", "base.yaml", BASE)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "link.yaml").symlink_to(target)
    top = _write(tmp_path / "mine", "top.yaml", OVERLAY.format("link.yaml"))
    (problem,) = file_problems(top)
    assert "lies outside" in problem.message


def test_a_file_that_is_not_a_scenario_is_never_echoed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name, secret in (("plain.txt", "hunter2-PASSWORD\n"), ("keys.yaml", "password: hunter2-PASSWORD\n")):
        _write(tmp_path, name, secret)
        top = _write(tmp_path, "top.yaml", OVERLAY.format(name))
        for allow in (False, True):
            (problem,) = file_problems(top, allow_outside=allow)
            assert "hunter2" not in str(problem)
            assert "is not a stackbound scenario" in problem.message
            assert (problem.line, problem.path) == (2, "extends")
    _write(tmp_path, "broken.yaml", "password: [hunter2-PASSWORD\n")
    (problem,) = file_problems(_write(tmp_path, "top.yaml", OVERLAY.format("broken.yaml")))
    assert "hunter2" not in str(problem)


def test_builtins_are_always_allowed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _elsewhere(tmp_path, monkeypatch)
    top = _write(tmp_path, "top.yaml", OVERLAY.format("example"))
    assert load_scenario(top).files[0] == "example (built-in)"
    assert load_scenario("tight-controls").files[0] == "china (built-in)"


def test_scenario_text_may_extend_only_builtins() -> None:
    loaded = load_scenario_text(OVERLAY.format("example"), name="<upload>")
    assert isinstance(loaded, LoadedScenario)
    assert loaded.files == ("example (built-in)", "<upload>")
    problem = only(OVERLAY.format("/etc/passwd"))
    assert (problem.file, problem.line, problem.path) == ("s.yaml", 2, "extends")
    assert "may extend only a built-in scenario" in problem.message


def test_the_loading_signatures() -> None:
    assert (
        str(inspect.signature(load_scenario))
        == "(ref: 'str | FilePath', *, allow_outside: 'bool' = False) -> 'LoadedScenario'"
    )
    assert str(inspect.signature(load_scenario_text)) == "(text: 'str', name: 'str' = '<upload>') -> 'LoadedScenario'"


def test_a_huge_document_stops_while_it_is_composed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlio, "MAX_NODES", 50)
    text = "a: 1\nb: {" + ", ".join(f"k{i}: {i}" for i in range(100)) + "}\n"
    with pytest.raises(ScenarioError) as caught:
        read_yaml(text, "huge.yaml")
    (problem,) = caught.value.problems
    assert problem.line == 2
    assert problem.message == "file holds more than 50 values and keys"


def test_a_key_is_bounded() -> None:
    problem = only(BASE.replace("name: base", "name: base\n" + "k" * 201 + ": 1"))
    assert problem.line == 4
    assert problem.message == "a key may be at most 200 characters, got 201"


@pytest.mark.parametrize(
    "value",
    ["{lognormal: {median: 10k, sigma: true}}", "{choice: {values: [10k, 20k], weights: [true, 1]}}"],
)
def test_a_distributions_own_numbers_are_not_booleans(value: str) -> None:
    problem = only(
        BASE.replace("10k wafer/month", value.replace("10k", "10k wafer/month").replace("20k", "20k wafer/month"))
    )
    assert (problem.line, problem.path) == (10, "sources.fab.wafer_starts")
    assert "expected a number, got True" in problem.message


def test_scenario_text_is_held_to_the_size_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "MAX_BYTES", 100)
    problem = only(BASE)
    assert "too large" in problem.message
