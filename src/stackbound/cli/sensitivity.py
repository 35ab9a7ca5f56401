"""``stackbound sensitivity``: which uncertain inputs move one annual output.

A thin adapter over :mod:`stackbound.analysis.sensitivity`: it builds the :class:`Output`,
runs the chosen method and prints the result's document as a table or as JSON.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from stackbound.analysis.sensitivity import BY, DEFAULT_BY, DEFAULT_SAMPLES, METHODS, By, Output
from stackbound.cli.common import (
    ALLOW_OUTSIDE,
    DEBUG,
    DEFAULT_SCENARIO,
    FORMAT,
    SEED,
    LazyProgress,
    RenamedOptions,
    err,
    executor_options,
    keep_option,
    load,
    out,
    output_options,
)
from stackbound.engine.keep import Keep
from stackbound.formatting import number

if TYPE_CHECKING:
    from stackbound.engine.executors import Executor

__all__ = ["command"]

BAR_WIDTH = 20
"""Characters on each side of a tornado's base line."""


@click.command(
    "sensitivity",
    cls=RenamedOptions,
    renamed={"--by": "--factors"},
    short_help="Rank the uncertain inputs by how much they move one output.",
)
@click.argument("scenario", required=False)
@output_options("to explain")
@click.option(
    "--method",
    type=click.Choice(list(METHODS)),
    default="tornado",
    show_default=True,
    help="tornado: each factor at P10 and P90; sobol: variance-based indices (correlations off); "
    "delta: moment-independent indices on a correlated sample.",
)
@click.option(
    "--factors",
    "by",
    type=click.Choice(BY),
    default=None,
    help="What counts as one factor: group = a curve's knots and each correlated set move together; "
    "curve = a curve's knots only; input = every input alone (formerly --by). [default: group; curve for delta]",
)
@click.option(
    "--samples",
    type=click.IntRange(min=1),
    default=None,
    help=f"sobol: base size N, a power of two (N·(factors+2) runs; default {DEFAULT_SAMPLES['sobol']}); "
    f"delta: Monte Carlo samples (default {DEFAULT_SAMPLES['delta']}).",
)
@SEED
@executor_options
@keep_option("sensitivity reads every run's output beside its inputs")
@FORMAT
@ALLOW_OUTSIDE
@DEBUG
def command(
    scenario: str | None,
    metric: str,
    group: str,
    year: int,
    method: str,
    by: By | None,
    samples: int | None,
    seed: int,
    keep: Keep,
    output_format: str,
    allow_outside: bool,
    debug: bool,
    executor: Executor | None,
) -> None:
    """Rank the uncertain inputs of SCENARIO by how much they move one annual output
    (--output METRIC of --group in --year)."""
    if method == "tornado" and samples is not None:
        raise click.UsageError("--samples does not apply to --method tornado (it sets each factor to P10 and P90)")
    loaded = load([scenario or DEFAULT_SCENARIO], allow_outside)[0]
    with LazyProgress(f"{method}: {loaded.name}") as progress:
        result = METHODS[method](
            loaded,
            Output(metric, year, group),
            by=by or DEFAULT_BY[method],
            samples=samples,
            seed=seed,
            progress=progress,
            executor=executor,
            keep=keep,
        )
    document = result.to_dict()
    if output_format == "json":
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        for note in document["notes"]:
            err.print(f"[yellow]note[/yellow] {escape(note)}", highlight=False, soft_wrap=True)
    else:
        render(out, document)


def render(console: Console, document: dict[str, Any]) -> None:
    """A sensitivity document as a terminal table, notes first (they may void the numbers)."""
    head = (
        f"[bold]{escape(document['scenario'])}[/bold]  {document['method']}  {escape(document['metric'])} "
        f"({escape(document['group'])}) in {document['year']}  factors by {document['by']}"
    )
    for key in ("base_samples", "evaluations", "samples", "seed"):
        if key in document:
            head += f"  {key.replace('_', ' ')} {document[key]:,}"
    console.print(head, highlight=False)
    for note in document["notes"]:
        console.print(f"[bold yellow]! {escape(note)}[/bold yellow]", highlight=False)
    console.print(_table(document))
    if document.get("no_effect"):
        still = document.get("no_effect_labels", document["no_effect"])
        console.print(
            f"[dim]no one-at-a-time effect: {escape('; '.join(still))}\n"
            f"(moving one of these alone from P10 to P90 leaves the output unchanged; it may still act through "
            f"interactions with other inputs: --method sobol gives its total index)[/dim]",
            highlight=False,
        )
    if "noise_floor" in document:
        console.print(
            f"[dim]noise floor (largest δ of dummy inputs the output ignores): {document['noise_floor']:.3f}[/dim]",
            highlight=False,
        )


def _table(document: dict[str, Any]) -> Table:
    rows: list[dict[str, Any]] = document["rows"]
    # The input in words leads; its path (and the grouped paths) stay in --format json.
    shown = [c for c in (rows[0] if rows else {"factor": ""}) if not c.endswith("_conf")]
    columns = ["label", *(c for c in shown if c not in ("label", "factor"))] if "label" in shown else shown
    title = f"base (every input at its median): {number(document['base'])}" if "base" in document else None
    table = Table(title=title, title_justify="left")
    for column in columns:
        left = column in ("factor", "label")
        table.add_column(_HEADINGS.get(column, column), justify="left" if left else "right")
    if "base" in document:
        table.add_column("[red]P10[/red] │ [green]P90[/green]", justify="center")
    reach = (
        max((max(abs(r["low"] - document["base"]), abs(r["high"] - document["base"])) for r in rows), default=0.0)
        if "base" in document
        else 0.0
    )
    for row in rows:
        cells = [_cell(row, column) for column in columns]
        if "base" in document:
            cells.append(_bar(row["low"] - document["base"], row["high"] - document["base"], reach))
        table.add_row(*cells)
    return table


_HEADINGS = {
    "low": "at P10",
    "high": "at P90",
    "first": "first order",
    "total": "total order",
    "delta": "δ",
    "above_noise": "above noise",
}


def _cell(row: dict[str, Any], column: str) -> str:
    value = row[column]
    if isinstance(value, bool):
        return "yes" if value else "[dim]no[/dim]"
    if isinstance(value, str):
        return escape(value)
    if f"{column}_conf" in row:
        return f"{value:.3f} [dim]± {row[f'{column}_conf']:.3f}[/dim]"
    return str(value) if isinstance(value, int) else number(value)


def _bar(low: float, high: float, reach: float) -> str:
    """A two-sided tornado bar around the base: the P10 end in red, the P90 end in green."""
    if reach <= 0:
        return ""
    lower, upper = ("red", "green") if low <= high else ("green", "red")
    below = round(max(0.0, -min(low, high)) / reach * BAR_WIDTH)
    above = round(max(0.0, max(low, high)) / reach * BAR_WIDTH)
    return (
        " " * (BAR_WIDTH - below)
        + f"[{lower}]{'█' * below}[/{lower}]│[{upper}]{'█' * above}[/{upper}]"
        + " " * (BAR_WIDTH - above)
    )
