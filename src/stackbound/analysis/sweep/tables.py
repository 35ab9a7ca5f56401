"""Running a sweep's points and summarising each against point 0 as tidy rows.

Every point runs with the sweep's seed and samples, so its per-sample difference to
point 0 is paired (common random numbers).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd

from stackbound.analysis.sweep.definition import FloatArray, Output, Point, PointRun, Sweep
from stackbound.engine.histogram import sample_percentiles
from stackbound.engine.keep import DEFAULT_KEEP, check_pairs, parse_keep
from stackbound.engine.results import PERCENTILES, RunResult
from stackbound.engine.run import run
from stackbound.errors import SimulationError

__all__ = ["LEVER_PREFIX", "STATISTICS", "per_sample_table", "point_table", "run_points", "sweep_table"]

LEVELS = ("p5", "p50", "p95", "mean")
STATISTICS = (*LEVELS, *(f"diff_{s}" for s in LEVELS))
"""A point's own P5, P50, P95 and mean, then those of its per-sample difference to point 0."""
LEVER_PREFIX = "lever_"
"""The tidy table's column of lever ``x`` is ``lever_x``: the value the point sets, NaN if none."""


def run_points(sweep: Sweep, run_options: Mapping[str, Any] | None = None) -> Iterator[PointRun]:
    """Run every point in order with the sweep's seed and samples, yielding each one's
    values. ``run_options`` go to every :func:`~stackbound.engine.run.run` call (workers,
    chunk_size, an executor): they may change how a run is computed, never its numbers."""
    options = dict(run_options or {})
    clash = sorted(set(options) & {"samples", "seed", "uniforms"})
    if clash:
        raise SimulationError(
            f"a sweep sets {', '.join(clash)} for every point itself; do not pass them as run options"
        )
    check_pairs(parse_keep(str(options.get("keep", DEFAULT_KEEP))), "sweep")
    for point in sweep.points:
        result = run(point.loaded, samples=sweep.samples, seed=sweep.seed, **options)
        yield PointRun(point, result.digest, {output: _annual(result, output, sweep.years) for output in sweep.outputs})


def _annual(result: RunResult, output: Output, years: tuple[int, ...]) -> FloatArray:
    columns = [result.years.index(y) for y in years]
    return np.asarray(result.annual_values(*output), dtype=np.float64)[:, columns]


def _point_columns(sweep: Sweep, point: Point) -> dict[str, Any]:
    """The columns that say which point a row is of: its number, overlay and lever values."""
    levers = {f"{LEVER_PREFIX}{lever}": point.levers.get(lever, math.nan) for lever in sweep.levers}
    return {"point": point.index, "overlay": point.overlay, **levers}


def _statistics(values: FloatArray) -> FloatArray:
    """P5, P50, P95 and mean per year (rows in :data:`LEVELS` order)."""
    return np.vstack([sample_percentiles(values, PERCENTILES), values.mean(axis=0)])


def point_table(sweep: Sweep, point_run: PointRun, base: PointRun) -> pd.DataFrame:
    """The tidy rows of one point: per output, year and statistic, its level and its
    per-sample difference to ``base`` (point 0), in column ``value``."""
    if point_run.values.keys() != base.values.keys():
        raise SimulationError("a point and the base must read the same outputs")
    parts = []
    for (metric, group), values in point_run.values.items():
        stats = np.vstack([_statistics(values), _statistics(values - base.values[(metric, group)])])
        parts.append(
            pd.DataFrame(
                {
                    "metric": metric,
                    "group": group,
                    "unit": sweep.units[metric],
                    "year": np.tile(sweep.years, len(STATISTICS)),
                    "statistic": np.repeat(STATISTICS, len(sweep.years)),
                    "value": stats.ravel(),
                }
            )
        )
    return _with_point(sweep, point_run.point, pd.concat(parts, ignore_index=True))


def per_sample_table(sweep: Sweep, point_run: PointRun) -> pd.DataFrame:
    """Every sample's annual value of each output of one point, one row per output, year
    and sample."""
    parts = []
    for (metric, group), values in point_run.values.items():
        samples, years = values.shape
        parts.append(
            pd.DataFrame(
                {
                    "metric": metric,
                    "group": group,
                    "year": np.tile(sweep.years, samples),
                    "sample": np.repeat(np.arange(samples), years),
                    "value": values.ravel(),
                }
            )
        )
    return _with_point(sweep, point_run.point, pd.concat(parts, ignore_index=True))


def _with_point(sweep: Sweep, point: Point, frame: pd.DataFrame) -> pd.DataFrame:
    columns = _point_columns(sweep, point)
    for i, (name, value) in enumerate(columns.items()):
        frame.insert(i, name, value)
    return frame.astype({f"{LEVER_PREFIX}{lever}": np.float64 for lever in sweep.levers})


def sweep_table(sweep: Sweep, run_options: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Run every point and return the tidy table of all of them (point 0 first)."""
    tables, base = [], None
    for point_run in run_points(sweep, run_options):
        base = base or point_run
        tables.append(point_table(sweep, point_run, base))
    return pd.concat(tables, ignore_index=True)
