"""Reduce each block's monthly outputs into what a run keeps.

Per sample: annual totals (year-end levels for stocks) of :data:`~stackbound.engine.metrics.ANNUAL`
and quarterly totals of :data:`~stackbound.engine.metrics.QUARTERLY`, as float32. Per month:
histogram counts (integers, exact in any order) and sums (float64, added block by block in
block order, so they do not depend on chunking) of :data:`~stackbound.engine.metrics.MONTHLY`.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from stackbound.engine.histogram import BINS, bin_index
from stackbound.engine.metrics import ANNUAL, MONTHLY, QUARTERLY, Metric
from stackbound.engine.outputs import BlockOutputs
from stackbound.engine.plan import Plan

__all__ = ["Accumulator", "period_starts", "series"]

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
        yield from zip(plan.products, data, strict=True)
    elif metric.level == "variant":
        yield from zip((v.name for v in plan.variants), data, strict=True)
    elif metric.level == "component":
        for c, name in enumerate(plan.components):
            if not metric.kinds or plan.component_kinds[c] in metric.kinds:
                yield name, data[c]
    elif metric.level == "stockpile":
        yield from zip((plan.pools[p].name for p in plan.stockpiles), data, strict=True)
    else:
        yield "total", data if data.ndim == 2 else data.sum(axis=0)


def _groups(plan: Plan, metric: Metric) -> list[str]:
    if metric.level == "product":
        return list(plan.products)
    if metric.level == "variant":
        return [v.name for v in plan.variants]
    if metric.level == "component":
        kinds = metric.kinds
        return [c for i, c in enumerate(plan.components) if not kinds or plan.component_kinds[i] in kinds]
    if metric.level == "stockpile":
        return [plan.pools[p].name for p in plan.stockpiles]
    return ["total"]


def _periodic(values: FloatArray, starts: NDArray[np.int64], stock: bool) -> FloatArray:
    """(T, n) to (periods, n): sums, or the last month's level for stocks."""
    ends = np.r_[starts[1:], values.shape[0]]
    if stock:
        return np.asarray(values[ends - 1], dtype=np.float64)
    return np.stack([values[a:b].sum(axis=0) for a, b in zip(starts, ends, strict=True)])


class Accumulator:
    """Collects a whole run, chunk after chunk, in sample order."""

    def __init__(self, plan: Plan, samples: int, keep_paths: bool) -> None:
        self.plan = plan
        T = len(plan.months)
        self.year_starts = period_starts(plan.months, 12)
        self.quarter_starts = period_starts(plan.months, 3)
        Y, Q = len(self.year_starts), len(self.quarter_starts)
        self.annual: dict[Key, NDArray[np.float32]] = {
            (m.name, g): np.zeros((samples, Y), np.float32) for m in ANNUAL for g in _groups(plan, m)
        }
        self.quarterly: dict[Key, NDArray[np.float32]] = {
            (name, "total"): np.zeros((samples, Q), np.float32) for name in QUARTERLY
        }
        self.monthly_keys: list[Key] = [(m.name, g) for m in MONTHLY for g in _groups(plan, m)]
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

    def add(self, start: int, out: BlockOutputs, blocks: list[tuple[int, int]]) -> None:
        """Take a chunk whose first sample is ``start``; ``blocks`` are (offset, size) of its
        random blocks within the chunk, in order."""
        n = out.produced.shape[2]
        rows = slice(start, start + n)
        self._per_sample(out, rows)
        self._monthly(out, rows, blocks)
        self._binding(out, blocks)
        self.runout[rows] = out.runout.T

    def _per_sample(self, out: BlockOutputs, rows: slice) -> None:
        for metric in ANNUAL:
            for group, values in series(self.plan, metric, out):
                self.annual[(metric.name, group)][rows] = _periodic(values, self.year_starts, metric.stock).T
                if metric.name in QUARTERLY:
                    target = self.quarterly[(metric.name, "total")]
                    target[rows] += _periodic(values, self.quarter_starts, metric.stock).T.astype(np.float32)

    def _monthly(self, out: BlockOutputs, rows: slice, blocks: list[tuple[int, int]]) -> None:
        T = len(self.plan.months)
        offsets = (np.arange(T) * BINS)[:, None]
        s = 0
        for metric in MONTHLY:
            for group, values in series(self.plan, metric, out):
                flat = (bin_index(values) + offsets).ravel()
                self.counts[s] += np.bincount(flat, minlength=T * BINS).reshape(T, BINS)
                for offset, size in blocks:
                    self.sums[s] += np.ascontiguousarray(values[:, offset : offset + size]).sum(axis=1)
                if self.paths is not None:
                    self.paths[(metric.name, group)][rows] = values.T
                s += 1

    def _binding(self, out: BlockOutputs, blocks: list[tuple[int, int]]) -> None:
        K = len(self.plan.constraint_names)
        T = out.binding.shape[1]
        offsets = (np.arange(T) * K)[:, None]
        for v in range(len(self.plan.variants)):
            codes = out.binding[v].astype(np.int64) + offsets
            self.binding[v] += np.bincount(codes.ravel(), minlength=T * K).reshape(T, K).T
            self.starved[v] += out.starved[v].sum(axis=1)
            for offset, size in blocks:  # float sums block by block, in block order
                part = slice(offset, offset + size)
                weights = np.ascontiguousarray(out.relief[v][:, part]).ravel()
                flat = np.ascontiguousarray(codes[:, part]).ravel()
                self.relief[v] += np.bincount(flat, weights=weights, minlength=T * K).reshape(T, K).T
