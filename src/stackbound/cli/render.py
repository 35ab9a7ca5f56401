"""Rich tables for the terminal: the readable face of a run."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from stackbound.analysis.validate import CaseResult, published_text
from stackbound.engine.histogram import sample_percentiles
from stackbound.engine.results import PERCENTILES, RunResult
from stackbound.formatting import number
from stackbound.report.export import inputs_table
from stackbound.scenario.loader import LoadedScenario

__all__ = ["render_run", "render_scenario"]


def _cell(p5: float, p50: float, p95: float) -> str:
    return f"{number(p50)} [dim]({number(p5)}–{number(p95)})[/dim]"


def _annual(result: RunResult) -> Table:
    table = Table(title=f"{escape(result.scenario)}: annual output, P50 (P5–P95)", title_justify="left")
    table.add_column("metric")
    table.add_column("group")
    for year in result.years:
        table.add_column(str(year), justify="right")
    rows = [("units", g) for g in result.groups("units")]
    rows += [("compute_added_h100e", "total"), ("effective_compute_added_h100e", "total")]
    rows += [("domestic_share_units", "total")]
    labels = {
        "units": "units",
        "compute_added_h100e": "H100e added",
        "effective_compute_added_h100e": "effective H100e",
        "domestic_share_units": "domestic share of units delivered",
    }
    for metric, group in rows:
        pct = sample_percentiles(result.annual_values(metric, group), PERCENTILES)
        if metric == "domestic_share_units":
            cells = [f"{pct[1, y]:.0%} [dim]({pct[0, y]:.0%}–{pct[2, y]:.0%})[/dim]" for y in range(len(result.years))]
        else:
            cells = [_cell(*pct[:, y]) for y in range(len(result.years))]
        table.add_row(labels[metric], escape(group), *cells, end_section=group == "total")
    return table


def _binding(result: RunResult) -> Table:
    table = Table(title="most likely binding constraint (share of active sample-months)", title_justify="left")
    table.add_column("variant")
    for year in result.years:
        table.add_column(str(year))
    best = {(r["variant"], r["year"]): r for r in result.most_likely_binding().to_dict("records")}
    for variant in result.variants:
        cells = []
        for year in result.years:
            row = best[(variant, year)]
            if row["probability"] == 0:
                cells.append("[dim]inactive[/dim]")
                continue
            text = f"{escape(row['constraint'])} {row['probability']:.0%}"
            if row["starved_by_priority"] > 0.005:
                text += f" [dim](starved {row['starved_by_priority']:.0%})[/dim]"
            cells.append(text)
        table.add_row(escape(variant), *cells)
    return table


def render_run(console: Console, result: RunResult) -> None:
    console.print(
        f"[bold]{escape(result.scenario)}[/bold]  samples {result.samples:,}  seed {result.seed}  "
        f"scenario {result.digest[:12]}" + ("  exact LP" if result.exact else "")
    )
    console.print(_annual(result))
    console.print(_binding(result))


def render_comparison(console: Console, results: list[RunResult]) -> None:
    """Annual domestic units and compute added by scenario, P50 (P5–P95); every scenario
    ran with the same seed, so differences are not sampling noise."""
    first = results[0]
    table = Table(
        title=f"scenarios compared (seed {first.seed}, common random numbers), P50 (P5–P95)", title_justify="left"
    )
    table.add_column("metric")
    table.add_column("scenario")
    for year in first.years:
        table.add_column(str(year), justify="right")
    rows = (
        ("units", "domestic", "domestic units"),
        ("units", "imported", "imported units"),
        ("compute_added_h100e", "total", "H100e added"),
        ("effective_compute_added_h100e", "total", "effective H100e"),
    )
    for metric, group, label in rows:
        for i, result in enumerate(results):
            if group not in result.groups(metric):
                continue
            pct = sample_percentiles(result.annual_values(metric, group), PERCENTILES)
            cells = [_cell(*pct[:, y]) for y in range(len(result.years))]
            table.add_row(label if i == 0 else "", escape(result.scenario), *cells, end_section=i == len(results) - 1)
    console.print(table)


def render_validation(console: Console, scenario: str, outcomes: list[CaseResult]) -> None:
    """Each published estimate, with its kind, beside the model's P5–P50–P95, and how many
    fall inside."""
    table = Table(title=f"{escape(scenario)}: model against published estimates", title_justify="left")
    for column in ("case", "kind", "published", "model P50 (P5–P95)", "inside", "what is compared"):
        table.add_column(column, overflow="fold")
    for o in outcomes:
        mark = "[green]inside[/green]" if o.inside else "[red]missed[/red]"
        table.add_row(
            f"{escape(o.case.id)}\n[dim]{escape(o.case.claim)}[/dim]",
            o.case.kind,
            f"{escape(published_text(o.case))} {escape(o.case.unit)}",
            _cell(o.p5, o.p50, o.p95),
            mark,
            f"{escape(o.case.definition)} [dim]({escape(o.case.grade)})[/dim]",
        )
    console.print(table)
    inside = sum(o.inside for o in outcomes)
    console.print(f"{inside} of {len(outcomes)} published estimates fall inside the model's P5–P95 range")


def render_scenario(console: Console, loaded: LoadedScenario) -> None:
    """The resolved scenario: every value with its unit and source."""
    scenario = loaded.scenario
    console.print(f"[bold]{escape(scenario.name)}[/bold]: {escape(scenario.description.strip())}")
    months = scenario.horizon.end - scenario.horizon.start + 1
    console.print(
        f"files: {escape(' <- '.join(reversed(loaded.files)))}   horizon {months} months"
        f"   uncertain inputs {len(loaded.inputs)}   digest {loaded.digest[:12]}"
    )
    table = Table(show_lines=False)
    for column in ("input (field)", "value", "unit", "source / assumption", "grade", "date"):
        table.add_column(column, overflow="fold")
    for row in inputs_table(loaded).to_dict("records"):
        if row["source"]:
            origin = escape(str(row["source"]))
        elif row["assumption"]:
            origin = f"assumption: {escape(str(row['assumption']))}"
        else:
            origin = "[red]no provenance[/red]"
        table.add_row(
            f"{escape(str(row['label']))}\n[dim]{escape(str(row['field']))}[/dim]",
            *(escape(str(row[k])) for k in ("value", "unit")),
            origin,
            *(escape(str(row[k])) for k in ("grade", "date")),
        )
    console.print(table)
