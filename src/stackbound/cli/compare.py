"""``stackbound compare``: scenarios against the first, paired per sample; ``--levers`` for
what each policy lever of an overlay does alone."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from stackbound.analysis.compare import ALL_CHANGES, REST, Comparison, Difference, LeverView, compare, lever_view
from stackbound.cli.common import (
    ALLOW_OUTSIDE,
    DEBUG,
    FORMAT,
    executor_options,
    keep_option,
    load,
    out,
    run_options,
    run_with_progress,
)
from stackbound.cli.layout import Cell, Row, cell, print_by_year
from stackbound.cli.render import render_answer
from stackbound.engine.keep import Keep
from stackbound.engine.results import RunResult
from stackbound.formatting import number
from stackbound.report.findings import run_findings, signed_number
from stackbound.scenario.loader import LoadedScenario

if TYPE_CHECKING:
    from stackbound.engine.executors import Executor

__all__ = ["COMPACT", "command", "render_comparison", "render_levers"]

LABELS = {
    "units": "units",
    "units_delivered": "units delivered",
    "compute_added_h100e": "H100e added",
    "effective_compute_added_h100e": "effective H100e",
    "dies_consumed": "dies consumed",
    "hbm_stacks_consumed": "HBM stacks consumed",
    "stranded_dies": "stranded dies",
    "stranded_hbm_stacks": "stranded HBM stacks",
}


@click.command("compare", short_help="Compare scenarios with the first, paired sample by sample.")
@click.argument("scenarios", nargs=-1, required=True)
@run_options
@executor_options
@keep_option("compare pairs every sample with the same sample of the base scenario")
@click.option(
    "--levers",
    is_flag=True,
    help="For each later scenario (an overlay of the first), what each lever it changes does alone.",
)
@FORMAT
@ALLOW_OUTSIDE
@DEBUG
def command(
    scenarios: tuple[str, ...],
    samples: int,
    seed: int,
    keep: Keep,
    levers: bool,
    output_format: str,
    allow_outside: bool,
    debug: bool,
    executor: Executor | None,
) -> None:
    """Compare SCENARIOS (files or built-in names) against the first: the answer in a few
    sentences, then every headline output by year, as P50 (P5–P95) of the per-sample
    difference. Every scenario runs with the same seed, so inputs they share take the same
    draws and the differences are paired."""
    if len(scenarios) < 2:
        raise click.UsageError("compare needs a base scenario and at least one more")
    loaded = load(list(scenarios), allow_outside)

    def run_one(scenario: LoadedScenario) -> RunResult:
        return run_with_progress(scenario, samples=samples, seed=seed, executor=executor, keep=keep)

    if levers:
        view = lever_view(loaded[0], loaded[1:], run_one)
        if output_format == "json":
            sys.stdout.write(json.dumps(view.to_document(), indent=2) + "\n")
        else:
            render_levers(out, view)
        return
    results = [run_one(scenario) for scenario in loaded]
    comparison = compare(results)
    if output_format == "json":
        sys.stdout.write(json.dumps(comparison.to_document(), indent=2) + "\n")
        return
    render_answer(out, run_findings(loaded, results, comparison))
    render_comparison(out, comparison)


COMPACT = (("units", "total"), ("units", "domestic"), ("compute_added_h100e", "total"))
"""The outputs and groups ``run --all-scenarios`` compares without ``--detail``."""


def _difference(d: Difference) -> Cell:
    return cell(d.p5, d.p50, d.p95, signed_number)


def _blocks(
    base: str, differences: Sequence[Difference], years: int, keep: Sequence[tuple[str, str]] = ()
) -> list[Row]:
    """Per output and group (consecutive in ``differences``; only those in ``keep``, if
    given): a heading row, the base's P50 level in grey, then one row of ``years``
    differences per scenario or change, in order (:data:`REST` in grey)."""
    blocks: dict[tuple[str, str], list[Difference]] = {}
    for d in differences:
        if not keep or (d.metric, d.group) in keep:
            blocks.setdefault((d.metric, d.group), []).append(d)
    rows = []
    for (metric, group), block in blocks.items():
        rows.append(Row((f"{LABELS.get(metric, metric)}, {group}",), (Cell(""),) * years))
        rows.append(Row((f"  {base}",), tuple(Cell(number(d.base_p50)) for d in block[:years]), dim=True))
        for i in range(0, len(block), years):
            row = block[i : i + years]
            name, last = row[0].scenario, i + years >= len(block)
            rows.append(Row((f"  {name}",), tuple(map(_difference, row)), end_section=last, dim=name == REST))
    return rows


def render_comparison(console: Console, comparison: Comparison, outputs: Sequence[tuple[str, str]] = ()) -> None:
    """Per output and group (every headline one, or those in ``outputs``): the base's P50
    level, then each scenario's paired difference."""
    console.print(
        f"{escape(', '.join(comparison.scenarios))} against [bold]{escape(comparison.base)}[/bold]  "
        f"samples {comparison.samples:,}  seed {comparison.seed}"
    )
    title = f"difference against {comparison.base}, paired per sample (common random numbers; the base's P50 in grey)"
    rows = _blocks(comparison.base, comparison.differences, len(comparison.years), outputs)
    print_by_year(console, title, ("output",), comparison.years, rows)


def render_levers(console: Console, view: LeverView) -> None:
    """Per overlay: the levers it changes, then what each does alone, the whole overlay
    and the rest (its other changes and the levers' interactions)."""
    console.print(f"[bold]{escape(view.base)}[/bold] policy levers  samples {view.samples:,}  seed {view.seed}")
    for overlay, effects in zip(view.overlays, view.effects, strict=True):
        changes = [c for c in view.changes if c.overlay == overlay]
        if changes:
            console.print(f"[bold]levers {escape(overlay)} changes[/bold]")
            levers = Table()
            for column in ("lever", view.base, overlay):
                levers.add_column(escape(column), overflow="fold")
            for c in changes:
                levers.add_row(escape(c.lever), escape(c.base_value), escape(c.overlay_value))
            console.print(levers)
        else:
            console.print(f"{escape(overlay)} changes no lever of {escape(view.base)}")
        title = f"{overlay}: what each lever changes alone against {view.base}, paired (the base's P50 in grey)"
        print_by_year(console, title, ("output",), view.years, _blocks(view.base, effects, len(view.years)))
    console.print(
        f"[dim]{REST}: an overlay's changes that are not levers, and the interactions of its levers "
        f"({ALL_CHANGES} minus the sum of the levers alone, per sample)[/dim]"
    )
