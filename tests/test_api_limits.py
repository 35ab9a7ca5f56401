"""Every limit and every security check of the API, each against a live server with the
limit set low: Host and Origin refusals, no CORS, body size, samples, the queue (429 with
Retry-After), cancel between chunks, the time limit, result expiry, the memory bound, and
status requests held until a job ends (``?wait=``: at once when it ends, never past the
wait asked for nor 30 s, holding no thread)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from test_api_support import Live, live_server

LONG = {"scenario": "china", "samples": 60_000, "seed": 1}
"""A run of many chunks (about 10 s on two cores): long enough to cancel or queue behind."""


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    with live_server(max_samples=5_000, max_body_bytes=10_000) as server:
        yield server


# ------------------------------------------------------------------ Host, Origin, CORS


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1", "localhost:1", "127.0.0.1.evil.example:{port}", ""])
def test_a_foreign_host_header_is_refused(live: Live, host: str) -> None:
    answer = live.client.get("/v1/scenarios", headers={"host": host.format(port=live.port)})
    assert answer.status_code == 403
    assert answer.json()["error"] == "forbidden_host"


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}"])
def test_the_servers_own_host_names_pass(live: Live, host: str) -> None:
    assert live.client.get("/v1/scenarios", headers={"host": host.format(port=live.port)}).status_code == 200


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://localhost:1", "https://127.0.0.1:{port}"])
@pytest.mark.parametrize(("method", "path"), [("POST", "/v1/runs"), ("POST", "/v1/check"), ("DELETE", "/v1/runs/x")])
def test_a_post_or_delete_from_a_foreign_origin_is_refused(live: Live, origin: str, method: str, path: str) -> None:
    headers = {"origin": origin.format(port=live.port)}
    answer = live.client.request(method, path, headers=headers, json={"yaml": "stackbound: 1\n"})
    assert answer.status_code == 403
    assert answer.json()["error"] == "forbidden_origin"


def test_the_servers_own_origin_and_no_origin_may_post(live: Live) -> None:
    body = {"yaml": "stackbound: 1\nextends: example\n"}
    for headers in ({"origin": f"http://localhost:{live.port}"}, {"origin": f"http://127.0.0.1:{live.port}"}, {}):
        assert live.client.post("/v1/check", json=body, headers=headers).json()["ok"] is True


def test_no_cors_headers_not_even_for_a_preflight(live: Live) -> None:
    origin = {"origin": "http://evil.example"}
    answers = [
        live.client.get("/v1/scenarios", headers=origin),
        live.client.options("/v1/runs", headers={**origin, "access-control-request-method": "POST"}),
        live.client.post("/v1/runs", headers=origin, json={}),
    ]
    for answer in answers:
        assert not [h for h in answer.headers if h.lower().startswith("access-control-")]
    assert answers[1].status_code in (403, 405)


# ------------------------------------------------------------------ sizes and samples


def test_a_body_over_the_limit_is_413_before_it_is_read(live: Live) -> None:
    text = "stackbound: 1\n" + "# padding\n" * 2_000
    answer = live.client.post("/v1/check", json={"yaml": text})
    assert answer.status_code == 413
    assert answer.json() == {
        "error": "payload_too_large",
        "message": "the request body is larger than the limit of 10,000 bytes",
        "problems": [],
    }


def test_a_chunked_body_over_the_limit_is_413(live: Live) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"yaml": "'
        for _ in range(50):
            yield b"x" * 1_000
        yield b'"}'

    answer = live.client.post("/v1/check", content=chunks(), headers={"content-type": "application/json"})
    assert answer.status_code == 413
    assert answer.json()["error"] == "payload_too_large"


def test_the_default_body_limit_is_one_megabyte() -> None:
    with live_server() as server:
        just = server.client.post("/v1/check", json={"yaml": "#" * 900_000})
        over = server.client.post("/v1/check", json={"yaml": "#" * 1_000_001})
    assert just.status_code == 200
    assert over.status_code == 413


def test_samples_over_the_cap_are_refused(live: Live) -> None:
    answer = live.client.post("/v1/runs", json={"scenario": "example", "samples": 5_001})
    assert answer.status_code == 422
    assert answer.json()["message"] == "samples must be at most 5,000 on this server, got 5,001"
    assert live.client.post("/v1/runs", json={"scenario": "example", "samples": 10**9}).status_code == 422
    assert live.client.post("/v1/runs", json={"scenario": "example", "samples": 0}).status_code == 422


def test_analysis_samples_are_capped_too(live: Live) -> None:
    location = live.client.post("/v1/runs", json={"scenario": "example", "samples": 1_024}).headers["location"]
    live.wait(location)
    answer = live.client.post(f"{location}/analyses", json={"method": "marginal", "samples": 5_001})
    assert answer.status_code == 422
    assert "at most 5,000" in answer.json()["message"]


# ------------------------------------------------------------------ the queue and cancel


def test_a_full_queue_is_429_with_retry_after_and_cancel_stops_a_run_between_chunks() -> None:
    with live_server(queue_size=2, max_samples=100_000) as server:
        first = server.client.post("/v1/runs", json=LONG).headers["location"]
        second = server.client.post("/v1/runs", json={**LONG, "seed": 2}).headers["location"]
        refused = server.client.post("/v1/runs", json={**LONG, "seed": 3})
        assert refused.status_code == 429
        assert refused.json()["error"] == "queue_full"
        assert int(refused.headers["retry-after"]) >= 1
        assert server.client.delete(second).json()["status"] == "cancelled"  # queued: at once
        running = server.wait_running(first)
        assert running["status"] == "running"
        asked = time.monotonic()
        server.client.delete(first)
        stopped = server.wait(first, timeout=10)
        assert stopped["status"] == "cancelled"
        assert time.monotonic() - asked < 5
        assert stopped["progress"]["done"] < LONG["samples"]
        assert server.client.get(f"{first}/results").status_code == 409
        again = server.client.post("/v1/runs", json={**LONG, "seed": 3})
        assert again.status_code == 202  # places are free again
        server.client.delete(again.headers["location"])


def test_a_run_queued_behind_a_cancelled_one_runs_once_it_stops() -> None:
    """One job at a time: the run queued behind starts when the cancelled one has stopped
    (its chunks under way finished, those only submitted dropped), and runs to the end."""
    with live_server(max_samples=100_000) as server:
        first = server.client.post("/v1/runs", json=LONG).headers["location"]
        queued = server.client.post("/v1/runs", json={**LONG, "samples": 2_048, "seed": 2}).headers["location"]
        server.wait_running(first)
        assert server.client.get(queued).json()["status"] == "queued"
        server.client.delete(first)
        done = server.wait(queued, timeout=60)
        stopped = server.client.get(first).json()
        assert stopped["status"] == "cancelled"
        assert stopped["progress"]["done"] < LONG["samples"]
        assert done["status"] == "done"
        assert done["progress"]["done"] == 2_048
        assert server.client.get(f"{queued}/results").status_code == 200


def test_a_cancelled_run_asked_again_runs_again() -> None:
    with live_server(max_samples=100_000) as server:
        location = server.client.post("/v1/runs", json=LONG).headers["location"]
        server.wait_running(location)
        server.client.delete(location)
        assert server.wait(location)["status"] == "cancelled"
        again = server.client.post("/v1/runs", json=LONG)
        assert again.status_code == 202
        assert again.headers["location"] == location
        server.client.delete(location)


def test_a_job_past_the_time_limit_is_stopped_and_failed() -> None:
    with live_server(time_limit_seconds=0.2, max_samples=100_000) as server:
        location = server.client.post("/v1/runs", json=LONG).headers["location"]
        status = server.wait(location, timeout=20)
    assert status["status"] == "failed"
    assert status["error"] == "the job ran past the time limit of 0.2 s and was stopped"
    assert status["progress"]["done"] < LONG["samples"]


def test_results_expire_after_their_time() -> None:
    with live_server(result_ttl_seconds=0.5) as server:
        location = server.client.post("/v1/runs", json={"scenario": "example", "samples": 1_024}).headers["location"]
        assert server.wait(location)["status"] == "done"
        assert server.client.get(f"{location}/results").status_code == 200
        time.sleep(0.8)
        gone = server.client.get(f"{location}/results")
        assert gone.status_code == 404
        assert "expired" in gone.json()["message"]


def test_results_are_kept_within_the_memory_bound_oldest_first() -> None:
    with live_server(max_result_bytes=1) as server:
        first = server.client.post("/v1/runs", json={"scenario": "example", "samples": 1_024}).headers["location"]
        assert server.wait(first)["status"] == "done"
        assert server.client.get(first).status_code == 200  # the newest is always kept
        second = server.client.post("/v1/runs", json={"scenario": "example", "samples": 1_025}).headers["location"]
        assert server.wait(second)["status"] == "done"
        assert server.client.get(first).status_code == 404
        assert server.client.get(f"{second}/results").status_code == 200


def test_results_are_kept_within_the_count_bound() -> None:
    with live_server(max_results=2) as server:
        locations = []
        for seed in range(3):
            body = {"scenario": "example", "samples": 1_024, "seed": seed}
            locations.append(server.client.post("/v1/runs", json=body).headers["location"])
            server.wait(locations[-1])
        kept = [server.client.get(location).status_code for location in locations]
    assert kept == [404, 200, 200]


def test_a_finished_run_is_forgotten_on_delete() -> None:
    with live_server() as server:
        location = server.client.post("/v1/runs", json={"scenario": "example", "samples": 1_024}).headers["location"]
        server.wait(location)
        assert server.client.delete(location).json()["status"] == "done"
        assert server.client.get(location).status_code == 404
        assert server.client.delete(location).status_code == 404


# ------------------------------------------------------------------ held status requests (?wait=)


def _held(url: str, location: str, wait: float) -> tuple[dict[str, Any], float]:
    """A status asked with ``?wait=`` on a connection of its own, and the seconds it took."""
    asked = time.monotonic()
    answer = httpx.get(url + location, params={"wait": wait}, timeout=60)
    return answer.json(), time.monotonic() - asked


def test_a_held_status_comes_the_moment_the_run_ends() -> None:
    with live_server() as server:
        location = server.client.post("/v1/runs", json={"scenario": "example", "samples": 4_096}).headers["location"]
        status, took = _held(server.url, location, 30)
        assert status["status"] == "done"
        assert took < status["elapsed_seconds"] + 2.0  # not the 30 s asked for
        again, took = _held(server.url, location, 30)  # a finished run: at once
        assert again["status"] == "done"
        assert took < 1.0


def test_a_held_status_comes_when_the_wait_is_over_with_the_progress_so_far() -> None:
    with live_server(max_samples=100_000) as server:
        location = server.client.post("/v1/runs", json=LONG).headers["location"]
        server.wait_running(location)
        status, took = _held(server.url, location, 0.5)
        assert status["status"] == "running"
        assert 0 < status["progress"]["done"] < LONG["samples"]
        assert 0.5 <= took < 3.0
        server.client.delete(location)


def test_a_held_status_comes_at_once_when_its_job_is_cancelled() -> None:
    with live_server(max_samples=100_000) as server:
        first = server.client.post("/v1/runs", json=LONG).headers["location"]
        queued = server.client.post("/v1/runs", json={**LONG, "seed": 2}).headers["location"]
        server.wait_running(first)
        with ThreadPoolExecutor(max_workers=2) as pool:
            held = [pool.submit(_held, server.url, location, 30) for location in (first, queued)]
            time.sleep(0.5)
            asked = time.monotonic()
            server.client.delete(queued)
            server.client.delete(first)
            answers = [future.result(timeout=30)[0] for future in held]
            assert time.monotonic() - asked < 10  # between two chunks, never the 30 s
        assert [answer["status"] for answer in answers] == ["cancelled", "cancelled"]


def test_held_status_requests_hold_no_thread_of_the_server() -> None:
    """More clients waiting than the server has threads for its other routes (40): those
    are still answered at once."""
    with live_server(max_samples=100_000) as server:
        location = server.client.post("/v1/runs", json={**LONG, "samples": 100_000}).headers["location"]
        server.wait_running(location)
        with ThreadPoolExecutor(max_workers=50) as pool:
            held = [pool.submit(_held, server.url, location, 5) for _ in range(50)]
            time.sleep(1.0)
            asked = time.monotonic()
            assert server.client.get("/v1/scenarios").status_code == 200
            assert server.client.post("/v1/check", json={"yaml": "stackbound: 1\nextends: example\n"}).json()["ok"]
            assert time.monotonic() - asked < 3.0  # not after the 5 s the others wait
            answers = [future.result(timeout=30) for future in held]
        assert all(status["status"] == "done" or took >= 5.0 for status, took in answers)  # at the end, or the wait's
        server.client.delete(location)


@pytest.mark.parametrize("wait", ["-1", "30.5", "nan", "inf", "soon"])
def test_a_wait_outside_0_to_30_seconds_is_refused(live: Live, wait: str) -> None:
    for path in ("/v1/runs/0123", "/v1/analyses/0123"):
        answer = live.client.get(path, params={"wait": wait})
        assert answer.status_code == 422
        assert answer.json()["message"].startswith("query.wait: ")


def test_a_held_analysis_status_comes_when_it_ends(live: Live) -> None:
    location = live.client.post("/v1/runs", json={"scenario": "example", "samples": 1_024}).headers["location"]
    live.wait(location)
    analysis = live.client.post(f"{location}/analyses", json={"method": "tornado"}).headers["location"]
    status, took = _held(live.url, analysis, 30)
    assert status["status"] == "done"
    assert took < status["elapsed_seconds"] + 2.0


@pytest.mark.parametrize(
    ("args", "host", "warned"),
    [([], "127.0.0.1", False), (["--host", "localhost"], "localhost", False), (["--host", "0.0.0.0"], "0.0.0.0", True)],
)
def test_serve_binds_loopback_by_default_and_warns_elsewhere(
    monkeypatch: pytest.MonkeyPatch, args: list[str], host: str, warned: bool
) -> None:
    import uvicorn
    from click.testing import CliRunner

    from stackbound.cli.serve import command

    calls: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append(options))
    outcome = CliRunner().invoke(command, [*args, "--port", "9911"])
    assert outcome.exit_code == 0, outcome.output
    assert calls == [{"host": host, "port": 9911, "log_level": "warning"}]
    assert ("no authentication" in outcome.output) is warned
