"""Higham's nearest correlation matrix (``scenario.correlation.nearest_correlation``), which
repairs a rank-correlation matrix that is not positive semi-definite (the China scenario's
correlations go through it): a published answer and the properties that define it."""

from __future__ import annotations

import numpy as np
import pytest

from stackbound.scenario.correlation import is_valid_correlation, nearest_correlation, spearman_to_pearson

HIGHAM_A = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0, 1.0]])
HIGHAM_X = np.array([[1.0, 0.7607, 0.1573], [0.7607, 1.0, 0.7607], [0.1573, 0.7607, 1.0]])
"""Higham, "Computing the nearest correlation matrix — a problem from finance", IMA J.
Numer. Anal. 22 (2002), section 4: A (eigenvalues 1 − √2 < 0, 1, 1 + √2) and its nearest
correlation matrix in the Frobenius norm, to four decimals."""


def _invalid(rng: np.random.Generator, size: int) -> np.ndarray:
    """A symmetric matrix with unit diagonal and entries in [−1, 1], not PSD."""
    while True:
        upper = np.triu(rng.uniform(-1.0, 1.0, (size, size)), 1)
        matrix = upper + upper.T + np.eye(size)
        if np.linalg.eigvalsh(matrix).min() < -1e-3:
            return matrix


def test_highams_published_example() -> None:
    assert np.linalg.eigvalsh(HIGHAM_A).min() == pytest.approx(1.0 - np.sqrt(2.0))
    nearest = nearest_correlation(HIGHAM_A)
    np.testing.assert_allclose(nearest, HIGHAM_X, atol=5e-5)
    # Higham reports the distance ‖A − X‖_F = 0.5278 for this pair
    assert np.linalg.norm(HIGHAM_A - nearest, "fro") == pytest.approx(0.5278, abs=1e-4)


@pytest.mark.parametrize("size", [3, 4, 6, 10])
def test_the_repair_is_a_correlation_matrix(size: int) -> None:
    rng = np.random.default_rng(size)
    for _ in range(5):
        nearest = nearest_correlation(_invalid(rng, size))
        np.testing.assert_allclose(nearest, nearest.T, rtol=0, atol=1e-14)
        np.testing.assert_allclose(np.diag(nearest), 1.0, rtol=0, atol=1e-12)
        assert np.linalg.eigvalsh(nearest).min() > 0.0  # lifted: its Cholesky factor exists
        np.linalg.cholesky(nearest)
        assert is_valid_correlation(nearest)


@pytest.mark.parametrize("size", [3, 5, 8])
def test_a_valid_matrix_is_left_as_it_is(size: int) -> None:
    rng = np.random.default_rng(100 + size)
    factor = rng.normal(size=(size, size + 2))
    covariance = factor @ factor.T
    scale = 1.0 / np.sqrt(np.diag(covariance))
    valid = covariance * np.outer(scale, scale)
    assert is_valid_correlation(valid)
    np.testing.assert_allclose(nearest_correlation(valid), valid, atol=1e-9)
    np.testing.assert_allclose(nearest_correlation(np.eye(size)), np.eye(size), atol=1e-12)


def test_the_repair_is_idempotent() -> None:
    rng = np.random.default_rng(3)
    for size in (3, 5, 7):
        once = nearest_correlation(_invalid(rng, size))
        np.testing.assert_allclose(nearest_correlation(once), once, atol=1e-7)


@pytest.mark.parametrize("seed", range(4))
def test_no_nearby_correlation_matrix_is_closer(seed: int) -> None:
    """The repair X minimises ‖A − X‖_F over correlation matrices: moving X along random
    symmetric, zero-diagonal directions by a small step either leaves the set (an
    eigenvalue goes negative) or moves it no closer to A."""
    rng = np.random.default_rng(seed)
    matrix = HIGHAM_A if seed == 0 else _invalid(rng, 5)
    nearest = nearest_correlation(matrix)
    best = np.linalg.norm(matrix - nearest, "fro")
    size = len(matrix)
    tried = 0
    for _ in range(2_000):
        upper = np.triu(rng.normal(size=(size, size)), 1)
        step = rng.choice([1e-3, 1e-2, 5e-2])
        moved = nearest + step * (upper + upper.T) / np.linalg.norm(upper + upper.T, "fro")
        if np.linalg.eigvalsh(moved).min() < 0.0:
            continue
        tried += 1
        assert np.linalg.norm(matrix - moved, "fro") >= best - 1e-7
    assert tried > 100


def test_spearman_to_pearson_by_hand() -> None:
    """2 sin(π ρ / 6): 0 -> 0; 1 -> 2 sin(π/6) = 1; 0.5 -> 2 sin(π/12) = 0.517638;
    −1 -> −1 (Kruskal 1958)."""
    rank = np.array([[0.0, 1.0], [0.5, -1.0]])
    np.testing.assert_allclose(spearman_to_pearson(rank), [[0.0, 1.0], [0.5176381, -1.0]], atol=1e-7)
