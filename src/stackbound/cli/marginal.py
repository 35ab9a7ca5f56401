"""``stackbound marginal``: extra units and compute per extra unit of each supply input,
and how much an input must grow to lift an output."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from stackbound.analysis.growth import Growth, top_growth
from stackbound.analysis.marginal import STEP, MarginalValues, Target, marginal_values
from stackbound.cli.common import (
    ALLOW_OUTSIDE,
    DEBUG,
    DEFAULT_SCENARIO,
    FORMAT,
    SEED,
    LazyProgress,
    RenamedOptions,
    keep_option,
    load,
    out,
    output_options,
)
from stackbound.engine.keep import Keep
from stackbound.formatting import number
from stackbound.scenario.units import SIGNED, parse_quantity

__all__ = ["DEFAULT_MARGINAL_SAMPLES", "command", "render_marginal"]

DEFAULT_MARGINAL_SAMPLES = 1_000
"""One run per input and year: fewer samples than a plain run's 10,000. Paired
differences under common random numbers converge much faster than the outputs themselves."""


def _rise(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[float, bool] | None:
    """``50k`` (absolute) or ``10%`` (of the base P50), as (amount, relative)."""
    if value is None:
        return None
    text = value.strip()
    try:
        if text.endswith("%"):
            return parse_quantity(text[:-1], SIGNED) / 100.0, True
        return parse_quantity(text, SIGNED), False
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a number or a percentage (such as 50k or 10%)") from None


@click.command(
    "marginal",
    cls=RenamedOptions,
    renamed={"--target-output": "--output", "--target-group": "--group", "--target-year": "--year"},
    short_help="Extra units and H100e per extra unit of each supply input.",
)
@click.argument("scenario", required=False)
@click.option(
    "--samples",
    type=click.IntRange(min=1),
    default=DEFAULT_MARGINAL_SAMPLES,
    show_default=True,
    help=(
        "Monte Carlo samples of each run: 1,000 rather than run's 10,000 (the default of every other "
        "command that simulates), because marginal makes one run per input and year, and paired differences "
        "on common random numbers converge much faster than the outputs themselves."
    ),
)
@click.option(
    "--horizon-only",
    is_flag=True,
    help="Only the whole-horizon figures: one run per input, not one per input and year (faster).",
)
@SEED
@output_options("that ranks inputs (elasticity) and that --rise lifts", default_metric="units")
@click.option(
    "--rise",
    callback=_rise,
    metavar="Z",
    help="Also find how much each top input must grow for the output's P50 to rise by Z (50k, or 10%).",
)
@click.option("--top", type=click.IntRange(min=1), default=3, show_default=True, help="Inputs searched for --rise.")
@click.option(
    "--max-factor",
    type=click.FloatRange(min=1.0, min_open=True),
    default=10.0,
    show_default=True,
    help="Largest growth factor tried for --rise.",
)
@keep_option("marginal pairs every sample with the same sample given more input")
@FORMAT
@ALLOW_OUTSIDE
@DEBUG
def command(
    scenario: str | None,
    samples: int,
    horizon_only: bool,
    seed: int,
    metric: str,
    group: str,
    year: int | None,
    rise: tuple[float, bool] | None,
    top: int,
    max_factor: float,
    keep: Keep,
    output_format: str,
    allow_outside: bool,
    debug: bool,
) -> None:
    """Marginal values in SCENARIO (default: the embedded default): extra units and H100e per
    extra HBM stack, die, wafer start, yield point or package of each input, over the whole
    horizon and by the year the extra input arrived."""
    loaded = load([scenario or DEFAULT_SCENARIO], allow_outside)[0]
    target = Target(metric, year if year is not None else loaded.scenario.horizon.end // 12, group)
    with LazyProgress(f"{loaded.name}: marginal values") as progress:
        values = marginal_values(
            loaded, samples=samples, seed=seed, target=target, by_year=not horizon_only, progress=progress, keep=keep
        )
    growth: tuple[Growth, ...] = ()
    if rise is not None:
        with LazyProgress(f"{loaded.name}: growth needed") as searching:
            growth = top_growth(
                loaded,
                values,
                rise[0],
                top=top,
                relative=rise[1],
                max_factor=max_factor,
                progress=searching,
                keep=keep,
            )
    if output_format == "json":
        document: dict[str, Any] = values.to_dict()
        if rise is not None:
            document["growth"] = [g.to_dict() for g in growth]
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    else:
        render_marginal(out, values, growth if rise is not None else None)


def _cell(value: float | None) -> str:
    if value is None:
        return ""
    return "[dim]0[/dim]" if value == 0 else number(value)


def _table(values: MarginalValues, title: str, per_year: str) -> Table:
    units = per_year == "units"
    table = Table(title=title, title_justify="left")
    table.add_column("input")
    table.add_column("per")
    table.add_column("whole horizon", justify="right")
    if units:
        table.add_column("1 / bill", justify="right")  # the ceiling of the direct effect, not of the figure
    for year in values.years:
        table.add_column(str(year), justify="right")
    if units:
        table.add_column(f"elasticity of {escape(values.target.describe())}", justify="right")
    for v in values.values:
        lead = [_cell(v.horizon_units), _cell(v.input.bound)] if units else [_cell(v.horizon_compute)]
        cells = [_cell(x) for x in (v.units if units else v.compute)]
        extra = [f"{v.elasticity:.3g}"] if units else []
        table.add_row(escape(v.input.label or v.input.name), escape(v.input.per), *lead, *cells, *extra)
    return table


NOTE = (
    "Whole horizon: each input raised by {step} of its mean level in every month, with the same seed as "
    "the base run; the mean extra output over the horizon divided by the extra input over the horizon. "
    "Year columns: the input raised in that year's months only, extra output anywhere in the horizon "
    "credited to the year the extra input arrived (a stack stockpiled one year and used the next counts "
    "where it arrived). A yield point is 0.01, held through the year (the horizon). At most: 1 / the "
    "smallest bill of the component among the variants that use it, before packaging losses (y / bill at "
    "packaging yield y). Under greedy priority a figure can be negative: more of an input can let one "
    "variant take what another needed. Elasticity: % change in the target's mean per 1% more input in "
    "every month. Wafer starts count as written for the line, shared by die share."
)


def render_marginal(console: Console, values: MarginalValues, growth: tuple[Growth, ...] | None) -> None:
    """Units and H100e per extra unit of each input, then the growth each top input needs."""
    console.print(
        f"[bold]{escape(values.scenario)}[/bold]  marginal values  samples {values.samples:,}  seed {values.seed}",
        highlight=False,
    )
    by = ", and by the year the extra input arrived" if values.years else ""
    console.print(_table(values, f"extra units per extra unit of input, over the whole horizon{by}", "units"))
    console.print(
        _table(values, f"extra H100e (compute added) per extra unit of input, over the whole horizon{by}", "compute")
    )
    console.print(f"[dim]{NOTE.format(step=f'{STEP:.0%}')}[/dim]")
    if growth is None:
        return
    if not growth:
        console.print("no input raises the target output at the margin")
        return
    console.print(
        f"[bold]growth needed for the P50 of {escape(values.target.describe())} to rise by "
        f"{number(growth[0].rise)}[/bold] (from {number(growth[0].base_p50)})"
    )
    for g in growth:
        console.print(f"  {escape(g.describe())}", highlight=False)
