"""``stackbound compare``: scenarios against the first, paired per sample; ``--levers`` for
what each policy lever of an overlay does alone."""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from stackbound.analysis.compare import ALL_CHANGES, REST, Comparison, Difference, LeverView, compare, lever_view
from stackbound.cli.common import ALLOW_OUTSIDE, DEBUG, FORMAT, load, out, run_options, run_with_progress
from stackbound.engine.results import RunResult
from stackbound.formatting import number
from stackbound.scenario.loader import LoadedScenario

__all__ = ["command", "render_comparison", "render_levers"]

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
    levers: bool,
    output_format: str,
    allow_outside: bool,
    debug: bool,
) -> None:
    """Compare SCENARIOS (files or built-in names) against the first: every headline output
    by year, as P50 (P5–P95) of the per-sample difference. Every scenario runs with the same
    seed, so inputs they share take the same draws and the differences are paired."""
    if len(scenarios) < 2:
        raise click.UsageError("compare needs a base scenario and at least one more")
    loaded = load(list(scenarios), allow_outside)

    def run_one(scenario: LoadedScenario) -> RunResult:
        return run_with_progress(scenario, samples=samples, seed=seed)

    analysis: Comparison | LeverView
    if levers:
        analysis = lever_view(loaded[0], loaded[1:], run_one)
    else:
        analysis = compare([run_one(scenario) for scenario in loaded])
    if output_format == "json":
        sys.stdout.write(json.dumps(analysis.to_document(), indent=2) + "\n")
    elif isinstance(analysis, LeverView):
        render_levers(out, analysis)
    else:
        render_comparison(out, analysis)


NOISE = 0.5
"""Differences smaller than this are shown as 0: annual totals are kept as float32, so
differences between separate runs carry rounding residue of that order."""


def _signed(value: float) -> str:
    if abs(value) < NOISE:
        return "0"
    return f"+{number(value)}" if value > 0 else number(value)


def _cell(d: Difference) -> str:
    return f"{_signed(d.p50)} [dim]({_signed(d.p5)}–{_signed(d.p95)})[/dim]"


def _level(d: Difference) -> str:
    return f"[dim]{number(d.base_p50)}[/dim]"


def _table(years: tuple[int, ...], first: list[str]) -> Table:
    table = Table()
    for column in first:
        table.add_column(escape(column), no_wrap=True)
    for year in years:
        table.add_column(str(year), justify="right")
    return table


def _add_rows(table: Table, base: str, differences: tuple[Difference, ...], years: int) -> None:
    """Per output and group (consecutive in ``differences``): the base's P50 level, then
    one row of ``years`` differences per scenario or change, in order."""
    blocks: dict[tuple[str, str], list[Difference]] = {}
    for d in differences:
        blocks.setdefault((d.metric, d.group), []).append(d)
    for (metric, group), block in blocks.items():
        table.add_row(
            escape(LABELS.get(metric, metric)), escape(group), f"[dim]{escape(base)}[/dim]", *map(_level, block[:years])
        )
        rows = [block[i : i + years] for i in range(0, len(block), years)]
        for i, row in enumerate(rows):
            name = row[0].scenario
            style = "bold" if name == ALL_CHANGES else "dim" if name == REST else ""
            label = f"[{style}]{escape(name)}[/{style}]" if style else escape(name)
            table.add_row("", "", label, *map(_cell, row), end_section=i == len(rows) - 1)


def render_comparison(console: Console, comparison: Comparison) -> None:
    """Per output and group: the base's P50 level, then each scenario's difference."""
    console.print(
        f"{escape(', '.join(comparison.scenarios))} against [bold]{escape(comparison.base)}[/bold]  "
        f"samples {comparison.samples:,}  seed {comparison.seed}"
    )
    console.print(
        f"[bold]difference against {escape(comparison.base)}, paired per sample (common random numbers): "
        "P50 (P5–P95) of the difference[/bold] [dim](the base's P50 in grey)[/dim]"
    )
    table = _table(comparison.years, ["output", "group", "scenario"])
    _add_rows(table, comparison.base, comparison.differences, len(comparison.years))
    console.print(table)


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
        console.print(
            f"[bold]{escape(overlay)}: what each lever changes alone against {escape(view.base)}, P50 (P5–P95) of the "
            f"paired difference[/bold] [dim](the base's P50 in grey)[/dim]"
        )
        table = _table(view.years, ["output", "group", "change"])
        _add_rows(table, view.base, effects, len(view.years))
        console.print(table)
    console.print(
        f"[dim]{REST}: an overlay's changes that are not levers, and the interactions of its levers "
        f"({ALL_CHANGES} minus the sum of the levers alone, per sample)[/dim]"
    )
