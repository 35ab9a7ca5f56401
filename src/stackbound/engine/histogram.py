"""Mergeable monthly summaries: fixed log-spaced histograms with integer counts.

Bin 0 holds values below ``LOW`` (zero included); bins 1…N-2 are log-spaced, 200 per
decade, up to 10¹³; the last bin is overflow. Integer counts merge exactly in any order,
so percentiles do not depend on chunking.

One percentile definition holds throughout: the *inverted CDF* (numpy's
``method="inverted_cdf"``, Hyndman & Fan's definition 1): percentile q of n samples is
the smallest sample x with at least q·n/100 samples <= x. :func:`percentile_from_counts`
finds the bin holding that sample and interpolates geometrically inside it, so for an
exact percentile x in [LOW, 10¹³) its result lies within ``RELATIVE_ERROR`` · x of x; an
exact percentile below ``LOW`` reads as 0. :func:`sample_percentiles` applies the same
definition to per-sample values (the annual tables), so annual and monthly percentiles
mean the same thing. Against numpy's default (``"linear"``, which interpolates between
samples) no bound holds: P50 of the samples 1 and 100 is 50.5 there, 1 by the inverted CDF.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "BINS",
    "CELL_BINS",
    "CELL_SHIFT",
    "EDGES",
    "FIRST_CELL",
    "LOW",
    "PERCENTILE_METHOD",
    "RELATIVE_ERROR",
    "percentile_from_counts",
    "sample_percentiles",
    "sorted_percentiles",
]

LOW = 1e-3
PER_DECADE = 200
DECADES = 16
BINS = 2 + PER_DECADE * DECADES
RELATIVE_ERROR = 10 ** (1 / PER_DECADE) - 1.0
"""Width of one bin relative to its lower edge (about 1.2%)."""
PERCENTILE_METHOD: Final = "inverted_cdf"
"""numpy's name for the percentile definition every table uses (see the module docstring)."""


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
    """Percentile ``q`` (0–100) along the last axis of ``counts`` (…, BINS), by the inverted
    CDF: within ``RELATIVE_ERROR`` (relative) of ``np.percentile(samples, q,
    method="inverted_cdf")`` when that lies in [LOW, 10¹³); 0 when it is below LOW.

    The bin is the first whose cumulative count reaches q·n/100, the bin that holds the
    exact percentile; inside it the value is interpolated geometrically, both in the bin's
    [lower, upper) edges, so they differ by at most upper − lower = RELATIVE_ERROR · lower.
    """
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


def sample_percentiles(values: NDArray[np.number[Any]], q: Sequence[float], axis: int = 0) -> NDArray[np.float64]:
    """Percentiles ``q`` (0–100) of per-sample ``values`` along ``axis``, by the definition
    :func:`percentile_from_counts` approximates (the inverted CDF): each is one of the
    samples, never a value between two. ``sample_percentiles(np.array([1.0, 100.0]),
    [50])`` is ``[1.0]``."""
    return np.asarray(
        np.percentile(np.asarray(values, dtype=np.float64), list(q), axis=axis, method=PERCENTILE_METHOD),
        dtype=np.float64,
    )


def sorted_percentiles(values: NDArray[np.number[Any]], q: Sequence[float]) -> NDArray[np.float64]:
    """:func:`sample_percentiles` of per-sample ``values``
    (samples × periods, in their own dtype: a kept float32 series is not converted), bit for
    bit, from one sort of each column: numpy's vectorised sort is about three times quicker
    than the selection of several ranks that ``np.percentile`` makes. The inverted CDF picks
    one sample per percentile, at the rank numpy gives (:func:`_ranks`), so the sorted
    column's element at that rank is the percentile; a column holding NaN gives NaN, as
    numpy's does. An array holding −0.0 is handed to ``sample_percentiles``: −0.0 and 0.0
    are equal, and a sort and a selection may pick either of them."""
    if values.ndim != 2 or not len(values) or _negative_zero(values):
        return sample_percentiles(values, q)
    ordered = np.sort(values, axis=0)
    picked = ordered[_ranks(len(values), tuple(q))].astype(np.float64)
    picked[:, np.isnan(ordered[-1])] = np.nan
    return picked


@lru_cache(maxsize=64)
def _ranks(samples: int, q: tuple[float, ...]) -> NDArray[np.intp]:
    """The 0-based rank among ``samples`` sorted values that the inverted CDF picks for each
    percentile ``q``: numpy's own choice, read off the ranks themselves."""
    ranks = np.asarray(sample_percentiles(np.arange(samples), q), dtype=np.intp)
    ranks.flags.writeable = False
    return ranks


def _negative_zero(values: NDArray[np.number[Any]]) -> bool:
    """Whether a float array holds −0.0 (a pass over it: about a tenth of the sort)."""
    return values.dtype.kind == "f" and bool(np.any(np.signbit(values) & (values == 0)))
