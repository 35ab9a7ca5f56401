"""What a checked sweep is: its :class:`Point` s, the :class:`Sweep` and one point's run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from stackbound.scenario.loader import LoadedScenario

__all__ = ["FloatArray", "Output", "Point", "PointRun", "Sweep"]

Output = tuple[str, str]
"""An annual output: (metric, group)."""
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Point:
    """One run of a sweep: the scenario it starts from (``overlay``, the base's name or an
    overlay's), the lever values it sets, and the validated scenario they make."""

    index: int
    overlay: str
    levers: Mapping[str, float]
    loaded: LoadedScenario


@dataclass(frozen=True)
class Sweep:
    """A checked sweep file: its points (point 0 is the base as it is), the seed and samples
    every point runs with, and the annual outputs and years read from each."""

    file: str
    name: str
    description: str
    base: LoadedScenario
    overlays: tuple[LoadedScenario, ...]
    levers: tuple[str, ...]
    points: tuple[Point, ...]
    samples: int
    seed: int
    outputs: tuple[Output, ...]
    years: tuple[int, ...]
    units: Mapping[str, str]

    def to_document(self) -> dict[str, Any]:
        """The sweep as plain data: what a manifest records so the sweep can be rerun."""
        return {
            "name": self.name,
            "file": self.file,
            "base": {"scenario": self.base.name, "digest": self.base.digest},
            "overlays": [{"scenario": o.name, "digest": o.digest} for o in self.overlays],
            "levers": list(self.levers),
            "seed": self.seed,
            "samples": self.samples,
            "outputs": [{"metric": m, "group": g, "unit": self.units[m]} for m, g in self.outputs],
            "years": list(self.years),
            "points": [{"point": p.index, "overlay": p.overlay, "levers": dict(p.levers)} for p in self.points],
        }


@dataclass(frozen=True)
class PointRun:
    """The per-sample annual values (samples × the sweep's years) of one point's outputs."""

    point: Point
    digest: str
    values: Mapping[Output, FloatArray]
