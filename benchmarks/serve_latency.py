"""Latency of the HTTP API (issue 12): from a lever change to the updated result, and a cache hit.

Starts ``stackbound serve`` as its own process on a free loopback port, then, on ``china`` at
10,000 samples (``--samples``): submits runs that each change one lever (a new scenario
digest, so a new run), waits for each to finish and fetches its results — the latency an
analyst sees after moving a control — and asks again for a run already kept (the cache
hit: ``303`` to the kept run, then its results). It also times the rest of what the workbench
page fetches to draw a finished run (its charts, input histograms, model graph, fan and
held stock), and how soon a run queued behind a running one starts once that one is
cancelled (``DELETE``; ``--cancels``). Prints median and p95 of each, the target
(≤ 1.5 s p95 from a lever change on these 2-core machines), the server's memory (RSS) idle,
at its peak, 1 s after the results are deleted and once the server has been quiet for
``release_after_seconds`` (it hands freed memory back then, not while runs follow), and
the load average beside the figures.
Figures are printed, not asserted. The client waits for a run as the page does, with
``GET /v1/runs/{id}?wait=`` (the answer comes the moment the run ends); ``--poll 0.02``
polls every 20 ms instead, as clients did before ``?wait=``, to compare.

    .venv/bin/python benchmarks/serve_latency.py [--samples 10000] [--changes 8] [--hits 20] [--cancels 5] [--poll 0]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from stackbound.serve.config import ServeConfig

ROOT = Path(__file__).resolve().parents[1]
TARGET_P95 = 1.5
PAGE = ("charts", "inputs", "graph", "fan?metric=units&group=total", "results?metrics=parts_idle,parts_stranded")
"""What the workbench page fetches to draw a finished run, beside its summary."""
LEVER = "tool_controls"
"""A lever of ``china`` that moves its numbers (each change is a new run)."""
WAIT = 10.0
"""Seconds a status request is held while the run goes on (``?wait=``)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _load() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def _wait(client: httpx.Client, location: str, poll: float, timeout: float = 600.0) -> dict[str, object]:
    """The run's last status once it has ended: held by the server (``?wait=``), or polled
    every ``poll`` seconds."""
    deadline = time.monotonic() + timeout
    params = {} if poll > 0 else {"wait": WAIT}
    while time.monotonic() < deadline:
        answer = client.get(location, params=params)
        if answer.status_code == 404:  # forgotten (deleted when done)
            return {"status": "gone"}
        status = answer.json()
        if status["status"] in ("done", "failed", "cancelled"):
            return dict(status)
        time.sleep(poll)
    raise TimeoutError(location)


def _submit(client: httpx.Client, body: dict[str, object]) -> str:
    answer = client.post("/v1/runs", json=body, follow_redirects=False)
    if answer.status_code not in (202, 303):
        raise RuntimeError(f"POST /v1/runs: {answer.status_code} {answer.text[:200]}")
    return answer.headers["location"]


def _status(client: httpx.Client, location: str) -> dict[str, Any]:
    return dict(client.get(location).json())


def _cancel_to_start(client: httpx.Client, samples: int, seed: int, poll: float) -> float:
    """Seconds from the ``DELETE`` of a running run to the start of the run queued behind it
    (jobs run one at a time), polled every 5 ms; both runs are new (their own seeds)."""
    running = _submit(client, {"scenario": "china", "samples": samples, "seed": seed})
    queued = _submit(client, {"scenario": "china", "samples": samples, "seed": seed + 1})
    while _status(client, running)["progress"]["done"] == 0:
        time.sleep(0.005)
    asked = time.perf_counter()
    client.delete(running)
    while _status(client, queued)["status"] == "queued":
        time.sleep(0.005)
    took = time.perf_counter() - asked
    client.delete(queued)
    _wait(client, queued, poll)
    return took


def _percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--changes", type=int, default=8, help="lever changes timed (each a new run)")
    parser.add_argument("--hits", type=int, default=20, help="cache hits timed")
    parser.add_argument("--cancels", type=int, default=5, help="cancels timed (a running run, one queued behind)")
    parser.add_argument("--poll", type=float, default=0.0, help="poll every POLL seconds instead of ?wait= (0)")
    args = parser.parse_args()
    port = _free_port()
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/stackbound"), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ.copy(),
    )
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=600.0) as client:
            for _ in range(300):
                try:
                    if client.get("/v1/scenarios").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            idle = _rss_mb(server.pid)
            # A first run warms the server (imports, compiled kernels): not timed.
            _wait(client, _submit(client, {"scenario": "china", "samples": args.samples}), args.poll)
            changes, pages, peak = [], [], idle
            for k in range(args.changes):
                started = time.perf_counter()
                body = {"scenario": "china", "samples": args.samples, "levers": {LEVER: 0.5 + 0.05 * k}}
                location = _submit(client, body)
                _wait(client, location, args.poll)
                client.get(f"{location}/results").raise_for_status()
                changes.append(time.perf_counter() - started)
                for answer in PAGE:  # what the page asks for after a run, one after another
                    client.get(f"{location}/{answer}").raise_for_status()
                pages.append(time.perf_counter() - started)
                peak = max(peak, _rss_mb(server.pid))
            last = 0.5 + 0.05 * (args.changes - 1)  # the newest run: kept whatever the memory bound
            kept = {"scenario": "china", "samples": args.samples, "levers": {LEVER: last}}
            hits = []
            for _ in range(args.hits):
                started = time.perf_counter()
                answer = client.post("/v1/runs", json=kept, follow_redirects=False)
                if answer.status_code != 303:
                    raise RuntimeError(f"expected a cache hit (303), got {answer.status_code}")
                client.get(f"{answer.headers['location']}/results").raise_for_status()
                hits.append(time.perf_counter() - started)
            deleted = []
            for k in range(args.changes):
                body = {"scenario": "china", "samples": args.samples, "levers": {LEVER: 0.5 + 0.05 * k}}
                deleted.append(_submit(client, body))  # a run let go under the memory bound is run again
                client.delete(deleted[-1])
            for location in deleted:  # one cancelled while running stops at its next chunk
                _wait(client, location, args.poll)
            time.sleep(1.0)
            soon = _rss_mb(server.pid)
            time.sleep(ServeConfig().release_after_seconds + 1.0)  # the server gives memory back once quiet
            after = _rss_mb(server.pid)
            cancels = [_cancel_to_start(client, args.samples, 1_000 + 2 * k, args.poll) for k in range(args.cancels)]
    finally:
        server.terminate()
        server.wait(timeout=30)
    change_mid, change_p95 = _percentiles(changes)
    hit_mid, hit_p95 = _percentiles(hits)
    verdict = "PASS" if change_p95 <= TARGET_P95 else "MISS"
    waited = f"polled every {args.poll:g} s" if args.poll > 0 else "?wait="
    print(f"stackbound serve, china at {args.samples:,} samples, {waited} (load {_load()})")
    print(
        f"  lever change → updated result: median {change_mid:.2f} s, p95 {change_p95:.2f} s "
        f"over {len(changes)} changes (target p95 ≤ {TARGET_P95} s: {verdict})"
    )
    page_mid, page_p95 = _percentiles(pages)
    print(
        f"  lever change → the page's data (results, charts, input histograms, graph, fan, held stock): "
        f"median {page_mid:.2f} s, p95 {page_p95:.2f} s"
    )
    print(
        f"  cache hit (303 + results):     median {1000 * hit_mid:.0f} ms, p95 {1000 * hit_p95:.0f} ms over {len(hits)}"
    )
    if cancels:
        cancel_mid, cancel_p95 = _percentiles(cancels)
        print(
            f"  cancel → the run queued behind starts: median {1000 * cancel_mid:.0f} ms, "
            f"p95 {1000 * cancel_p95:.0f} ms over {len(cancels)}"
        )
    quiet = ServeConfig().release_after_seconds
    print(
        f"  server memory: idle {idle:.0f} MB, peak {peak:.0f} MB, 1 s after deleting the runs {soon:.0f} MB, "
        f"after {quiet:g} s quiet {after:.0f} MB"
    )


if __name__ == "__main__":
    sys.exit(main())
