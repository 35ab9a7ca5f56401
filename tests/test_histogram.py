"""Monthly histograms: ``percentile_from_counts`` against its stated bound, and one
percentile definition (the inverted CDF) for monthly and annual tables.

The bound (histogram module docstring): for an exact percentile x in [LOW, 10¹³) by
numpy's ``method="inverted_cdf"``, the percentile read from the counts is within
RELATIVE_ERROR · x of x; an exact percentile below LOW reads as 0. The samples are binned
here by the module's stated rule (bin b holds EDGES[b] <= v < EDGES[b + 1]), not by the
engine's kernel.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from numpy.typing import NDArray

from stackbound.engine.histogram import (
    BINS,
    EDGES,
    LOW,
    PERCENTILE_METHOD,
    RELATIVE_ERROR,
    percentile_from_counts,
    sample_percentiles,
    sorted_percentiles,
)

QS = (0.0, 1.0, 5.0, 7.0, 10.0, 25.0, 29.0, 50.0, 57.0, 75.0, 90.0, 95.0, 99.0, 100.0)
Draw = Callable[[np.random.Generator, int], NDArray[np.float64]]
SLACK = 1.0 + 1e-9
"""Floating-point rounding of the edges: a point mass on an edge read at the bin's upper
edge is off by exactly one bin width, so the bound is met with equality."""


def counts_of(values: NDArray[np.float64]) -> NDArray[np.int64]:
    bins = np.minimum(np.searchsorted(EDGES, values, side="right") - 1, BINS - 1)
    return np.bincount(bins, minlength=BINS).astype(np.int64)


def assert_within_bound(values: NDArray[np.float64]) -> None:
    counts = counts_of(values)
    for q in QS:
        exact = float(np.percentile(values, q, method="inverted_cdf"))
        read = float(percentile_from_counts(counts, q))
        if exact < LOW:
            assert read == 0.0, (q, exact, read)
        else:
            assert abs(read - exact) <= RELATIVE_ERROR * exact * SLACK, (q, exact, read)


def _lognormal(rng: np.random.Generator, n: int) -> NDArray[np.float64]:
    return rng.lognormal(8.0, 2.0, n)


def _with_zeros(rng: np.random.Generator, n: int) -> NDArray[np.float64]:
    return np.where(rng.random(n) < 0.4, 0.0, rng.lognormal(3.0, 3.0, n))


def _on_edges(rng: np.random.Generator, n: int) -> NDArray[np.float64]:
    return np.asarray(EDGES[rng.integers(1, BINS - 1, n)])


def _three_atoms(rng: np.random.Generator, n: int) -> NDArray[np.float64]:
    return rng.choice([1.0, 1_000.0, 5e6], n)


def _below_low(rng: np.random.Generator, n: int) -> NDArray[np.float64]:
    return np.where(rng.random(n) < 0.5, rng.uniform(0.0, LOW, n), rng.uniform(1.0, 2.0, n))


def _uniform(rng: np.random.Generator, n: int) -> NDArray[np.float64]:
    return rng.uniform(0.0, 1e6, n)


@pytest.mark.parametrize("draw", [_lognormal, _with_zeros, _on_edges, _three_atoms, _below_low, _uniform])
@pytest.mark.parametrize("n", [1, 2, 3, 20, 100, 1_001, 10_000])
def test_percentile_from_counts_is_within_the_stated_bound(draw: Draw, n: int) -> None:
    rng = np.random.default_rng(n)
    for _ in range(5):
        assert_within_bound(draw(rng, n))


@pytest.mark.parametrize("value", [0.0, 5e-4, LOW, 1.0, 1_234.5, float(EDGES[777]), 9.99e12])
def test_a_point_mass_reads_inside_its_bin(value: float) -> None:
    """Every percentile of a point mass lies in the bin that holds it, [lower, upper]."""
    counts = counts_of(np.full(37, value))
    b = int(np.flatnonzero(counts)[0])
    for q in QS:
        read = float(percentile_from_counts(counts, q))
        if value < LOW:
            assert read == 0.0
        else:
            assert EDGES[b] / SLACK <= read <= EDGES[b + 1] * SLACK, (q, read)
            assert abs(read - value) <= RELATIVE_ERROR * value * SLACK, (q, read)


def test_the_bound_is_against_the_inverted_cdf_not_numpys_default() -> None:
    """Two samples, 1 and 100: by the inverted CDF the median is 1 (one of the samples);
    numpy's default interpolates to 50.5, which no bin reading can approach."""
    values = np.array([1.0, 100.0])
    read = float(percentile_from_counts(counts_of(values), 50.0))
    assert read == pytest.approx(1.0, rel=RELATIVE_ERROR * SLACK)
    assert float(np.percentile(values, 50.0)) == 50.5
    assert sample_percentiles(values, [50.0]).tolist() == [1.0]


def test_percentiles_along_the_last_axis_of_several_series() -> None:
    rng = np.random.default_rng(7)
    values = rng.lognormal(5.0, 1.0, (3, 4, 500))
    counts = np.stack([np.stack([counts_of(v) for v in row]) for row in values])
    read = percentile_from_counts(counts, 95.0)
    exact = np.percentile(values, 95.0, axis=-1, method="inverted_cdf")
    assert read.shape == (3, 4)
    assert np.all(np.abs(read - exact) <= RELATIVE_ERROR * exact * SLACK)


def test_relative_error_is_one_bin_width() -> None:
    """200 bins per decade: 10^(1/200) − 1 = 0.011579… (about 1.2%)."""
    assert pytest.approx(0.0115794542599) == RELATIVE_ERROR
    widths = EDGES[2:BINS] / EDGES[1 : BINS - 1] - 1.0
    np.testing.assert_allclose(widths, RELATIVE_ERROR, rtol=1e-9)


def test_sample_percentiles_are_samples_by_the_inverted_cdf() -> None:
    """Ten samples 1…10: P5 is the 1st (5% of 10 = 0.5, rounded up), P50 the 5th (exactly
    half reach 5), P95 the 10th; the linear default would give 1.45, 5.5 and 9.55."""
    values = np.arange(1.0, 11.0)[:, None] * np.array([1.0, 10.0])
    assert PERCENTILE_METHOD == "inverted_cdf"
    np.testing.assert_array_equal(sample_percentiles(values, [5.0, 50.0, 95.0]), [[1, 10], [5, 50], [10, 100]])


# ------------------------------------------------------------------ the annual tables' sorted percentiles

SPECIAL = (0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 3.4e38, -3.4e38, 1e-45)
"""Values where two ways of picking a sample could part: zeros of either sign, infinities,
NaN, float32's extremes and its smallest subnormal."""


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize("samples", [1, 2, 3, 20, 1_001])
@pytest.mark.parametrize("seed", range(8))
def test_sorted_percentiles_are_sample_percentiles_bit_for_bit(dtype: type, samples: int, seed: int) -> None:
    """Ties, NaN, infinities and zeros of either sign mixed in at random: the same numbers,
    the same bits (a −0.0 read as 0.0 would be another JSON answer)."""
    rng = np.random.default_rng(seed)
    values = rng.lognormal(3.0, 2.0, size=(samples, 4)).round(int(rng.integers(0, 3)))
    if dtype is not np.int64:
        cells = rng.random(values.shape) < 0.2 * rng.random()
        values[cells] = rng.choice(SPECIAL, size=int(cells.sum()))
    values = values.astype(dtype)
    q = (*sorted(rng.uniform(0.0, 100.0, size=3)), 0.0, 5.0, 50.0, 95.0, 100.0)
    expected, got = sample_percentiles(values, q), sorted_percentiles(values, q)
    assert got.dtype == expected.dtype == np.float64
    assert got.tobytes() == expected.tobytes()


def test_a_column_holding_nan_reads_nan_as_numpy_does() -> None:
    values = np.array([[1.0, 1.0], [np.nan, 2.0], [3.0, 3.0]], dtype=np.float32)
    got = sorted_percentiles(values, (5.0, 50.0))
    assert np.isnan(got[:, 0]).all()
    np.testing.assert_array_equal(got[:, 1], [1.0, 2.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_zeros_of_both_signs_read_as_numpy_picks_them(dtype: type) -> None:
    """Where the percentile falls among zeros of both signs, a sort and numpy's selection
    pick different zeros (about four times in five here): such an array goes to numpy."""
    rng = np.random.default_rng(0)
    for samples in (5, 100, 10_000):
        values = rng.choice([0.0, -0.0, 1.0, -1.0], size=(samples, 3), p=[0.4, 0.4, 0.1, 0.1]).astype(dtype)
        q = (5.0, 50.0, 95.0)
        assert sorted_percentiles(values, q).tobytes() == sample_percentiles(values, q).tobytes()
