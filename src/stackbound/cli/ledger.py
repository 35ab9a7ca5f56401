"""``stackbound ledger``: what every part's account made, gave, lost and holds, by year."""

from __future__ import annotations

import sys

import click
from rich.table import Table

from stackbound.analysis.ledger import FLOWS, HELD, LEVELS, ledger_table
from stackbound.cli.common import (
    ALLOW_OUTSIDE,
    DEBUG,
    DEFAULT_SCENARIO,
    FORMAT_CSV,
    load,
    out,
    run_options,
    run_with_progress,
)
from stackbound.formatting import number
from stackbound.report.jsondoc import json_text

__all__ = ["command"]

HEADERS = {
    "opening": "held at start",
    "made": "made",
    "drawn": "drawn",
    "in_good_units": "in good units",
    "destroyed": "destroyed",
    "held": "held at end",
    "idle": "idle",
    "stranded": "stranded",
    "held_by_policy": "by policy",
}
NOTE = (
    "Means over samples, which add up: held at start + made = drawn + held at end; drawn = in good "
    "units + destroyed; held at end = idle + stranded + by policy. P5–P95 of what is held are "
    "percentiles of each account on its own and do not add up."
)


@click.command("ledger", short_help="What every part's account made, gave, lost and holds, by year.")
@click.argument("scenario", required=False)
@run_options
@click.option(
    "--by",
    type=click.Choice(LEVELS),
    default="account",
    show_default=True,
    help="One row per account, or per component.",
)
@click.option("--year", "years", type=int, multiple=True, help="Only these years (repeat for more); default all.")
@FORMAT_CSV
@ALLOW_OUTSIDE
@DEBUG
def command(
    scenario: str | None,
    samples: int,
    seed: int,
    by: str,
    years: tuple[int, ...],
    output_format: str,
    allow_outside: bool,
    debug: bool,
) -> None:
    """The ledger of SCENARIO (default: the embedded default): for every account (an owner's
    part of a source) or component, per year, what was made, drawn, went into good units or
    was destroyed by failed packages, and what is held at year end — idle, stranded or held
    by policy — so that nothing vanishes."""
    loaded = load([scenario or DEFAULT_SCENARIO], allow_outside)[0]
    result = run_with_progress(loaded, samples=samples, seed=seed)
    table = ledger_table(result, by=by)
    if years:
        table = table[table["year"].isin(years)]
    if output_format == "csv":
        sys.stdout.write(table.to_csv(index=False))
    elif output_format == "json":
        document = {
            "scenario": loaded.name,
            "seed": seed,
            "samples": samples,
            "note": NOTE,
            "rows": table.to_dict("records"),
        }
        sys.stdout.write(json_text(document) + "\n")
    else:
        _render(table, by, loaded.name)


def _render(table: object, by: str, name: str) -> None:
    import pandas as pd

    assert isinstance(table, pd.DataFrame)
    grid = Table(title=f"{name}: the ledger of every part (means over samples)", title_justify="left")
    grid.add_column("year")
    grid.add_column(by)
    for key in ("opening", *FLOWS, *HELD):
        grid.add_column(HEADERS[key], justify="right")
    grid.add_column("held P5–P95", justify="right")
    for row in table.to_dict("records"):
        cells = [str(row["year"]), str(row[by])]
        cells += [number(float(row[key])) for key in ("opening", *FLOWS, *HELD)]
        cells.append(f"{number(float(row['held_p5_not_additive']))}–{number(float(row['held_p95_not_additive']))}")
        grid.add_row(*cells)
    out.print(grid)
    out.print(NOTE)
