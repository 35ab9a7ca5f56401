"""Catalogue cases about what a scenario file holds: every loader case, run as a user
runs it, and the names, sizes, units and extreme values that once hung, crashed or
escaped the output folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from catalogue import BAD, SMALL_RUN, Case, base
from test_bad_scenarios import CASES as LOADER_CASES

__all__ = ["INPUT_CASES"]

FAMILY_OF_PREFIX = {
    "yaml": "yaml",
    "type": "types",
    "missing": "types",
    "unknown": "types",
    "unit": "units",
    "range": "ranges",
    "dist": "values",
    "curve": "values",
    "corr": "values",
    "ref": "references",
    "overlay": "overlays",
    "names": "names",
}
HELPERS = {p.name: p.read_bytes() for p in BAD.glob("_*.yaml")}
RUN_OUT = ("--samples", "32", "--seed", "1", "--out", "res")


def _loader_cases() -> list[Case]:
    """Each file of ``tests/bad_scenarios`` through ``run FILE --out res``: exit 2, located."""
    cases = []
    for stem, expected in sorted(LOADER_CASES.items()):
        file = expected.file or f"{stem}.yaml"
        mentions = (f"{file}:{expected.line}:", *((expected.path,) if expected.path else ()))
        cases.append(
            Case(
                f"{FAMILY_OF_PREFIX[stem.split('_', 1)[0]]}/{stem}",
                ("run", f"{stem}.yaml", *RUN_OUT),
                files={**HELPERS, f"{stem}.yaml": (BAD / f"{stem}.yaml").read_bytes()},
                mentions=mentions,
            )
        )
    return cases


def _named(name: str) -> str:
    return base(("name: base", f"name: {name}"))


def _vendor(vendor: str) -> str:
    return base(("vendor: VendorA", f"vendor: {vendor}"))


YIELD_130 = ("yield: 80 %", "yield: 130 %")
"""The mistake most cases below carry when they need one (line 15)."""

NAMES = [
    # item 1: a scenario name must never place output outside --out
    Case(
        "names/traversal_two_scenarios",
        ("run", "a.yaml", "b.yaml", *RUN_OUT),
        files={"a.yaml": _named("../../escaped"), "b.yaml": _named("b")},
        exits=frozenset({0, 2}),
    ),
    Case(
        "names/traversal_one_scenario",
        ("run", "a.yaml", *RUN_OUT),
        files={"a.yaml": _named("../../escaped")},
        exits=frozenset({0, 2}),
    ),
    Case(
        "names/dot_dot_two_scenarios",
        ("run", "a.yaml", "b.yaml", *RUN_OUT),
        files={"a.yaml": _named('".."'), "b.yaml": _named("b")},
        exits=frozenset({0, 2}),
    ),
    Case(
        "names/absolute_two_scenarios",
        ("run", "a.yaml", "b.yaml", *RUN_OUT),
        files={"a.yaml": _named("{tmp}/absolute-escaped"), "b.yaml": _named("b")},
        exits=frozenset({0, 2}),
    ),
    Case(
        "names/very_long_two_scenarios",
        ("run", "a.yaml", "b.yaml", *RUN_OUT),
        files={"a.yaml": _named("n" * 5000), "b.yaml": _named("b")},
        exits=frozenset({0, 2}),
    ),
    Case(
        "names/two_files_both_reported",
        ("check", "a.yaml", "b.yaml"),
        files={"a.yaml": base(YIELD_130), "b.yaml": base(("600 mm^2", "600 bananas"))},
        mentions=("a.yaml:15:", "b.yaml:14:"),
    ),
    # item 11: locations printed byte for byte, never as emoji
    Case(
        "names/line100_emoji_code",
        ("check", "line100.yaml"),
        files={"line100.yaml": "#\n" * 85 + base(YIELD_130)},
        mentions=("line100.yaml:100:", "sources.fab.dies[0].yield"),
    ),
    Case(
        "names/fire_in_folder_name",
        ("run", "a:fire:b/x.yaml", *RUN_OUT),
        files={"a:fire:b/x.yaml": base(YIELD_130)},
        mentions=("a:fire:b/x.yaml:15:",),
    ),
    Case(
        "names/fire_in_valid_path",
        ("check", "a:fire:b.yaml"),
        files={"a:fire:b.yaml": base()},
        exits=frozenset({0}),
        literal=("a:fire:b.yaml",),
    ),
    Case(
        "names/emoji_code_as_key",
        ("check", "x.yaml"),
        files={"x.yaml": base(extra=":thumbs_up: 1\n")},
        mentions=("x.yaml:22:", ":thumbs_up:"),
    ),
    # item 10: rich markup in text is printed literally (or refused), never a MarkupError
    Case(
        "names/markup_name_show",
        ("show", "x.yaml"),
        files={"x.yaml": _named('"[/red]"')},
        exits=frozenset({0, 2}),
        literal=("[/red]",),
        mentions=("x.yaml:3:",),
    ),
    Case(
        "names/markup_vendor_run_table",
        ("run", "x.yaml", *SMALL_RUN),
        files={"x.yaml": _vendor('"[/]"')},
        exits=frozenset({0, 2}),
        literal=("[/]",),
        mentions=("x.yaml:18:",),
    ),
    Case(
        "names/markup_vendor_run_json",
        ("run", "x.yaml", *SMALL_RUN, "--format", "json"),
        files={"x.yaml": _vendor('"[bold]V[/bold][/]"')},
        exits=frozenset({0, 2}),
        json_out=True,
        mentions=("x.yaml:18:",),
    ),
    Case(
        "names/markup_name_check",
        ("check", "x.yaml"),
        files={"x.yaml": _named('"[/red]"')},
        exits=frozenset({0, 2}),
        literal=("[/red]",),
        mentions=("x.yaml:3:",),
    ),
    Case(
        "names/markup_description_show",
        ("show", "x.yaml"),
        files={"x.yaml": base(extra='description: "closing [/] and [/red] and [link=x]"\n')},
        exits=frozenset({0, 2}),
        literal=("[/red]",),
        mentions=("x.yaml:22:",),
    ),
    Case(
        "names/markup_vendor_bottlenecks_json",
        ("bottlenecks", "x.yaml", *SMALL_RUN, "--format", "json"),
        files={"x.yaml": _vendor('"[/red]"')},
        exits=frozenset({0, 2}),
        json_out=True,
        mentions=("x.yaml:18:",),
    ),
    Case(
        "names/markup_name_register",
        ("register", "x.yaml"),
        files={"x.yaml": _named('"[/red]"')},
        exits=frozenset({0, 2}),
        literal=("[/red]",),
        mentions=("x.yaml:3:",),
    ),
    Case(
        "names/markup_in_error",
        ("check", "x.yaml"),
        files={"x.yaml": base(extra="'[/red]': 1\n")},
        mentions=("x.yaml:22:", "[/red]"),
    ),
    # item 12: a control character in a vendor is refused at load, before any writer
    Case(
        "names/control_vendor_report",
        ("report", "x.yaml", "--out", "rep", *SMALL_RUN, "--no-sensitivity", "--no-discovery"),
        files={"x.yaml": _vendor('"Vendor\\x1bA"')},
        mentions=("x.yaml:18:", "products.accel.vendor"),
    ),
]


def _knots(count: int) -> str:
    knots = ", ".join(f"{2025 + i // 12:04d}-{i % 12 + 1:02d}: {i}" for i in range(count))
    return base(("wafer_starts: 10k wafer/month", f"wafer_starts: {{knots: {{{knots}}}, unit: wafer/month}}"))


def _writes(name: str, make: Callable[[], str]) -> Callable[[Path], None]:
    """A setup that writes a file too big to build when the catalogue is imported."""

    def setup(work: Path) -> None:
        (work / name).write_text(make(), encoding="utf-8")

    return setup


def _alias_bomb() -> str:
    levels = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        levels.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]")
    return base(extra="notes:\n" + "".join(f"  - {line}\n" for line in levels))


SIZES = [
    # item 8: big files and big curves are refused fast, and the problems are capped
    Case(
        "sizes/million_knots",
        ("check", "x.yaml"),
        setup=_writes("x.yaml", lambda: _knots(1_000_000)),
        mentions=("x.yaml",),
        process=True,
    ),
    Case(
        "sizes/file_over_10mb",
        ("check", "x.yaml"),
        setup=_writes("x.yaml", lambda: base() + ("# padding " + "x" * 89 + "\n") * 110_000),
        mentions=("x.yaml",),
        process=True,
    ),
    Case(
        "sizes/thousands_of_problems",
        ("check", "x.yaml"),
        files={"x.yaml": base(extra="".join(f"bogus_{i}: 1\n" for i in range(3000)))},
        mentions=("x.yaml:22:",),
        max_stderr_lines=120,
    ),
    Case(
        "sizes/megabyte_value",
        ("check", "x.yaml"),
        setup=_writes("x.yaml", lambda: base(("die_area: 600 mm^2", "die_area: " + "9" * 1_000_000 + " mm^2"))),
        mentions=("x.yaml:14:", "sources.fab.dies[0].die_area"),
        max_stderr_lines=5,
    ),
    Case(
        "sizes/five_thousand_digit_integer",
        ("check", "x.yaml"),
        files={"x.yaml": base(("wafer_starts: 10k wafer/month", "wafer_starts: " + "7" * 5000))},
        mentions=("x.yaml:10:", "sources.fab.wafer_starts"),
    ),
    # item 14: alias bombs and deep nesting are refused with a location
    Case(
        "sizes/alias_bomb",
        ("check", "x.yaml"),
        files={"x.yaml": _alias_bomb()},
        mentions=("x.yaml:",),
        process=True,
    ),
    Case(
        "sizes/deep_nesting",
        ("check", "x.yaml"),
        files={"x.yaml": base(extra="notes: " + "[" * 50_000 + "]" * 50_000 + "\n")},
        mentions=("x.yaml:",),
        process=True,
    ),
    Case(
        "sizes/deep_mapping_nesting",
        ("check", "x.yaml"),
        files={"x.yaml": base(extra="notes: " + "{a: " * 20_000 + "1" + "}" * 20_000 + "\n")},
        mentions=("x.yaml:",),
        process=True,
    ),
]

UNITS = [
    # item 5: a unit expression must not make the unit parser compute forever
    Case(
        "units/power_tower",
        ("check", "x.yaml"),
        files={"x.yaml": base(("10k wafer/month", "1 wafer/month**9**9**9"))},
        mentions=("x.yaml:10:", "sources.fab.wafer_starts"),
        process=True,
    ),
    Case(
        "units/caret_tower",
        ("check", "x.yaml"),
        files={"x.yaml": base(("600 mm^2", "600 mm^9^9^9"))},
        mentions=("x.yaml:14:", "sources.fab.dies[0].die_area"),
        process=True,
    ),
    Case(
        "units/huge_exponent",
        ("check", "x.yaml"),
        files={"x.yaml": base(("10k wafer/month", "10k wafer/month**99999999"))},
        mentions=("x.yaml:10:", "sources.fab.wafer_starts"),
        process=True,
    ),
    Case(
        "units/python_in_unit",
        ("check", "x.yaml"),
        files={"x.yaml": base(("10k wafer/month", "10k __import__('os').getcwd()"))},
        mentions=("x.yaml:10:", "sources.fab.wafer_starts"),
    ),
    Case(
        "units/markup_in_unit",
        ("check", "x.yaml"),
        files={"x.yaml": base(("600 mm^2", "600 [red]mm^2[/]"))},
        mentions=("x.yaml:14:", "[red]mm^2[/]"),
    ),
]


def _lognormal(sigma: str) -> str:
    return base(("wafer_starts: 10k wafer/month", f"wafer_starts: {{lognormal: {{median: 10k, sigma: {sigma}}}}}"))


EXTREME_RUN = ("run", "x.yaml", *SMALL_RUN, "--format", "json")
EXTREMES = [
    # item 13: legal but extreme values give strict JSON and no raw numpy warnings
    Case(
        f"extreme/{what}",
        EXTREME_RUN,
        files={"x.yaml": text},
        exits=frozenset({0, 2}),
        json_out=True,
        mentions=("x.yaml:",),
    )
    for what, text in [
        ("wafer_starts_1e308", base(("10k wafer/month", "1e308 wafer/month"))),
        ("die_area_1e-300", base(("600 mm^2", "1e-300 mm^2"))),
        ("die_area_1e300", base(("600 mm^2", "1e300 mm^2"))),
        ("yield_1e-300", base(("yield: 80 %", "yield: 1e-300"))),
        ("zero_wafer_starts", base(("10k wafer/month", "0 wafer/month"))),
        ("lognormal_sigma_700", _lognormal("700")),
        ("normal_sd_1e300", base(("share: 50 %", "share: {normal: {mean: 0.5, sd: 1e300, min: 0, max: 1}}"))),
        ("price_1e308", base(("    origin: domestic\n", "    origin: domestic\n    specs: {price: 1e308 USD}\n"))),
    ]
]


INPUT_CASES = [*_loader_cases(), *NAMES, *SIZES, *UNITS, *EXTREMES]
