"""Reduce each block's monthly outputs into what a run keeps (:mod:`~stackbound.engine.keep`).

Per sample, as the keep mode says: annual totals (year-end levels for stocks) of
:data:`~stackbound.engine.metrics.ANNUAL` and quarterly totals of
:data:`~stackbound.engine.metrics.QUARTERLY`, as float32; what is not kept per sample is
summarised per year or quarter instead (:mod:`~stackbound.engine.summaries`), every annual
metric and group read from the chunk's own values first (:class:`~stackbound.engine.annual.AnnualReader`).
Per month: histogram counts (integers, exact in any order) and sums (float64, added block by
block in block order, so they do not depend on chunking) of :data:`~stackbound.engine.metrics.MONTHLY`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from stackbound.engine.annual import AnnualReader
from stackbound.engine.histogram import BINS, CELL_BINS, CELL_SHIFT, EDGES, FIRST_CELL
from stackbound.engine.keep import DEFAULT_KEEP, Keep, keeps_annual, keeps_quarterly
from stackbound.engine.kernel import bin_and_sum, count_bins, periodic_totals, tally_binding
from stackbound.engine.metrics import ANNUAL, MONTHLY, QUARTERLY, Metric
from stackbound.engine.outputs import BlockOutputs
from stackbound.engine.plan import Plan, origin_groups
from stackbound.engine.summaries import Histograms, Summarised, summarise
from stackbound.scenario.inputs import unsourced_products
from stackbound.scenario.loader import LoadedScenario
from stackbound.scenario.schema import METRIC_REFERENCE

__all__ = ["Accumulator", "annual_reader", "kept_groups", "period_starts", "series"]

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


def annual_reader(plan: Plan) -> AnnualReader:
    """How the plan's annual metrics and groups are read from its kept series."""
    scenario = plan.loaded.scenario
    return AnnualReader(
        kept=tuple((m.name, g) for m in ANNUAL for g in kept_groups(plan, m)),
        products=plan.products,
        vendors={p: scenario.products[p].vendor for p in plan.products},
        origins={p: scenario.products[p].origin for p in plan.products},
        memberships=_memberships(plan),
        reference=_reference(plan.loaded),
        unsourced=tuple(p for p in unsourced_products(scenario) if p in plan.products),
    )


def _reference(loaded: LoadedScenario) -> tuple[str, float]:
    metric = loaded.scenario.metric
    param = getattr(loaded.scenario.reference, METRIC_REFERENCE[metric])
    return ("TB/s" if loaded.scenario.metric == "memory_bandwidth" else "TFLOPS", param.median())


def _memberships(plan: Plan) -> dict[str, tuple[str, ...]]:
    """The groups of each account (component, owner, source, component@owner) and of each (product, die
    source) pair (product, vendor, origin, source, vendor@source)."""
    scenario = plan.loaded.scenario
    groups: dict[str, tuple[str, ...]] = {}
    for a in plan.component_accounts:
        account = plan.accounts[a]
        source = plan.pools[account.pool].source
        component, owner = plan.components[account.component], account.owner or "shared"
        groups[account.name] = (component, owner, source, f"{component}@{owner}")
    for product, source in origin_groups(plan):
        vendor, origin = scenario.products[product].vendor, scenario.products[product].origin
        groups[f"{product}@{source}"] = (product, vendor, origin, source, f"{vendor}@{source}")
    return groups


def _periodic(values: FloatArray, starts: NDArray[np.int64], stock: bool) -> NDArray[np.float32]:
    """(T, n) to (n, periods) float32: sums over each period, or its last month for stocks."""
    out = np.empty((values.shape[1], len(starts)), np.float32)
    periodic_totals(values, starts, stock, out)
    return out


@dataclass
class Reduction:
    """One chunk reduced to what a run keeps, computed where the chunk was simulated (in a
    worker thread); :meth:`Accumulator.add` then only stores and adds, in sample order."""

    annual: dict[Key, NDArray[np.float32]]  # (n, years); empty unless kept
    quarterly: dict[Key, NDArray[np.float32]]  # (n, quarters); empty unless kept
    annual_summary: Summarised | None  # when annual values are not kept
    quarterly_summary: Summarised | None  # when quarterly values are not kept
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


def _annual_summary(reader: AnnualReader, annual: dict[Key, NDArray[np.float32]], starts: list[int]) -> Summarised:
    """Every annual metric and group the reader summarises, read from the chunk's values;
    each read is kept for those read later from it (the reference unit, shares, sums of
    metrics), which gives the same values as reading them afresh."""
    shape = next(iter(annual.values())).shape
    keys = reader.summarised()
    read: dict[Key, NDArray[np.float32] | FloatArray] = dict(annual)

    def values(key: Key) -> FloatArray:
        read[key] = found = reader.read(read, shape, *key)
        return found

    return summarise(map(values, keys), len(keys), shape, starts)


def _quarterly_summary(quarterly: dict[Key, NDArray[np.float32]], starts: list[int]) -> Summarised:
    """The quarterly totals, in :data:`~stackbound.engine.metrics.QUARTERLY` order."""
    series = [quarterly[(name, "total")] for name in QUARTERLY]
    return summarise((v.astype(np.float64) for v in series), len(series), series[0].shape, starts)


def reduce_chunk(
    plan: Plan,
    out: BlockOutputs,
    blocks: list[tuple[int, int]],
    keep_paths: bool,
    keep: Keep = DEFAULT_KEEP,
    reader: AnnualReader | None = None,
) -> Reduction:
    """Reduce a chunk's outputs; ``blocks`` are (offset, size) of its random blocks, in order.
    Series not kept per sample (``keep``) are summarised, the annual ones as ``reader`` (by
    default the plan's own :func:`annual_reader`) reads them."""
    annual, quarterly = _per_sample(plan, out, period_starts(plan.months, 12), period_starts(plan.months, 3))
    starts = [offset for offset, _ in blocks]
    annual_summary = quarterly_summary = None
    if not keeps_annual(keep):
        annual_summary = _annual_summary(reader or annual_reader(plan), annual, starts)
        annual = {}
    if not keeps_quarterly(keep):
        quarterly_summary = _quarterly_summary(quarterly, starts)
        quarterly = {}
    bins, sums, paths = _monthly(plan, out, blocks, keep_paths)
    binding, starved, relief = _binding(plan, out, blocks)
    return Reduction(
        annual,
        quarterly,
        annual_summary,
        quarterly_summary,
        bins,
        sums,
        binding,
        starved,
        relief,
        out.runout.T.copy(),
        paths,
    )


class Accumulator:
    """Collects a whole run, chunk after chunk, in sample order."""

    def __init__(
        self, plan: Plan, samples: int, keep_paths: bool, keep: Keep = DEFAULT_KEEP, reader: AnnualReader | None = None
    ) -> None:
        self.plan = plan
        self.keep = keep
        self.reader = reader or annual_reader(plan)
        T = len(plan.months)
        self.year_starts = period_starts(plan.months, 12)
        self.quarter_starts = period_starts(plan.months, 3)
        Y, Q = len(self.year_starts), len(self.quarter_starts)
        per_sample = keeps_annual(keep)
        self.annual: dict[Key, NDArray[np.float32]] = {
            key: np.zeros((samples, Y), np.float32) for key in self.reader.kept if per_sample
        }
        self.quarterly_keys: tuple[Key, ...] = tuple((name, "total") for name in QUARTERLY)
        per_quarter = keeps_quarterly(keep)
        self.quarterly = {key: np.zeros((samples, Q), np.float32) for key in self.quarterly_keys if per_quarter}
        self.annual_histograms = None if per_sample else Histograms.empty(self.reader.summarised(), Y)
        self.quarterly_histograms = None if per_quarter else Histograms.empty(self.quarterly_keys, Q)
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
        if self.annual_histograms is not None and chunk.annual_summary is not None:
            self.annual_histograms.add(chunk.annual_summary)
        if self.quarterly_histograms is not None and chunk.quarterly_summary is not None:
            self.quarterly_histograms.add(chunk.quarterly_summary)
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
