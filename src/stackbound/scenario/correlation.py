"""Rank correlation for the Gaussian copula.

A Spearman rank correlation ``rho`` between two inputs becomes the Pearson correlation
``2·sin(π·rho/6)`` of their normal scores (Kruskal 1958), and a matrix that is not positive
semi-definite is replaced by the nearest correlation matrix by Higham's alternating
projections (Higham, *IMA J. Numer. Anal.* 22, 2002, Algorithm 3.3).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["is_valid_correlation", "nearest_correlation", "spearman_to_pearson"]

FloatMatrix = NDArray[np.float64]


def spearman_to_pearson(rank: FloatMatrix) -> FloatMatrix:
    """Pearson correlation of normal scores that gives Spearman ``rank`` (elementwise)."""
    return np.asarray(2.0 * np.sin(np.pi * rank / 6.0), dtype=np.float64)


def is_valid_correlation(matrix: FloatMatrix, tol: float = 1e-10) -> bool:
    """Symmetric, unit diagonal and positive semi-definite."""
    if not np.allclose(matrix, matrix.T) or not np.allclose(np.diag(matrix), 1.0):
        return False
    return bool(np.linalg.eigvalsh(matrix).min() >= -tol)


def nearest_correlation(matrix: FloatMatrix, max_iterations: int = 500, tol: float = 1e-9) -> FloatMatrix:
    """Higham (2002) alternating projections with Dykstra's correction; the result is then
    lifted slightly so that its Cholesky factor exists."""
    y = matrix.copy()
    correction = np.zeros_like(matrix)
    for _ in range(max_iterations):
        r = y - correction
        values, vectors = np.linalg.eigh(r)
        x = (vectors * np.maximum(values, 0.0)) @ vectors.T
        correction = x - r
        y_next = x.copy()
        np.fill_diagonal(y_next, 1.0)
        if np.linalg.norm(y_next - y, "fro") <= tol * np.linalg.norm(y_next, "fro"):
            y = y_next
            break
        y = y_next
    values, vectors = np.linalg.eigh((y + y.T) / 2.0)
    lifted = (vectors * np.maximum(values, 1e-8)) @ vectors.T
    scale = 1.0 / np.sqrt(np.diag(lifted))
    return np.asarray(lifted * np.outer(scale, scale), dtype=np.float64)
