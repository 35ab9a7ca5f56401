"""``stackbound sweep SWEEP.yaml``: a grid or a list of lever values over a base scenario
and its overlays, every point paired with point 0 sample by sample.

The sweep file is checked whole before anything runs (exit status 2, every problem with
its file, line and field). With ``--out DIR`` the tidy table is written as ``sweep.csv``
and ``sweep.parquet`` (with ``--per-sample``, each point's per-sample annual values as
``samples/point-NNN.parquet``) and a manifest, all at once: an interrupted sweep leaves DIR
as it was.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import pandas as pd
from rich.console import Console
from rich.markup import escape

from stackbound.analysis.records import records
from stackbound.analysis.sweep import (
    MAX_POINTS,
    Sweep,
    load_sweep,
    per_sample_table,
    point_table,
    run_points,
)
from stackbound.cli.common import (
    ALLOW_OUTSIDE,
    DEBUG,
    FORMAT_CSV,
    LazyProgress,
    chunk_size_option,
    err,
    executor_options,
    keep_option,
    out,
)
from stackbound.cli.compare import LABELS
from stackbound.cli.layout import Row, cell, print_by_year
from stackbound.engine.keep import Keep
from stackbound.engine.run import DEFAULT_CHUNK_SIZE
from stackbound.formatting import number
from stackbound.report.atomic import atomic_directory, check_output_target, write_manifest
from stackbound.report.export import package_version
from stackbound.report.findings import signed_number

if TYPE_CHECKING:
    from stackbound.engine.executors import Executor

__all__ = ["command", "render_sweep"]

UNSET = "·"
"""A lever a point leaves as its scenario sets it, in the terminal table."""


@click.command("sweep", short_help="Sweep lever values and overlays, paired sample by sample.")
@click.argument("sweep_file", metavar="SWEEP.yaml")
@click.option(
    "--samples", type=click.IntRange(min=1), default=None, help="Monte Carlo samples per point (default: the file's)."
)
@click.option(
    "--seed", type=click.IntRange(min=0), default=None, help="Random seed of every point (default: the file's)."
)
@click.option(
    "--max-points",
    type=click.IntRange(min=1),
    default=MAX_POINTS,
    show_default=True,
    help="Refuse a sweep of more points than this (point 0, the base, included).",
)
@chunk_size_option(DEFAULT_CHUNK_SIZE)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Write sweep.csv, sweep.parquet and a manifest to this directory (atomically).",
)
@click.option(
    "--per-sample",
    is_flag=True,
    help="Also write each point's per-sample annual values (samples/point-NNN.parquet; needs --out).",
)
@executor_options
@keep_option("sweep pairs every point's samples with the same samples of point 0")
@click.option("--levels", is_flag=True, help="Print each point's own P50 (P5-P95) instead of its difference.")
@FORMAT_CSV
@ALLOW_OUTSIDE
@DEBUG
def command(
    sweep_file: str,
    samples: int | None,
    seed: int | None,
    max_points: int,
    chunk_size: int,
    executor: Executor | None,
    keep: Keep,
    out_dir: Path | None,
    per_sample: bool,
    levels: bool,
    output_format: str,
    allow_outside: bool,
    debug: bool,
) -> None:
    """Run the base scenario of SWEEP.yaml at every point of its lever grid or list, on it
    and on each of its overlays, all with one seed (common random numbers), and print each
    output by year: every point's paired difference to point 0 (the base as it is) as P50
    (P5–P95). The format is in docs/sweep-format.md."""
    if per_sample and out_dir is None:
        raise click.UsageError("--per-sample needs --out")
    sweep = load_sweep(sweep_file, samples=samples, seed=seed, max_points=max_points, allow_outside=allow_outside)
    _warn(sweep)
    if out_dir is not None:
        check_output_target(out_dir)  # refuse a foreign folder before simulating, not after
    run_options = {"chunk_size": chunk_size, "executor": executor, "keep": keep}
    with _staging(out_dir) as staging:
        table = _run(sweep, run_options, staging if per_sample else None)
        if staging is not None:
            _write(staging, sweep, table, chunk_size)
    _print(sweep, table, output_format, levels)
    if out_dir is not None:
        err.print(f"wrote {out_dir}", markup=False, highlight=False)


def _warn(sweep: Sweep) -> None:
    for scenario in (sweep.base, *sweep.overlays):
        for warning in scenario.warnings:
            err.print(f"[yellow]warning[/yellow] {escape(scenario.name)}: {escape(warning)}", soft_wrap=True)


@contextmanager
def _staging(out_dir: Path | None) -> Iterator[Path | None]:
    """The folder that replaces ``out_dir`` whole when the sweep succeeds (None: no --out)."""
    if out_dir is None:
        yield None
        return
    with atomic_directory(out_dir) as staging:
        yield staging


def _run(sweep: Sweep, run_options: Mapping[str, Any], samples_dir: Path | None) -> pd.DataFrame:
    """Every point in order behind a progress bar over points; each point's per-sample
    values written into ``samples_dir`` as it finishes (so they are never all in memory)."""
    tables, base, total = [], None, len(sweep.points)
    width = max(3, len(str(total - 1)))
    if samples_dir is not None:
        (samples_dir / "samples").mkdir()
    with LazyProgress(f"sweep {sweep.name}") as progress:
        progress(0, total)
        for done, point_run in enumerate(run_points(sweep, run_options), start=1):
            base = base or point_run
            tables.append(point_table(sweep, point_run, base))
            if samples_dir is not None:
                path = samples_dir / "samples" / f"point-{point_run.point.index:0{width}d}.parquet"
                per_sample_table(sweep, point_run).to_parquet(path, index=False)
            progress(done, total)
    return pd.concat(tables, ignore_index=True)


def _write(staging: Path, sweep: Sweep, table: pd.DataFrame, chunk_size: int) -> None:
    table.to_csv(staging / "sweep.csv", index=False)
    table.to_parquet(staging / "sweep.parquet", index=False)
    manifest = {
        "stackbound": package_version(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "sweep": sweep.to_document(),
        "seed": sweep.seed,
        "samples": sweep.samples,
        "chunk_size": chunk_size,
    }
    write_manifest(staging, manifest)


def _print(sweep: Sweep, table: pd.DataFrame, output_format: str, levels: bool) -> None:
    if output_format == "json":
        document = {"sweep": sweep.to_document(), "rows": records(table)}
        sys.stdout.write(json.dumps(document, indent=2, allow_nan=False) + "\n")
    elif output_format == "csv":
        table.to_csv(sys.stdout, index=False)
    else:
        render_sweep(out, sweep, table, levels)


# ------------------------------------------------------------------ the terminal table


def render_sweep(console: Console, sweep: Sweep, table: pd.DataFrame, levels: bool = False) -> None:
    """Per output: one row per point (its overlay and lever values), one column per year;
    each cell the point's paired difference to point 0 (point 0's own level in grey), or
    with ``levels`` each point's own level."""
    scenarios = ", ".join(o.name for o in sweep.overlays)
    console.print(
        f"[bold]sweep {escape(sweep.name)}[/bold]  {len(sweep.points)} points on {escape(sweep.base.name)}"
        + (f" and {escape(scenarios)}" if scenarios else "")
        + f"  samples {sweep.samples:,}  seed {sweep.seed}"
    )
    heads = ("point", *(("overlay",) if sweep.overlays else ()), *sweep.levers)
    note = f"{UNSET}: the lever as the point's scenario sets it" if sweep.levers else ""
    cells = _cells(table)
    for metric, group in sweep.outputs:
        label = f"{LABELS.get(metric, metric)}, {group} ({sweep.units[metric]})"
        what = "each point's level" if levels else "difference to point 0, paired per sample (point 0 in grey)"
        rows = [_row(sweep, index, cells[(metric, group, index)], levels) for index in range(len(sweep.points))]
        print_by_year(console, f"{label}: {what}", heads, sweep.years, rows, note)


Cells = dict[tuple[str, int], float]
"""One point's statistics of one output: (statistic, year) → value."""


def _cells(table: pd.DataFrame) -> dict[tuple[str, str, int], Cells]:
    found: dict[tuple[str, str, int], Cells] = {}
    columns = (table[c] for c in ("metric", "group", "point", "statistic", "year", "value"))
    for metric, group, point, statistic, year, value in zip(*columns, strict=True):
        found.setdefault((metric, group, int(point)), {})[(statistic, int(year))] = float(value)
    return found


def _row(sweep: Sweep, index: int, values: Cells, levels: bool) -> Row:
    point = sweep.points[index]
    labels = (
        str(index),
        *((point.overlay,) if sweep.overlays else ()),
        *(number(point.levers[lever]) if lever in point.levers else UNSET for lever in sweep.levers),
    )
    if levels or index == 0:
        shown = tuple(cell(values[("p5", y)], values[("p50", y)], values[("p95", y)]) for y in sweep.years)
    else:
        shown = tuple(
            cell(values[("diff_p5", y)], values[("diff_p50", y)], values[("diff_p95", y)], signed_number)
            for y in sweep.years
        )
    return Row(labels, shown, dim=index == 0 and not levels)
