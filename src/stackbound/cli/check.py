"""``stackbound check``: validate scenarios without running them, warn about every value
given without a source or assumption, and with ``--watch`` check again on every save.

Light on purpose, so that a check takes well under the time of a run: this module imports
the loader and never the engine, except for ``--watch --run N``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from pathlib import Path

import click

from stackbound.cli.common import ALLOW_OUTSIDE, DEBUG, LazyProgress, err, load, out
from stackbound.errors import StackboundError
from stackbound.formatting import number
from stackbound.report.register import missing_provenance
from stackbound.scenario.loader import LoadedScenario

__all__ = ["POLL_SECONDS", "command"]

POLL_SECONDS = 0.5
"""How often ``--watch`` looks at the files' modification times."""
Stamp = tuple[int, int] | None
"""A file's modification time and size (None: absent)."""


@click.command("check", short_help="Validate scenario files without running them.")
@click.argument("files", nargs=-1, required=True)
@click.option("--strict", is_flag=True, help="Exit 2 when a value has no source or assumption.")
@click.option("--watch", is_flag=True, help="Check FILES again every time one is saved, until Ctrl-C.")
@click.option(
    "--run",
    "samples",
    metavar="N",
    type=click.IntRange(min=1),
    default=None,
    help="With --watch: after each good check, also run N samples and print the headline.",
)
@ALLOW_OUTSIDE
@DEBUG
def command(
    files: tuple[str, ...], strict: bool, watch: bool, samples: int | None, allow_outside: bool, debug: bool
) -> None:
    """Validate scenario FILES (or built-in names) without running them."""
    if samples is not None and not watch:
        raise click.UsageError("--run needs --watch")
    if watch:
        _watch(list(files), strict, samples, allow_outside)
        return
    failures = _check(load(list(files), allow_outside), strict)
    if failures:
        raise StackboundError("\n".join(failures))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _print_lines(lines: Iterable[str]) -> None:
    """Each line plain on stderr, exactly as errors are printed."""
    for line in lines:
        err.print(line, markup=False, highlight=False, soft_wrap=True)


def _check(loaded: list[LoadedScenario], strict: bool, stamp: str = "") -> list[str]:
    """Print each scenario's provenance warnings and its ``ok`` line; return the lines of
    the scenarios that fail ``--strict`` (they get no ``ok``)."""
    failures = []
    for scenario in loaded:
        warnings = missing_provenance(scenario)
        _print_lines(line for warning in warnings for line in str(warning).splitlines())
        files = " <- ".join(reversed(scenario.files))
        unsourced = f"{_plural(len(warnings), 'value')} without source or assumption"
        if strict and warnings:
            failures.append(f"{stamp}{files}: {scenario.name}: {unsourced} (--strict)")
            continue
        line = f"{stamp}ok  {files}: {scenario.name} ({_plural(len(scenario.inputs), 'uncertain input')}, {unsourced})"
        out.print(line, markup=False, highlight=False, emoji=False, soft_wrap=True)
    return failures


def _stamp(path: Path) -> Stamp:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


def _watched(refs: list[str], loaded: list[LoadedScenario]) -> list[Path]:
    """The files to poll: those named, and the files they extend (built-in ones are not)."""
    extended = [name for scenario in loaded for name in scenario.files if Path(name).is_file()]
    return sorted({Path(name) for name in (*refs, *extended)})


def _watch(refs: list[str], strict: bool, samples: int | None, allow_outside: bool) -> None:
    """Check ``refs`` now and after every change to a watched file, until interrupted
    (Ctrl-C or SIGTERM: the command's usual exit status 130)."""
    paths = [Path(ref) for ref in refs]
    seen: dict[Path, Stamp] | None = None
    while True:
        now = {path: _stamp(path) for path in paths}
        if now != seen:  # stamps taken before checking: a save during the check is checked next
            found = _round(refs, strict, samples, allow_outside)
            paths = sorted(found)
            seen = {path: now.get(path, found[path]) for path in paths}
        time.sleep(POLL_SECONDS)


def _round(refs: list[str], strict: bool, samples: int | None, allow_outside: bool) -> dict[Path, Stamp]:
    """One check of ``refs`` (and a run, if asked), each ``ok`` line timestamped; returns
    the files to watch with their stamps, taken as soon as they were read, so that a file
    first found through ``extends`` and saved after this check's output is checked again."""
    stamp = time.strftime("[%H:%M:%S] ")
    found = {path: _stamp(path) for path in _watched(refs, [])}
    try:
        loaded = load(refs, allow_outside)
        found = {path: _stamp(path) for path in _watched(refs, loaded)}
        failures = _check(loaded, strict, stamp)
        _print_lines(failures)
        if samples is not None and not failures:
            for scenario in loaded:
                out.print(_headline(scenario, samples), markup=False, highlight=False, emoji=False, soft_wrap=True)
    except StackboundError as error:
        _print_lines(str(error).splitlines())
        out.print(f"{stamp}not ok  {' '.join(refs)}", markup=False, highlight=False, emoji=False, soft_wrap=True)
    sys.stdout.flush()
    sys.stderr.flush()
    return found


def _headline(scenario: LoadedScenario, samples: int) -> str:
    """Total units per year, P50 (P5–P95), of a run of ``samples`` samples with seed 0."""
    # Imported here: the engine (numba) loads only when --run asks for a simulation.
    from stackbound.engine.run import run

    with LazyProgress(scenario.name) as progress:
        result = run(scenario, samples=samples, seed=0, progress=progress)
    p5, p50, p95 = result.annual_percentiles("units", q=[5, 50, 95])
    cells = zip(result.years, p5, p50, p95, strict=True)
    years = ", ".join(f"{year} {number(mid)} ({number(low)}–{number(high)})" for year, low, mid, high in cells)
    return f"    {scenario.name}, {samples} samples: units {years}"
