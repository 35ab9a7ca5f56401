"""Sweeps: one scenario run over a grid or a list of lever values, and over its overlays.

A sweep file (``docs/sweep-format.md``) names a base scenario, optional overlays, lever
values as a ``grid`` (every combination) or a ``list`` (explicit points), samples, a seed
and the outputs to read. :func:`load_sweep` reads and checks the whole file before
anything runs, reports every problem of a stage together (file, line, field), and returns
a :class:`Sweep` whose :class:`Point` s are validated scenarios.

Point 0 is the base scenario as it is, the reference; then every lever point on the base,
then on each overlay in order. Every point runs with the sweep's seed and samples, so an
uncertain input the points share takes the same draw in the same sample (common random
numbers): a point's per-sample difference to point 0 is paired, and a point that changes
nothing differs by exactly zero.

:func:`run_points` runs the points one by one, yielding each one's per-sample annual values
(:class:`PointRun`); :func:`point_table` summarises one against point 0 as rows of the tidy
table (point × metric × group × year × statistic); :func:`sweep_table` does both::

    sweep = load_sweep("levers.sweep.yaml", samples=2_000)
    table = sweep_table(sweep)            # one row per point, metric, group, year, statistic

The package: :mod:`.definition` (the sweep and its points), :mod:`.shape` (the file's
fields), :mod:`.load` (the checks against the scenarios) and :mod:`.tables` (running the
points and their rows).
"""

from __future__ import annotations

from stackbound.analysis.sweep.definition import Output, Point, PointRun, Sweep
from stackbound.analysis.sweep.load import MAX_POINTS, load_sweep, parse_sweep
from stackbound.analysis.sweep.shape import DEFAULT_OUTPUTS, DEFAULT_SEED
from stackbound.analysis.sweep.tables import (
    LEVER_PREFIX,
    STATISTICS,
    per_sample_table,
    point_table,
    run_points,
    sweep_table,
)

__all__ = [
    "DEFAULT_OUTPUTS",
    "DEFAULT_SEED",
    "LEVER_PREFIX",
    "MAX_POINTS",
    "STATISTICS",
    "Output",
    "Point",
    "PointRun",
    "Sweep",
    "load_sweep",
    "parse_sweep",
    "per_sample_table",
    "point_table",
    "run_points",
    "sweep_table",
]
