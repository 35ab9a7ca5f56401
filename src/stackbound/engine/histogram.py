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
    "CELL_BINS",
    "CELL_SHIFT",
    "EDGES",
    "FIRST_CELL",
    "LOW",
    "RELATIVE_ERROR",
    "percentile_from_counts",
]

LOW = 1e-3
PER_DECADE = 200
DECADES = 16
BINS = 2 + PER_DECADE * DECADES
RELATIVE_ERROR = 10 ** (1 / PER_DECADE) - 1.0
"""Width of one bin relative to its lower edge (about 1.2%)."""


def _edge(index: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(LOW * 10.0 ** ((index - 1) / PER_DECADE), dtype=np.float64)


EDGES = np.concatenate([[0.0], _edge(np.arange(1, BINS, dtype=np.float64)), [np.inf]])
"""Lower edge of every bin and, last, +∞: bin b holds EDGES[b] <= v < EDGES[b + 1]
(bin 0 everything below LOW); these edges, not a logarithm, define the bins."""

CELL_SHIFT = 52 - 8
"""A positive float's bits shifted right by this are its exponent and leading 8 mantissa
bits: a cell of 1/256 octave (0.27%), narrower than a bin (1.16%)."""


def _cells() -> tuple[int, NDArray[np.int16]]:
    first = int(np.array([LOW / 2], dtype=np.float64).view(np.int64)[0] >> CELL_SHIFT)
    last = int(np.array([EDGES[BINS - 1] * 2], dtype=np.float64).view(np.int64)[0] >> CELL_SHIFT)
    starts = (np.arange(first, last + 1, dtype=np.int64) << CELL_SHIFT).view(np.float64)
    guesses = np.minimum(np.searchsorted(EDGES, starts, side="right") - 1, BINS - 1)
    return first, guesses.astype(np.int16)


FIRST_CELL, CELL_BINS = _cells()
"""``CELL_BINS[cell − FIRST_CELL]`` is the bin of the cell's smallest value; a value in the
cell lies in that bin or the next, so one comparison with an edge finds its bin."""


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
