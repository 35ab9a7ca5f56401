"""Load on a live server, bounded in count and time, and the OpenAPI snapshot.

The normal suite sends 50 concurrent cheap requests and 10 concurrent run submissions;
``STACKBOUND_LONG_TESTS=1`` adds the issue's load test: 200 concurrent cheap requests, 20
concurrent submissions of the China default, the server's memory under 2 GB and back
within 10% of idle once the queue has drained (and its results are deleted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from stackbound.serve import create_app
from stackbound.serve.config import ServeConfig
from test_api_support import Live, free_port, live_server

LONG = os.environ.get("STACKBOUND_LONG_TESTS") == "1"
GOLDEN = Path(__file__).parent / "golden" / "openapi.json"
WRITE = os.environ.get("STACKBOUND_WRITE_OPENAPI") == "1"
REGENERATE = "STACKBOUND_WRITE_OPENAPI=1 .venv/bin/python -m pytest tests/test_api_load.py -k openapi_schema"


CHEAP = {"/v1/scenarios": 200, "/v1/openapi.json": 200, "/v1/runs/unknown": 404, "/v1/scenarios/no-such": 404}
"""Cheap requests and their answers: half of them refusals, which must be as quick and clean."""


def _cheap(url: str, count: int) -> Counter[int]:
    """``count`` GETs at once, each on its own connection: their status codes, less those expected."""
    paths = list(CHEAP)

    def get(i: int) -> int:
        path = paths[i % len(paths)]
        status = httpx.get(url + path, timeout=60).status_code
        return 0 if status == CHEAP[path] else status

    with ThreadPoolExecutor(max_workers=count) as pool:
        return Counter(pool.map(get, range(count)))


def _submissions(url: str, bodies: list[dict[str, object]]) -> list[httpx.Response]:
    def post(body: dict[str, object]) -> httpx.Response:
        return httpx.post(url + "/v1/runs", json=body, timeout=60)

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(post, bodies))


def _drain(server: Live, answers: list[httpx.Response], timeout: float) -> None:
    for answer in answers:
        if answer.status_code in (202, 303):
            assert server.wait(answer.headers["location"], timeout=timeout)["status"] in ("done", "gone")


def test_50_concurrent_cheap_requests_and_10_submissions_are_all_answered() -> None:
    with live_server(queue_size=4) as server:
        assert _cheap(server.url, 50) == Counter({0: 50})
        bodies: list[dict[str, object]] = [{"scenario": "example", "samples": 1_024, "seed": i} for i in range(10)]
        answers = _submissions(server.url, bodies)
        codes = Counter(a.status_code for a in answers)
        assert set(codes) <= {202, 429}
        assert 1 <= codes[202] <= 4
        assert all(int(a.headers["retry-after"]) >= 1 for a in answers if a.status_code == 429)
        _drain(server, answers, timeout=60)


def _memory_bytes(pid: int) -> int:
    """The resident memory of process ``pid``, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for process {pid}")


def _settled_memory(pid: int, goal: float, timeout: float) -> int:
    """The server's memory once it is at most ``goal`` bytes, or when ``timeout`` seconds
    have passed: freed memory goes back once the server has been quiet a while
    (``release_after_seconds``)."""
    deadline = time.monotonic() + timeout
    while (memory := _memory_bytes(pid)) > goal and time.monotonic() < deadline:
        time.sleep(0.5)
    return memory


@contextmanager
def _served_apart() -> Iterator[tuple[Live, int]]:
    """``stackbound serve`` in a process of its own (its memory is the server's alone)."""
    port = free_port()
    code = f"from stackbound.cli.serve import command; command(['--port', '{port}'])"
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    client.get("/v1/scenarios")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "the server did not start"
                    time.sleep(0.2)
            yield Live(f"http://127.0.0.1:{port}", port, create_app(), client), process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def _burst(server: Live, pid: int, seeds: range) -> tuple[Counter[int], int]:
    """20 concurrent submissions of the China default, drained and deleted: their answers'
    codes and the peak memory seen."""
    bodies: list[dict[str, object]] = [{"scenario": "china", "samples": 10_000, "seed": s} for s in seeds]
    answers = _submissions(server.url, bodies)
    peak = _memory_bytes(pid)
    deadline = time.monotonic() + 600
    for answer in answers:
        while answer.status_code == 202 and time.monotonic() < deadline:
            status = server.client.get(answer.headers["location"])
            peak = max(peak, _memory_bytes(pid))
            if status.status_code == 404 or status.json()["status"] == "done":
                break
            time.sleep(0.2)
    for answer in answers:
        if answer.status_code == 202:
            server.client.delete(answer.headers["location"])
    return Counter(a.status_code for a in answers), peak


@pytest.mark.skipif(not LONG, reason="long: set STACKBOUND_LONG_TESTS=1")
def test_the_issues_load_test_200_requests_20_submissions_and_memory() -> None:
    """On a server in its own process (default limits: 8 jobs queued). Idle is the server
    after a first burst like the one measured: its first runs compile kernels and grow the
    allocator's arenas once."""
    with _served_apart() as (server, pid):
        assert _cheap(server.url, 200) == Counter({0: 200})
        _burst(server, pid, range(100, 120))
        time.sleep(ServeConfig().release_after_seconds + 2.0)  # freed memory gone back
        idle = _memory_bytes(pid)
        started = time.monotonic()
        assert _cheap(server.url, 200) == Counter({0: 200})
        codes, peak = _burst(server, pid, range(20))
        after = _settled_memory(pid, idle * 1.10, ServeConfig().release_after_seconds + 15.0)
        print(
            f"load: {codes}, {time.monotonic() - started:.1f} s; idle {idle / 1e6:.0f} MB, "
            f"peak {peak / 1e6:.0f} MB, after {after / 1e6:.0f} MB"
        )
    assert set(codes) <= {202, 429}
    assert codes[202] == 8
    assert peak < 2e9
    assert after <= idle * 1.10


def test_the_served_openapi_schema_is_the_committed_snapshot() -> None:
    with live_server() as server:
        served = server.client.get("/v1/openapi.json").json()
    if WRITE:
        GOLDEN.write_text(json.dumps(served, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    committed = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert served == committed, f"the API's schema changed: if on purpose, regenerate the snapshot with {REGENERATE}"
    assert served == create_app().openapi()


def test_the_schema_documents_every_route() -> None:
    paths = json.loads(GOLDEN.read_text(encoding="utf-8"))["paths"]
    assert set(paths) == {
        "/v1/scenarios",
        "/v1/scenarios/{name}",
        "/v1/check",
        "/v1/runs",
        "/v1/runs/{run}",
        "/v1/runs/{run}/results",
        "/v1/runs/{run}/bottlenecks",
        "/v1/runs/{run}/compare",
        "/v1/runs/{run}/analyses",
        "/v1/analyses/{analysis}",
        "/v1/analyses/{analysis}/results",
        "/v1/about",
        "/v1/runs/{run}/charts",
        "/v1/runs/{run}/fan",
        "/v1/runs/{run}/compare/chart",
        "/v1/runs/{run}/inputs",
        "/v1/runs/{run}/graph",
        "/v1/overlay",
    }
    assert set(paths["/v1/runs/{run}"]) == {"get", "delete"}
