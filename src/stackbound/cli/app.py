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
        "Which constraint binds each product, from when, and its cost.",
    ),
    "check": ("stackbound.cli.check:command", "Validate scenario files without running them."),
    "compare": ("stackbound.cli.compare:command", "Compare scenarios with the first, paired sample by sample."),
    "discover": ("stackbound.cli.discover:command", "Which combinations of inputs lead to an outcome (PRIM boxes)."),
    "foresight": (
        "stackbound.cli.foresight:command",
        "The most each sample could have built, with perfect foresight.",
    ),
    "ledger": ("stackbound.cli.ledger:command", "What every part's account made, gave, lost and holds, by year."),
    "marginal": ("stackbound.cli.marginal:command", "Extra units and H100e per extra unit of each supply input."),
    "register": (
        "stackbound.cli.scenario:register_command",
        "Print the assumptions register of a scenario, as Markdown.",
    ),
    "report": ("stackbound.cli.report:command", "Write the full report: HTML, Markdown, charts, Excel, data."),
    "run": ("stackbound.cli.simulate:run_command", "Simulate scenarios: annual units, compute, binding constraints."),
    "scenarios": ("stackbound.cli.scenario:scenarios_command", "List the built-in scenarios, each with its story."),
    "serve": ("stackbound.cli.serve:command", "Serve the workbench page and the HTTP API (/v1) on this machine."),
    "sensitivity": (
        "stackbound.cli.sensitivity:command",
        "Rank the uncertain inputs by how much they move one output.",
    ),
    "show": ("stackbound.cli.scenario:show_command", "Print a resolved scenario: every value, its unit and source."),
    "sweep": ("stackbound.cli.sweep:command", "Sweep lever values and overlays, paired sample by sample."),
    "validate": ("stackbound.cli.simulate:validate_command", "Check a scenario against published estimates."),
}
"""Every subcommand: its name, where it is defined (``module:attribute``) and its short
help (the command's own ``short_help``, one whole sentence that fits the listing; a test
keeps them equal)."""


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
        """The commands with their short help, whole (wrapped, never cut)."""
        rows = [(name, summary) for name, (_, summary) in sorted(self.lazy.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    help="How many AI accelerators can be built, month by month, and which input binds.\n\n"
    "Every command that simulates defaults to the built-in scenario china and to seed 0 (the same command "
    "gives the same numbers; --seed draws another sample).",
    epilog="Run 'stackbound COMMAND --help' for a command's options.",
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
