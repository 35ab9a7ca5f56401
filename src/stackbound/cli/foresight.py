"""``stackbound foresight``: the most each sample could have built with perfect foresight,
beside what the month-by-month engine built, and the value of one more part."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import click
import numpy as np
import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from stackbound.cli.common import ALLOW_OUTSIDE, DEBUG, DEFAULT_SCENARIO, FORMAT_CSV, SEED, LazyProgress, err, load, out
from stackbound.engine.foresight import DEFAULT_SAMPLES, DEFAULT_WORKERS, OBJECTIVES, ForesightResult, foresight
from stackbound.formatting import number
from stackbound.report.atomic import write_text_atomically
from stackbound.report.jsondoc import finite_document, json_text

__all__ = ["command", "csv_text", "render_foresight"]

UNIT = {"compute": "H100e delivered (domestic)", "units": "units delivered (domestic)"}
NOTE = (
    "Bound: one linear program per sample and year-end over the whole horizon up to it, with that "
    "sample's arrivals, ownership, capacities, yields, lags, launch windows, demand caps and market demand. "
    "Dropped: {dropped}. Gap: bound minus month-by-month, sample by sample (the value of planning). Shadow "
    "price: the value, on the objective to {end}, of one more part (or package of capacity, or wafer start) "
    "arriving in a month of the year shown, mean over its months, P50 over samples; valid for small changes, "
    "not unique at a degenerate optimum."
)


@click.command("foresight", short_help="The most each sample could have built, with perfect foresight.")
@click.argument("scenario", required=False)
@click.option(
    "--samples",
    type=click.IntRange(min=1),
    default=DEFAULT_SAMPLES,
    show_default=True,
    help="Monte Carlo samples: the first ones of a run with the same seed; one LP per sample and year-end.",
)
@SEED
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=DEFAULT_WORKERS,
    show_default=True,
    help="Worker processes solving the LPs; the results do not depend on it.",
)
@click.option(
    "--objective",
    type=click.Choice(OBJECTIVES),
    default="compute",
    show_default=True,
    help="What the bound maximises: H100e of domestic units delivered, or domestic units delivered.",
)
@FORMAT_CSV
@click.option(
    "--out",
    "out_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the output here (atomically) instead of printing it.",
)
@ALLOW_OUTSIDE
@DEBUG
def command(
    scenario: str | None,
    samples: int,
    seed: int,
    workers: int,
    objective: str,
    output_format: str,
    out_file: Path | None,
    allow_outside: bool,
    debug: bool,
) -> None:
    """The perfect-foresight bound of SCENARIO (default: the embedded default): per sample
    and year-end, the most that could have been built with that sample's inputs (one linear
    program over the whole horizon), beside the month-by-month result of the same samples,
    the gap between them, and the shadow price of every part."""
    loaded = load([scenario or DEFAULT_SCENARIO], allow_outside)[0]
    with LazyProgress(f"{loaded.name}: foresight") as progress:
        result = foresight(loaded, samples=samples, seed=seed, workers=workers, objective=objective, progress=progress)
    if out_file is None and output_format == "table":
        render_foresight(out, result)
        return
    text = _text(result, output_format)
    if out_file is None:
        sys.stdout.write(text)
    else:
        write_text_atomically(out_file, text)
        err.print(f"wrote {out_file}", markup=False, highlight=False)


def _text(result: ForesightResult, output_format: str) -> str:
    if output_format == "json":
        document, non_finite = finite_document(result.to_dict())
        return json_text(document | {"non_finite": non_finite}, ascii_only=True)
    if output_format == "csv":
        return csv_text(result)
    buffer = io.StringIO()
    render_foresight(Console(file=buffer, width=160, emoji=False, highlight=False, color_system=None), result)
    return buffer.getvalue()


def csv_text(result: ForesightResult) -> str:
    """Both tables as one CSV: the ``table`` column says which (``years`` or
    ``shadow_prices``); a column the other table lacks is empty."""
    years = result.table().assign(table="years")
    prices = result.shadow_table().assign(table="shadow_prices")
    both = pd.concat([years, prices], ignore_index=True)
    both["year_end"] = both["year_end"].astype("Int64")  # empty in the years rows, not 2025.0 in the others
    return str(both[["table", *(c for c in both.columns if c != "table")]].to_csv(index=False))


def _years(result: ForesightResult) -> Table:
    table = Table(title=f"cumulative {UNIT[result.objective]} to each year-end", title_justify="left")
    for name in ("year", "month-by-month P50", "bound P50", "gap P50", "gap P5–P95"):
        table.add_column(name, justify="left" if name == "year" else "right")
    pct = result.year_percentiles()
    engine, bound, gap = pct["engine"], pct["bound"], pct["gap"]
    for y, year in enumerate(result.years):
        spread = f"{number(gap[0, y])}–{number(gap[2, y])}"
        table.add_row(str(year), number(engine[1, y]), number(bound[1, y]), number(gap[1, y]), spread)
    return table


def _prices(result: ForesightResult) -> Table:
    end = len(result.years) - 1
    table = Table(
        title=f"shadow prices: {UNIT[result.objective]} to the end of {result.years[end]} per one more part "
        "arriving in a month of the year, P50",
        title_justify="left",
    )
    for name in ("account", "component", "owner", *(str(y) for y in result.years)):
        table.add_column(name, justify="right" if name[0].isdigit() else "left")
    median = result.price_percentiles(end)[1]
    for row, values in zip(result.price_rows, median, strict=True):
        cells = ["" if np.isnan(v) else number(float(v)) for v in values]
        table.add_row(escape(f"{row.name} (per {row.kind})"), escape(row.component), escape(row.owner), *cells)
    return table


def render_foresight(console: Console, result: ForesightResult) -> None:
    """The bound beside the month-by-month result per year, then the shadow prices."""
    console.print(
        f"[bold]{escape(result.scenario)}[/bold]  perfect-foresight bound  samples {result.samples:,}  "
        f"seed {result.seed}  objective {result.objective}",
        highlight=False,
    )
    console.print(_years(result))
    console.print(_prices(result))
    console.print(f"[dim]{escape(NOTE.format(dropped='; '.join(result.dropped), end=result.years[-1]))}[/dim]")
