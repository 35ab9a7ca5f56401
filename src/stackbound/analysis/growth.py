"""How much must this input grow for the P50 of that output to rise by Z?

:func:`growth_needed` bisects over a factor that scales one supply input (as
:mod:`stackbound.analysis.marginal` finds them), up to a limit past which another
constraint binds; :func:`top_growth` asks it of the inputs with the largest marginal values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from stackbound.analysis.discover import check_year
from stackbound.analysis.marginal import MarginalValues, SupplyInput, Target
from stackbound.engine.histogram import sample_percentiles
from stackbound.engine.keep import DEFAULT_KEEP, Keep, check_pairs
from stackbound.engine.results import RunResult
from stackbound.engine.run import Progress, run
from stackbound.errors import SimulationError
from stackbound.formatting import number
from stackbound.scenario.loader import LoadedScenario

__all__ = ["Growth", "growth_needed", "top_growth"]


@dataclass(frozen=True)
class Growth:
    """The factor on ``input`` that raises the target's P50 by ``rise`` (None when even
    ``max_factor`` does not, and then the constraint that binds most often instead)."""

    input: SupplyInput
    target: Target
    rise: float
    base_p50: float
    factor: float | None
    p50: float
    max_factor: float
    binding: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input.name,
            "kind": self.input.kind,
            "factor": self.factor,
            "base_p50": self.base_p50,
            "rise": self.rise,
            "p50": self.p50,
            "max_factor": self.max_factor,
            "binding": self.binding,
            "text": self.describe(),
        }

    def describe(self) -> str:
        what = f"the P50 of {self.target.describe()}"
        if self.factor is not None:
            return (
                f"{self.input.label} must grow {self.factor:.3g}× for {what} to rise by {number(self.rise)} "
                f"(from {number(self.base_p50)} to {number(self.p50)})"
            )
        instead = f"; {self.binding} binds instead" if self.binding else ""
        return (
            f"{self.input.label} cannot lift {what} by {number(self.rise)} within {self.max_factor:g}× "
            f"(it reaches {number(self.p50)} from {number(self.base_p50)}){instead}"
        )


def _binding(result: RunResult, year: int) -> str:
    """The constraint binding most sample-months of active variants in ``year``."""
    counts = result.binding_counts[:, :, result.months // 12 == year].sum(axis=(0, 2))
    counts[0] = 0  # inactive
    return result.constraint_names[int(np.argmax(counts))]


def growth_needed(
    loaded: LoadedScenario,
    item: SupplyInput,
    target: Target,
    rise: float,
    *,
    samples: int,
    seed: int,
    relative: bool = False,
    max_factor: float = 10.0,
    tolerance: float = 0.005,
    keep: Keep = DEFAULT_KEEP,
) -> Growth:
    """Bisection over the factor scaling ``item`` until the target's P50 has risen by
    ``rise`` (a share of the base P50 when ``relative``), to ``tolerance`` (relative)."""
    if max_factor <= 1.0:
        raise SimulationError(f"the largest growth factor must be above 1, got {max_factor:g}")
    check_year(loaded, target.year)
    check_pairs(keep, "growth needed")

    def p50(factor: float) -> tuple[float, RunResult]:
        adjust = None if factor == 1.0 else item.scale(factor)
        result = run(loaded, samples=samples, seed=seed, adjust=adjust, keep=keep)
        return float(sample_percentiles(target.values(result), [50])[0]), result

    base, _ = p50(1.0)
    rise = rise * base if relative else rise
    if rise <= 0:
        raise SimulationError(f"the rise must be positive, got {rise:g}")
    high, (reached, result) = max_factor, p50(max_factor)
    if reached < base + rise:
        return Growth(item, target, rise, base, None, reached, max_factor, _binding(result, target.year))
    low = 1.0
    while high / low - 1.0 > tolerance:
        middle = math.sqrt(low * high)
        value, _ = p50(middle)
        if value >= base + rise:
            high, reached = middle, value
        else:
            low = middle
    return Growth(item, target, rise, base, high, reached, max_factor, None)


def top_growth(
    loaded: LoadedScenario,
    values: MarginalValues,
    rise: float,
    *,
    top: int = 3,
    relative: bool = False,
    max_factor: float = 10.0,
    progress: Progress | None = None,
    keep: Keep = DEFAULT_KEEP,
) -> tuple[Growth, ...]:
    """:func:`growth_needed` for the ``top`` inputs with the largest positive elasticity
    of ``values.target``, same samples and seed; ``progress`` hears of each input done."""
    chosen = [v.input for v in values.values if v.elasticity > 0][:top]
    found = []
    for item in chosen:
        found.append(
            growth_needed(
                loaded,
                item,
                values.target,
                rise,
                samples=values.samples,
                seed=values.seed,
                relative=relative,
                max_factor=max_factor,
                keep=keep,
            )
        )
        if progress is not None:
            progress(len(found), len(chosen))
    return tuple(found)
