"""Everything a report shows, computed once: runs of every scenario on one seed, and the
analyses of the first (the base).

The report writers (:mod:`.tables`, :mod:`.charts`, :mod:`.html`, :mod:`.markdown`,
:mod:`.excel`) only read a :class:`ReportData`; nothing here writes or prints.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from stackbound.analysis.bottlenecks import Bottlenecks, bottlenecks, bottlenecks_by_month_and_year
from stackbound.analysis.compare import Comparison, compare
from stackbound.analysis.validate import CaseResult, validate
from stackbound.engine.executors import Executor
from stackbound.engine.keep import DEFAULT_KEEP, Keep, check_pairs
from stackbound.engine.results import RunResult
from stackbound.engine.run import DEFAULT_SAMPLES, run
from stackbound.errors import SimulationError
from stackbound.report.export import inputs_table, package_version
from stackbound.scenario.loader import LoadedScenario
from stackbound.scenario.validation import builtin_validation, load_validation

if TYPE_CHECKING:  # the analyses (SciPy's statistics, SALib) load in gather(), where they run
    from stackbound.analysis.discover import Discovery
    from stackbound.analysis.sensitivity import SobolResult, TornadoResult

__all__ = ["ReportData", "ReportSettings", "gather", "headline_year"]

Step = Callable[[str], None]


@dataclass(frozen=True, kw_only=True)
class ReportSettings:
    """How much to compute: engine samples, the seed, and the sensitivity analyses."""

    samples: int = DEFAULT_SAMPLES
    seed: int = 0
    sensitivity: bool = True
    sobol_samples: int | None = None
    """Sobol' base size (None: the analysis default)."""
    discovery: bool = True
    keep: Keep = DEFAULT_KEEP
    """What each run keeps per sample (the report pairs samples, so not ``"none"``)."""


@dataclass(frozen=True, eq=False)
class ReportData:
    """Runs (the base first), the base's analyses and the run record."""

    loaded: tuple[LoadedScenario, ...]
    results: tuple[RunResult, ...]
    settings: ReportSettings
    year: int
    """The year the headline, sensitivity and discovery speak about."""
    monthly: Bottlenecks
    """The base's binding constraints by month (stranded inventory and runway included)."""
    yearly: tuple[Bottlenecks, ...]
    comparison: Comparison | None
    validation: tuple[CaseResult, ...]
    tornado: TornadoResult | None
    sobol: SobolResult | None
    discovery: Discovery | None
    inputs: pd.DataFrame
    version: str
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def base(self) -> RunResult:
        return self.results[0]


def headline_year(result: RunResult) -> int:
    """The year a report's headline speaks about: 2027 when in the run, else the last full year."""
    return 2027 if 2027 in result.years else result.years[-1]


def _validation(loaded: LoadedScenario, result: RunResult) -> tuple[CaseResult, ...]:
    for name in (loaded.name, *(Path(f.split(" ")[0]).stem for f in loaded.files)):
        path = builtin_validation(name)
        if path is not None:
            return tuple(validate(result, load_validation(path)))
    return ()


def gather(
    loaded: list[LoadedScenario],
    settings: ReportSettings,
    step: Step | None = None,
    executor: Executor | None = None,
    done: Sequence[RunResult] = (),
) -> ReportData:
    """Run every scenario with the same seed and analyse the first; every run goes to
    ``executor`` (None: threads of this process). ``done`` are runs already made of the
    first scenarios with the settings' seed and samples (a server's kept run): they are
    used as they are, not run again."""
    from stackbound.analysis.discover import Outcome, discover
    from stackbound.analysis.sensitivity import Output, sobol, tornado

    check_pairs(settings.keep, "the report")
    timings: dict[str, float] = {}
    say = step or (lambda _: None)

    def timed(name: str, started: float) -> None:
        timings[name] = round(time.perf_counter() - started, 3)

    for scenario, result in zip(loaded, done, strict=False):
        if (result.digest, result.seed, result.samples) != (scenario.digest, settings.seed, settings.samples):
            raise SimulationError(f"the run given for {scenario.name!r} is not of that scenario, seed and samples")
    results = list(done)
    for scenario in loaded[len(done) :]:
        say(f"running {scenario.name}")
        started = time.perf_counter()
        results.append(
            run(scenario, samples=settings.samples, seed=settings.seed, executor=executor, keep=settings.keep)
        )
        timed(f"run {scenario.name}", started)
    base, base_loaded = results[0], loaded[0]
    year = headline_year(base)
    started = time.perf_counter()
    monthly, base_yearly = bottlenecks_by_month_and_year(base)
    yearly = (base_yearly, *(bottlenecks(r, by="year") for r in results[1:]))
    comparison = compare(results) if len(results) > 1 else None
    validation = _validation(base_loaded, base)
    timed("bottlenecks, comparison, validation", started)
    output = Output("units", year)
    tornado_result = sobol_result = discovery = None
    if settings.sensitivity and base_loaded.inputs:
        say("sensitivity: tornado and Sobol'")
        started = time.perf_counter()
        tornado_result = tornado(base_loaded, output, seed=settings.seed, executor=executor, keep=settings.keep)
        sobol_result = sobol(
            base_loaded,
            output,
            samples=settings.sobol_samples,
            seed=settings.seed,
            executor=executor,
            keep=settings.keep,
        )
        timed("sensitivity", started)
    if settings.discovery and base_loaded.inputs:
        say("scenario discovery")
        started = time.perf_counter()
        values = base.annual_values("units")[:, base.years.index(year)]
        threshold = float(np.percentile(values, 25))
        outcome = Outcome("units", year, "below", threshold)
        discovery = discover(
            base_loaded, outcome, samples=settings.samples, seed=settings.seed, executor=executor, keep=settings.keep
        )
        timed("discovery", started)
    return ReportData(
        loaded=tuple(loaded),
        results=tuple(results),
        settings=settings,
        year=year,
        monthly=monthly,
        yearly=yearly,
        comparison=comparison,
        validation=validation,
        tornado=tornado_result,
        sobol=sobol_result,
        discovery=discovery,
        inputs=inputs_table(base_loaded),
        version=package_version(),
        timings=timings,
    )
