"""``stackbound bottlenecks``: which input binds each product, from when, and what it costs."""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console
from rich.table import Table

from stackbound.analysis.bottlenecks import Band, Bottlenecks, Period, bottlenecks
from stackbound.cli.common import DEBUG, DEFAULT_SCENARIO, LazyProgress, load, out, run_options
from stackbound.cli.render import short_number
from stackbound.engine.run import run

__all__ = ["command", "render_bottlenecks"]

SHOWN = 0.2
"""A constraint's probability is shown in a grid cell from this level (the top one always)."""
NOTED = 0.05
"""Inactive and starved shares are noted in a cell from this level."""


@click.command("bottlenecks")
@click.argument("scenario", required=False)
@run_options
@click.option("--by", type=click.Choice(["month", "year"]), default="year", show_default=True,
              help="Period of the grid and of the stranded and runway tables.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
@DEBUG
def command(scenario: str | None, samples: int, seed: int, by: Period, output_format: str, debug: bool) -> None:
    """Which constraint binds each product of SCENARIO (default: the embedded default), from
    when, the share of lost output each accounts for, stranded dies and HBM stacks, and the
    runway left in each stockpile."""
    loaded = load([scenario or DEFAULT_SCENARIO])[0]
    progress = LazyProgress(loaded.name)
    try:
        result = run(loaded, samples=samples, seed=seed, progress=progress)
    finally:
        progress.close()
    analysis = bottlenecks(result, by=by)
    if output_format == "json":
        sys.stdout.write(json.dumps(analysis.to_document(), indent=2) + "\n")
    else:
        render_bottlenecks(out, analysis)


def render_bottlenecks(console: Console, analysis: Bottlenecks) -> None:
    """Headlines, the period × variant grid, lost output, stranded stock and runway."""
    console.print(f"[bold]{analysis.scenario}[/bold]  bottlenecks  samples {analysis.samples:,}  seed {analysis.seed}")
    console.print("[bold]binding constraint, month by month[/bold] [dim](the most likely; P is its lowest monthly "
                  "probability in the span, given the variant is active)[/dim]")
    for headline in analysis.headlines:
        console.print(f"  {headline.text}", highlight=False)
    for heading, table in ((f"probability each constraint binds, by {analysis.by} (given the variant is active)",
                            _grid(analysis)),
                           ("share of lost output by constraint over the horizon (good units lost, mean per sample)",
                            _lost(analysis)),
                           (f"stranded stock and stockpile runway at the end of each {analysis.by}, P50 (P5–P95)",
                            _stocks(analysis)),
                           ("month each stockpile runs out", _runouts(analysis))):
        console.print(f"[bold]{heading}[/bold]")
        console.print(table)
    console.print("[dim]runway counts months to the first empty month; a stockpile that lasts past the horizon "
                  "shows the months left to its end[/dim]")


def _transposed(what: str, rows: list[str], periods: tuple[str, ...], cells: list[list[str]],
                by: Period) -> Table:
    """A table of ``cells[row][period]`` with ``what`` down the side; by month, the
    transpose (the long period axis goes down)."""
    corner, columns = what, list(periods)
    if by == "month":
        corner, rows, columns, cells = "month", columns, rows, [list(c) for c in zip(*cells, strict=True)]
    table = Table()
    table.add_column(corner)
    for column in columns:
        table.add_column(column, justify="right")
    for label, row in zip(rows, cells, strict=True):
        table.add_row(label, *row)
    return table


def _grid(analysis: Bottlenecks) -> Table:
    periods = range(len(analysis.periods))
    cells = [[_binding_cell(analysis, v, t) for t in periods] for v in range(len(analysis.variants))]
    return _transposed("variant", list(analysis.variants), analysis.periods, cells, analysis.by)


def _binding_cell(analysis: Bottlenecks, v: int, t: int) -> str:
    inactive = analysis.inactive[v, t]
    if inactive >= 1.0:
        return "[dim]inactive[/dim]"
    chances = analysis.probability[v, :, t]
    order = [k for k in chances.argsort()[::-1] if chances[k] > 0]
    shown = [k for i, k in enumerate(order) if i == 0 or chances[k] >= SHOWN]
    text = ", ".join(f"{analysis.constraints[k]} {chances[k]:.0%}" for k in shown)
    notes = []
    if inactive >= NOTED:
        notes.append(f"inactive {inactive:.0%}")
    if analysis.starved[v, t] >= NOTED:
        notes.append(f"starved {analysis.starved[v, t]:.0%}")
    return text + (f" [dim]({', '.join(notes)})[/dim]" if notes else "")


def _lost(analysis: Bottlenecks) -> Table:
    table = Table()
    table.add_column("constraint")
    scopes = analysis.scopes()
    for scope in scopes:
        table.add_column(scope, justify="right")
    lost = {scope: analysis.lost_units(scope).sum(axis=1) for scope in scopes}
    shares = {scope: analysis.lost_shares(scope) for scope in scopes}
    for k, constraint in enumerate(analysis.constraints):
        if lost["total"][k] <= 0:
            continue
        cells = [f"{shares[s][constraint]:.0%} [dim]({short_number(lost[s][k])})[/dim]" for s in scopes]
        table.add_row(constraint, *cells)
    return table


def _band_cell(band: Band, t: int) -> str:
    return f"{short_number(band.p50[t])} [dim]({short_number(band.p5[t])}–{short_number(band.p95[t])})[/dim]"


def _stocks(analysis: Bottlenecks) -> Table:
    bands = [(f"stranded {b.name}", b) for b in analysis.stranded]
    bands += [(f"runway {b.name} (months)", b) for b in analysis.runway]
    cells = [[_band_cell(b, t) for t in range(len(analysis.periods))] for _, b in bands]
    return _transposed("series", [label for label, _ in bands], analysis.periods, cells, analysis.by)


def _runouts(analysis: Bottlenecks) -> Table:
    table = Table()
    for column in ("stockpile", "P(runs out in horizon)", "P5", "P50", "P95"):
        table.add_column(column, justify="left" if column == "stockpile" else "right")
    for r in analysis.runouts:
        table.add_row(r.stockpile, f"{r.probability:.0%}", r.label("p5"), r.label("p50"), r.label("p95"))
    return table
