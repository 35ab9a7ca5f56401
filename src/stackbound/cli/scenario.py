"""The commands that print a scenario without simulating it: ``show``, ``register`` and
``scenarios``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from stackbound.cli.common import ALLOW_OUTSIDE, DEBUG, err, load, out
from stackbound.report.atomic import write_text_atomically
from stackbound.report.register import register_markdown
from stackbound.scenario.overlay import builtin_names, builtin_story

__all__ = ["register_command", "scenarios_command", "show_command"]


@click.command("show", short_help="Print a resolved scenario: every value, its unit and source.")
@click.argument("scenario")
@ALLOW_OUTSIDE
@DEBUG
def show_command(scenario: str, allow_outside: bool, debug: bool) -> None:
    """Print the resolved SCENARIO: every value with its unit and source."""
    from stackbound.cli.render import render_scenario  # the run renderers' imports, for show alone

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


@click.command("scenarios", short_help="List the built-in scenarios, each with its story.")
def scenarios_command() -> None:
    """List the built-in scenarios: each name, what it extends and its story in one line."""
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column("scenario", no_wrap=True)
    table.add_column("story")
    for name in builtin_names():
        parent, story = builtin_story(name)
        base = f" [dim](extends {escape(parent)})[/dim]" if parent else ""
        table.add_row(escape(name), escape(story) + base)
    out.print(table)
