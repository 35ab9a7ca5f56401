"""Scenarios compared on common random numbers, and what each policy lever does alone.

Every scenario is run with the same seed and number of samples. The engine draws each
uncertain input's stream from its name, so an input two scenarios share takes the same
value in the same sample of both: the per-sample difference of an output is *paired*, and
its spread shows the uncertainty of the change, not sampling noise. A scenario compared
with itself differs by exactly zero.

:func:`compare` reports, for every headline output, year and group (total, domestic,
imported, where they exist), P5, P50 and P95 of the per-sample difference against the
first scenario.

:func:`lever_view` takes a base and overlays of it. For each lever an overlay sets to a
value other than the base's, it runs the base with only that lever changed and reports
what the lever alone changes; beside it, what the whole overlay changes, and the rest
(its other changes plus the interactions of its levers: the whole minus the sum of the
levers alone, per sample).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from stackbound.analysis.records import records
from stackbound.engine.histogram import sample_percentiles
from stackbound.engine.results import PERCENTILES, RunResult
from stackbound.errors import Problem, ScenarioError, SimulationError
from stackbound.scenario.checks import check_references
from stackbound.scenario.inputs import collect_inputs, copula
from stackbound.scenario.loader import LoadedScenario
from stackbound.scenario.schema import Lever
from stackbound.scenario.yamlio import format_path

__all__ = [
    "ALL_CHANGES",
    "GROUPS",
    "HEADLINE_METRICS",
    "LEVER_OUTPUTS",
    "REST",
    "Comparison",
    "Difference",
    "LeverChange",
    "LeverSetting",
    "LeverView",
    "Runner",
    "changed_levers",
    "compare",
    "lever_view",
    "paired_difference",
    "with_lever",
    "with_levers",
]

HEADLINE_METRICS = (
    "units",
    "units_delivered",
    "compute_added_h100e",
    "effective_compute_added_h100e",
    "dies_consumed",
    "hbm_stacks_consumed",
    "stranded_dies",
    "stranded_hbm_stacks",
)
GROUPS = ("total", "domestic", "imported")
"""The groups a difference is reported for, where a metric has them."""
LEVER_OUTPUTS = (("units", "total"), ("units", "domestic"), ("units", "imported"), ("compute_added_h100e", "total"))
ALL_CHANGES = "all changes"
REST = "rest"
"""An overlay's other changes and the interactions of its levers: all changes − Σ levers alone."""

Runner = Callable[[LoadedScenario], RunResult]
"""Runs one scenario; every call must use the same seed and number of samples."""
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Difference:
    """One output, group and year of one scenario against the base: the base's P50 level,
    and the mean and P5–P50–P95 of the per-sample difference. In :class:`LeverView`,
    ``scenario`` is the change: a lever's name, :data:`ALL_CHANGES` or :data:`REST`."""

    scenario: str
    metric: str
    group: str
    year: int
    base_p50: float
    mean: float
    p5: float
    p50: float
    p95: float


@dataclass(frozen=True)
class Comparison:
    """Every scenario after the first against the first (the base)."""

    base: str
    scenarios: tuple[str, ...]
    seed: int
    samples: int
    years: tuple[int, ...]
    differences: tuple[Difference, ...]

    def to_frame(self) -> pd.DataFrame:
        return _frame(self.differences)

    def to_document(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "scenarios": list(self.scenarios),
            "seed": self.seed,
            "samples": self.samples,
            "years": list(self.years),
            "differences": records(self.to_frame()),
        }


@dataclass(frozen=True)
class LeverChange:
    """A lever an overlay sets differently from the base, described as the run records it."""

    overlay: str
    lever: str
    base_value: str
    overlay_value: str


@dataclass(frozen=True)
class LeverView:
    """What each lever of each overlay changes alone, and what the whole overlay changes."""

    base: str
    overlays: tuple[str, ...]
    seed: int
    samples: int
    years: tuple[int, ...]
    changes: tuple[LeverChange, ...]
    effects: tuple[tuple[Difference, ...], ...]
    """Per overlay (in order), its differences; a difference's ``scenario`` names the change."""

    def to_frame(self) -> pd.DataFrame:
        frame = _frame(tuple(d for effects in self.effects for d in effects)).rename(columns={"scenario": "change"})
        frame.insert(0, "overlay", [o for o, effects in zip(self.overlays, self.effects, strict=True) for _ in effects])
        return frame

    def changes_frame(self) -> pd.DataFrame:
        columns = ["overlay", "lever", "base_value", "overlay_value"]
        return pd.DataFrame([vars(c) for c in self.changes], columns=columns)

    def to_document(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "overlays": list(self.overlays),
            "seed": self.seed,
            "samples": self.samples,
            "years": list(self.years),
            "changes": records(self.changes_frame()),
            "effects": records(self.to_frame()),
        }


# ------------------------------------------------------------------ comparison


def paired_difference(base: RunResult, other: RunResult, metric: str, group: str = "total") -> FloatArray:
    """Per-sample difference ``other − base`` (samples × the years both runs cover)."""
    _check_paired([base, other])
    years = _common_years([base, other])
    return _values(other, metric, group, years) - _values(base, metric, group, years)


def compare(results: Sequence[RunResult], metrics: Sequence[str] = HEADLINE_METRICS) -> Comparison:
    """Every result after the first against the first, per metric, group and year."""
    if len(results) < 2:
        raise SimulationError(f"compare needs at least two runs, got {len(results)}")
    _check_paired(results)
    years = _common_years(results)
    base = results[0]
    differences = []
    for metric in metrics:
        for group in _groups(results, metric):
            level = sample_percentiles(_values(base, metric, group, years), [50])[0]
            for other in results[1:]:
                delta = _values(other, metric, group, years) - _values(base, metric, group, years)
                differences += _summaries(other.scenario, metric, group, years, level, delta)
    return Comparison(
        base.scenario, tuple(r.scenario for r in results[1:]), base.seed, base.samples, years, tuple(differences)
    )


def _check_paired(results: Sequence[RunResult]) -> None:
    first = results[0]
    for r in results[1:]:
        if (r.seed, r.samples) != (first.seed, first.samples):
            raise SimulationError(
                f"paired comparison needs one seed and one number of samples: {first.scenario!r} ran seed "
                f"{first.seed} with {first.samples} samples, {r.scenario!r} seed {r.seed} with {r.samples}"
            )


def _common_years(results: Sequence[RunResult]) -> tuple[int, ...]:
    years = [y for y in results[0].years if all(y in r.years for r in results[1:])]
    if not years:
        raise SimulationError("the scenarios compared share no year of their horizons")
    return tuple(years)


def _groups(results: Sequence[RunResult], metric: str) -> list[str]:
    return [g for g in GROUPS if any(metric in r.metrics() and g in r.groups(metric) for r in results)]


def _values(result: RunResult, metric: str, group: str, years: tuple[int, ...]) -> FloatArray:
    """Annual values for ``years``; zero where the run has no such metric or group."""
    columns = [result.years.index(y) for y in years]
    if metric not in result.metrics():
        return np.zeros((result.samples, len(years)))
    return result.annual_values(metric, group)[:, columns]


def _summaries(
    name: str, metric: str, group: str, years: tuple[int, ...], level: FloatArray, delta: FloatArray
) -> list[Difference]:
    pct = sample_percentiles(delta, PERCENTILES)
    mean = delta.mean(axis=0)
    return [
        Difference(
            name,
            metric,
            group,
            year,
            float(level[y]),
            float(mean[y]),
            float(pct[0, y]),
            float(pct[1, y]),
            float(pct[2, y]),
        )
        for y, year in enumerate(years)
    ]


# ------------------------------------------------------------------ levers


def changed_levers(base: LoadedScenario, overlay: LoadedScenario) -> tuple[str, ...]:
    """Levers both scenarios have that ``overlay`` sets to another value (or distribution)."""
    ours, theirs = base.scenario.levers, overlay.scenario.levers
    return tuple(name for name in ours if name in theirs and ours[name].value.value != theirs[name].value.value)


class LeverSetting(NamedTuple):
    """A lever's new setting: the validated lever, and its plain data as a scenario file
    writes it (``{"value": 0.5, "description": ...}``)."""

    lever: Lever
    data: Mapping[str, Any]


def with_lever(base: LoadedScenario, overlay: LoadedScenario, lever: str) -> LoadedScenario:
    """``base`` with only ``lever`` set as in ``overlay``: what an overlay of ``base`` that
    overrides ``levers.<lever>`` would load to, built in memory from both validated
    scenarios. Its uncertain inputs keep their names, so its draws pair with the base's."""
    if lever not in base.scenario.levers or lever not in overlay.scenario.levers:
        raise SimulationError(f"lever {lever!r} is not in both {base.name!r} and {overlay.name!r}")
    setting = LeverSetting(overlay.scenario.levers[lever], overlay.data["levers"][lever])
    return with_levers(
        base,
        {lever: setting},
        name=f"{base.name} + {lever} of {overlay.name}",
        source=f"levers.{lever} of {overlay.name}",
        file=f"{base.name} with {lever} of {overlay.name}",
    )


def with_levers(
    base: LoadedScenario, settings: Mapping[str, LeverSetting], *, name: str, source: str, file: str | None = None
) -> LoadedScenario:
    """``base``, renamed ``name``, with each lever in ``settings`` replaced, checked as the
    loader checks a scenario (a ScenarioError names ``file``, by default ``name``).
    ``source`` is recorded after the base's files as where the change came from. Its
    uncertain inputs keep their names, so its draws pair with the base's::

        setting = LeverSetting(overlay.scenario.levers["licence"], overlay.data["levers"]["licence"])
        changed = with_levers(base, {"licence": setting}, name="base + licence", source="licence")
    """
    levers = {**base.scenario.levers, **{lever: s.lever for lever, s in settings.items()}}
    scenario = base.scenario.model_copy(update={"levers": levers, "name": name})
    data = copy.deepcopy(base.data)
    data["name"] = name
    for lever, setting in settings.items():
        data["levers"][lever] = copy.deepcopy(dict(setting.data))
    inputs = collect_inputs(scenario)
    cop, findings = copula(scenario, inputs)
    findings = [*check_references(scenario), *findings]
    if findings:
        shown = name if file is None else file
        raise ScenarioError([Problem(shown, 0, 0, format_path(path), message) for path, message in findings])
    files = (*base.files, source)
    return LoadedScenario(scenario, data, base.positions, files, tuple(inputs), cop, base.warnings)


def lever_view(
    base: LoadedScenario,
    overlays: Sequence[LoadedScenario],
    run_one: Runner,
    outputs: Sequence[tuple[str, str]] = LEVER_OUTPUTS,
) -> LeverView:
    """For each overlay: what each lever it changes does alone, what the whole overlay does,
    and the rest, per output and year (``outputs``: (metric, group) pairs)."""
    if not overlays:
        raise SimulationError("the lever view needs a base and at least one overlay")
    base_result = run_one(base)
    changes: list[LeverChange] = []
    runs: list[tuple[RunResult, dict[str, RunResult]]] = []
    for overlay in overlays:
        full = run_one(overlay)
        levers = changed_levers(base, overlay)
        runs.append((full, {lever: run_one(with_lever(base, overlay, lever)) for lever in levers}))
        changes += [LeverChange(overlay.name, lever, base_result.levers[lever], full.levers[lever]) for lever in levers]
    every = [base_result, *(r for full, alone in runs for r in (full, *alone.values()))]
    _check_paired(every)
    years = _common_years(every)
    effects = tuple(tuple(_lever_effects(base_result, full, alone, outputs, years)) for full, alone in runs)
    return LeverView(
        base.name,
        tuple(o.name for o in overlays),
        base_result.seed,
        base_result.samples,
        years,
        tuple(changes),
        effects,
    )


def _lever_effects(
    base: RunResult,
    full: RunResult,
    alone: dict[str, RunResult],
    outputs: Sequence[tuple[str, str]],
    years: tuple[int, ...],
) -> list[Difference]:
    """Each lever alone, the whole overlay, and the rest (whole − Σ levers, per sample)."""
    effects = []
    for metric, group in outputs:
        if group not in _groups([base, full], metric):
            continue
        reference = _values(base, metric, group, years)
        level = sample_percentiles(reference, [50])[0]
        whole = _values(full, metric, group, years) - reference
        rest = whole.copy()
        for lever, result in alone.items():
            delta = _values(result, metric, group, years) - reference
            effects += _summaries(lever, metric, group, years, level, delta)
            rest -= delta
        effects += _summaries(ALL_CHANGES, metric, group, years, level, whole)
        if alone:
            effects += _summaries(REST, metric, group, years, level, rest)
    return effects


# ------------------------------------------------------------------ plain data


def _frame(differences: tuple[Difference, ...]) -> pd.DataFrame:
    columns = ["scenario", "metric", "group", "year", "base_p50", "mean", "p5", "p50", "p95"]
    return pd.DataFrame([vars(d) for d in differences], columns=columns)
