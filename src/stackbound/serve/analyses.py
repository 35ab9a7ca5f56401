"""The analyses of a run the API offers as jobs, in one registry: each is the library's own
function, called as the CLI calls it, with the run's scenario and seed.

Every method has one contract: ``method(subject, request, progress) -> Finished``, where the
value is a JSON-ready document (a report: the bytes of a zip of its directory).
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stackbound.engine.results import RunResult
from stackbound.engine.run import Progress
from stackbound.scenario.loader import LoadedScenario
from stackbound.serve.jobs import Finished
from stackbound.serve.schemas import AnalysisRequest

__all__ = ["ANALYSES", "Subject", "analysis_samples"]


@dataclass(frozen=True, eq=False)
class Subject:
    """What an analysis reads: the run's scenario and its finished result."""

    loaded: LoadedScenario
    result: RunResult


Analysis = Callable[[Subject, AnalysisRequest, Progress], Finished]


def _year(subject: Subject, request: AnalysisRequest) -> int:
    return request.year if request.year is not None else subject.loaded.scenario.horizon.end // 12


def _document(document: dict[str, object]) -> Finished:
    """A JSON-ready document, its size counted as its JSON text's."""
    return Finished(document, len(json.dumps(document, default=str)))


def analysis_samples(subject: Subject, request: AnalysisRequest) -> int:
    """The samples an analysis runs with: as asked, else its default (the run's, for those
    that run the scenario as it is)."""
    from stackbound.analysis.sensitivity import DEFAULT_SAMPLES

    if request.samples is not None:
        return request.samples
    return DEFAULT_SAMPLES.get(request.method, subject.result.samples)


def _sensitivity(subject: Subject, request: AnalysisRequest, progress: Progress) -> Finished:
    from stackbound.analysis.sensitivity import DEFAULT_BY, METHODS, Output

    method = request.method
    result = METHODS[method](
        subject.loaded,
        Output(request.metric, _year(subject, request), request.group),
        by=request.factors or DEFAULT_BY[method],
        samples=None if method == "tornado" else analysis_samples(subject, request),
        seed=subject.result.seed,
        progress=progress,
    )
    return _document(result.to_dict())


def _marginal(subject: Subject, request: AnalysisRequest, progress: Progress) -> Finished:
    from stackbound.analysis.marginal import Target, marginal_values

    target = Target(request.metric, _year(subject, request), request.group)
    samples = analysis_samples(subject, request)
    seed = subject.result.seed
    values = marginal_values(subject.loaded, samples=samples, seed=seed, target=target, progress=progress)
    return _document(values.to_dict())


def _discover(subject: Subject, request: AnalysisRequest, progress: Progress) -> Finished:
    """Which input ranges lead to the output falling below ``threshold`` (default: its P25
    in this run, as the report asks)."""
    from stackbound.analysis.discover import Outcome, check_year, discover

    year = _year(subject, request)
    check_year(subject.loaded, year)
    threshold = request.threshold
    if threshold is None:
        values = subject.result.annual_values(request.metric, request.group)[:, subject.result.years.index(year)]
        threshold = float(np.percentile(values, 25))
    outcome = Outcome(request.metric, year, "below", threshold, request.group)
    samples = analysis_samples(subject, request)
    found = discover(subject.loaded, outcome, samples=samples, seed=subject.result.seed, progress=progress)
    return _document(found.to_dict())


def _report(subject: Subject, request: AnalysisRequest, progress: Progress) -> Finished:
    """The full report of the run's scenario (``stackbound report``), zipped: HTML,
    Markdown, charts, the workbook and data. Progress counts its steps."""
    from stackbound.report.gather import ReportSettings, gather
    from stackbound.report.write import write_report

    steps = 1 + request.sensitivity
    done = 0

    def step(_: str) -> None:
        nonlocal done
        progress(done, steps + 1)
        done += 1

    settings = ReportSettings(
        samples=subject.result.samples, seed=subject.result.seed, sensitivity=request.sensitivity, discovery=True
    )
    data = gather([subject.loaded], settings, step=step, done=[subject.result])
    progress(steps, steps + 1)
    with tempfile.TemporaryDirectory(prefix="stackbound-report-") as folder:
        written = write_report(Path(folder) / "report", data)
        archive = _zipped(written)
    return Finished(archive, len(archive))


def _zipped(folder: Path) -> bytes:
    """Every file under ``folder``, zipped with paths relative to it."""
    with tempfile.SpooledTemporaryFile() as buffer:
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(folder).as_posix())
        buffer.seek(0)
        return buffer.read()


ANALYSES: dict[str, Analysis] = {
    "tornado": _sensitivity,
    "sobol": _sensitivity,
    "delta": _sensitivity,
    "marginal": _marginal,
    "discover": _discover,
    "report": _report,
}
"""Every analysis a run offers, by the name a request gives as ``method``."""
