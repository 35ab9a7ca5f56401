"""The settings of one server: where it listens and the limits it keeps."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LOOPBACK", "ServeConfig"]

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
"""Host names that reach this machine only; any other ``--host`` needs a warning."""


@dataclass(frozen=True, kw_only=True)
class ServeConfig:
    """Where the server listens and every limit it enforces (each one tested).

    ``ServeConfig(port=8765, max_samples=20_000)``: any field left out keeps its default.
    """

    host: str = "127.0.0.1"
    port: int = 8765
    max_body_bytes: int = 1_000_000
    """The largest request body read (1 MB); larger ones are answered 413."""
    max_samples: int = 100_000
    """The most Monte Carlo samples one request may ask for."""
    workers: int = 1
    """Jobs simulated at once (each run also uses the engine's own threads)."""
    queue_size: int = 8
    """Jobs queued or running at most; past it a submission is answered 429."""
    time_limit_seconds: float = 600.0
    """A job running longer is stopped at its next chunk and marked failed."""
    result_ttl_seconds: float = 3_600.0
    """How long a finished job and its result are kept."""
    max_results: int = 64
    """Finished jobs kept at most (the oldest go first)."""
    max_result_bytes: int = 500_000_000
    """The memory the kept results may hold (their arrays), at most; the oldest go first.
    A run of ``china`` at 10,000 samples holds about 130 MB; with the engine's own memory
    the server stays under 2 GB."""
    scenarios_kept: int = 16
    """Scenarios of the latest requests kept loaded (about 1 MB each), so that a request asked
    again is not read and validated again."""
    release_after_seconds: float = 15.0
    """Memory that results let go is handed back to the OS once the server has been this
    long with no job running, starting or ending (:mod:`~stackbound.serve.release`): an
    analyst moving levers keeps it for the next run, a server left alone gives it back."""
    chunk_size: int = 1_024
    """Samples simulated between two progress reports (and chances to cancel)."""

    @property
    def loopback(self) -> bool:
        return self.host in LOOPBACK

    def allowed_hosts(self) -> frozenset[str]:
        """The Host headers accepted: the bound address, localhost and 127.0.0.1, with the port."""
        names = {self.host, "localhost", "127.0.0.1", "[::1]"}
        shown = {f"[{n}]" if ":" in n and not n.startswith("[") else n for n in names}
        return frozenset(f"{name}:{self.port}" for name in shown)

    def allowed_origins(self) -> frozenset[str]:
        """The Origin headers a POST or DELETE may carry (none at all is allowed: curl, scripts)."""
        return frozenset(f"http://{host}" for host in self.allowed_hosts())
