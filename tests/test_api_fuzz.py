"""Schema-driven fuzzing of the HTTP API (issue 12): schemathesis generates requests for
every operation of the served OpenAPI schema, valid and invalid, and no answer may be a
5xx. The server runs with small limits (256 samples a run, a short queue) so that the runs
fuzzing starts stay cheap; ``STACKBOUND_LONG_TESTS=1`` generates ten times as many cases."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from test_api_support import Live, live_server

EXAMPLES = 200 if os.environ.get("STACKBOUND_LONG_TESTS") == "1" else 20
"""Generated cases per operation."""


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[Live]:
    with live_server(max_samples=256, workers=1, queue_size=4, time_limit_seconds=30.0) as server:
        yield server


def _accepted(fuzzed: Live, path: str, body: dict[str, Any]) -> str:
    """The location a POST is answered with, asked again while the queue is full (the cases
    fuzzed before may have filled it)."""
    deadline = time.monotonic() + 60
    answer = fuzzed.client.post(path, json=body)
    while answer.status_code == 429 and time.monotonic() < deadline:
        time.sleep(0.2)
        answer = fuzzed.client.post(path, json=body)
    assert answer.status_code in (202, 303), answer.text
    return answer.headers["location"]


def _real(fuzzed: Live) -> dict[str, str]:
    """Ids that exist: a finished run of ``example``, an analysis of it and a built-in."""
    location = _accepted(fuzzed, "/v1/runs", {"scenario": "example", "samples": 64, "seed": 1})
    assert fuzzed.wait(location)["status"] == "done"
    analysis = _accepted(fuzzed, f"{location}/analyses", {"method": "tornado", "year": 2026})
    return {
        "run": location.rsplit("/", 1)[1],
        "analysis": analysis.rsplit("/", 1)[1],
        "name": "example",
    }


def _fuzz(operation: Any, real: dict[str, str], fuzzed: Live, seen: set[tuple[str, int]]) -> None:
    """Generated cases of one operation; half of them name ids that exist and a built-in
    scenario, so that fuzzing reaches past the 404s and 422s into the handlers."""

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(), existing=st.booleans())
    def no_server_error(case: schemathesis.Case, existing: bool) -> None:
        if existing:
            for key in case.path_parameters or {}:
                case.path_parameters[key] = real.get(key, case.path_parameters[key])
            if isinstance(case.body, dict) and ("scenario" in case.body or "yaml" in case.body):
                case.body.pop("yaml", None)
                case.body["scenario"] = "example"
        response = case.call(base_url=fuzzed.url)
        seen.add((operation.path, response.status_code))
        case.validate_response(response, checks=[not_a_server_error])

    no_server_error()


def test_no_generated_request_gets_a_server_error(fuzzed: Live) -> None:
    """Every operation of the served schema with its own generated cases (the schemathesis
    strategies driven by hypothesis directly: its pytest plugin does not load under pytest 9)."""
    schema = schemathesis.openapi.from_url(f"{fuzzed.url}/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    seen: set[tuple[str, int]] = set()
    for operation in operations:
        _fuzz(operation, _real(fuzzed), fuzzed, seen)  # ids again: a DELETE case may have let the last go
    reached = {path for path, status in seen if status < 400}
    assert len(reached) >= 8, sorted(seen)  # most operations answered some generated case with success
