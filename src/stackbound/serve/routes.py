"""The routes of scenarios, checks and runs (``/v1``); analyses are in :mod:`.routes_analyses`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from stackbound.engine.results import RunResult
from stackbound.errors import ScenarioError
from stackbound.report.register import missing_provenance
from stackbound.report.summary import HEADLINE_METRICS
from stackbound.scenario.loader import LoadedScenario, load_scenario_text
from stackbound.serve.app import ServeState, serve_state
from stackbound.serve.jobs import Job, Status
from stackbound.serve.runs import RunSpec, job_status, run_id, run_work
from stackbound.serve.scenarios import UPLOAD, builtin_entries, builtin_text, problem_rows, scenario_view
from stackbound.serve.schemas import (
    CheckRequest,
    CheckResult,
    ErrorBody,
    JobStatus,
    RunRequest,
    RunSummary,
    ScenarioEntry,
    ScenarioView,
)
from stackbound.serve.tables import FORMATS, TABLES, encode, kept_json, run_summary, table

__all__ = ["MAX_WAIT_SECONDS", "Wait", "finished_run", "router", "submitted", "waited_status"]

router = APIRouter(prefix="/v1")
State = Annotated[ServeState, Depends(serve_state)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody, "description": "no such run, or expired"}}
NOT_DONE: dict[int | str, dict[str, Any]] = {409: {"model": ErrorBody, "description": "the job is not done"}}
MAX_WAIT_SECONDS = 30.0
"""The longest a status request may be held (``?wait=``): a client that waits longer asks again."""
Wait = Annotated[
    float,
    Query(
        ge=0,
        le=MAX_WAIT_SECONDS,
        description="Seconds to hold the answer while the job is queued or running: it comes the moment "
        "the job ends, or when the wait is over with the progress so far (0: at once)",
    ),
]


@router.get("/scenarios", response_model=list[ScenarioEntry])
def list_scenarios() -> list[ScenarioEntry]:
    """The built-in scenarios: each name, what it extends and its story in one sentence."""
    return builtin_entries()


@router.get("/scenarios/{name}", response_model=ScenarioView, responses=NOT_FOUND)
def show_scenario(name: str) -> ScenarioView:
    """A built-in scenario resolved: every value with its label, unit, value or distribution
    as written, source and grade (``stackbound show`` and the register)."""
    return scenario_view(load_scenario_text(builtin_text(name), "<request>"))


@router.post("/check", response_model=CheckResult)
def check(body: CheckRequest) -> CheckResult:
    """What ``stackbound check`` says of a scenario or overlay text: every problem with its
    file, line, column and field; values without a source or assumption; and, when it
    loads, the resolved scenario."""
    try:
        loaded = load_scenario_text(body.yaml, UPLOAD)
    except ScenarioError as error:
        return CheckResult(ok=False, problems=problem_rows(error.problems), unsourced=[], scenario=None)
    unsourced = problem_rows(missing_provenance(loaded))
    return CheckResult(ok=True, problems=[], unsourced=unsourced, scenario=scenario_view(loaded))


def submitted(job: Job, new: bool, state: ServeState, here: str) -> JSONResponse:
    """202 and where to look, for a new job; 303 to the job kept, for a repeat."""
    body = job_status(job, state.jobs.clock()).model_dump()
    return JSONResponse(body, status_code=202 if new else 303, headers={"Location": f"{here}/{job.id}"})


def check_samples(samples: int, state: ServeState) -> None:
    cap = state.config.max_samples
    if samples > cap:
        raise HTTPException(422, f"samples must be at most {cap:,} on this server, got {samples:,}")


@router.post(
    "/runs",
    status_code=202,
    response_model=JobStatus,
    responses={303: {"model": JobStatus, "description": "the same run, already kept"}, 429: {"model": ErrorBody}},
)
def submit_run(body: RunRequest, state: State) -> JSONResponse:
    """Queue a run (202, ``Location: /v1/runs/{id}``). The id is a digest of the resolved
    scenario, the version, the seed and the samples: the same run asked again is answered
    303 to the one kept. 429 with ``Retry-After`` when the queue is full."""
    check_samples(body.samples, state)
    return submit_spec(RunSpec(state.scenarios.load(body), body.seed, body.samples, state.version), state)


def submit_spec(spec: RunSpec, state: ServeState) -> JSONResponse:
    """Queue the run ``spec`` (or answer the one kept under its id), as ``POST /v1/runs``."""
    job, new = state.jobs.submit(run_id(spec), "run", run_work(spec, state.config.chunk_size), spec)
    return submitted(job, new, state, "/v1/runs")


def kept_job(job_id: str, kind: str, state: ServeState) -> Job:
    job = state.jobs.get(job_id)
    if job is None or job.kind != kind:
        reason = "never made, cancelled after it ended, or expired"
        raise HTTPException(404, f"no {kind} {job_id[:64]!r} is kept ({reason})")
    return job


def finished_run(run: str, state: ServeState) -> tuple[Job, LoadedScenario]:
    """A run that is done, with its scenario; 404 if none, 409 if not done."""
    job = kept_job(run, "run", state)
    if job.status is not Status.DONE:
        reason = f": {job.error}" if job.error else ""
        raise HTTPException(409, f"run {run} is {job.status.value}{reason}")
    assert isinstance(job.spec, RunSpec)
    return job, job.spec.loaded


async def waited_status(job_id: str, kind: str, wait: float, state: ServeState) -> JobStatus:
    """A job's status, once it has ended or ``wait`` seconds have passed (``?wait=``). The
    job is looked up in a thread, as a plain route would: the lookup may let results go,
    and handing their memory back is no work for the event loop."""
    job = await run_in_threadpool(kept_job, job_id, kind, state)
    if wait > 0:
        await state.jobs.settled(job, wait)
    return job_status(job, state.jobs.clock())


@router.get("/runs/{run}", response_model=JobStatus, responses=NOT_FOUND)
async def run_status(run: str, state: State, wait: Wait = 0.0) -> JobStatus:
    """A run's status and progress (samples done of samples). With ``?wait=`` seconds, the
    answer is held until the run ends (done, failed or cancelled) or the wait is over: a
    client learns that its run is done at once, without polling."""
    return await waited_status(run, "run", wait, state)


@router.delete("/runs/{run}", response_model=JobStatus, responses=NOT_FOUND)
def cancel_run(run: str, state: State) -> JobStatus:
    """Cancel a run: a queued one at once, a running one between chunks; a finished run is
    forgotten (its result freed)."""
    job = state.jobs.cancel(run)
    if job is None or job.kind != "run":
        raise HTTPException(404, f"no run {run[:64]!r} is kept")
    return job_status(job, state.jobs.clock())


def _format(fmt: str | None, accept: str) -> str:
    """The table format asked for: ``?format=``, else the Accept header's, else JSON."""
    if fmt is not None:
        return fmt
    return next((name for name, media in FORMATS.items() if media.split(";")[0] in accept), "json")


@router.get(
    "/runs/{run}/results",
    response_model=RunSummary,
    responses={**NOT_FOUND, **NOT_DONE, 200: {"content": {media: {} for media in FORMATS.values()}}},
)
def run_results(
    run: str,
    state: State,
    request: Request,
    fmt: Annotated[Literal["json", "csv", "parquet", "arrow"] | None, Query(alias="format")] = None,
    name: Annotated[str, Query(alias="table", description=f"With a format: one of {', '.join(TABLES)}")] = "annual",
    metrics: Annotated[str, Query(description="Annual metrics in the JSON, comma-separated, or 'all'")] = "headline",
    lang: Literal["en", "nl"] = "en",
) -> Response:
    """The summary of a finished run as JSON (the answer in sentences, annual P5/P50/P95,
    binding constraints, runway, stranded stock, run-out months), or one of its tables as
    CSV, Parquet or Arrow (``?format=`` or the Accept header, ``?table=``)."""
    job, loaded = finished_run(run, state)
    result = job.value
    assert isinstance(result, RunResult)
    chosen = _format(fmt, request.headers.get("accept", ""))
    if chosen != "json":
        if name not in TABLES:
            raise HTTPException(422, f"table must be one of {', '.join(TABLES)}, got {name[:64]!r}")
        data = encode(table(name, loaded, result), chosen)
        disposition = f'attachment; filename="{run}-{name}.{chosen}"'
        return Response(data, media_type=FORMATS[chosen], headers={"Content-Disposition": disposition})
    wanted = _metrics(metrics)

    def summary() -> dict[str, Any]:
        return run_summary(run, state.version, loaded, result, wanted, lang).model_dump(mode="json")

    return kept_json(job.answers, ("summary", wanted, lang), summary)  # once per run, language and metrics


def _metrics(metrics: str) -> tuple[str, ...] | None:
    if metrics == "headline":
        return HEADLINE_METRICS
    if metrics == "all":
        return None
    return tuple(m.strip() for m in metrics.split(",") if m.strip())
