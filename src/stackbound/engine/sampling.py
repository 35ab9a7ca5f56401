"""Random draws, one fixed-size block of samples at a time.

Sample ``i`` lies in block ``i // BLOCK_SIZE``; each input of each block has its own
random stream, ``SeedSequence(seed, spawn_key=(block, crc32(input name)))``, so a sample's
draws never depend on how a run is chunked or spread over threads, and two scenarios run
with one seed draw the same numbers for every input they share (common random numbers:
their differences are not sampling noise). Uniform draws go through the Gaussian copula (if the
scenario correlates inputs) and then each input's quantile function. The uniforms can be
supplied from outside (Latin hypercube, Sobol designs): :func:`draws_from_uniforms`. The
quantile functions run family by family (:mod:`stackbound.engine.quantiles`).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy import special

from stackbound.engine.quantiles import quantiles
from stackbound.scenario.inputs import Copula, Input

__all__ = ["BLOCK_SIZE", "block_uniforms", "draws_from_uniforms"]

BLOCK_SIZE = 1024
_EPS = 1e-12


def block_uniforms(seed: int, block: int, size: int, names: Sequence[str]) -> NDArray[np.float64]:
    """Uniforms in [0, 1) for the first ``size`` samples of ``block``, one column per input
    name. A full block is always drawn, so a partial last block matches a longer run's."""
    uniforms = np.empty((size, len(names)))
    for j, name in enumerate(names):
        sequence = np.random.SeedSequence(seed, spawn_key=(block, zlib.crc32(name.encode())))
        uniforms[:, j] = np.random.Generator(np.random.PCG64(sequence)).random(BLOCK_SIZE)[:size]
    return uniforms


def _correlate(uniforms: NDArray[np.float64], copula: Copula) -> NDArray[np.float64]:
    """Gaussian copula: normal scores of the correlated columns times the Cholesky factor."""
    result = uniforms.copy()
    columns = list(copula.members)
    normal = special.ndtri(np.clip(uniforms[:, columns], _EPS, 1.0 - _EPS))
    result[:, columns] = special.ndtr(normal @ copula.cholesky.T)
    return result


def draws_from_uniforms(
    inputs: tuple[Input, ...], copula: Copula | None, uniforms: NDArray[np.float64], *, correlate: bool = True
) -> dict[str, NDArray[np.float64]]:
    """Map uniforms (samples × inputs) to input values by name. Call it on one block at a
    time: the copula's matrix product is then the same whatever the chunking."""
    if uniforms.shape[1] != len(inputs):
        raise ValueError(f"expected uniforms with {len(inputs)} columns, got {uniforms.shape[1]}")
    # A huge sigma or a 1e308 bound overflows to inf: carried into the results, which the
    # reports flag; numpy's warnings would only be noise.
    with np.errstate(all="ignore"):
        if copula is not None and correlate:
            uniforms = _correlate(uniforms, copula)
        values = quantiles([inp.dist for inp in inputs], np.clip(uniforms, _EPS, 1.0 - _EPS))
        return {inp.name: values[j] for j, inp in enumerate(inputs)}
