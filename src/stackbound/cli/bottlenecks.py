"""``stackbound bottlenecks``: which input binds each product, from when, and what it costs."""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from stackbound.analysis.bottlenecks import MOSTLY, Band, Bottlenecks, Period, bottlenecks
from stackbound.analysis.lost import DEFINITION, LIFTED_SAMPLES, NEGATIVE, NOT_ADDITIVE, LostOutput, lost_output
from stackbound.cli.common import (
    ALLOW_OUTSIDE,
    DEBUG,
    DEFAULT_SCENARIO,
    FORMAT,
    LazyProgress,
    load,
    out,
    run_options,
    run_with_progress,
)
from stackbound.engine.results import RunResult
from stackbound.formatting import number
from stackbound.scenario.loader import LoadedScenario

__all__ = ["command", "render_bottlenecks"]


@click.command("bottlenecks", short_help="Which constraint binds each product, from when, and its cost.")
@click.argument("scenario", required=False)
@run_options
@click.option(
    "--by",
    type=click.Choice(["month", "year"]),
    default="year",
    show_default=True,
    help="Period of the grid and of the stranded and runway tables.",
)
@click.option(
    "--lifted-samples",
    type=click.IntRange(min=0),
    default=LIFTED_SAMPLES,
    show_default=True,
    help="Samples of each run with one limit lifted, for lost output (the run's first ones, paired "
    "with them; at most --samples); 0 leaves lost output out.",
)
@FORMAT
@ALLOW_OUTSIDE
@DEBUG
def command(
    scenario: str | None,
    samples: int,
    seed: int,
    by: Period,
    lifted_samples: int,
    output_format: str,
    allow_outside: bool,
    debug: bool,
) -> None:
    """Which constraint binds each product of SCENARIO (default: the embedded default), from
    when, the output each limit costs (one more run per limit, with it lifted), stranded dies
    and HBM stacks, and the runway left in each stockpile."""
    loaded = load([scenario or DEFAULT_SCENARIO], allow_outside)[0]
    result = run_with_progress(loaded, samples=samples, seed=seed)
    analysis = bottlenecks(result, by=by)
    lost = _lost_output(loaded, result, lifted_samples) if lifted_samples else None
    if output_format == "json":
        document = {**analysis.to_document(), "lost_output": None if lost is None else lost.to_document()}
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    else:
        render_bottlenecks(out, analysis, lost)


def _lost_output(loaded: LoadedScenario, result: RunResult, samples: int) -> LostOutput:
    with LazyProgress(f"{loaded.name}: one run per limit lifted") as progress:
        return lost_output(loaded, result, samples=samples, progress=progress)


def render_bottlenecks(console: Console, analysis: Bottlenecks, lost: LostOutput | None = None) -> None:
    """Headlines, the period × variant grid, lost output (when given), stranded stock and
    runway."""
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
    console.print(f"[bold]most likely binding constraint by {analysis.by}, P(binds | active)[/bold]")
    console.print(_grid(analysis, order))
    if lost is not None:
        render_lost_output(console, lost)
    for heading, table in (
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


def render_lost_output(console: Console, lost: LostOutput) -> None:
    """The total by limit and year, each product's largest gain and loss, and the definition."""
    console.print(
        "[bold]lost output†: units more with one limit lifted, all products, mean by year; over the horizon "
        "the mean, P5 to P95, and the mean in compute added (H100e)[/bold]"
    )
    console.print(_lost_total(lost))
    console.print(
        "[bold]lost output† by product over the horizon: the limit whose lifting gains and loses it most, mean[/bold]"
    )
    console.print(_lost_by_product(lost))
    console.print(f"[dim]† {DEFINITION}, over {lost.samples:,} paired samples. {NEGATIVE} {NOT_ADDITIVE}[/dim]")


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


def _order(lost: LostOutput) -> list[int]:
    """Limits by their horizon mean for the total, largest first; unbounded ones first."""
    total = len(lost.scopes) - 1
    return sorted(range(len(lost.limits)), key=lambda k: (not lost.unbounded[k], -lost.mean[k, total, -1]))


def _lost_total(lost: LostOutput) -> Table:
    s = len(lost.scopes) - 1
    years = lost.periods[:-1]
    table = Table()
    for column in ("limit", *years, "horizon", "P5 to P95", "H100e"):
        table.add_column(escape(column), justify="left" if column == "limit" else "right")
    table.add_row(
        "[dim]built (the run)[/dim]", *(f"[dim]{number(v)}[/dim]" for v in lost.built[s]), "", "", end_section=True
    )
    for k in _order(lost):
        name = escape(lost.limits[k].name)
        if lost.unbounded[k]:
            table.add_row(name, *["[dim]–[/dim]"] * len(years), "unbounded", "", "")
            continue
        spread = f"{number(lost.p5[k, s, -1])} to {number(lost.p95[k, s, -1])}"
        means = (number(v) for v in lost.mean[k, s, :-1])
        table.add_row(name, *means, f"[bold]{number(lost.mean[k, s, -1])}[/bold]", spread, number(lost.h100e[k, s, -1]))
    return table


def _lost_by_product(lost: LostOutput) -> Table:
    table = Table()
    for column in ("product", "built", "largest gain", "largest loss"):
        table.add_column(column, justify="right" if column == "built" else "left")
    bounded = [k for k in range(len(lost.limits)) if not lost.unbounded[k]]
    for s, scope in enumerate(lost.scopes[:-1]):
        means = {k: float(lost.mean[k, s, -1]) for k in bounded}
        best, worst = max(means, key=means.__getitem__, default=None), min(means, key=means.__getitem__, default=None)
        table.add_row(
            escape(scope), number(lost.built[s, -1]), _extreme(lost, best, means, 1), _extreme(lost, worst, means, -1)
        )
    return table


def _extreme(lost: LostOutput, k: int | None, means: dict[int, float], sign: int) -> str:
    """``hbm3_cxmt +1.2M`` for the limit ``k`` when its mean has the sign wanted, else a dash."""
    if k is None or means[k] * sign <= 0:
        return "[dim]–[/dim]"
    return f"{escape(lost.limits[k].name)} {'+' if sign > 0 else ''}{number(means[k])}"


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
