"""What every command shares: consoles, scenario loading, progress, common options.

Light on purpose: the command group imports this module, so the scenario loader is imported
when a scenario is loaded (:func:`load`) and the engine (numba) only where a command
simulates (:class:`LazyProgress`, :func:`run_options`), and distributed only where a
command is given ``--executor dask`` (:func:`executor_options`).
"""

from __future__ import annotations

import functools
import os
import shutil
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click
from click.core import ParameterSource
from rich.console import Console, ConsoleDimensions
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from stackbound.engine.keep import DEFAULT_KEEP, KEEP_MODES, Keep, parse_keep
from stackbound.errors import ScenarioError, SimulationError

if TYPE_CHECKING:
    from stackbound.engine.results import RunResult
    from stackbound.scenario.loader import LoadedScenario

__all__ = [
    "ALLOW_OUTSIDE",
    "DEBUG",
    "DEFAULT_SCENARIO",
    "DEFAULT_SEED",
    "FORMAT",
    "FORMAT_CSV",
    "SEED",
    "WIDE",
    "LazyProgress",
    "RenamedOptions",
    "err",
    "executor_options",
    "keep_option",
    "load",
    "out",
    "output_options",
    "run_options",
    "run_with_progress",
    "stdout_width",
]

DEFAULT_SCENARIO = "china"
DEFAULT_SEED = 0
"""Every command's seed unless ``--seed`` is given: the same command prints the same numbers."""
F = TypeVar("F", bound=Callable[..., Any])

WIDE = 160
"""Columns of standard output that is neither a terminal nor given ``COLUMNS`` (a file, a memo)."""


def stdout_width(is_terminal: bool) -> int:
    """The columns standard output is laid out for: ``COLUMNS`` when set (read at each
    print, so a script or a test may set it), else the terminal's, else :data:`WIDE`."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return shutil.get_terminal_size().columns if is_terminal else WIDE


class _Stdout(Console):
    """Standard output, as wide as :func:`stdout_width` says when it prints."""

    @property
    def size(self) -> ConsoleDimensions:
        return ConsoleDimensions(stdout_width(self.is_terminal), super().size.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        raise AttributeError("standard output is as wide as COLUMNS or the terminal says")


# No emoji codes (":fire:", "line100" -> 💯) and no highlighting: what is printed is the text.
err = Console(stderr=True, emoji=False, highlight=False)
out = _Stdout(emoji=False, highlight=False)
DEBUG = click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
FORMAT = click.option(
    "--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True
)
FORMAT_CSV = click.option(
    "--format", "output_format", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True
)
"""``--format`` of commands whose result is one table, so CSV is offered too."""
SEED = click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=DEFAULT_SEED,
    show_default=True,
    help="Random seed (recorded in the output). Every command defaults to 0, so the same command gives the "
    "same numbers; another seed draws another sample.",
)


def chunk_size_option(default: int) -> Callable[[F], F]:
    """``--chunk-size`` (the engine's ``DEFAULT_CHUNK_SIZE`` as ``default``: passed in, so
    this module does not import the engine)."""
    return click.option(
        "--chunk-size",
        type=click.IntRange(min=1),
        default=default,
        show_default=True,
        help="Samples simulated at once (bounds memory); results do not depend on it.",
    )


KEEP_HELP = (
    "What each run keeps per sample: annual,quarterly (annual and quarterly totals, which the paired analyses "
    "read), annual (quarterly percentiles then come from histograms, within 1.2%), or none (the least memory: "
    "no per-sample values, yet every annual mean and P5/P50/P95 is still printed, the percentiles from "
    "histograms within 1.2%; not with --all-scenarios)."
)


def keep_option(pairs: str | None = None) -> Callable[[F], F]:
    """``--keep MODES`` (:mod:`~stackbound.engine.keep`), given to the command as ``keep``.
    A command that pairs samples says what it pairs (``pairs``, a clause such as "compare
    pairs every sample with the same sample of the base") and refuses ``none``."""

    def parse(ctx: click.Context, param: click.Parameter, value: str) -> Keep:
        try:
            keep = parse_keep(value)
        except SimulationError:
            raise click.BadParameter(f"{value!r} is not one of {', '.join(repr(m) for m in KEEP_MODES)}") from None
        if pairs is not None and keep == "none":
            raise click.BadParameter(
                f"none keeps no per-sample values, and {pairs}: use --keep annual (or leave --keep out)"
            )
        return keep

    modes = KEEP_MODES if pairs is None else tuple(m for m in KEEP_MODES if m != "none")
    return click.option(
        "--keep",
        default=DEFAULT_KEEP,
        show_default=True,
        metavar="|".join(modes),
        callback=parse,
        help=KEEP_HELP
        if pairs is None
        else f"What each run keeps per sample (see `stackbound run --help`); {pairs}, so none is refused.",
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
    command that simulates makes one, so it also gives the kernel-cache warning. Use it as
    a context manager: the bar is stopped however the work ends."""

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

    def __enter__(self) -> LazyProgress:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class RenamedOptions(click.Command):
    """A command that still accepts the old names of renamed options (``renamed``: old
    name → new name), without listing them in its help."""

    def __init__(self, *args: Any, renamed: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.renamed = renamed

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, [self._new_name(arg) for arg in args])

    def _new_name(self, arg: str) -> str:
        name, equals, value = arg.partition("=")
        return self.renamed[name] + equals + value if name in self.renamed else arg


def output_options(purpose: str, *, default_metric: str | None = None, year: str = "") -> Callable[[F], F]:
    """``--output METRIC``, ``--group GROUP`` and ``--year YEAR``: the one annual output an
    analysis reads, named alike in every command. ``purpose`` ends the metric's help ("to
    explain"); with ``default_metric`` the output and year are optional (the year defaults
    to the horizon's last), else both are required; ``year`` adds to the year's help."""
    required = default_metric is None
    # A default, even None, would satisfy ``required`` (click 8.3): give one only when optional.
    metric_default: dict[str, Any] = {} if required else {"default": default_metric, "show_default": True}

    def decorate(function: F) -> F:
        function = click.option(
            "--year",
            type=int,
            required=required,
            metavar="YEAR",
            help="Year of the output" + ("" if required else " (default: the horizon's last)") + f"{year}.",
        )(function)
        function = click.option(
            "--group",
            default="total",
            show_default=True,
            metavar="GROUP",
            help="Product, vendor, origin or component the output is read for, or total.",
        )(function)
        return click.option(
            "--output",
            "metric",
            required=required,
            metavar="METRIC",
            **metric_default,
            help=f"Annual output {purpose}, e.g. units, compute_added_h100e or hbm_stacks_consumed.",
        )(function)

    return decorate


def run_options(function: F) -> F:
    """``--samples`` and ``--seed`` as every command that runs a scenario takes them."""
    from stackbound.engine.run import DEFAULT_SAMPLES  # imported here: ``check`` does not load the engine

    function = SEED(function)
    return click.option(
        "--samples", type=click.IntRange(min=1), default=DEFAULT_SAMPLES, show_default=True, help="Monte Carlo samples."
    )(function)


def executor_options(function: F) -> F:
    """``--executor`` and ``--scheduler``, as every command that runs a scenario takes them.
    The command is called with ``executor``: None for local (threads of this process), else
    an executor opened for the length of the command (a process pool, a Dask client and the
    local cluster it started), closed however the command ends."""
    from stackbound.engine.executors import EXECUTORS  # imported here: ``check`` does not load the engine

    @functools.wraps(function)
    def command(*args: Any, executor: str, scheduler: str | None, **kwargs: Any) -> Any:
        from stackbound.engine.executors import open_executor

        if scheduler is not None and executor != "dask":
            if click.get_current_context().get_parameter_source("executor") != ParameterSource.DEFAULT:
                raise click.UsageError(f"--scheduler is for --executor dask, not {executor}")
            executor = "dask"
        with open_executor(executor, scheduler) as opened:
            return function(*args, executor=opened, **kwargs)

    command = click.option(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="Address of a running Dask scheduler (tcp://host:8786) to simulate on; implies --executor dask.",
    )(command)
    return click.option(
        "--executor",
        type=click.Choice(EXECUTORS),
        default="local",
        show_default=True,
        help="Where the chunks of samples are simulated: local (threads of this process), processes (one worker "
        "process per core) or dask (a local Dask cluster, or the one at --scheduler). Results are bit-identical.",
    )(command)  # type: ignore[return-value]  # click's decorators keep the signature click sees


def run_with_progress(loaded: LoadedScenario, label: str | None = None, **options: Any) -> RunResult:
    """``run(loaded, **options)`` behind a progress bar that appears after a second."""
    from stackbound.engine.run import run

    with LazyProgress(label or loaded.name) as progress:
        return run(loaded, progress=progress, **options)
