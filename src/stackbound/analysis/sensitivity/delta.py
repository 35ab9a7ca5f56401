"""Borgonovo's delta and the given-data first-order index, valid under dependence."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from SALib.analyze import delta as salib_delta
from threadpoolctl import threadpool_limits

from stackbound.analysis.sensitivity.common import (
    CONF_LEVEL,
    DEFAULT_SAMPLES,
    DELTA_DUMMIES,
    DELTA_RESAMPLES,
    By,
    Factor,
    FloatArray,
    Output,
    _document,
    _evaluate,
    _factors_or_error,
    _frame,
    _salib_seed,
    _stability,
    check_design_fits,
)
from stackbound.engine.executors import Executor
from stackbound.engine.keep import DEFAULT_KEEP, Keep
from stackbound.engine.run import Progress
from stackbound.engine.sampling import draws_from_uniforms
from stackbound.errors import SimulationError
from stackbound.scenario.loader import LoadedScenario

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
    label: str = ""
    """The factor in words; ``factor`` is its field paths."""


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
        frame = _frame(self.indices, ["factor", "label", "inputs", "delta", "delta_conf", "first", "first_conf"])
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


def _four(row: FloatArray) -> tuple[float, float, float, float]:
    """δ, its half-width, first order and its half-width, as floats."""
    delta, delta_conf, first, first_conf = (float(v) for v in row)
    return delta, delta_conf, first, first_conf


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
    executor: Executor | None = None,
    keep: Keep = DEFAULT_KEEP,
) -> DeltaResult:
    """δ and given-data first-order indices of every factor, from one correlated Monte Carlo
    sample of ``samples`` runs; ``progress`` follows the factors (the slow part)."""
    found = _factors_or_error(loaded, output, by)
    n = samples if samples is not None else DEFAULT_SAMPLES["delta"]
    if n < 100:
        raise SimulationError(f"the delta method needs at least 100 samples, got {n}")
    check_design_fits(n, len(loaded.inputs) + DELTA_DUMMIES)
    inputs_seed, dummy_seed, salib_seed = np.random.SeedSequence(seed).spawn(3)
    uniforms = np.random.default_rng(inputs_seed).random((n, len(loaded.inputs)))
    draws = draws_from_uniforms(loaded.inputs, loaded.copula, uniforms, correlate=True)
    x = np.column_stack([draws[inp.name] for inp in loaded.inputs])
    y = _evaluate(loaded, output, uniforms, True, seed, None, executor, keep)
    if np.ptp(y) == 0.0:
        rows = [DeltaIndex(f.name, f.inputs, 0.0, 0.0, 0.0, 0.0, f.label) for f in found]
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
    rows = [DeltaIndex(f.name, f.inputs, *_four(table[k]), f.label) for k, f in enumerate(found)]
    rows.sort(key=lambda i: -i.delta)
    floor = float(table[len(found) :, 0].max())
    return DeltaResult(
        loaded.name, output, by, n, seed, tuple(rows), floor, not unstable, (*dict.fromkeys(notes), *unstable)
    )
