"""The routes the page draws from (usable by any client): the server's version and limits,
a run's charts as plotly JSON, fans of any metric, paired differences as a chart, the
inputs' draws as histograms, the model graph, and the current state as an overlay file."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Response

from stackbound.engine.results import RunResult
from stackbound.scenario.loader import LoadedScenario
from stackbound.serve.app import ServeState, serve_state
from stackbound.serve.jobs import Job
from stackbound.serve.routes import NOT_DONE, NOT_FOUND, finished_run
from stackbound.serve.scenarios import scenario_view
from stackbound.serve.schemas import About, ScenarioSource
from stackbound.serve.tables import kept_json
from stackbound.serve.views import (
    comparison_chart,
    fan_chart,
    graph_view,
    input_histograms,
    overlay_text,
    run_charts,
    series,
)

__all__ = ["router"]

router = APIRouter(prefix="/v1")
State = Annotated[ServeState, Depends(serve_state)]
Lang = Literal["en", "nl"]
DONE = {**NOT_FOUND, **NOT_DONE}


@router.get("/about", response_model=About)
def about(state: State) -> About:
    """The server's stackbound version (a shared link names the version it was made with)
    and the limits a client must keep to."""
    config = state.config
    return About(version=state.version, max_samples=config.max_samples, max_body_bytes=config.max_body_bytes)


def _run(run: str, state: ServeState) -> tuple[Job, LoadedScenario, RunResult]:
    """A finished run: its job (where answers are kept), its scenario and its result."""
    job, loaded = finished_run(run, state)
    assert isinstance(job.value, RunResult)
    return job, loaded, job.value


@router.get("/runs/{run}/charts", responses=DONE)
def run_chart_list(run: str, state: State, lang: Lang = "en") -> Response:
    """The report's charts of the run as plotly JSON (``{"charts": [{key, title, data,
    layout, config}]}``, each drawn with ``Plotly.react``), and the metrics and groups a fan
    can show (``series``)."""
    job, loaded, result = _run(run, state)
    return kept_json(
        job.answers,
        ("charts", lang),
        lambda: {"charts": run_charts(loaded, result, state.version, lang), "series": series(result)},
    )


@router.get("/runs/{run}/fan", responses={**DONE, 422: {"description": "unknown metric or group"}})
def run_fan(
    run: str,
    state: State,
    metric: str = "units",
    group: str = "total",
    by: Literal["year", "month"] = "year",
    other: Annotated[str | None, Query(alias="with", description="A run to draw as a P50 line beside")] = None,
    name: Annotated[str | None, Query(max_length=80, description="This run's name in the legend")] = None,
    with_name: Annotated[str | None, Query(max_length=80, description="The other run's name in the legend")] = None,
    lang: Lang = "en",
) -> Response:
    """A fan chart of one metric of one group, per year or month: P50 with its P5–P95 band,
    and another run's P50 (a pinned baseline) as a line."""
    job, _, result = _run(run, state)
    results = [result] + ([_run(other, state)[2]] if other else [])
    known = series(result)
    if metric not in known or group not in known[metric]["groups"]:
        raise HTTPException(422, f"no series {metric[:64]!r} of {group[:64]!r} in this run")
    if by == "month" and group not in known[metric]["monthly"]:
        raise HTTPException(422, f"{metric} of {group} is kept per year only")
    names = () if name is None else (name, with_name) if other and with_name else (name,)
    key = ("fan", metric, group, by, other, names, lang)
    return kept_json(job.answers, key, lambda: fan_chart(results, metric, group, by, lang, state.version, names))


@router.get("/runs/{run}/compare/chart", responses={**DONE, 422: {"description": "runs not paired"}})
def run_compare_chart(
    run: str,
    state: State,
    other: Annotated[str, Query(alias="with", description="The id of a run with the same seed and samples")],
    metric: str = "units",
    group: str = "total",
    lang: Lang = "en",
) -> Response:
    """The paired differences of another run against this one in ``metric`` of ``group``
    per year (P50 and P5–P95 of the per-sample differences) as plotly JSON."""
    job, _, base = _run(run, state)
    result = _run(other, state)[2]
    key = ("compare-chart", other, metric, group, lang)
    try:
        return kept_json(job.answers, key, lambda: comparison_chart(base, result, metric, group, lang, state.version))
    except KeyError as error:
        raise HTTPException(422, str(error.args[0])) from None


@router.get("/runs/{run}/inputs", responses=DONE)
def run_inputs(run: str, state: State, bins: Annotated[int, Query(ge=4, le=100)] = 24) -> Response:
    """Each uncertain input's draws in the run as a histogram (``bins`` equal bins from its
    P0.5 to P99.5, the tails in the outer bins), with P5, P50, P95 and the mean."""
    job, loaded, result = _run(run, state)
    return kept_json(job.answers, ("inputs", bins), lambda: {"inputs": input_histograms(loaded, result, bins)})


@router.get("/runs/{run}/graph", responses=DONE)
def run_graph(run: str, state: State) -> Response:
    """The model as a graph: nodes (sources, components, variants, packaging lines) with
    their inputs' field paths and how often each binds in the run, edges labelled with the
    bills, and the Sankey chart of it as plotly JSON."""
    job, loaded, result = _run(run, state)

    def make() -> dict[str, Any]:
        fields = [row.field for row in scenario_view(loaded).inputs]
        return graph_view(loaded, result, fields)

    return kept_json(job.answers, ("graph",), make)


@router.post("/overlay", responses={200: {"content": {"application/yaml": {}}}})
def overlay(body: ScenarioSource) -> Response:
    """The scenario and changes of a request as a file to keep: for a built-in, an overlay
    of only the changes; for uploaded text, that text with the changes (422 with every
    problem when it does not load)."""
    text = overlay_text(body)
    name = body.scenario or "scenario"
    headers = {"Content-Disposition": f'attachment; filename="{name}-overlay.yaml"'}
    return Response(text.encode("utf-8"), media_type="application/yaml", headers=headers)
