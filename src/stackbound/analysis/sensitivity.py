"""Which uncertain inputs move one annual output: tornado, Sobol' indices, delta indices.

Every method answers for one :class:`Output` (an annual metric of a group in a year) and
works on *factors*: sets of inputs that move as one (:func:`factors`). Grouping ``by``:

- ``group``: the knots of one curve and every set of inputs the scenario correlates;
- ``curve``: the knots (and shift) of one curve only (``Input.group``);
- ``input``: every input alone.

The methods share one contract, ``method(loaded, output, *, by, samples, seed, progress)``,
and live in :data:`METHODS`:

- ``tornado``: each factor at its P10 and its P90, every other input at its median.
- ``sobol``: first- and total-order variance-based indices (Saltelli et al. 2010, *Comput.
  Phys. Commun.* 181:259) from SALib's estimator over a Saltelli design of N·(G+2) runs for
  G factors. The design assumes independent inputs, so the scenario's copula is switched off.
- ``delta``: Borgonovo's moment-independent δ (Plischke, Borgonovo & Smith 2013, *EJOR*
  226:536) and the given-data first-order index, from SALib on one ordinary, correlated
  Monte Carlo sample; valid under dependence.

Defaults (:data:`DEFAULT_SAMPLES`): Sobol' base N = 2048, a power of two as scrambled Sobol'
points need. Interval half-widths shrink as 1/√N; for the China scenario's units in 2026
(124 factors, 258k runs, about 36 s on two busy cores) they are at most ±0.05 for total
order and ±0.09 for first order at 2048, against ±0.12 first order at 1024. Outputs driven by
one heavy-tailed input (compute added, through smuggled imports) need more, and say so.
δ: 2048 samples, where the bootstrap intervals are about ±0.02 and a factor costs about
0.1 s. A result is marked unstable when an interval is wider than ±:data:`MAX_CONF` or
first-order Sobol' indices sum above 1 + :data:`SUM_TOLERANCE`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from SALib.analyze import delta as salib_delta
from SALib.analyze import sobol as salib_sobol
from scipy.stats import qmc
from threadpoolctl import threadpool_limits

from stackbound.engine.results import RunResult
from stackbound.engine.run import Progress, run, run_deterministic
from stackbound.engine.sampling import draws_from_uniforms
from stackbound.errors import SimulationError
from stackbound.scenario.distributions import Distribution
from stackbound.scenario.loader import LoadedScenario

__all__ = [
    "BY",
    "DEFAULT_BY",
    "DEFAULT_SAMPLES",
    "METHODS",
    "Bar",
    "By",
    "DeltaIndex",
    "DeltaResult",
    "Factor",
    "Method",
    "Output",
    "SensitivityResult",
    "SobolIndex",
    "SobolResult",
    "TornadoResult",
    "delta",
    "factors",
    "output_values",
    "saltelli_design",
    "sobol",
    "tornado",
]

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
        names = tuple(loaded.inputs[c].name for c in columns)
        result.append(
            Factor(
                _label(loaded, columns, direction) if by != "input" else names[0],
                names,
                columns,
                tuple(direction[c] for c in columns),
            )
        )
    return tuple(result)


def _label(loaded: LoadedScenario, columns: tuple[int, ...], direction: dict[int, int]) -> str:
    """The curves of a factor, ``a + b - c``: ``c`` falls when ``a`` and ``b`` rise."""
    signs = {loaded.inputs[c].group: direction[c] for c in reversed(columns)}
    curves = list(dict.fromkeys(loaded.inputs[c].group for c in columns))
    return curves[0] + "".join(f" {'+' if signs[g] > 0 else '-'} {g}" for g in curves[1:])


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


def _factors_or_error(loaded: LoadedScenario, output: Output, by: By) -> tuple[Factor, ...]:
    if by not in BY:
        raise SimulationError(f"unknown grouping {by!r} (known: {', '.join(BY)})")
    if not loaded.inputs:
        raise SimulationError(f"scenario {loaded.name!r} has no uncertain inputs: nothing to analyse")
    output_values(run_deterministic(loaded), output)
    return factors(loaded, by)


def _evaluate(
    loaded: LoadedScenario, output: Output, uniforms: FloatArray, correlate: bool, seed: int, progress: Progress | None
) -> FloatArray:
    result = run(loaded, samples=len(uniforms), seed=seed, uniforms=uniforms, correlate=correlate, progress=progress)
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


# ----------------------------------------------------------------------------- tornado


@dataclass(frozen=True)
class Bar:
    """The output with one factor at its P10 (``low``) and at its P90 (``high``)."""

    factor: str
    inputs: tuple[str, ...]
    low: float
    high: float

    @property
    def swing(self) -> float:
        return abs(self.high - self.low)


@dataclass(frozen=True)
class TornadoResult:
    """Bars sorted by swing, largest first; factors that do not move the output have no bar."""

    scenario: str
    output: Output
    by: By
    base: float
    """The output with every input at its median."""
    bars: tuple[Bar, ...]
    no_effect: tuple[str, ...]
    notes: tuple[str, ...] = ()
    method: str = "tornado"

    def to_frame(self) -> pd.DataFrame:
        return _frame(self.bars, ["factor", "inputs", "low", "high", "swing"])

    def to_dict(self) -> dict[str, Any]:
        return _document(
            self, by=self.by, base=self.base, low_quantile=LOW, high_quantile=HIGH, no_effect=list(self.no_effect)
        )


def tornado(
    loaded: LoadedScenario,
    output: Output,
    *,
    by: By = "group",
    samples: int | None = None,
    seed: int = 0,
    progress: Progress | None = None,
) -> TornadoResult:
    """Each factor at its P10 and P90 (correlated members moved the way their correlation
    goes), every other input at its median; one engine run of 1 + 2·factors rows. ``samples``
    and ``seed`` are accepted for the common contract and change nothing."""
    found = _factors_or_error(loaded, output, by)
    uniforms = np.full((1 + 2 * len(found), len(loaded.inputs)), 0.5)
    for k, factor in enumerate(found):
        rising = np.array(factor.directions) > 0
        uniforms[1 + 2 * k, list(factor.columns)] = np.where(rising, LOW, HIGH)
        uniforms[2 + 2 * k, list(factor.columns)] = np.where(rising, HIGH, LOW)
    values = _evaluate(loaded, output, uniforms, False, seed, progress)
    bars = [Bar(f.name, f.inputs, float(values[1 + 2 * k]), float(values[2 + 2 * k])) for k, f in enumerate(found)]
    tolerance = 1e-6 * max(1.0, abs(float(values[0])))
    moving = sorted((b for b in bars if b.swing > tolerance), key=lambda b: -b.swing)
    still = tuple(b.factor for b in bars if b.swing <= tolerance)
    flat = [f.name for f in found if f.name in still and all(_flat(loaded.inputs[c].dist) for c in f.columns)]
    notes = (f"P10 equals P90 for {', '.join(flat)}: a tornado cannot show what it does",) if flat else ()
    return TornadoResult(loaded.name, output, by, float(values[0]), tuple(moving), still, notes)


def _flat(dist: Distribution) -> bool:
    """Whether a distribution's P10 equals its P90 (a discrete input that is mostly one value)."""
    low, high = dist.ppf(np.array([LOW, HIGH]))
    return bool(low == high)


# ----------------------------------------------------------------------------- Sobol'


@dataclass(frozen=True)
class SobolIndex:
    """First-order (``first``) and total-order (``total``) index of one factor, with the
    half-widths of their confidence intervals."""

    factor: str
    inputs: tuple[str, ...]
    first: float
    first_conf: float
    total: float
    total_conf: float


@dataclass(frozen=True)
class SobolResult:
    """Sobol' indices sorted by total order, largest first."""

    scenario: str
    output: Output
    by: By
    base_samples: int
    evaluations: int
    seed: int
    indices: tuple[SobolIndex, ...]
    copula_ignored: bool
    stable: bool
    notes: tuple[str, ...] = ()
    conf_level: float = CONF_LEVEL
    method: str = "sobol"

    def to_frame(self) -> pd.DataFrame:
        return _frame(self.indices, ["factor", "inputs", "first", "first_conf", "total", "total_conf"])

    def to_dict(self) -> dict[str, Any]:
        return _document(
            self,
            by=self.by,
            base_samples=self.base_samples,
            evaluations=self.evaluations,
            seed=self.seed,
            conf_level=self.conf_level,
            copula_ignored=self.copula_ignored,
            stable=self.stable,
        )


def saltelli_design(found: tuple[Factor, ...], inputs: int, n: int, rng: np.random.Generator) -> FloatArray:
    """Saltelli's design for first- and total-order grouped indices, row for row what
    ``SALib.sample.sobol.sample(problem, n, calc_second_order=False)`` gives for the same
    groups and ``seed=rng``: per base point, A, then A with factor k's columns from B (k = 1..G),
    then B, where [A | B] is a scrambled Sobol' sequence in 2·inputs dimensions. Built with
    array operations; SALib's Python loop takes about 10 s for 176 inputs at n = 1024."""
    base = qmc.Sobol(d=2 * inputs, scramble=True, seed=rng).random(n)
    a, b = base[:, :inputs], base[:, inputs:]
    design = np.repeat(a[:, None, :], len(found) + 2, axis=1)
    for k, factor in enumerate(found):
        design[:, k + 1, list(factor.columns)] = b[:, list(factor.columns)]
    design[:, -1] = b
    return design.reshape(n * (len(found) + 2), inputs)


def _power_of_two(n: int) -> int:
    return 1 << max(0, n - 1).bit_length()


def _salib_seed(sequence: np.random.SeedSequence) -> int:
    """A seed for SALib, which treats a seed of 0 as none (SALib 1.6: ``if seed:``)."""
    return int(sequence.generate_state(1)[0]) | 1


def _caught(caught: list[warnings.WarningMessage]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(f"SALib: {w.message}" for w in caught))


def _stability(first: FloatArray, confs: FloatArray) -> tuple[str, ...]:
    notes = []
    if confs.size and float(confs.max()) > MAX_CONF:
        notes.append(f"unstable: confidence intervals up to ±{confs.max():.3f} (above ±{MAX_CONF}); raise --samples")
    if first.sum() > 1.0 + SUM_TOLERANCE:
        notes.append(
            f"unstable: first-order indices sum to {first.sum():.2f} (above 1 + {SUM_TOLERANCE}); raise --samples"
        )
    return tuple(notes)


def sobol(
    loaded: LoadedScenario,
    output: Output,
    *,
    by: By = "group",
    samples: int | None = None,
    seed: int = 0,
    progress: Progress | None = None,
) -> SobolResult:
    """First- and total-order Sobol' indices of every factor, with the copula off.

    ``samples`` is the base size N (rounded up to a power of two, as Sobol' points need);
    the engine runs N·(G+2) samples for G factors."""
    found = _factors_or_error(loaded, output, by)
    n = _power_of_two(samples if samples is not None else DEFAULT_SAMPLES["sobol"])
    design_seed, analysis_seed = np.random.SeedSequence(seed).spawn(2)
    design = saltelli_design(found, len(loaded.inputs), n, np.random.default_rng(design_seed))
    values = _evaluate(loaded, output, design, False, seed, progress)
    notes: list[str] = []
    if loaded.copula is not None:
        notes.append(
            "the scenario's correlations were switched off: Sobol' indices assume independent inputs "
            "(use --method delta for an analysis that keeps them)"
        )
    if samples is not None and n != samples:
        notes.append(f"base sample size rounded up to {n} (Sobol' points need a power of two)")
    zeros = np.zeros(len(found))
    if np.ptp(values) == 0.0:
        notes.append("the output does not vary: every index is 0")
        first, first_conf, total, total_conf = zeros, zeros, zeros, zeros
    else:
        problem = {
            "num_vars": len(loaded.inputs),
            "names": [f"x{j}" for j in range(len(loaded.inputs))],
            "bounds": [[0.0, 1.0]] * len(loaded.inputs),
            "groups": _group_labels(found, len(loaded.inputs)),
        }
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            indices = salib_sobol.analyze(
                problem,
                values,
                calc_second_order=False,
                num_resamples=SOBOL_RESAMPLES,
                conf_level=CONF_LEVEL,
                seed=_salib_seed(analysis_seed),
            )
        notes += _caught(caught)
        first, first_conf = np.asarray(indices["S1"]), np.asarray(indices["S1_conf"])
        total, total_conf = np.asarray(indices["ST"]), np.asarray(indices["ST_conf"])
    unstable = _stability(first, np.concatenate([first_conf, total_conf]))
    rows = [
        SobolIndex(f.name, f.inputs, float(first[k]), float(first_conf[k]), float(total[k]), float(total_conf[k]))
        for k, f in enumerate(found)
    ]
    rows.sort(key=lambda i: (-i.total, -i.first))
    return SobolResult(
        loaded.name,
        output,
        by,
        n,
        len(values),
        seed,
        tuple(rows),
        loaded.copula is not None,
        not unstable,
        (*notes, *unstable),
    )


def _group_labels(found: tuple[Factor, ...], inputs: int) -> list[str]:
    """SALib's group of every input column; groups appear in factor order, as SALib keeps them."""
    labels = [""] * inputs
    for k, factor in enumerate(found):
        for column in factor.columns:
            labels[column] = f"g{k}"
    return labels


# ----------------------------------------------------------------------------- delta


@dataclass(frozen=True)
class DeltaIndex:
    """Borgonovo's δ of one factor and the given-data first-order index, with the
    half-widths of their confidence intervals."""

    factor: str
    inputs: tuple[str, ...]
    delta: float
    delta_conf: float
    first: float
    first_conf: float


@dataclass(frozen=True)
class DeltaResult:
    """δ indices sorted by δ, largest first. ``noise_floor`` is the largest δ of
    :data:`DELTA_DUMMIES` dummy inputs the output ignores: a factor below it is
    indistinguishable from one without effect."""

    scenario: str
    output: Output
    by: By
    samples: int
    seed: int
    indices: tuple[DeltaIndex, ...]
    noise_floor: float
    stable: bool
    notes: tuple[str, ...] = ()
    conf_level: float = CONF_LEVEL
    method: str = "delta"

    def to_frame(self) -> pd.DataFrame:
        frame = _frame(self.indices, ["factor", "inputs", "delta", "delta_conf", "first", "first_conf"])
        frame["above_noise"] = frame["delta"] > self.noise_floor
        return frame

    def to_dict(self) -> dict[str, Any]:
        return _document(
            self,
            by=self.by,
            samples=self.samples,
            seed=self.seed,
            conf_level=self.conf_level,
            noise_floor=self.noise_floor,
            stable=self.stable,
        )


def _factor_values(x: FloatArray, y: FloatArray, factor: Factor) -> FloatArray:
    """A factor as one column: its input's values, or for several inputs the least-squares
    linear predictor of the output from their standardised values (δ of that projection is a
    lower bound on the factor's δ, exact when the output is linear in them)."""
    columns = x[:, list(factor.columns)]
    if columns.shape[1] == 1:
        return np.asarray(columns[:, 0], dtype=np.float64)
    spread = columns.std(axis=0)
    scaled = (columns - columns.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    design = np.column_stack([np.ones(len(y)), scaled])
    return np.asarray(design @ np.linalg.lstsq(design, y, rcond=None)[0], dtype=np.float64)


_IGNORED = ("Step: too few samples", "Potential Bias Notice", "Raw delta differs from balanced", "Bin Merge Notice")
"""SALib notes about its "step" and "balanced" modes, which this analysis does not report."""


@contextmanager
def _salib_delta_guard() -> Iterator[list[warnings.WarningMessage]]:
    """SALib 1.6's delta seeds numpy's global generator and resets the warning filters and
    formatter: restore all three for the caller, and record its warnings. BLAS runs on one
    thread: each of its thousands of small kernel-density solves is otherwise spread over
    threads at a cost several times the work on a busy machine."""
    state, formatter = np.random.get_state(), warnings.formatwarning
    try:
        with warnings.catch_warnings(record=True) as caught, threadpool_limits(limits=1, user_api="blas"):
            warnings.simplefilter("always")
            yield caught
    finally:
        warnings.formatwarning = formatter
        np.random.set_state(state)


def _salib_delta(column: FloatArray, y: FloatArray, seed: int) -> tuple[tuple[float, ...], list[str]]:
    """(δ, δ conf, first, first conf) of one column, and what SALib said about it. The
    column is shifted to start at 1: both estimates use only its ranks, and positive values
    keep SALib from also running its on/off "step" mode, which is not reported."""
    problem = {"num_vars": 1, "names": ["x"]}
    shifted = (column - column.min() + 1.0)[:, None]
    with _salib_delta_guard() as caught:
        result = salib_delta.analyze(
            problem, shifted, y, num_resamples=DELTA_RESAMPLES, conf_level=CONF_LEVEL, seed=seed, method="all"
        )
    said = [n.strip() for text in result.get("notes", []) for n in str(text).split(";")]
    said += [str(w.message) for w in caught]
    kept = [n for n in said if n and not any(i in n for i in _IGNORED)]
    keys = ("delta_raw", "delta_raw_conf", "S1", "S1_conf")
    return tuple(float(result[k][0]) for k in keys), kept


def delta(
    loaded: LoadedScenario,
    output: Output,
    *,
    by: By = "curve",
    samples: int | None = None,
    seed: int = 0,
    progress: Progress | None = None,
) -> DeltaResult:
    """δ and given-data first-order indices of every factor, from one correlated Monte Carlo
    sample of ``samples`` runs; ``progress`` follows the factors (the slow part)."""
    found = _factors_or_error(loaded, output, by)
    n = samples if samples is not None else DEFAULT_SAMPLES["delta"]
    if n < 100:
        raise SimulationError(f"the delta method needs at least 100 samples, got {n}")
    inputs_seed, dummy_seed, salib_seed = np.random.SeedSequence(seed).spawn(3)
    uniforms = np.random.default_rng(inputs_seed).random((n, len(loaded.inputs)))
    draws = draws_from_uniforms(loaded.inputs, loaded.copula, uniforms, correlate=True)
    x = np.column_stack([draws[inp.name] for inp in loaded.inputs])
    y = _evaluate(loaded, output, uniforms, True, seed, None)
    if np.ptp(y) == 0.0:
        rows = [DeltaIndex(f.name, f.inputs, 0.0, 0.0, 0.0, 0.0) for f in found]
        return DeltaResult(
            loaded.name, output, by, n, seed, tuple(rows), 0.0, True, ("the output does not vary: every index is 0",)
        )
    dummies = np.random.default_rng(dummy_seed).random((DELTA_DUMMIES, n))
    columns = [*(_factor_values(x, y, f) for f in found), *dummies]
    estimates, notes = [], []
    for k, column in enumerate(columns):
        values, said = _salib_delta(column, y, _salib_seed(salib_seed))
        estimates.append(values)
        notes += [f"SALib ({found[k].name if k < len(found) else 'dummy input'}): {s}" for s in said]
        if progress is not None:
            progress(k + 1, len(columns))
    table = np.array(estimates)
    unstable = _stability(np.zeros(0), table[: len(found), [1, 3]].ravel())
    rows = [DeltaIndex(f.name, f.inputs, *(float(v) for v in table[k])) for k, f in enumerate(found)]
    rows.sort(key=lambda i: -i.delta)
    floor = float(table[len(found) :, 0].max())
    return DeltaResult(
        loaded.name, output, by, n, seed, tuple(rows), floor, not unstable, (*dict.fromkeys(notes), *unstable)
    )


# ----------------------------------------------------------------------------- registry


class Method(Protocol):
    def __call__(
        self,
        loaded: LoadedScenario,
        output: Output,
        *,
        by: By = ...,
        samples: int | None = None,
        seed: int = 0,
        progress: Progress | None = None,
    ) -> SensitivityResult: ...


METHODS: dict[str, Method] = {"tornado": tornado, "sobol": sobol, "delta": delta}
"""Every sensitivity method by name; each takes the same arguments."""
