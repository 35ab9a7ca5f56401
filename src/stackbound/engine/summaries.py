"""Per-period summaries of series a run does not keep per sample: histograms and sums.

A chunk's per-sample values of each (metric, group) key and period (a year or a quarter)
are binned with the monthly histograms' bins (:mod:`~stackbound.engine.histogram`) and
summed per random block (:func:`summarise`); a run adds the counts (integers, exact in any
order) and the block sums in block order (:meth:`Histograms.add`), so neither depends on
chunking. Percentiles are by the inverted CDF, within
:data:`~stackbound.engine.histogram.RELATIVE_ERROR` of the exact ones of the same values
(a value below :data:`~stackbound.engine.histogram.LOW` reads as 0); means are exact up to
the order of summation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from stackbound.engine.histogram import BINS, CELL_BINS, CELL_SHIFT, EDGES, FIRST_CELL, percentile_from_counts
from stackbound.engine.kernel import bin_and_sum, count_bins

__all__ = ["Histograms", "Summarised", "summarise"]

Key = tuple[str, str]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Summarised:
    """One chunk's series, summarised: the histogram bin of every value and each random
    block's sums, in block order."""

    bins: NDArray[np.uint16]  # (keys, periods, n)
    block_sums: FloatArray  # (blocks, keys, periods)


def summarise(
    series: Iterable[FloatArray], count: int, shape: tuple[int, int], block_starts: Sequence[int]
) -> Summarised:
    """Summarise ``count`` per-sample series, each of ``shape`` (samples × periods), whose
    random blocks start at ``block_starts`` (offsets in the chunk, in order). Series go one
    at a time through the monthly histograms' kernel, periods as its months: each stays in
    cache (one buffer for all of them measured slower)."""
    n, periods = shape
    bins = np.empty((count, periods, n), np.uint16)
    sums = np.empty((count, len(block_starts), periods))
    starts = np.asarray(block_starts, dtype=np.int64)
    for s, values in enumerate(series):
        if not values.any():  # zero throughout (a sixth of china's): bin 0 and sums of +0.0, as the kernel gives
            bins[s], sums[s] = 0, 0.0
            continue
        rows = np.ascontiguousarray(values.T, dtype=np.float64)  # (periods, n)
        bin_and_sum(rows, rows.view(np.int64), EDGES, CELL_BINS, FIRST_CELL, CELL_SHIFT, starts, bins[s], sums[s])
    return Summarised(bins, np.ascontiguousarray(sums.transpose(1, 0, 2)))


@dataclass(frozen=True, eq=False)
class Histograms:
    """Per key and period, over every sample of a run: histogram ``counts`` (keys × periods
    × bins) and float64 ``sums`` (keys × periods), added chunk by chunk in sample order."""

    keys: tuple[Key, ...]
    counts: NDArray[np.int64]
    sums: FloatArray

    @classmethod
    def empty(cls, keys: Sequence[Key], periods: int) -> Histograms:
        return cls(tuple(keys), np.zeros((len(keys), periods, BINS), np.int64), np.zeros((len(keys), periods)))

    def add(self, chunk: Summarised) -> None:
        """Add a chunk's counts, and its block sums block by block, in block order."""
        count_bins(chunk.bins, self.counts)
        for block_sums in chunk.block_sums:
            self.sums[...] += block_sums

    def percentiles(self, key: Key, q: Sequence[float]) -> FloatArray:
        """Percentiles ``q`` (0–100) of ``key`` per period: (len(q), periods)."""
        counts = self.counts[self.keys.index(key)]
        return np.array([percentile_from_counts(counts, p) for p in q], dtype=np.float64).reshape(len(q), -1)

    def mean(self, key: Key, samples: int) -> FloatArray:
        """The mean of ``key`` per period over ``samples`` samples."""
        return np.asarray(self.sums[self.keys.index(key)] / samples, dtype=np.float64)
