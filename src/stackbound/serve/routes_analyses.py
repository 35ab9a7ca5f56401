"""The routes of what is read from a finished run: bottlenecks and comparisons at once,
and the longer analyses (tornado, Sobol', delta, marginal values, discovery, the report)
as jobs like runs, with progress and cancel."""

from __future__ import annotations

import io
import zipfile
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from fastapi.responses import JSONResponse

from stackbound.analysis.bottlenecks import bottlenecks
from stackbound.analysis.compare import compare
from stackbound.engine.results import RunResult
from stackbound.report import findings
from stackbound.serve.analyses import Subject, analysis_samples
from stackbound.serve.app import ServeState, serve_state
from stackbound.serve.jobs import Status
from stackbound.serve.routes import (
    NOT_DONE,
    NOT_FOUND,
    Wait,
    check_samples,
    finished_run,
    kept_job,
    submit_spec,
    submitted,
    waited_status,
)
from stackbound.serve.runs import AnalysisSpec, RunSpec, analysis_id, analysis_work, job_status
from stackbound.serve.schemas import AnalysisRequest, ErrorBody, JobStatus, ScenarioSource
from stackbound.serve.tables import json_response
from stackbound.serve.views import paired

__all__ = ["router"]

router = APIRouter(prefix="/v1")
State = Annotated[ServeState, Depends(serve_state)]
ZIP = "application/zip"


def _result(run: str, state: ServeState) -> tuple[RunSpec, RunResult]:
    job, _ = finished_run(run, state)
    assert isinstance(job.spec, RunSpec)
    assert isinstance(job.value, RunResult)
    return job.spec, job.value


@router.get("/runs/{run}/bottlenecks", responses={**NOT_FOUND, **NOT_DONE})
def run_bottlenecks(run: str, state: State, by: Literal["year", "month"] = "year") -> Response:
    """Which constraint binds each variant, per year or month, with stranded stock, runway
    and run-out months (``stackbound bottlenecks --format json``, without lost output)."""
    _, result = _result(run, state)
    return json_response(bottlenecks(result, by=by).to_document())


@router.get("/runs/{run}/compare", responses={**NOT_FOUND, **NOT_DONE})
def run_compare(
    run: str,
    state: State,
    other: Annotated[str, Query(alias="with", description="The id of a run with the same seed and samples")],
    lang: Literal["en", "nl"] = "en",
) -> Response:
    """Paired differences (common random numbers) of another run against this one, per
    headline output, group and year, with the sentence the terminal gives."""
    base_spec, base = _result(run, state)
    other_spec, result = _result(other, state)
    result = paired(base, result)
    comparison = compare([base, result])
    facts = findings.run_findings([base_spec.loaded, other_spec.loaded], [base, result], comparison)
    return json_response({**comparison.to_document(), "findings": findings.scenarios_line(facts, lang)})


@router.post(
    "/runs/{run}/compare",
    status_code=202,
    response_model=JobStatus,
    responses={**NOT_FOUND, **NOT_DONE, 303: {"model": JobStatus}, 429: {"model": ErrorBody}},
)
def submit_compared(run: str, body: ScenarioSource, state: State) -> JSONResponse:
    """Queue the run of another scenario (an overlay, say) with this run's seed and samples,
    to compare with: answered as ``POST /v1/runs``; then ``GET /v1/runs/{run}/compare?with={id}``."""
    base, _ = _result(run, state)
    return submit_spec(RunSpec(state.scenarios.load(body), base.seed, base.samples, state.version), state)


@router.post(
    "/runs/{run}/analyses",
    status_code=202,
    response_model=JobStatus,
    responses={**NOT_FOUND, **NOT_DONE, 303: {"model": JobStatus}, 429: {"model": ErrorBody}},
)
def submit_analysis(run: str, body: AnalysisRequest, state: State) -> JSONResponse:
    """Queue an analysis of a finished run's scenario with its seed (202, ``Location:
    /v1/analyses/{id}``; 303 when the same one is kept): tornado, sobol, delta (of one
    output), marginal values, discover (what leads the output below a threshold), report."""
    spec, result = _result(run, state)
    check_samples(analysis_samples(Subject(spec.loaded, result), body), state)
    analysis = AnalysisSpec(run, spec, body)
    job, new = state.jobs.submit(analysis_id(run, body), "analysis", analysis_work(analysis, result), analysis)
    return submitted(job, new, state, "/v1/analyses")


@router.get("/analyses/{analysis}", response_model=JobStatus, responses=NOT_FOUND)
async def analysis_status(analysis: str, state: State, wait: Wait = 0.0) -> JobStatus:
    """An analysis's status and progress; ``?wait=`` holds the answer until it ends, as for a run."""
    return await waited_status(analysis, "analysis", wait, state)


@router.delete("/analyses/{analysis}", response_model=JobStatus, responses=NOT_FOUND)
def cancel_analysis(analysis: str, state: State) -> JobStatus:
    """Cancel an analysis (between chunks), or forget a finished one."""
    job = state.jobs.cancel(analysis)
    if job is None or job.kind != "analysis":
        raise HTTPException(404, f"no analysis {analysis[:64]!r} is kept")
    return job_status(job, state.jobs.clock())


@router.get(
    "/analyses/{analysis}/results",
    responses={**NOT_FOUND, **NOT_DONE, 200: {"content": {"application/json": {}, ZIP: {}}}},
)
def analysis_results(
    analysis: str,
    state: State,
    file: Annotated[
        Literal["report.html", "report.md", "stackbound.xlsx", "data/annual.csv"] | None,
        Query(description="A report: one of its files in place of the zip"),
    ] = None,
) -> Response:
    """The analysis's document as JSON (``--format json`` of its command), or a report as a
    zip (``?file=`` one of its files: the HTML, the Markdown, the workbook, the annual CSV)."""
    job = kept_job(analysis, "analysis", state)
    if job.status is not Status.DONE:
        reason = f": {job.error}" if job.error else ""
        raise HTTPException(409, f"analysis {analysis} is {job.status.value}{reason}")
    if isinstance(job.value, bytes):
        if file is not None:
            return _report_file(job.value, file, analysis)
        headers = {"Content-Disposition": f'attachment; filename="report-{analysis}.zip"'}
        return Response(job.value, media_type=ZIP, headers=headers)
    if file is not None:
        raise HTTPException(422, "file= is for a report's results only")
    return json_response(job.value)


REPORT_FILES = {
    "report.html": "text/html; charset=utf-8",
    "report.md": "text/markdown; charset=utf-8",
    "stackbound.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "data/annual.csv": "text/csv; charset=utf-8",
}


def _report_file(archive: bytes, name: str, analysis: str) -> Response:
    """One file of a report's zip, as a download."""
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        body = opened.read(name)
    filename = f"report-{analysis[:12]}-{name.replace('/', '-')}"
    return Response(
        body, media_type=REPORT_FILES[name], headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
