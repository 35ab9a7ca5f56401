"""Catalogue cases about what the command line holds: bad option values, missing or extra
arguments, and ``--out`` targets that are not (provably) stackbound's to replace."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path

from catalogue import SMALL_RUN, Case, base
from stackbound.cli.app import main

__all__ = ["OPTION_CASES"]

RUN = ("run", "example")


def _option(name: str, *argv: str, mentions: tuple[str, ...] = ()) -> Case:
    return Case(f"cli/{name}", argv, mentions=mentions)


BAD_OPTIONS = [
    _option("samples_zero", *RUN, "--samples", "0", mentions=("--samples",)),
    _option("samples_negative", *RUN, "--samples", "-5", mentions=("--samples",)),
    _option("samples_text", *RUN, "--samples", "lots", mentions=("--samples",)),
    _option("samples_float", *RUN, "--samples", "1.5", mentions=("--samples",)),
    _option("samples_missing_value", *RUN, "--samples", mentions=("--samples",)),
    _option("seed_negative", *RUN, "--seed", "-1", mentions=("--seed",)),
    _option("seed_text", *RUN, "--seed", "abc", mentions=("--seed",)),
    _option("seed_float", *RUN, "--seed", "1.5", mentions=("--seed",)),
    _option("chunk_size_zero", *RUN, "--chunk-size", "0", mentions=("--chunk-size",)),
    _option("chunk_size_negative", *RUN, "--chunk-size", "-1", mentions=("--chunk-size",)),
    _option("format_xml", *RUN, "--format", "xml", mentions=("--format",)),
    _option("unknown_option", *RUN, "--frobnicate", mentions=("--frobnicate",)),
    _option("unknown_command", "frobnicate", mentions=("frobnicate",)),
    _option("no_command_argument_check", "check"),
    _option("show_two_scenarios", "show", "example", "china"),
    _option("scenarios_extra_argument", "scenarios", "extra", mentions=("extra",)),
    _option("missing_scenario_file", "run", "nope.yaml", *SMALL_RUN, mentions=("nope.yaml",)),
    _option("unknown_builtin", "run", "nonesuch", *SMALL_RUN, mentions=("nonesuch",)),
    _option("keep_paths_without_out", *RUN, *SMALL_RUN, "--keep-paths", mentions=("--keep-paths",)),
    _option("all_scenarios_two_bases", "run", "example", "china", "--all-scenarios", mentions=("--all-scenarios",)),
    _option("exact_too_many_samples", *RUN, "--exact", "--samples", "5000", mentions=("2000",)),
    _option("compare_unknown_scenario", "compare", "example", "nonesuch", *SMALL_RUN, mentions=("nonesuch",)),
    _option("bottlenecks_by_week", "bottlenecks", "example", "--by", "week", mentions=("--by",)),
    _option("register_out_folder", "register", "example", "--out", ".", mentions=("--out",)),
    _option("report_without_out", "report", "example", *SMALL_RUN, mentions=("--out",)),
    _option("report_language_fr", "report", "example", "--out", "rep", "--lang", "fr", mentions=("--lang",)),
    _option("report_sobol_samples_one", "report", "example", "--out", "rep", "--sobol-samples", "1"),
    _option("sensitivity_without_output", "sensitivity", "example", "--year", "2026", mentions=("--output",)),
    _option("sensitivity_without_year", "sensitivity", "example", "--output", "units", mentions=("--year",)),
    _option("sensitivity_bad_method", "sensitivity", "example", "--output", "units", "--year", "2026", "--method", "x"),
    _option(
        "sensitivity_unknown_metric",
        *("sensitivity", "example", "--output", "bogus_metric", "--year", "2026"),
        mentions=("bogus_metric",),
    ),
    _option(
        "sensitivity_year_outside_horizon",
        *("sensitivity", "example", "--output", "units", "--year", "1900"),
        mentions=("1900",),
    ),
    _option(
        "sensitivity_unknown_group",
        *("sensitivity", "example", "--output", "units", "--year", "2026", "--group", "nobody"),
        mentions=("nobody",),
    ),
    _option("discover_without_bound", "discover", "example", "--output", "units", "--year", "2026", *SMALL_RUN),
    _option(
        "discover_both_bounds",
        *("discover", "example", "--output", "units", "--year", "2026", "--below", "1", "--above", "2", *SMALL_RUN),
    ),
    _option(
        "discover_bound_text",
        *("discover", "example", "--output", "units", "--year", "2026", "--below", "lots", *SMALL_RUN),
        mentions=("--below",),
    ),
    _option("marginal_rise_text", "marginal", "example", "--rise", "lots", *SMALL_RUN, mentions=("--rise",)),
    _option("marginal_max_factor_one", "marginal", "example", "--max-factor", "1", mentions=("--max-factor",)),
    _option(
        "marginal_year_outside_horizon", "marginal", "example", "--target-year", "1900", *SMALL_RUN, mentions=("1900",)
    ),
    _option("marginal_unknown_output", "marginal", "example", "--target-output", "bogus_metric", *SMALL_RUN),
    _option("validate_no_shipped_cases", "validate", "example", *SMALL_RUN, mentions=("--cases",)),
]

LEGAL = [
    Case("cli/version", ("--version",), exits=frozenset({0})),
    Case("cli/run_help", ("run", "--help"), exits=frozenset({0}), literal=("--samples",)),
    Case("cli/scenarios", ("scenarios",), exits=frozenset({0}), literal=("example",)),
    Case("cli/seed_zero", (*RUN, "--samples", "32", "--seed", "0", "--format", "json"), exits=frozenset({0})),
    Case(
        "cli/seed_huge",
        (*RUN, "--samples", "32", "--seed", str(2**70), "--format", "json"),
        exits=frozenset({0, 2}),
        json_out=True,
        mentions=("--seed",),
    ),
    Case(
        "cli/chunk_size_one",
        (*RUN, "--samples", "3", "--seed", "1", "--chunk-size", "1", "--format", "json"),
        exits=frozenset({0}),
        json_out=True,
    ),
]

HUGE = [
    # item 7: a huge --samples is refused up front with how much memory it needs
    Case(f"cli/samples_huge_{name}", (*argv, "--samples", "1000000000"), mentions=("memory",), process=True)
    for name, argv in [
        ("run", RUN),
        ("run_one_chunk", (*RUN, "--chunk-size", "1000000000")),
        ("bottlenecks", ("bottlenecks", "example")),
    ]
]


def _earlier_output(work: Path) -> None:
    """``res``: what ``run example --out res`` leaves."""
    with contextlib.suppress(SystemExit):
        main(["run", "example", *SMALL_RUN, "--out", str(work / "res")])


def _earlier_output_and(name: str, text: str) -> Callable[[Path], None]:
    """An earlier output with one more file the user put there."""

    def setup(work: Path) -> None:
        _earlier_output(work)
        (work / "res" / name).parent.mkdir(parents=True, exist_ok=True)
        (work / "res" / name).write_text(text, encoding="utf-8")

    return setup


FOREIGN_MANIFEST = json.dumps({"tool": "someone-else", "version": 3, "files": ["thesis.docx"]})
RUN_OUT = (*RUN, *SMALL_RUN, "--out", "res")
REPORT_OUT = ("report", "example", *SMALL_RUN, "--no-sensitivity", "--no-discovery", "--out", "rep")


def _refused(
    name: str,
    argv: tuple[str, ...],
    files: dict[str, str | bytes] | None = None,
    setup: Callable[[Path], None] | None = None,
    mentions: tuple[str, ...] | None = None,
) -> Case:
    """Exit 2 before any simulation, naming the ``--out`` target, which is left as it was."""
    target = argv[argv.index("--out") + 1]
    return Case(
        f"out/{name}",
        argv,
        files=files or {},
        setup=setup,
        mentions=(target,) if mentions is None else mentions,
        out_untouched=True,
        refused_first=True,
    )


OUT_FOLDERS = [
    # item 2: --out replaces only a folder that is provably an earlier stackbound output
    _refused("foreign_manifest", RUN_OUT, files={"res/manifest.json": FOREIGN_MANIFEST, "res/thesis.docx": "mine"}),
    _refused("manifest_not_json", RUN_OUT, files={"res/manifest.json": "not json {"}),
    _refused("manifest_is_a_folder", RUN_OUT, files={"res/manifest.json/keep.txt": "mine"}),
    _refused("other_files_no_manifest", RUN_OUT, files={"res/annual.csv": "my,own\n1,2\n", "res/notes.txt": "mine"}),
    _refused("earlier_output_plus_notes", RUN_OUT, setup=_earlier_output_and("notes.txt", "my notes")),
    _refused("earlier_output_plus_subfolder", RUN_OUT, setup=_earlier_output_and("mine/extra.csv", "a,b\n")),
    _refused("is_a_file", RUN_OUT, files={"res": "a file, not a folder"}),
    _refused("under_a_file", (*RUN, *SMALL_RUN, "--out", "res/sub"), files={"res": "a file"}, mentions=("res",)),
    _refused("report_foreign_manifest", REPORT_OUT, files={"rep/manifest.json": FOREIGN_MANIFEST}),
    _refused("report_other_files", REPORT_OUT, files={"rep/index.html": "<p>my site</p>"}),
    Case("out/unwritable_place", (*RUN, *SMALL_RUN, "--out", "/proc/stackbound-out"), mentions=("/proc",)),
    Case("out/register_under_a_file", ("register", "example", "--out", "f/x.md"), files={"f": "a file"}),
    Case("out/earlier_output_replaced", RUN_OUT, setup=_earlier_output, exits=frozenset({0})),
    Case("out/empty_folder", RUN_OUT, files={}, setup=lambda work: (work / "res").mkdir(), exits=frozenset({0})),
    Case("out/new_folder_deep", (*RUN, *SMALL_RUN, "--out", "a/b/c"), exits=frozenset({0, 2})),
    Case(
        "out/bad_scenario_writes_nothing",
        ("run", "x.yaml", *SMALL_RUN, "--out", "res"),
        files={"x.yaml": base(("yield: 80 %", "yield: 130 %"))},
        mentions=("x.yaml:15:",),
    ),
]

OPTION_CASES = [*BAD_OPTIONS, *LEGAL, *HUGE, *OUT_FOLDERS]
