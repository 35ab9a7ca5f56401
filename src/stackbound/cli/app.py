"""The ``stackbound`` command: a thin adapter over the library.

Exit status: 0 success, 2 bad input (every problem printed, no traceback), 130
interrupted, 1 internal error (traceback only with ``--debug``).

Each subcommand is imported only when it is called (:class:`LazyGroup`): ``check`` loads
the scenario loader, not the engine, pandas or SciPy's statistics. The short help of each
command is kept in :data:`COMMANDS` so that ``stackbound --help`` imports none of them.
"""

from __future__ import annotations

import importlib
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import click
import numpy as np

from stackbound.cli.common import DEFAULT_SCENARIO, err
from stackbound.errors import StackboundError

__all__ = ["COMMANDS", "DEFAULT_SCENARIO", "LazyGroup", "app", "main"]

COMMANDS: dict[str, tuple[str, str]] = {
    "bottlenecks": (
        "stackbound.cli.bottlenecks:command",
        "Which constraint binds each product of SCENARIO (default: the embedded default), from when, the output "
        "each limit costs (one more run per limit, with it lifted), stranded dies and HBM stacks, and the runway "
        "left in each stockpile.",
    ),
    "check": (
        "stackbound.cli.check:command",
        "Validate scenario FILES (or built-in names) without running them.",
    ),
    "compare": (
        "stackbound.cli.compare:command",
        "Compare SCENARIOS (files or built-in names) against the first: every headline output by year, as P50 "
        "(P5–P95) of the per-sample difference.",
    ),
    "discover": (
        "stackbound.cli.discover:command",
        "Which combinations of inputs of SCENARIO (default: the embedded default) lead to an outcome, such as 2027 "
        "units below 300k: PRIM boxes with their coverage and density.",
    ),
    "marginal": (
        "stackbound.cli.marginal:command",
        "Marginal values in SCENARIO (default: the embedded default): extra units and H100e per extra HBM stack, "
        "die, wafer start, yield point or package of each input, over the whole horizon and by the year the extra "
        "input arrived.",
    ),
    "register": (
        "stackbound.cli.scenario:register_command",
        "Print the assumptions register of SCENARIO: every input, its value or distribution, unit, source, date "
        "and grade, as Markdown.",
    ),
    "report": (
        "stackbound.cli.report:command",
        "Write the report of SCENARIOS (default: the embedded default and every built-in overlay of it; the first "
        "is the base): report.html, report.md, charts/, stackbound.xlsx, data/.",
    ),
    "run": (
        "stackbound.cli.simulate:run_command",
        "Simulate SCENARIOS (files or built-in names; default: the embedded default) and print annual units, "
        "compute and the binding constraints.",
    ),
    "scenarios": ("stackbound.cli.scenario:scenarios_command", "List the built-in scenarios."),
    "sensitivity": (
        "stackbound.cli.sensitivity:command",
        "Rank the uncertain inputs of SCENARIO by how much they move one annual output (--output METRIC of --group "
        "in --year).",
    ),
    "show": (
        "stackbound.cli.scenario:show_command",
        "Print the resolved SCENARIO: every value with its unit and source.",
    ),
    "validate": (
        "stackbound.cli.simulate:validate_command",
        "Check SCENARIO against published estimates: each case with the model's P5–P50–P95.",
    ),
}
"""Every subcommand: its name, where it is defined (``module:attribute``) and its short
help (the first sentence of its help, as click shortens it; a test keeps them equal)."""


class LazyGroup(click.Group):
    """A command group that imports a subcommand only when it is called, and lists them
    all (``--help``) from their stored short help without importing any."""

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.lazy)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.lazy:
            return None
        module, _, attribute = self.lazy[cmd_name][0].partition(":")
        command = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{module}:{attribute} is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands with their short help, shortened as click shortens a command's own."""
        limit = formatter.width - 6 - max(map(len, self.lazy))
        shown = sorted(self.lazy.items())
        rows = [(name, click.Command(name, help=summary).get_short_help_str(limit)) for name, (_, summary) in shown]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    help="How many AI accelerators can be built, month by month, and which input binds.",
)
@click.version_option(package_name="stackbound")
def app() -> None:
    """The command group."""


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM ends a run as Ctrl-C does: staging removed, exit 130."""
    raise KeyboardInterrupt


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: maps errors to exit statuses (SIGTERM is an interrupt, 130)."""
    args = sys.argv[1:] if argv is None else argv
    # Overflow from extreme inputs shows in the results (null in JSON, 'n/a' in tables, one
    # warning line), not as numpy's raw RuntimeWarnings; worker threads set their own.
    with _sigterm_interrupts(), np.errstate(all="ignore"):
        _main(args)


def _main(args: list[str]) -> None:
    try:
        app(args=args, standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):
        err.print("interrupted")
        sys.exit(130)
    except StackboundError as error:
        for line in str(error).splitlines():
            err.print(line, markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)
    except Exception as error:  # the one place that turns bugs into exit status 1
        if "--debug" in args:
            raise
        err.print(
            f"stackbound: internal error: {type(error).__name__}: {error} (rerun with --debug for details)",
            markup=False,
        )
        sys.exit(1)
