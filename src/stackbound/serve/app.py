"""The FastAPI app: the guard in front (:mod:`.security`), the routes, and errors as JSON.

Every error is ``{"error": kind, "message": sentence}`` (with ``problems`` for a scenario's);
a bug is logged with its traceback and answered with a generic 500, never the traceback.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from http import HTTPStatus
from typing import cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from stackbound.engine.memory import release_freed_memory
from stackbound.errors import ScenarioError, SimulationError, StackboundError
from stackbound.report.export import package_version
from stackbound.serve.config import ServeConfig
from stackbound.serve.jobs import JobQueue, QueueFullError
from stackbound.serve.scenarios import RecentScenarios, problem_rows
from stackbound.serve.schemas import ErrorBody
from stackbound.serve.security import Guard

__all__ = ["ServeState", "create_app", "serve_state"]

log = logging.getLogger("stackbound.serve")


@dataclass(frozen=True, eq=False)
class ServeState:
    """What the routes share: the settings, the job queue, the version runs are made with
    and the scenarios of the latest requests."""

    config: ServeConfig
    jobs: JobQueue
    version: str
    scenarios: RecentScenarios


def serve_state(request: Request) -> ServeState:
    """The server's state, for a route (a FastAPI dependency)."""
    return cast(ServeState, request.app.state.serve)


def _error(status: int, error: str, message: str, **extra: object) -> JSONResponse:
    body = ErrorBody(error=error, message=message).model_dump() | extra
    return JSONResponse(body, status_code=status)


KINDS = {413: "payload_too_large", 422: "invalid_request"}
"""Error kinds named otherwise than their status's phrase (Python calls 413 'Request Entity Too Large')."""


def _kind(status: int) -> str:
    """``404`` -> ``not_found``: the error kind of a status without a more precise one."""
    return KINDS.get(status) or HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        response = _error(error.status_code, _kind(error.status_code), str(error.detail))
        response.headers.update(error.headers or {})
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        found = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()]
        return _error(422, "invalid_request", "; ".join(found) or "the request is not valid")

    @app.exception_handler(ScenarioError)
    async def invalid_scenario(request: Request, error: ScenarioError) -> JSONResponse:
        problems = [p.model_dump() for p in problem_rows(error.problems)]
        first = str(error.problems[0]) if error.problems else "the scenario is not valid"
        more = f" (and {len(error.problems) - 1} more problems)" if len(error.problems) > 1 else ""
        return _error(422, "invalid_scenario", first + more, problems=problems)

    @app.exception_handler(QueueFullError)
    async def queue_full(request: Request, error: QueueFullError) -> JSONResponse:
        response = _error(429, "queue_full", str(error))
        response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.exception_handler(SimulationError)
    async def cannot_simulate(request: Request, error: SimulationError) -> JSONResponse:
        return _error(422, "cannot_simulate", str(error))

    @app.exception_handler(StackboundError)
    async def refused(request: Request, error: StackboundError) -> JSONResponse:
        return _error(422, "invalid_request", str(error))

    @app.exception_handler(Exception)
    async def internal(request: Request, error: Exception) -> JSONResponse:
        log.exception("internal error answering %s %s", request.method, request.url.path)
        return _error(500, "internal_error", "internal error: the server's log has the details")


def create_app(config: ServeConfig | None = None) -> FastAPI:
    """The API app for ``config`` (default: loopback, port 8765, the default limits)."""
    from stackbound.serve.page import router as page_router
    from stackbound.serve.routes import router
    from stackbound.serve.routes_analyses import router as analyses_router
    from stackbound.serve.routes_views import router as views_router

    settings = config or ServeConfig()
    jobs = JobQueue(
        workers=settings.workers,
        capacity=settings.queue_size,
        time_limit=settings.time_limit_seconds,
        ttl=settings.result_ttl_seconds,
        max_kept=settings.max_results,
        max_bytes=settings.max_result_bytes,
        released=release_freed_memory,
        quiet=settings.release_after_seconds,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.close()

    app = FastAPI(
        title="stackbound",
        version=package_version(),
        summary="How many AI accelerators can be built, month by month, and which input binds.",
        openapi_url="/v1/openapi.json",
        docs_url=None,  # the interactive docs load scripts from a CDN: the server stays offline
        redoc_url=None,
        lifespan=lifespan,
        responses={
            403: {"model": ErrorBody, "description": "Host or Origin refused"},
            413: {"model": ErrorBody, "description": "request body too large"},
            422: {"model": ErrorBody, "description": "invalid request or scenario"},
        },
    )
    app.state.serve = ServeState(settings, jobs, package_version(), RecentScenarios(settings.scenarios_kept))
    _handlers(app)
    app.include_router(router)
    app.include_router(analyses_router)
    app.include_router(views_router)
    app.include_router(page_router)
    app.add_middleware(Guard, config=settings)
    return app
