"""A live ``stackbound serve`` app on loopback for the API tests: uvicorn in a thread of the
test process, on a free port, with the limits a test asks for."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from stackbound.serve import ServeConfig, create_app

START_SECONDS = 20.0
DONE = frozenset({"done", "failed", "cancelled"})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Live:
    """A running server: its address, a client for it and its app."""

    url: str
    port: int
    app: FastAPI
    client: httpx.Client

    def wait(self, location: str, timeout: float = 60.0) -> dict[str, Any]:
        """Poll a job until it has finished; its last status (``{"status": "gone"}``: it
        finished and was already let go, under the bounds on results kept)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            answer = self.client.get(location)
            if answer.status_code == 404:
                return {"status": "gone"}
            status: dict[str, Any] = answer.json()
            if status["status"] in DONE:
                return status
            time.sleep(0.05)
        raise AssertionError(f"{location} did not finish in {timeout} s")

    def wait_running(self, location: str, timeout: float = 30.0) -> dict[str, Any]:
        """Poll a job until it has simulated its first chunk."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status: dict[str, Any] = self.client.get(location).json()
            if (status["status"] != "queued" and status["progress"]["done"] > 0) or status["status"] in DONE:
                return status
            time.sleep(0.02)
        raise AssertionError(f"{location} did not start in {timeout} s")


@contextmanager
def live_server(app: FastAPI | None = None, port: int | None = None, **limits: Any) -> Iterator[Live]:
    """Serve ``app`` (default: ``create_app`` with ``limits``) on ``port`` (default: a free one) of loopback."""
    port = port if port is not None else free_port()
    served = app if app is not None else create_app(ServeConfig(port=port, **limits))
    server = uvicorn.Server(uvicorn.Config(served, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_SECONDS
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=60.0) as client:
            yield Live(url, port, served, client)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
