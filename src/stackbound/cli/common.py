"""What every command shares: consoles, scenario loading, progress, common options.

Light on purpose: the command group imports this module, so the scenario loader is imported
when a scenario is loaded (:func:`load`) and the engine (numba) only where a command
simulates (:class:`LazyProgress`, :func:`run_options`).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from stackbound.errors import ScenarioError

if TYPE_CHECKING:
    from stackbound.scenario.loader import LoadedScenario

__all__ = [
    "ALLOW_OUTSIDE",
    "DEBUG",
    "DEFAULT_SCENARIO",
    "FORMAT",
    "LazyProgress",
    "err",
    "load",
    "out",
    "run_options",
]

DEFAULT_SCENARIO = "china"
F = TypeVar("F", bound=Callable[..., Any])

# No emoji codes (":fire:", "line100" -> 💯) and no highlighting: what is printed is the text.
err = Console(stderr=True, emoji=False, highlight=False)
out = Console(emoji=False, highlight=False)
if not out.is_terminal:  # piped into a file or a memo: wide enough for a five-year table
    out = Console(width=160, emoji=False, highlight=False)
DEBUG = click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
FORMAT = click.option(
    "--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True
)
ALLOW_OUTSIDE = click.option(
    "--allow-outside",
    is_flag=True,
    help="Let `extends` read files outside the scenario's folder and the working directory.",
)


def load(refs: list[str], allow_outside: bool = False) -> list[LoadedScenario]:
    """Load every scenario, gathering all problems of all files before failing; warnings
    go to stderr (escaped: names are the user's text, not markup)."""
    from stackbound.scenario.loader import load_scenario  # imported here: --help and --version build no schema

    loaded, problems = [], []
    for ref in refs:
        try:
            loaded.append(load_scenario(ref, allow_outside=allow_outside))
        except ScenarioError as error:
            problems.extend(error.problems)
    if problems:
        raise ScenarioError(problems)
    for scenario in loaded:
        for warning in scenario.warnings:
            err.print(f"[yellow]warning[/yellow] {escape(scenario.name)}: {escape(warning)}", soft_wrap=True)
    return loaded


@functools.cache
def warn_about_kernel_cache() -> None:
    """Print, once per process, why compiled kernels are not cached (if they are not)."""
    from stackbound.engine import compiled  # imported here: only commands that simulate load numba

    if compiled.WARNING is not None:
        err.print(compiled.WARNING, markup=False, soft_wrap=True)


class LazyProgress:
    """A progress bar that appears only once a run has taken more than a second. Every
    command that simulates makes one, so it also gives the kernel-cache warning."""

    def __init__(self, label: str) -> None:
        warn_about_kernel_cache()
        self.label, self.started = escape(label), time.perf_counter()  # the bar reads markup
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None and time.perf_counter() - self.started > 1.0 and err.is_terminal:
            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed:,}/{task.total:,}"),
                TimeRemainingColumn(),
                console=err,
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=total)
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, completed=done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def run_options(function: F) -> F:
    """``--samples`` and ``--seed`` as every analysis command takes them."""
    from stackbound.engine.run import DEFAULT_SAMPLES  # imported here: ``check`` does not load the engine

    function = click.option(
        "--seed",
        type=click.IntRange(min=0),
        default=0,
        show_default=True,
        help="Random seed; the same seed gives the same numbers.",
    )(function)
    return click.option(
        "--samples", type=click.IntRange(min=1), default=DEFAULT_SAMPLES, show_default=True, help="Monte Carlo samples."
    )(function)
