"""``stackbound report``: run the scenarios and write the full report directory."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from stackbound.cli.common import (
    ALLOW_OUTSIDE,
    DEBUG,
    DEFAULT_SCENARIO,
    err,
    executor_options,
    keep_option,
    load,
    run_options,
)
from stackbound.engine.keep import Keep
from stackbound.report.atomic import check_output_target
from stackbound.report.gather import ReportSettings, gather
from stackbound.report.i18n import LANGUAGES, Lang
from stackbound.scenario.overlay import overlays_of

if TYPE_CHECKING:
    from stackbound.engine.executors import Executor

__all__ = ["command"]


@click.command("report", short_help="Write the full report: HTML, Markdown, charts, Excel, data.")
@click.argument("scenarios", nargs=-1)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Directory to write (atomically; an earlier stackbound output there is replaced).",
)
@run_options
@executor_options
@keep_option("the report pairs samples across its scenarios and analyses")
@click.option(
    "--lang",
    "languages",
    type=click.Choice(LANGUAGES),
    multiple=True,
    help="Also write the report in this language (English is always written). Repeatable.",
)
@click.option("--no-sensitivity", is_flag=True, help="Skip the tornado and Sobol' analyses (faster).")
@click.option("--sobol-samples", type=click.IntRange(min=2), default=None, help="Sobol' base sample size.")
@click.option("--no-discovery", is_flag=True, help="Skip scenario discovery.")
@ALLOW_OUTSIDE
@DEBUG
def command(
    scenarios: tuple[str, ...],
    out_dir: Path,
    samples: int,
    seed: int,
    keep: Keep,
    languages: tuple[Lang, ...],
    no_sensitivity: bool,
    sobol_samples: int | None,
    no_discovery: bool,
    allow_outside: bool,
    debug: bool,
    executor: Executor | None,
) -> None:
    """Write the report of SCENARIOS (default: the embedded default and every built-in
    overlay of it; the first is the base): report.html, report.md, charts/, stackbound.xlsx, data/."""
    refs = list(scenarios) or [DEFAULT_SCENARIO, *overlays_of(DEFAULT_SCENARIO)]
    loaded = load(refs, allow_outside)
    check_output_target(out_dir)  # refuse a foreign folder before the analyses, not after
    settings = ReportSettings(
        samples=samples,
        seed=seed,
        sensitivity=not no_sensitivity,
        sobol_samples=sobol_samples,
        discovery=not no_discovery,
        keep=keep,
    )
    started = time.perf_counter()
    data = gather(
        loaded, settings, step=lambda message: err.print(message, markup=False, highlight=False), executor=executor
    )
    # Imported here: matplotlib loads (and, with an unwritable home, warns) only when a report is written.
    from stackbound.report.write import write_report

    written = write_report(out_dir, data, languages)
    err.print(f"wrote {written} in {time.perf_counter() - started:.1f} s", markup=False, highlight=False)
