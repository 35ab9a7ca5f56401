"""The exception tree of stackbound.

::

    StackboundError            root; the CLI catches it, prints one line each, exits 2
    ├── ScenarioError          a scenario file is wrong; carries every Problem found
    ├── SimulationError        the engine was asked for something it cannot do
    │   └── NotKeptError       a result was asked for what its run did not keep (run --keep)
    ├── OutputError            results could not be written where asked
    └── (serve.jobs)           the HTTP server's job queue, answered as JSON, never printed:
        ├── QueueFullError     the queue is full (429 with Retry-After)
        ├── JobCancelledError  a job was cancelled between chunks
        └── TimeLimitError     a job ran past its time limit

Anything else that escapes is a bug (exit status 1).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "MAX_PROBLEMS",
    "NotKeptError",
    "OutputError",
    "Problem",
    "ScenarioError",
    "SimulationError",
    "StackboundError",
]


class StackboundError(Exception):
    """Root of every error stackbound raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a scenario file, located as precisely as the loader can."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        field = f" {self.path}:" if self.path else ""
        return f"{where}:{field} {self.message}"


MAX_PROBLEMS = 100
"""The most problems a ScenarioError shows; past it, one last problem says how many more."""


class ScenarioError(StackboundError):
    """A scenario is invalid. ``problems`` lists every problem found in the file, sorted
    by position: the first :data:`MAX_PROBLEMS`, then one saying how many were left out."""

    def __init__(self, problems: list[Problem]) -> None:
        ordered = sorted(problems, key=lambda p: (p.file, p.line, p.column, p.path))
        self.problems = ordered[:MAX_PROBLEMS]
        if len(ordered) > MAX_PROBLEMS:
            first = ordered[MAX_PROBLEMS]
            more = f"... and {len(ordered) - MAX_PROBLEMS} more problems not shown (fix these first)"
            self.problems.append(Problem(first.file, first.line, first.column, "", more))
        super().__init__("\n".join(str(p) for p in self.problems))


class SimulationError(StackboundError):
    """The engine cannot run what was asked (e.g. too many samples for exact mode)."""


class NotKeptError(SimulationError):
    """A result was asked for what its run did not keep: per-sample annual values of a run
    with ``keep="none"``, per-sample quarterly values of one without ``quarterly``. The
    message names the ``--keep`` that keeps them."""


class OutputError(StackboundError):
    """Results could not be written."""
