"""What every sensitivity method shares: outputs, factors, evaluation, result documents."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from stackbound.engine.budget import Budget, available_memory, check_fits
from stackbound.engine.executors import Executor
from stackbound.engine.keep import DEFAULT_KEEP, Keep, check_pairs
from stackbound.engine.results import RunResult
from stackbound.engine.run import Progress, run, run_deterministic
from stackbound.errors import SimulationError
from stackbound.scenario.labels import factor_label, input_label, labels
from stackbound.scenario.loader import LoadedScenario

FloatArray = NDArray[np.float64]
By = Literal["group", "curve", "input"]
BY: tuple[By, ...] = ("group", "curve", "input")

LOW, HIGH = 0.1, 0.9
"""The quantiles a tornado sets each factor to."""
CONF_LEVEL = 0.95
MAX_CONF = 0.1
"""An index whose confidence half-width exceeds this is not stable enough to rank by."""
SUM_TOLERANCE = 0.1
"""First-order Sobol' indices cannot sum above 1; an estimate above 1 + this is noise."""
SOBOL_RESAMPLES = 100
DELTA_RESAMPLES = 10
"""Bootstrap resamples for the δ intervals: each costs a full δ estimate per factor."""
DELTA_DUMMIES = 10
"""Dummy inputs the output ignores, whose largest δ is the noise floor. δ of an input the
output ignores scatters more than its bootstrap interval says (0.06–0.10 at 2048 samples on
the benchmark scenario); the largest of ten is about its 90th percentile."""
_LINKED = 1e-3
"""Correlations weaker than this (what repairing an inconsistent matrix leaves) join nothing."""

DEFAULT_BY: dict[str, By] = {"tornado": "group", "sobol": "group", "delta": "curve"}
DEFAULT_SAMPLES: dict[str, int] = {"sobol": 2048, "delta": 2048}
"""Sobol': base size N (N·(G+2) runs); delta: Monte Carlo samples. Justified above."""


@dataclass(frozen=True)
class Output:
    """One annual output: ``metric`` of ``group`` (product, component, vendor, origin, total) in ``year``."""

    metric: str
    year: int
    group: str = "total"


@dataclass(frozen=True)
class Factor:
    """Inputs that move as one: their columns in ``loaded.inputs`` and, for each, +1 or −1:
    whether it rises or falls when the factor rises (the sign of its correlation)."""

    name: str
    inputs: tuple[str, ...]
    columns: tuple[int, ...]
    directions: tuple[int, ...]
    label: str = ""
    """The factor in words (:func:`~stackbound.scenario.labels.factor_label`)."""


def _links(loaded: LoadedScenario, by: By) -> dict[int, list[tuple[int, int]]]:
    """Input index -> (linked input, sign) for the grouping ``by``."""
    links: dict[int, list[tuple[int, int]]] = {i: [] for i in range(len(loaded.inputs))}
    if by == "input":
        return links
    sign: dict[tuple[int, int], int] = {}
    if by == "group" and loaded.copula is not None:
        members = loaded.copula.members
        for a, i in enumerate(members):
            for b, j in enumerate(members):
                if i != j and abs(loaded.copula.pearson[a, b]) > _LINKED:
                    sign[(i, j)] = 1 if loaded.copula.pearson[a, b] > 0 else -1
    for i, first in enumerate(loaded.inputs):
        for j, second in enumerate(loaded.inputs):
            if i != j and first.group == second.group:
                sign.setdefault((i, j), 1)
    for (i, j), s in sign.items():
        links[i].append((j, s))
    return links


def factors(loaded: LoadedScenario, by: By = "group") -> tuple[Factor, ...]:
    """The factors of a scenario, in input order, named by their curves; directions follow
    correlation signs from each factor's first input (breadth first)."""
    links, direction = _links(loaded, by), {}
    known = labels(loaded.scenario)
    result = []
    for root in range(len(loaded.inputs)):
        if root in direction:
            continue
        direction[root], queue, members = 1, [root], [root]
        while queue:
            node = queue.pop(0)
            for other, sign in links[node]:
                if other not in direction:
                    direction[other] = direction[node] * sign
                    queue.append(other)
                    members.append(other)
        columns = tuple(sorted(members))
        result.append(_factor(loaded, columns, direction, known, by))
    return tuple(result)


def _factor(
    loaded: LoadedScenario, columns: tuple[int, ...], direction: dict[int, int], known: dict[str, str], by: By
) -> Factor:
    """The factor of ``columns``: named by its curves' paths (``a + b - c``: ``c`` falls when
    ``a`` and ``b`` rise), or for ``by="input"`` by its one input; labelled in words."""
    names = tuple(loaded.inputs[c].name for c in columns)
    directions = tuple(direction[c] for c in columns)
    if by == "input":
        first = loaded.inputs[columns[0]]
        return Factor(names[0], names, columns, directions, input_label(known, first.name, first.group))
    signs = {loaded.inputs[c].group: direction[c] for c in reversed(columns)}
    curves = list(dict.fromkeys(loaded.inputs[c].group for c in columns))
    name = curves[0] + "".join(f" {'+' if signs[g] > 0 else '-'} {g}" for g in curves[1:])
    return Factor(name, names, columns, directions, factor_label(known, curves, [signs[g] for g in curves]))


def output_values(result: RunResult, output: Output) -> FloatArray:
    """Per-sample values of ``output``; unknown metrics, groups and years are errors."""
    if output.metric not in result.metrics():
        raise SimulationError(f"unknown output metric {output.metric!r} (known: {', '.join(result.metrics())})")
    if output.group not in result.groups(output.metric):
        known = ", ".join(result.groups(output.metric))
        raise SimulationError(f"output {output.metric!r} has no group {output.group!r} (known: {known})")
    if output.year not in result.years:
        raise SimulationError(f"year {output.year} is outside the run ({result.years[0]}–{result.years[-1]})")
    return result.annual_values(output.metric, output.group)[:, result.years.index(output.year)]


DESIGN_COPIES = 4
"""float64 copies of the design an analysis holds at once (uniforms, draws, factor columns, slack)."""


def check_design_fits(rows: int, inputs: int) -> None:
    """SimulationError before allocating a design of ``rows`` × ``inputs`` that cannot fit
    (the run it feeds checks its own results the same way)."""
    check_fits(Budget(8 * DESIGN_COPIES * max(inputs, 1), 0), rows, False, available_memory())


def _factors_or_error(loaded: LoadedScenario, output: Output, by: By) -> tuple[Factor, ...]:
    if by not in BY:
        raise SimulationError(f"unknown grouping {by!r} (known: {', '.join(BY)})")
    if not loaded.inputs:
        raise SimulationError(f"scenario {loaded.name!r} has no uncertain inputs: nothing to analyse")
    output_values(run_deterministic(loaded), output)
    return factors(loaded, by)


def _evaluate(
    loaded: LoadedScenario,
    output: Output,
    uniforms: FloatArray,
    correlate: bool,
    seed: int,
    progress: Progress | None,
    executor: Executor | None = None,
    keep: Keep = DEFAULT_KEEP,
) -> FloatArray:
    check_pairs(keep, "sensitivity")
    samples = len(uniforms)
    result = run(
        loaded,
        samples=samples,
        seed=seed,
        uniforms=uniforms,
        correlate=correlate,
        progress=progress,
        executor=executor,
        keep=keep,
    )
    return output_values(result, output)


def _frame(rows: tuple[Any, ...], columns: list[str]) -> pd.DataFrame:
    """One row per factor with the given fields; ``inputs`` as a count."""
    records = [{c: len(row.inputs) if c == "inputs" else getattr(row, c) for c in columns} for row in rows]
    return pd.DataFrame(records, columns=columns)


class SensitivityResult(Protocol):
    """What every method returns: a table, a JSON-ready document and notes for the reader."""

    @property
    def method(self) -> str: ...

    @property
    def scenario(self) -> str: ...

    @property
    def output(self) -> Output: ...

    @property
    def notes(self) -> tuple[str, ...]: ...

    def to_frame(self) -> pd.DataFrame: ...

    def to_dict(self) -> dict[str, Any]: ...


def _document(result: SensitivityResult, **fields: Any) -> dict[str, Any]:
    head = {
        "method": result.method,
        "scenario": result.scenario,
        "metric": result.output.metric,
        "group": result.output.group,
        "year": result.output.year,
    }
    return {**head, **fields, "notes": list(result.notes), "rows": result.to_frame().to_dict("records")}


def _caught(caught: list[warnings.WarningMessage]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f"SALib: {w.message}" for w in caught))


def _salib_seed(sequence: np.random.SeedSequence) -> int:
    """A seed for SALib, which treats a seed of 0 as none (SALib 1.6: ``if seed:``)."""
    return int(sequence.generate_state(1)[0]) | 1


def _stability(first: FloatArray, confs: FloatArray) -> tuple[str, ...]:
    notes = []
    if confs.size and float(confs.max()) > MAX_CONF:
        notes.append(f"unstable: confidence intervals up to ±{confs.max():.3f} (above ±{MAX_CONF}); raise --samples")
    if first.sum() > 1.0 + SUM_TOLERANCE:
        notes.append(
            f"unstable: first-order indices sum to {first.sum():.2f} (above 1 + {SUM_TOLERANCE}); raise --samples"
        )
    return tuple(notes)
