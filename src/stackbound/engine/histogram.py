"""Mergeable monthly summaries: fixed log-spaced histograms with integer counts.

Bin 0 holds values below ``LOW`` (zero included); bins 1…N-2 are log-spaced, 200 per
decade, up to 10¹³; the last bin is overflow. Integer counts merge exactly in any order,
so percentiles do not depend on chunking. A percentile read from a bin, interpolated
geometrically inside it, is within ``RELATIVE_ERROR`` of the exact sample percentile.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "BINS",
    "EDGES",
    "LOW",
    "MANTISSA_BITS",
    "MANTISSA_LOG2",
    "RELATIVE_ERROR",
    "SCALE",
    "percentile_from_counts",
]

LOW = 1e-3
PER_DECADE = 200
DECADES = 16
BINS = 2 + PER_DECADE * DECADES
RELATIVE_ERROR = 10 ** (1 / PER_DECADE) - 1.0
"""Width of one bin relative to its lower edge (about 1.2%)."""


SCALE = PER_DECADE / float(np.log2(10.0))
"""Bins per unit of log2: the bin of v >= LOW is about 1 + floor(log2(v / LOW) * SCALE)."""


def _edge(index: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(LOW * 10.0 ** ((index - 1) / PER_DECADE), dtype=np.float64)


EDGES = np.concatenate([[0.0], _edge(np.arange(1, BINS, dtype=np.float64)), [np.inf]])
"""Lower edge of every bin and, last, +∞: bin b holds EDGES[b] <= v < EDGES[b + 1]
(bin 0 everything below LOW); these edges, not a logarithm, define the bins."""

MANTISSA_BITS = 12
MANTISSA_LOG2 = np.log2(1.0 + np.arange(2**MANTISSA_BITS) / 2**MANTISSA_BITS)
"""log2 of a float's mantissa from its leading bits: the first guess of a value's bin,
which the edges then correct (one bin per table cell at most, so one step)."""


def percentile_from_counts(counts: NDArray[np.int64], q: float) -> NDArray[np.float64]:
    """Percentile ``q`` (0–100) along the last axis of ``counts`` (…, BINS)."""
    cumulative = np.cumsum(counts, axis=-1)
    total = cumulative[..., -1:]
    target = np.maximum(q / 100.0 * total, 1e-9)
    index = np.argmax(cumulative >= target, axis=-1)
    before = (
        np.take_along_axis(cumulative, index[..., None], -1)[..., 0]
        - np.take_along_axis(counts, index[..., None], -1)[..., 0]
    )
    inside = np.take_along_axis(counts, index[..., None], -1)[..., 0]
    fraction = np.clip((target[..., 0] - before) / np.maximum(inside, 1), 0.0, 1.0)
    lower = _edge(index.astype(np.float64))
    upper = _edge(index.astype(np.float64) + 1.0)
    value = lower * (upper / lower) ** fraction
    return np.where(index == 0, 0.0, value)
