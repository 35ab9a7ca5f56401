"""The commands that print a scenario without simulating it: ``show``, ``register`` and
``scenarios``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from stackbound.cli.common import ALLOW_OUTSIDE, DEBUG, err, load, out
from stackbound.cli.render import render_scenario
from stackbound.report.atomic import write_text_atomically
from stackbound.report.register import register_markdown
from stackbound.scenario.overlay import builtin_names

__all__ = ["register_command", "scenarios_command", "show_command"]


@click.command("show", short_help="Print a resolved scenario: every value, its unit and source.")
@click.argument("scenario")
@ALLOW_OUTSIDE
@DEBUG
def show_command(scenario: str, allow_outside: bool, debug: bool) -> None:
    """Print the resolved SCENARIO: every value with its unit and source."""
    render_scenario(out, load([scenario], allow_outside)[0])


@click.command("register", short_help="Print the assumptions register of a scenario, as Markdown.")
@click.argument("scenario")
@click.option(
    "--out",
    "out_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the Markdown here (atomically) instead of printing it.",
)
@ALLOW_OUTSIDE
@DEBUG
def register_command(scenario: str, out_file: Path | None, allow_outside: bool, debug: bool) -> None:
    """Print the assumptions register of SCENARIO: every input, its value or distribution,
    unit, source, date and grade, as Markdown."""
    text = register_markdown(load([scenario], allow_outside)[0])
    if out_file is None:
        sys.stdout.write(text)
    else:
        write_text_atomically(out_file, text)
        err.print(f"wrote {out_file}", markup=False, highlight=False)


@click.command("scenarios", short_help="List the built-in scenarios.")
def scenarios_command() -> None:
    """List the built-in scenarios."""
    for name in builtin_names():
        out.print(name)
