"""``stackbound bottlenecks``: which input binds each product, from when, and what it costs."""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from stackbound.analysis.bottlenecks import MOSTLY, Band, Bottlenecks, Period, bottlenecks
from stackbound.cli.common import ALLOW_OUTSIDE, DEBUG, DEFAULT_SCENARIO, FORMAT, LazyProgress, load, out, run_options
from stackbound.engine.run import run
from stackbound.formatting import number

__all__ = ["command", "render_bottlenecks"]

SHOWN = 0.05
"""A constraint's share of lost output is listed from this level…"""
LISTED = 3
"""…and at most this many are listed per product."""


@click.command("bottlenecks")
@click.argument("scenario", required=False)
@run_options
@click.option(
    "--by",
    type=click.Choice(["month", "year"]),
    default="year",
    show_default=True,
    help="Period of the grid and of the stranded and runway tables.",
)
@FORMAT
@ALLOW_OUTSIDE
@DEBUG
def command(
    scenario: str | None, samples: int, seed: int, by: Period, output_format: str, allow_outside: bool, debug: bool
) -> None:
    """Which constraint binds each product of SCENARIO (default: the embedded default), from
    when, the share of lost output each accounts for, stranded dies and HBM stacks, and the
    runway left in each stockpile."""
    loaded = load([scenario or DEFAULT_SCENARIO], allow_outside)[0]
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
    console.print(
        f"[bold]{escape(analysis.scenario)}[/bold]  bottlenecks  samples {analysis.samples:,}  seed {analysis.seed}"
    )
    console.print(
        "[bold]binding constraint, month by month[/bold] [dim](the most likely given the variant is active; "
        "P is its lowest monthly probability in the span)[/dim]"
    )
    order = _by_product(analysis)
    for v in order:
        console.print(f"  {escape(analysis.headlines[v].text)}", highlight=False)
    for heading, table in (
        (f"most likely binding constraint by {analysis.by}, P(binds | active)", _grid(analysis, order)),
        (
            "lost output over the horizon, by the constraint that cost it: good units each variant could have made "
            "more had its binding limit been lifted to the next one (mean per sample; stock held counts again every "
            "month, so read the shares more than the totals)",
            _lost(analysis),
        ),
        (f"stranded stock and stockpile runway at the end of each {analysis.by}, P50 (P5–P95)", _stocks(analysis)),
        ("month each stockpile runs out", _runouts(analysis)),
    ):
        console.print(f"[bold]{heading}[/bold]")
        console.print(table)
    console.print(
        "[dim]* starved by priority in most active sample-months; grey: active in under half of them. "
        "Runway counts months to the first empty month, or to the horizon's end for a stockpile that "
        "lasts past it.[/dim]"
    )


def _by_product(analysis: Bottlenecks) -> list[int]:
    """Variant indices grouped by product (in declaration order), by priority within one."""
    products = list(dict.fromkeys(analysis.products))
    return sorted(range(len(analysis.variants)), key=lambda v: (products.index(analysis.products[v]), v))


def _transposed(what: str, rows: list[str], periods: tuple[str, ...], cells: list[list[str]], by: Period) -> Table:
    """A table of ``cells[row][period]`` with ``what`` down the side; by month, the
    transpose (the long period axis goes down)."""
    corner, columns = what, list(periods)
    if by == "month":
        corner, rows, columns, cells = "month", columns, rows, [list(c) for c in zip(*cells, strict=True)]
    table = Table()
    table.add_column(corner)
    for column in columns:
        table.add_column(escape(column), justify="right")
    for label, row in zip(rows, cells, strict=True):
        table.add_row(escape(label), *row)
    return table


def _grid(analysis: Bottlenecks, order: list[int]) -> Table:
    periods = range(len(analysis.periods))
    cells = [[_binding_cell(analysis, v, t) for t in periods] for v in order]
    return _transposed("variant", [analysis.variants[v] for v in order], analysis.periods, cells, analysis.by)


def _binding_cell(analysis: Bottlenecks, v: int, t: int) -> str:
    """The most likely constraint and its probability given active; '*' when starved by
    priority, grey when the variant is active in under half the sample-months."""
    if analysis.inactive[v, t] >= 1.0:
        return "[dim]–[/dim]"
    chances = analysis.probability[v, :, t]
    k = int(chances.argmax())
    text = f"{escape(analysis.constraints[k])} {chances[k]:.0%}" + ("*" if analysis.starved[v, t] >= MOSTLY else "")
    return f"[dim]{text}[/dim]" if analysis.inactive[v, t] > MOSTLY else text


def _lost(analysis: Bottlenecks) -> Table:
    table = Table()
    for column in ("product", "units lost", "by constraint"):
        table.add_column(column, justify="right" if column == "units lost" else "left")
    for scope in analysis.scopes():
        lost = float(analysis.lost_units(scope).sum())
        shares = sorted(analysis.lost_shares(scope).items(), key=lambda item: -item[1])
        shown = [f"{escape(name)} {share:.0%}" for name, share in shares if share >= SHOWN][:LISTED]
        rest = 1.0 - sum(share for name, share in shares[: len(shown)])
        if shown and rest >= 0.005:
            shown.append(f"other {rest:.0%}")
        label = "[bold]total[/bold]" if scope == "total" else escape(scope)
        table.add_row(label, number(lost), ", ".join(shown) or "[dim]nothing lost[/dim]", end_section=scope == "total")
    return table


def _band_cell(band: Band, t: int) -> str:
    return f"{number(band.p50[t])} [dim]({number(band.p5[t])}–{number(band.p95[t])})[/dim]"


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
        table.add_row(escape(r.stockpile), f"{r.probability:.0%}", r.label("p5"), r.label("p50"), r.label("p95"))
    return table
