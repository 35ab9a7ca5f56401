"""Runs and analyses as jobs: their ids, what each job holds, and its status as JSON.

A run's id is a digest of what decides its numbers: the resolved scenario
(:attr:`LoadedScenario.digest`), the stackbound version, the seed and the samples. The same
request, or another that resolves to the same scenario, is the same run, served from the
jobs kept. An analysis's id is a digest of its run's id and of the request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from stackbound.engine.results import RunResult
from stackbound.engine.run import run
from stackbound.scenario.loader import LoadedScenario
from stackbound.serve.analyses import ANALYSES, Subject
from stackbound.serve.jobs import Finished, Job, Progress
from stackbound.serve.schemas import AnalysisRequest, JobProgress, JobStatus
from stackbound.serve.tables import result_bytes

__all__ = ["AnalysisSpec", "RunSpec", "analysis_id", "analysis_work", "job_status", "run_id", "run_work"]

ID_LENGTH = 32
"""Hex digits of a job id (128 bits)."""


@dataclass(frozen=True, eq=False)
class RunSpec:
    """A run's job: the scenario it simulates, with its seed and samples."""

    loaded: LoadedScenario
    seed: int
    samples: int
    version: str

    @cached_property
    def digest(self) -> str:
        """The scenario's digest, hashed once (every status answer gives it; hashing
        ``china`` takes 2–3 ms, which polling clients paid on every request)."""
        return self.loaded.digest


@dataclass(frozen=True, eq=False)
class AnalysisSpec:
    """An analysis's job: the run it reads and what was asked."""

    run_id: str
    run: RunSpec
    request: AnalysisRequest


def _digest(fields: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:ID_LENGTH]


def run_id(spec: RunSpec) -> str:
    fields = {"scenario": spec.digest, "version": spec.version, "seed": spec.seed, "samples": spec.samples}
    return _digest(fields)


def analysis_id(run: str, request: AnalysisRequest) -> str:
    return _digest({"run": run, "request": request.model_dump(mode="json")})


def run_work(spec: RunSpec, chunk_size: int) -> Callable[[Progress], Finished]:
    def work(progress: Progress) -> Finished:
        result = run(spec.loaded, samples=spec.samples, seed=spec.seed, chunk_size=chunk_size, progress=progress)
        return Finished(result, result_bytes(result))

    return work


def analysis_work(spec: AnalysisSpec, result: RunResult) -> Callable[[Progress], Finished]:
    subject = Subject(spec.run.loaded, result)

    def work(progress: Progress) -> Finished:
        return ANALYSES[spec.request.method](subject, spec.request, progress)

    return work


def _links(job: Job) -> dict[str, str]:
    if isinstance(job.spec, AnalysisSpec):
        here = f"/v1/analyses/{job.id}"
        return {"self": here, "results": f"{here}/results", "run": f"/v1/runs/{job.spec.run_id}"}
    here = f"/v1/runs/{job.id}"
    extra = ("bottlenecks", "compare", "analyses")
    return {"self": here, "results": f"{here}/results", **{name: f"{here}/{name}" for name in extra}}


def job_status(job: Job, now: float) -> JobStatus:
    """A job as its GET answers it."""
    spec = job.spec
    analysis = spec if isinstance(spec, AnalysisSpec) else None
    base = analysis.run if analysis is not None else spec
    assert isinstance(base, RunSpec)  # every job the routes submit holds one of the two specs
    end = job.finished if job.finished is not None else now
    return JobStatus(
        id=job.id,
        kind="analysis" if analysis is not None else "run",
        status=job.status.value,
        progress=JobProgress(done=job.done, total=job.total, fraction=round(job.fraction, 4)),
        error=job.error,
        elapsed_seconds=None if job.started is None else round(end - job.started, 3),
        scenario=base.loaded.name,
        seed=base.seed,
        samples=base.samples,
        version=base.version,
        digest=base.digest,
        method=None if analysis is None else analysis.request.method,
        run=None if analysis is None else analysis.run_id,
        links=_links(job),
    )
