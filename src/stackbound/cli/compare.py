"""``stackbound compare``: scenarios against the first, paired per sample; ``--levers`` for
what each policy lever of an overlay does alone."""

from __future__ import annotations

import json
import sys

import click
from rich.console import Console
from rich.table import Table

from stackbound.analysis.compare import ALL_CHANGES, REST, Comparison, Difference, LeverView, compare, lever_view
from stackbound.cli.common import DEBUG, LazyProgress, load, out, run_options
from stackbound.cli.render import short_number
from stackbound.engine.results import RunResult
from stackbound.engine.run import run
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


@click.command("compare")
@click.argument("scenarios", nargs=-1, required=True)
@run_options
@click.option("--levers", is_flag=True,
              help="For each later scenario (an overlay of the first), what each lever it changes does alone.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
@DEBUG
def command(scenarios: tuple[str, ...], samples: int, seed: int, levers: bool, output_format: str,
            debug: bool) -> None:
    """Compare SCENARIOS (files or built-in names) against the first: every headline output
    by year, as P50 (P5–P95) of the per-sample difference. Every scenario runs with the same
    seed, so inputs they share take the same draws and the differences are paired."""
    if len(scenarios) < 2:
        raise click.UsageError("compare needs a base scenario and at least one more")
    loaded = load(list(scenarios))

    def run_one(scenario: LoadedScenario) -> RunResult:
        progress = LazyProgress(scenario.name)
        try:
            return run(scenario, samples=samples, seed=seed, progress=progress)
        finally:
            progress.close()

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


def _signed(value: float) -> str:
    return f"+{short_number(value)}" if value > 0 else short_number(value)


def _cell(d: Difference) -> str:
    return f"{_signed(d.p50)} [dim]({_signed(d.p5)}–{_signed(d.p95)})[/dim]"


def _level(d: Difference) -> str:
    return f"[dim]{short_number(d.base_p50)}[/dim]"


def _table(title: str, years: tuple[int, ...], first: list[str]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in first:
        table.add_column(column)
    for year in years:
        table.add_column(str(year), justify="right")
    return table


def render_comparison(console: Console, comparison: Comparison) -> None:
    """Per output and group: the base's P50 level, then each scenario's difference."""
    console.print(f"{', '.join(comparison.scenarios)} against [bold]{comparison.base}[/bold]  "
                  f"samples {comparison.samples:,}  seed {comparison.seed}")
    title = (f"difference against {comparison.base}, per sample on common random numbers: "
             "P50 (P5–P95) of the difference; the base's P50 in grey")
    table = _table(title, comparison.years, ["output", "group", "scenario"])
    rows: dict[tuple[str, str], dict[str, list[Difference]]] = {}
    for d in comparison.differences:
        rows.setdefault((d.metric, d.group), {}).setdefault(d.scenario, []).append(d)
    for (metric, group), by_scenario in rows.items():
        first = next(iter(by_scenario.values()))
        table.add_row(LABELS.get(metric, metric), group, f"[dim]{comparison.base}[/dim]", *map(_level, first))
        for i, (scenario, differences) in enumerate(by_scenario.items()):
            table.add_row("", "", scenario, *map(_cell, differences), end_section=i == len(by_scenario) - 1)
    console.print(table)


def render_levers(console: Console, view: LeverView) -> None:
    """Per overlay: the levers it changes, then what each does alone, the whole overlay
    and the rest."""
    console.print(f"[bold]{view.base}[/bold] policy levers  samples {view.samples:,}  seed {view.seed}")
    for overlay in view.overlays:
        changes = [c for c in view.changes if c.overlay == overlay]
        if changes:
            levers = Table(title=f"levers {overlay} changes", title_justify="left")
            for column in ("lever", view.base, overlay):
                levers.add_column(column, overflow="fold")
            for c in changes:
                levers.add_row(c.lever, c.base_value, c.overlay_value)
            console.print(levers)
        else:
            console.print(f"{overlay} changes no lever of {view.base}")
        console.print(_effects(view, overlay))


def _effects(view: LeverView, overlay: str) -> Table:
    title = f"{overlay}: change against {view.base} by lever alone, P50 (P5–P95) of the paired difference"
    table = _table(title, view.years, ["output", "group", "change"])
    rows: dict[tuple[str, str], dict[str, list[Difference]]] = {}
    for name, d in view.effects:
        if name == overlay:
            rows.setdefault((d.metric, d.group), {}).setdefault(d.scenario, []).append(d)
    for (metric, group), by_change in rows.items():
        first = next(iter(by_change.values()))
        table.add_row(LABELS.get(metric, metric), group, f"[dim]{view.base}[/dim]", *map(_level, first))
        for i, (change, differences) in enumerate(by_change.items()):
            label = f"[bold]{change}[/bold]" if change == ALL_CHANGES else f"[dim]{change}[/dim]" if change == REST \
                else change
            table.add_row("", "", label, *map(_cell, differences), end_section=i == len(by_change) - 1)
    return table
