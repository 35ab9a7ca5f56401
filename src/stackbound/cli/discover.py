"""``stackbound discover``: which combinations of inputs lead to an outcome (PRIM boxes)."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from stackbound.analysis.discover import VERDICT_RULE, Discovery, Outcome, discover, format_p_value
from stackbound.analysis.features import Inputs
from stackbound.cli.common import (
    ALLOW_OUTSIDE,
    DEBUG,
    DEFAULT_SCENARIO,
    FORMAT,
    LazyProgress,
    executor_options,
    keep_option,
    load,
    out,
    output_options,
    run_options,
)
from stackbound.engine.keep import Keep
from stackbound.scenario.units import SIGNED, parse_quantity

if TYPE_CHECKING:
    from stackbound.engine.executors import Executor

__all__ = ["command", "number", "render_discovery"]


def number(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    """Option callback: a number with an optional k/M/B suffix (``300k``, ``1.5M``)."""
    if value is None:
        return None
    try:
        return parse_quantity(value, SIGNED)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a number (such as 300k or 1.5M)") from None


@click.command("discover", short_help="Which combinations of inputs lead to an outcome (PRIM boxes).")
@click.argument("scenario", required=False)
@output_options("whose outcome is explained")
@click.option("--below", callback=number, metavar="NUMBER", help="The outcome: the output falls below this (300k).")
@click.option("--above", callback=number, metavar="NUMBER", help="The outcome: the output rises above this.")
@click.option(
    "--inputs",
    type=click.Choice(["curves", "knots"]),
    default="curves",
    show_default=True,
    help="Explain by each curve's average level over the horizon, or by each uncertain knot.",
)
@run_options
@executor_options
@keep_option("discover reads every sample's outcome beside that sample's inputs")
@FORMAT
@ALLOW_OUTSIDE
@DEBUG
def command(
    scenario: str | None,
    metric: str,
    group: str,
    year: int,
    below: float | None,
    above: float | None,
    inputs: Inputs,
    samples: int,
    seed: int,
    keep: Keep,
    output_format: str,
    allow_outside: bool,
    debug: bool,
    executor: Executor | None,
) -> None:
    """Which combinations of inputs of SCENARIO (default: the embedded default) lead to an
    outcome, such as 2027 units below 300k: PRIM boxes with their coverage and density."""
    if below is not None and above is None:
        outcome = Outcome(metric, year, "below", below, group)
    elif above is not None and below is None:
        outcome = Outcome(metric, year, "above", above, group)
    else:
        raise click.UsageError("give exactly one of --below and --above")
    loaded = load([scenario or DEFAULT_SCENARIO], allow_outside)[0]
    with LazyProgress(loaded.name) as progress:
        found = discover(
            loaded, outcome, samples=samples, seed=seed, inputs=inputs, progress=progress, executor=executor, keep=keep
        )
    if output_format == "json":
        sys.stdout.write(json.dumps(found.to_dict(), indent=2) + "\n")
    else:
        render_discovery(out, found)


def render_discovery(console: Console, found: Discovery) -> None:
    """The headline sentence with its verdict, then every box with its conditions one per
    line and its own verdict."""
    console.print(
        f"[bold]{escape(found.scenario)}[/bold]  discover  samples {found.samples:,}  seed {found.seed}  "
        f"inputs by {found.inputs[:-1]}",
        highlight=False,
    )
    console.print(f"[bold]{escape(found.summary())}[/bold]", highlight=False)
    if not found.boxes:
        return
    table = Table(
        title_justify="left",
        title=f"boxes ({escape(found.outcome.describe())}: {found.cases:,} runs, {found.base_rate:.0%} of all)",
    )
    table.add_column("box")
    for name in ("density", "coverage", "mass", "lift", "quasi-p"):
        table.add_column(name, justify="right")
    table.add_column("verdict")
    table.add_column("where")
    for box in found.boxes:
        where = "\n".join(escape(c.describe()) for c in box.conditions) or "[dim](all runs)[/dim]"
        table.add_row(
            escape(box.role),
            f"{box.density:.0%}",
            f"{box.coverage:.0%}",
            f"{box.mass:.0%}",
            f"{box.lift(found.base_rate):.1f}×",
            format_p_value(box.p_value),
            box.strength(found.base_rate),
            where,
            end_section=True,
        )
    console.print(table)
    console.print(
        f"[dim]density: share of the box's runs with the outcome; coverage: share of the runs with the "
        f"outcome inside the box; mass: share of all runs inside; lift: density ÷ overall rate; quasi-p: how likely "
        f"chance alone would make the box this dense (binomial tail at the overall rate). Verdict: {VERDICT_RULE}. "
        f"Chosen: the {escape(found.rule)}. Broader and sharper: the densest boxes holding 80% and 25% of those "
        f"runs; next: a second pass on the runs outside the chosen box.[/dim]"
    )
