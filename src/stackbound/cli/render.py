"""Rich output for the terminal: the readable face of a run.

A run opens with the answer in sentences (:func:`render_answer`, the report's own
sentences), then compact tables that fit the terminal (:mod:`.layout`): units by origin,
compute, units by vendor and by product, and each variant's binding story. ``--detail``
prints the full tables instead (:func:`render_run` with ``detail``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from stackbound.analysis.validate import CaseResult, published_text
from stackbound.cli.layout import Row, cell, percent_cell, print_by_year
from stackbound.engine.results import RunResult
from stackbound.formatting import number
from stackbound.report.export import inputs_table
from stackbound.scenario.loader import LoadedScenario

if TYPE_CHECKING:  # the findings load the engine's runner (numba, SciPy's solver): not wanted by show
    from stackbound.report import findings

__all__ = ["render_answer", "render_levels", "render_run", "render_scenario", "render_validation"]


def render_answer(console: Console, facts: findings.Findings) -> None:
    """The opening sentences, one paragraph each: the headline (how many, what rests on
    unsourced products, what binds and from when), units and compute per year, and how
    the scenarios differ (when compared)."""
    from stackbound.report import findings

    paragraphs = (
        findings.answer(facts, "en"),
        " ".join(findings.years_lines(facts, "en")),
        findings.scenarios_line(facts, "en"),
    )
    for paragraph in paragraphs:
        if paragraph:
            console.print(paragraph, markup=False, highlight=False)
            console.print()


def _record(console: Console, result: RunResult) -> None:
    console.print(
        f"[bold]{escape(result.scenario)}[/bold]  samples {result.samples:,}  seed {result.seed}  "
        f"scenario {result.digest[:12]}" + ("  exact LP" if result.exact else "")
    )


def render_run(console: Console, result: RunResult, detail: bool = False) -> None:
    """The run's record line, then its compact tables, or with ``detail`` the full ones."""
    _record(console, result)
    if detail:
        console.print(_annual(result))
        console.print(_binding(result))
        return
    years = result.years
    origins = sorted(set(result.origins.values()))
    rows = [_row(result, "units", g, g) for g in origins]
    rows.append(_row(result, "units", "total", "total", end_section=True))
    share = result.annual_percentiles("domestic_share_units")
    rows.append(Row(("domestic share",), tuple(percent_cell(*share[:, y]) for y in range(len(years)))))
    print_by_year(console, f"{result.scenario}: units by origin", ("origin",), years, rows)
    compute = [
        _row(result, "compute_added_h100e", "total", "added"),
        _row(result, "effective_compute_added_h100e", "total", "effective"),
    ]
    print_by_year(console, "H100-equivalents added", ("compute",), years, compute)
    vendors = [_row(result, "units", v, v) for v in sorted(set(result.vendors.values()))]
    print_by_year(console, "units by vendor", ("vendor",), years, vendors)
    products = [_row(result, "units", p, p) for p in result.products]
    shown = [r for r, p in zip(products, result.products, strict=True) if _made(result, p)]
    idle = [p for p in result.products if not _made(result, p)]
    note = f"none made in any year, even at P95: {', '.join(idle)}" if idle else ""
    print_by_year(console, "units by product", ("product",), years, shown, note)
    console.print(_stories(result))


def _row(result: RunResult, metric: str, group: str, label: str, end_section: bool = False) -> Row:
    pct = result.annual_percentiles(metric, group)
    return Row((label,), tuple(cell(*pct[:, y]) for y in range(len(result.years))), end_section)


def _made(result: RunResult, product: str) -> bool:
    """Whether ``product`` makes anything in some year at P95."""
    return bool((result.annual_percentiles("units", product, [95.0])[0] > 0).any())


def _stories(result: RunResult) -> Table:
    """Each variant's binding constraint, month by month, in words (wrapped, never cut)."""
    from stackbound.analysis.bottlenecks import bottlenecks  # pandas: for a run, not for show

    table = Table(
        title="most likely binding constraint, month by month (P: its lowest monthly probability in the span)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        padding=(0, 1, 0, 0),
    )
    table.add_column("variant", overflow="fold")
    table.add_column("binds", overflow="fold")
    for headline in bottlenecks(result, by="month").headlines:
        story = headline.text.removeprefix(f"{headline.variant}: ")
        table.add_row(escape(headline.variant), escape(story))
    return table


def _cell(p5: float, p50: float, p95: float) -> str:
    return f"{number(p50)} [dim]({number(p5)}–{number(p95)})[/dim]"


def _annual(result: RunResult) -> Table:
    table = Table(title=f"{escape(result.scenario)}: annual output, P50 (P5–P95)", title_justify="left")
    table.add_column("metric", overflow="fold")
    table.add_column("group", overflow="fold")
    for year in result.years:
        table.add_column(str(year), justify="right", overflow="fold")
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
        pct = result.annual_percentiles(metric, group)
        if metric == "domestic_share_units":
            cells = [f"{pct[1, y]:.0%} [dim]({pct[0, y]:.0%}–{pct[2, y]:.0%})[/dim]" for y in range(len(result.years))]
        else:
            cells = [_cell(*pct[:, y]) for y in range(len(result.years))]
        table.add_row(labels[metric], escape(group), *cells, end_section=group == "total")
    return table


def _binding(result: RunResult) -> Table:
    table = Table(title="most likely binding constraint (share of active sample-months)", title_justify="left")
    table.add_column("variant", overflow="fold")
    for year in result.years:
        table.add_column(str(year), overflow="fold")
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


def render_levels(console: Console, results: list[RunResult]) -> None:
    """Annual domestic units and compute added by scenario, P50 (P5–P95); every scenario
    ran with the same seed, so differences are not sampling noise (``run --all-scenarios
    --detail``; without ``--detail`` the paired differences are shown instead)."""
    first = results[0]
    table = Table(
        title=f"scenarios compared (seed {first.seed}, common random numbers), P50 (P5–P95)", title_justify="left"
    )
    table.add_column("metric", overflow="fold")
    table.add_column("scenario", overflow="fold")
    for year in first.years:
        table.add_column(str(year), justify="right", overflow="fold")
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
            pct = result.annual_percentiles(metric, group)
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
