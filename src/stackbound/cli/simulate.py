"""The commands that simulate a scenario and print its outputs: ``run`` and ``validate``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click
import numpy as np
from rich.markup import escape

from stackbound.analysis.compare import compare
from stackbound.analysis.validate import validate, validation_table
from stackbound.cli.common import (
    ALLOW_OUTSIDE,
    DEBUG,
    DEFAULT_SCENARIO,
    FORMAT,
    LazyProgress,
    chunk_size_option,
    err,
    executor_options,
    keep_option,
    load,
    out,
    run_options,
)
from stackbound.cli.compare import COMPACT, render_comparison
from stackbound.cli.render import render_answer, render_levels, render_run, render_validation
from stackbound.engine.keep import Keep
from stackbound.engine.results import RunResult
from stackbound.engine.run import DEFAULT_CHUNK_SIZE, run
from stackbound.errors import StackboundError
from stackbound.report.atomic import check_output_target
from stackbound.report.export import Extra, package_version, write_run
from stackbound.report.findings import run_findings
from stackbound.report.jsondoc import finite_document, json_text
from stackbound.report.summary import HEADLINE_METRICS, non_finite_warning, summary_document
from stackbound.scenario.loader import LoadedScenario
from stackbound.scenario.overlay import overlays_of
from stackbound.scenario.validation import builtin_validation, load_validation

if TYPE_CHECKING:
    from stackbound.engine.executors import Executor

__all__ = ["run_command", "validate_command"]


@click.command("run", short_help="Simulate scenarios: annual units, compute, binding constraints.")
@click.argument("scenarios", nargs=-1)
@run_options
@executor_options
@chunk_size_option(DEFAULT_CHUNK_SIZE)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Write tables, the resolved scenario and a manifest to this directory (atomically).",
)
@FORMAT
@click.option(
    "--all-scenarios",
    is_flag=True,
    help="Also run every built-in overlay of the scenario, same seed, and print a comparison.",
)
@click.option(
    "--detail",
    is_flag=True,
    help="Print the full tables (every product, vendor and origin in one table with P50 (P5-P95) cells, the "
    "binding constraint of each variant per year, and with --all-scenarios every scenario's levels) instead "
    "of the compact ones that fit the terminal.",
)
@click.option(
    "--keep-paths", is_flag=True, help="Also write every sample's monthly paths (paths.parquet; needs --out)."
)
@keep_option()
@click.option("--exact", is_flag=True, help="Solve each month as a lexicographic LP (reference mode, few samples).")
@click.option(
    "--foresight",
    is_flag=True,
    help="Also print the perfect-foresight bound beside the month-by-month result (one LP per sample over the "
    "whole horizon, on the first min(--samples, 500) samples; see `stackbound foresight`).",
)
@click.option(
    "--plot",
    "plot",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    metavar="FILE.png",
    help="Also write the units fan chart as a PNG to this file (with --out: a file name inside the --out "
    "directory, written with it); opens nothing.",
)
@ALLOW_OUTSIDE
@DEBUG
def run_command(
    scenarios: tuple[str, ...],
    samples: int,
    seed: int,
    chunk_size: int,
    out_dir: Path | None,
    output_format: str,
    all_scenarios: bool,
    detail: bool,
    keep_paths: bool,
    keep: Keep,
    exact: bool,
    foresight: bool,
    plot: Path | None,
    allow_outside: bool,
    debug: bool,
    executor: Executor | None,
) -> None:
    """Simulate SCENARIOS (files or built-in names; default: the embedded default) and print
    the answer in a few sentences, then annual units, compute and the binding constraints in
    tables that fit the terminal (--detail: the full tables)."""
    if keep_paths and out_dir is None:
        raise click.UsageError("--keep-paths needs --out")
    if all_scenarios and keep == "none":
        raise click.UsageError(
            "--all-scenarios compares the scenarios sample by sample, which needs per-sample values: "
            "use --keep annual with it, not --keep none"
        )
    if foresight and output_format != "table":
        raise click.UsageError("--foresight prints a table; for JSON or CSV use `stackbound foresight --format`")
    plot_name = _plot_name(plot, out_dir) if plot is not None else None
    refs = list(scenarios) or [DEFAULT_SCENARIO]
    if all_scenarios:
        if len(refs) != 1:
            raise click.UsageError("--all-scenarios takes one base scenario")
        refs += overlays_of(refs[0])
    loaded = load(refs, allow_outside)
    if out_dir is not None:
        check_output_target(out_dir)  # refuse a foreign folder before simulating, not after
    results = [_run_one(scenario, samples, seed, chunk_size, exact, keep_paths, keep, executor) for scenario in loaded]
    _print_results(results, output_format, all_scenarios, detail)
    if foresight:
        for scenario, _ in results:
            _print_foresight(scenario, samples, seed)
    if out_dir is not None:
        extras: list[Extra] = [(plot_name, _fan_chart(results))] if plot_name is not None else []
        written = write_run(out_dir, results, {"chunk_size": chunk_size}, extras)
        err.print(f"wrote {written}", markup=False, highlight=False)
    elif plot is not None:
        plot_file = _fan_chart(results)(plot)
        err.print(f"wrote {plot_file}", markup=False, highlight=False)


def _print_foresight(scenario: LoadedScenario, samples: int, seed: int) -> None:
    """The bound on the run's first samples, at most the foresight command's default (the
    reference mode loops over samples)."""
    # Imported here: the LP machinery loads only when the bound is asked for.
    from stackbound.cli.foresight import render_foresight
    from stackbound.engine.foresight import DEFAULT_SAMPLES
    from stackbound.engine.foresight import foresight as bound

    with LazyProgress(f"{scenario.name}: foresight") as progress:
        result = bound(scenario, samples=min(samples, DEFAULT_SAMPLES), seed=seed, progress=progress)
    render_foresight(out, result)


def _plot_name(plot: Path, out_dir: Path | None) -> str:
    """Checks ``--plot FILE.png`` before anything runs; with ``--out DIR`` it is a file
    name inside DIR (given bare, or as DIR/NAME), returned as that name."""
    if plot.suffix.lower() != ".png":
        raise click.BadParameter(f"{str(plot)!r} does not end in .png", param_hint="'--plot'")
    if out_dir is None or plot.parent == Path() or plot.parent == out_dir:
        return plot.name
    raise click.BadParameter(
        f"with --out, give a file name inside {str(out_dir)!r} (such as units.png), not {str(plot)!r}",
        param_hint="'--plot'",
    )


def _run_one(
    scenario: LoadedScenario,
    samples: int,
    seed: int,
    chunk_size: int,
    exact: bool,
    keep_paths: bool,
    keep: Keep,
    executor: Executor | None,
) -> tuple[LoadedScenario, RunResult]:
    with LazyProgress(scenario.name) as progress:
        result = run(
            scenario,
            samples=samples,
            seed=seed,
            chunk_size=chunk_size,
            exact=exact,
            keep_paths=keep_paths,
            keep=keep,
            progress=progress,
            executor=executor,
        )
    return scenario, result


def _print_results(
    results: list[tuple[LoadedScenario, RunResult]], output_format: str, all_scenarios: bool, detail: bool
) -> None:
    with np.errstate(all="ignore"):  # non-finite numbers get the one warning line below instead
        warning = non_finite_warning([summary_document(r) for _, r in results])
        if warning is not None:
            err.print(warning, markup=False, highlight=False, soft_wrap=True)
        if output_format == "json":
            documents = [summary_document(r, HEADLINE_METRICS) for _, r in results]
            sys.stdout.write(json_text(documents[0] if len(documents) == 1 else documents, ascii_only=True))
        elif all_scenarios:
            _print_compared(results, detail)
        else:
            for scenario, result in results:
                render_answer(out, run_findings([scenario], [result]))
                render_run(out, result, detail)


def _print_compared(results: list[tuple[LoadedScenario, RunResult]], detail: bool) -> None:
    """The base's answer and how the others differ, the base's tables, then the scenarios
    compared: paired differences, or with ``detail`` every scenario's levels."""
    runs = [r for _, r in results]
    comparison = compare(runs) if len(runs) > 1 else None  # a scenario may have no overlays
    render_answer(out, run_findings([s for s, _ in results], runs, comparison))
    render_run(out, runs[0], detail)
    if detail:
        render_levels(out, runs)
    elif comparison is not None:
        render_comparison(out, comparison, COMPACT)
    else:
        out.print(f"{escape(runs[0].scenario)} has no built-in overlays to compare with")


def _fan_chart(results: list[tuple[LoadedScenario, RunResult]]) -> Callable[[Path], Path]:
    """Writes the units fan chart of ``results`` to the path it is given."""
    # Imported here: matplotlib loads (and, with an unwritable home, warns) only when a chart is asked for.
    from stackbound.report.write import write_fan_chart

    return lambda path: write_fan_chart(path, [r for _, r in results], package_version())


@click.command("validate", short_help="Check a scenario against published estimates.")
@click.argument("scenario", required=False)
@click.option(
    "--cases",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Validation file (default: the one shipped for the scenario).",
)
@run_options
@keep_option("validate adds up each sample's values over groups and years before taking percentiles")
@FORMAT
@ALLOW_OUTSIDE
@DEBUG
def validate_command(
    scenario: str | None,
    cases: Path | None,
    samples: int,
    seed: int,
    keep: Keep,
    output_format: str,
    allow_outside: bool,
    debug: bool,
) -> None:
    """Check SCENARIO against published estimates: each case with the model's P5–P50–P95."""
    loaded = load([scenario or DEFAULT_SCENARIO], allow_outside)[0]
    published = load_validation(cases or _shipped_cases(loaded))  # a bad cases file fails before the run
    with LazyProgress(loaded.name) as progress:
        result = run(loaded, samples=samples, seed=seed, progress=progress, keep=keep)
    outcomes = validate(result, published)
    if output_format == "json":
        table = validation_table(outcomes)
        cases, non_finite = finite_document(table.to_dict("records"))
        document = {
            "scenario": loaded.name,
            "seed": seed,
            "samples": samples,
            "cases": cases,
            "inside": int(table["inside"].sum()),
            "total": len(table),
            "non_finite": non_finite,
        }
        sys.stdout.write(json_text(document, ascii_only=True))
    else:
        render_validation(out, loaded.name, outcomes)


def _shipped_cases(loaded: LoadedScenario) -> Path:
    for name in (loaded.name, *(Path(f.split(" ")[0]).stem for f in loaded.files)):
        found = builtin_validation(name)
        if found is not None:
            return found
    raise StackboundError(f"no validation file is shipped for {loaded.name!r}; give one with --cases")
