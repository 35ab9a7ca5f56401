"""Arrays a worker reuses from one chunk to the next.

A chunk of the China scenario allocates a few hundred megabytes of monthly arrays (paths,
outputs, the kernel's block inputs) and frees them once reduced. Handing that memory back
and faulting it in again, zero-filled, cost a fifth of the kernel's time and most of the
output derivation's (measured: ``_products_into`` 0.17 s on warm arrays, 0.5 s on fresh
ones per 20k samples), and far more with two threads, whose page faults serialise on the
process's memory lock. ``run`` keeps one :class:`Workspace` per worker thread, for the
length of the run, and reduces a chunk before the same thread starts the next, and a
:class:`~stackbound.engine.accumulate.Reduction` owns its arrays, so nothing reused is
still read when it is overwritten. Without a workspace every array is fresh, which is what
callers that keep a chunk's paths or outputs need.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

__all__ = ["Workspace", "empty", "zeros"]


class Workspace:
    """Named arrays, handed out again when the same name asks for the same shape and type."""

    def __init__(self) -> None:
        self._arrays: dict[str, NDArray[Any]] = {}

    def empty(self, name: str, shape: tuple[int, ...], dtype: DTypeLike = np.float64) -> NDArray[Any]:
        """The array called ``name`` with this shape and type, contents undefined."""
        kept = self._arrays.get(name)
        if kept is None or kept.shape != shape or kept.dtype != np.dtype(dtype):
            kept = np.empty(shape, dtype)
            self._arrays[name] = kept
        return kept

    @property
    def nbytes(self) -> int:
        """Bytes held."""
        return sum(a.nbytes for a in self._arrays.values())


def empty(
    workspace: Workspace | None, name: str, shape: tuple[int, ...], dtype: DTypeLike = np.float64
) -> NDArray[Any]:
    """A reused array from ``workspace``, or a fresh one without."""
    if workspace is None:
        return np.empty(shape, dtype)
    return workspace.empty(name, shape, dtype)


def zeros(
    workspace: Workspace | None, name: str, shape: tuple[int, ...], dtype: DTypeLike = np.float64
) -> NDArray[Any]:
    """Like :func:`empty`, filled with zeros."""
    if workspace is None:
        return np.zeros(shape, dtype)
    array = workspace.empty(name, shape, dtype)
    array.fill(0)
    return array
