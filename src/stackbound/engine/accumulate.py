"""Reduce each block's monthly outputs into what a run keeps.

Per sample: annual totals (year-end levels for stocks) of :data:`~stackbound.engine.metrics.ANNUAL`
and quarterly totals of :data:`~stackbound.engine.metrics.QUARTERLY`, as float32. Per month:
histogram counts (integers, exact in any order) and sums (float64, added block by block in
block order, so they do not depend on chunking) of :data:`~stackbound.engine.metrics.MONTHLY`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from stackbound.engine.histogram import BINS, CELL_BINS, CELL_SHIFT, EDGES, FIRST_CELL
from stackbound.engine.kernel import bin_and_sum, count_bins, periodic_totals, tally_binding
from stackbound.engine.metrics import ANNUAL, MONTHLY, QUARTERLY, Metric
from stackbound.engine.outputs import BlockOutputs
from stackbound.engine.plan import Plan, origin_groups

__all__ = ["Accumulator", "kept_groups", "period_starts", "series"]

FloatArray = NDArray[np.float64]
Key = tuple[str, str]


def period_starts(months: NDArray[np.int64], months_per_period: int) -> NDArray[np.int64]:
    """Index of the first month of each calendar year (12) or quarter (3) in ``months``."""
    period = months // months_per_period
    return np.flatnonzero(np.r_[True, period[1:] != period[:-1]]).astype(np.int64)


def series(plan: Plan, metric: Metric, out: BlockOutputs) -> Iterator[tuple[str, FloatArray]]:
    """The (group, (T, n) array) pairs a metric is kept for."""
    data = getattr(out, metric.field)
    if metric.level == "product":
        kept = set(kept_groups(plan, metric))
        yield from ((name, values) for name, values in zip(plan.products, data, strict=True) if name in kept)
    elif metric.level == "variant":
        yield from zip((v.name for v in plan.variants), data, strict=True)
    elif metric.level == "component":
        for c, name in enumerate(plan.components):
            if not metric.kinds or plan.component_kinds[c] in metric.kinds:
                yield name, data[c]
    elif metric.level == "stockpile":
        yield from zip((plan.pools[p].name for p in plan.stockpiles), data, strict=True)
    elif metric.level in ("account", "origin"):
        yield from zip(kept_groups(plan, metric), data, strict=True)
    else:
        yield "total", data if data.ndim == 2 else data.sum(axis=0)


def kept_groups(plan: Plan, metric: Metric) -> list[str]:
    """The groups (products, variants, components, stockpiles or total) a metric is kept for."""
    if metric.level == "product":
        products = plan.loaded.scenario.products
        spec = metric.spec
        return [p for p in plan.products if spec is None or getattr(products[p].specs, spec) is not None]
    if metric.level == "variant":
        return [v.name for v in plan.variants]
    if metric.level == "component":
        kinds = metric.kinds
        return [c for i, c in enumerate(plan.components) if not kinds or plan.component_kinds[i] in kinds]
    if metric.level == "stockpile":
        return [plan.pools[p].name for p in plan.stockpiles]
    if metric.level == "account":
        return [plan.accounts[a].name for a in plan.component_accounts]
    if metric.level == "origin":
        return [f"{product}@{source}" for product, source in origin_groups(plan)]
    return ["total"]


def _periodic(values: FloatArray, starts: NDArray[np.int64], stock: bool) -> NDArray[np.float32]:
    """(T, n) to (n, periods) float32: sums over each period, or its last month for stocks."""
    out = np.empty((values.shape[1], len(starts)), np.float32)
    periodic_totals(values, starts, stock, out)
    return out


@dataclass
class Reduction:
    """One chunk reduced to what a run keeps, computed where the chunk was simulated (in a
    worker thread); :meth:`Accumulator.add` then only stores and adds, in sample order."""

    annual: dict[Key, NDArray[np.float32]]  # (n, years)
    quarterly: dict[Key, NDArray[np.float32]]  # (n, quarters)
    bins: NDArray[np.uint16]  # (monthly series, T, n): histogram bin of each value
    block_sums: FloatArray  # (blocks, monthly series, T), in block order
    binding: NDArray[np.int64]  # (variants, codes, T)
    starved: NDArray[np.int64]  # (variants, T)
    relief: FloatArray  # (blocks, variants, codes, T), in block order
    runout: NDArray[np.int64]  # (n, stockpiles)
    paths: dict[Key, NDArray[np.float32]] | None

    @property
    def samples(self) -> int:
        return int(self.runout.shape[0])


def _per_sample(
    plan: Plan, out: BlockOutputs, years: NDArray[np.int64], quarters: NDArray[np.int64]
) -> tuple[dict[Key, NDArray[np.float32]], dict[Key, NDArray[np.float32]]]:
    annual: dict[Key, NDArray[np.float32]] = {}
    quarterly: dict[Key, NDArray[np.float32]] = {}
    for metric in ANNUAL:
        for group, values in series(plan, metric, out):
            annual[(metric.name, group)] = _periodic(values, years, metric.stock)
            if metric.name in QUARTERLY:
                part = _periodic(values, quarters, metric.stock)
                key = (metric.name, "total")
                quarterly[key] = quarterly[key] + part if key in quarterly else part
    return annual, quarterly


def _monthly(
    plan: Plan, out: BlockOutputs, blocks: list[tuple[int, int]], keep_paths: bool
) -> tuple[NDArray[np.uint16], FloatArray, dict[Key, NDArray[np.float32]] | None]:
    T, n = len(plan.months), out.produced.shape[2]
    keys = [(m, g) for m in MONTHLY for g in kept_groups(plan, m)]
    bins = np.empty((len(keys), T, n), np.uint16)
    sums = np.empty((len(keys), len(blocks), T))
    starts = np.array([offset for offset, _ in blocks], dtype=np.int64)
    paths: dict[Key, NDArray[np.float32]] | None = {} if keep_paths else None
    s = 0
    for metric in MONTHLY:
        for group, values in series(plan, metric, out):
            values = np.ascontiguousarray(values)
            words = values.view(np.int64)
            bin_and_sum(values, words, EDGES, CELL_BINS, FIRST_CELL, CELL_SHIFT, starts, bins[s], sums[s])
            if paths is not None:
                paths[(metric.name, group)] = values.T.astype(np.float32)
            s += 1
    sums = np.ascontiguousarray(sums.transpose(1, 0, 2))  # (blocks, series, T)
    return bins, sums, paths


def _binding(
    plan: Plan, out: BlockOutputs, blocks: list[tuple[int, int]]
) -> tuple[NDArray[np.int64], NDArray[np.int64], FloatArray]:
    V, K, T = len(plan.variants), len(plan.constraint_names), len(plan.months)
    binding = np.zeros((V, K, T), np.int64)
    relief = np.zeros((len(blocks), V, K, T))
    starts = np.array([offset for offset, _ in blocks], dtype=np.int64)
    tally_binding(out.binding, out.relief, starts, binding, relief)
    return binding, out.starved.sum(axis=2), relief


def reduce_chunk(plan: Plan, out: BlockOutputs, blocks: list[tuple[int, int]], keep_paths: bool) -> Reduction:
    """Reduce a chunk's outputs; ``blocks`` are (offset, size) of its random blocks, in order."""
    annual, quarterly = _per_sample(plan, out, period_starts(plan.months, 12), period_starts(plan.months, 3))
    bins, sums, paths = _monthly(plan, out, blocks, keep_paths)
    binding, starved, relief = _binding(plan, out, blocks)
    return Reduction(annual, quarterly, bins, sums, binding, starved, relief, out.runout.T.copy(), paths)


class Accumulator:
    """Collects a whole run, chunk after chunk, in sample order."""

    def __init__(self, plan: Plan, samples: int, keep_paths: bool) -> None:
        self.plan = plan
        T = len(plan.months)
        self.year_starts = period_starts(plan.months, 12)
        self.quarter_starts = period_starts(plan.months, 3)
        Y, Q = len(self.year_starts), len(self.quarter_starts)
        self.annual: dict[Key, NDArray[np.float32]] = {
            (m.name, g): np.zeros((samples, Y), np.float32) for m in ANNUAL for g in kept_groups(plan, m)
        }
        self.quarterly: dict[Key, NDArray[np.float32]] = {
            (name, "total"): np.zeros((samples, Q), np.float32) for name in QUARTERLY
        }
        self.monthly_keys: list[Key] = [(m.name, g) for m in MONTHLY for g in kept_groups(plan, m)]
        self.counts = np.zeros((len(self.monthly_keys), T, BINS), np.int64)
        self.sums = np.zeros((len(self.monthly_keys), T))
        V, K = len(plan.variants), len(plan.constraint_names)
        self.binding = np.zeros((V, K, T), np.int64)
        self.starved = np.zeros((V, T), np.int64)
        self.relief = np.zeros((V, K, T))
        self.runout = np.zeros((samples, len(plan.stockpiles)), np.int32)
        self.paths: dict[Key, NDArray[np.float32]] | None = None
        if keep_paths:
            self.paths = {key: np.zeros((samples, T), np.float32) for key in self.monthly_keys}

    def add(self, start: int, chunk: Reduction) -> None:
        """Take the reduction of the chunk whose first sample is ``start``; float sums are
        added block by block, in block order, so the totals do not depend on chunking."""
        rows = slice(start, start + chunk.samples)
        for key, values in chunk.annual.items():
            self.annual[key][rows] = values
        for key, values in chunk.quarterly.items():
            self.quarterly[key][rows] = values
        count_bins(chunk.bins, self.counts)
        for block_sums in chunk.block_sums:
            self.sums += block_sums
        for block_relief in chunk.relief:
            self.relief += block_relief
        self.binding += chunk.binding
        self.starved += chunk.starved
        self.runout[rows] = chunk.runout
        if self.paths is not None and chunk.paths is not None:
            for key, values in chunk.paths.items():
                self.paths[key][rows] = values
