"""The terminal answers first: a run opens with plain sentences (units and compute per year
with their ranges, what binds and from when, how the scenarios differ), then compact tables
that fit the terminal at 80, 100 and 120 columns, never cutting a name or a range with '…';
``--detail`` prints the full tables. Driven as a user drives it: ``COLUMNS`` set, the CLI run."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from stackbound.cli.layout import Cell, Row, print_by_year
from stackbound.scenario.loader import load_scenario
from support import run_main

WIDTHS = (80, 100, 120)
RUN = ("--samples", "200", "--seed", "1")
NUMBER = r"[+-]?\d+(?:\.\d+)?[kMBT]?"
RANGE = re.compile(rf"^\(?({NUMBER}%?)–({NUMBER}%?)\)?,?$")
HEADLINE = re.compile(rf"produces ({NUMBER}) accelerators \(P50; 90% range ({NUMBER}) to ({NUMBER})\)")
ITEM = re.compile(rf"(\d{{4}}) ({NUMBER}) \(({NUMBER})–({NUMBER})\)")
CHANGE = re.compile(rf"([\w-]+) ({NUMBER}) \(({NUMBER}) to ({NUMBER})\)")


def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, width: int, *args: str) -> str:
    """Run ``stackbound ARGS`` at ``width`` columns; its standard output, after checking
    that it succeeded and that no line is wider than the terminal or cut with '…'."""
    monkeypatch.setenv("COLUMNS", str(width))
    code, out, err = run_main(capsys, *args)
    assert code == 0, err
    wide = [line for line in out.splitlines() if len(line) > width]
    assert not wide, f"{len(wide)} lines wider than {width}: {wide[:3]}"
    assert "…" not in out
    return out


def split(out: str, record: str) -> tuple[str, str]:
    """The sentences (before the line that starts with ``record``), joined as one text,
    and what follows them."""
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(record))
    return " ".join(" ".join(lines[:at]).split()), "\n".join(lines[at:])


def tokens(text: str) -> set[str]:
    return set(text.split())


def ranges(text: str) -> set[str]:
    """Every range of the tables (``low–high``), checked to be whole: a cell cut or folded
    through a range would leave a bracket or a number without its other end."""
    found = set()
    for token in tokens(text):
        if "–" in token and "P" not in token:  # "P5–P95" in a title is no range
            match = RANGE.match(token)
            assert match, f"range {token!r} is cut"
            found.add(f"{match.group(1)}–{match.group(2)}")
    return found


def units_blocks(tables: str) -> str:
    """The "units, total" blocks of the differences (one per table when the years are split)."""
    parts = tables.split("units, total")[1:]
    return "\n".join(part.split("units, domestic")[0] for part in parts)


def sentence(text: str, start: str) -> str:
    """The sentence of ``text`` that starts with ``start``."""
    return start + text.split(start, 1)[1].split(". ", 1)[0]


@pytest.mark.parametrize("width", WIDTHS)
def test_run_opens_with_the_answer_then_tables_that_fit(
    width: int, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = cli(capsys, monkeypatch, width, "run", "china", *RUN)
    said, tables = split(out, "china  samples 200")
    assert out.startswith("In 2027, china produces")
    assert 3 <= said.count(". ") + 1 <= 6, said
    assert "the leading product (" in said
    assert "It is the most likely one" in said
    assert "products whose specs and bills cite no source" in said
    shown, cells = ranges(tables), tokens(tables)
    headline = HEADLINE.search(said)
    assert headline is not None, said
    p50, low, high = headline.groups()
    assert p50 in cells
    assert f"{low}–{high}" in shown
    for start in ("Accelerators produced per year", "H100-equivalents added per year"):
        items = ITEM.findall(sentence(said, start))
        assert [year for year, *_ in items] == ["2024", "2025", "2026", "2027", "2028"]
        for _, mid, p5, p95 in items:
            assert mid in cells, (start, mid)
            assert f"{p5}–{p95}" in shown, (start, p5, p95)
    titles = ["units by origin", "H100-equivalents added", "units by vendor", "units by product"]
    places = [tables.index(title) for title in titles]
    assert places == sorted(places)
    assert tables.index("most likely binding constraint") > places[-1]
    scenario = load_scenario("china").scenario
    names = tokens(tables) | tokens(tables.replace(",", " "))
    for name in [*scenario.products, *{p.vendor for p in scenario.products.values()}]:
        assert name in names, f"{name} is not printed whole"


def test_the_tables_split_the_years_rather_than_cut_at_80_columns(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    narrow = cli(capsys, monkeypatch, 80, "run", "china", *RUN)
    assert "units by product, P50 over P5–P95" in narrow
    assert "units by product (continued)" in narrow
    wide = cli(capsys, monkeypatch, 200, "run", "china", *RUN)
    assert "units by product, P50 (P5–P95)" in wide
    assert "(continued)" not in wide
    assert ranges(split(narrow, "china  samples")[1]) == ranges(split(wide, "china  samples")[1])


def test_detail_prints_the_full_tables(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    out = cli(capsys, monkeypatch, 200, "run", "china", *RUN, "--detail")
    said, tables = split(out, "china  samples 200")
    assert said.startswith("In 2027, china produces")
    assert "china: annual output, P50 (P5–P95)" in tables
    assert "most likely binding constraint (share of active sample-months)" in tables
    scenario = load_scenario("china").scenario
    rows = {line.split("│")[2].strip() for line in tables.splitlines() if line.count("│") > 3}
    groups = {*scenario.products, *{p.vendor for p in scenario.products.values()}, "domestic", "imported", "total"}
    assert groups <= rows  # every product, even one that makes nothing, every vendor and origin
    assert "units by product" not in tables
    narrow = cli(capsys, monkeypatch, 80, "run", "china", *RUN, "--detail")  # folded to fit, never cut
    assert "annual output" in narrow


@pytest.mark.parametrize("width", WIDTHS)
def test_all_scenarios_say_how_the_scenarios_differ(
    width: int, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What ``scripts/quickstart`` prints: the base's answer and the scenarios' differences
    first, then the base's tables and the paired differences, all within the width."""
    out = cli(capsys, monkeypatch, width, "run", "china", "--all-scenarios", *RUN)
    said, tables = split(out, "china  samples 200")
    compared = sentence(said, "Against china in 2027")
    changes = CHANGE.findall(compared)
    unchanged = said.split("Unchanged in 2027: ", 1)[1].split(".")[0].split(", ") if "Unchanged" in said else []
    overlays = {"domestic-hbm-takeoff", "hbm-smuggling", "huawei-fabs", "more-licences", "no-die-bank"}
    assert overlays | {"tight-controls"} == {name for name, *_ in changes} | set(unchanged)
    block = units_blocks(tables[tables.index("difference against china") :])
    shown = ranges(block)
    for name, p50, low, high in changes:
        assert p50 in tokens(block), (name, p50)
        assert low == p50 == high or f"{low}–{high}" in shown, (name, low, high)
    assert tables.index("units by product") < tables.index("difference against china")


@pytest.mark.parametrize("width", WIDTHS)
def test_compare_opens_with_how_the_scenarios_differ(
    width: int, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = cli(capsys, monkeypatch, width, "compare", "china", "tight-controls", *RUN)
    said, tables = split(out, "tight-controls against china")
    assert said.startswith("In 2027, china produces")
    ((name, p50, low, high),) = CHANGE.findall(sentence(said, "Against china in 2027"))
    assert name == "tight-controls"
    block = units_blocks(tables)
    assert p50 in tokens(block)
    assert f"{low}–{high}" in ranges(block)
    assert "HBM stacks consumed" in tables  # compare still shows every headline output


def test_a_scenario_compared_with_itself_is_named_unchanged(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = cli(capsys, monkeypatch, 80, "compare", "example", "example", *RUN)
    said, _ = split(out, "example against example")
    assert "Unchanged in 2027: example." in said
    assert "Against example" not in said


@pytest.mark.parametrize("width", [24, 40, 60])
def test_a_table_too_wide_for_the_terminal_is_split_by_year_and_never_cut(width: int) -> None:
    years = (2024, 2025, 2026, 2027, 2028)
    rows = [Row(("a_very_long_product_name",), tuple(Cell("1.23M", "-1.02M–+1.99M") for _ in years))]
    console = Console(file=io.StringIO(), width=width, emoji=False, highlight=False)
    print_by_year(console, "units by product", ("product",), years, rows, note="none made: x")
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert all(len(line) <= width for line in out.splitlines())
    assert "…" not in out
    for year in years:
        assert str(year) in out
    if width >= 40:  # room for the name and one year: every range whole
        assert out.count("-1.02M–+1.99M") == len(years)
        assert out.count("a_very_long_product_name") >= 2


def test_all_scenarios_of_a_scenario_without_overlays_prints_its_run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = cli(capsys, monkeypatch, 80, "run", "example", "--all-scenarios", *RUN)
    assert out.startswith("In 2027, example produces")
    assert "Against example" not in out
    assert "example has no built-in overlays to compare with" in out
