"""The edit loop as a user meets it: wall time of fresh ``stackbound`` commands.

    .venv/bin/python benchmarks/first_run.py               # 5 repeats each (compile once)
    .venv/bin/python benchmarks/first_run.py --repeats 3 --skip-compile

Every figure is one new process running the installed command, so imports, YAML parsing
and loading the compiled kernels count as they do for a user:

- ``--help``: the import cost of the command-line tool alone;
- ``check china``: one edit-and-check cycle on the embedded default;
- ``run china`` (10,000 samples): the first run after ``scripts/setup``, which compiled the
  kernels into the shipped cache (``python -m stackbound.engine.warmup``): here into a new
  cache directory filled by the same step (:func:`stackbound.engine.warmup.compile_kernels`,
  timed), so that nothing compiled by earlier work on this machine helps;
- ``run china`` with an empty kernel cache (``NUMBA_CACHE_DIR`` set to a new directory):
  what a first run costs without that step, i.e. what setup saves.

Medians over ``--repeats`` (the compile case runs once). Targets: ``check china`` well
under a second; the first run after setup starts in seconds, not the tens of seconds a
compile takes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMAND = Path(sys.executable).parent / "stackbound"


def _seconds(arguments: list[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run([str(COMMAND), *arguments], check=True, capture_output=True, env=env)
    return time.perf_counter() - started


def _median(arguments: list[str], repeats: int, env: dict[str, str]) -> tuple[float, list[float]]:
    times = [_seconds(arguments, env) for _ in range(repeats)]
    return statistics.median(times), times


def _setup_cache(directory: str) -> tuple[dict[str, str], float]:
    """A kernel cache filled as ``scripts/setup`` fills the shipped one; the seconds it took."""
    env = {**os.environ, "NUMBA_CACHE_DIR": directory}
    started = time.perf_counter()
    compile_step = "from stackbound.engine.warmup import compile_kernels; compile_kernels()"
    subprocess.run([sys.executable, "-c", compile_step], check=True, capture_output=True, env=env)
    return env, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-compile", action="store_true", help="leave out the empty-cache run")
    args = parser.parse_args()
    cases = {
        "stackbound --help": ["--help"],
        "stackbound check china": ["check", "china"],
        "stackbound run china (10,000 samples), after setup": ["run", "china", "--samples", "10000"],
    }
    with tempfile.TemporaryDirectory() as cache:
        env, compile_seconds = _setup_cache(cache)
        print(f"cores {os.cpu_count()}, {args.repeats} fresh processes per command, wall seconds")
        print(f"{'setup: compiling the kernels (once)':58s} {compile_seconds:7.2f}")
        print(f"{'command':58s} {'median':>7s}  runs")
        for label, arguments in cases.items():
            median, times = _median(arguments, args.repeats, env)
            print(f"{label:58s} {median:7.2f}  {', '.join(f'{t:.2f}' for t in times)}")
    if not args.skip_compile:
        with tempfile.TemporaryDirectory() as empty:
            env = {**os.environ, "NUMBA_CACHE_DIR": empty}
            compile_run = _seconds(["run", "china", "--samples", "10000"], env)
        print(f"{'stackbound run china (10,000 samples), empty kernel cache':58s} {compile_run:7.2f}  (once)")


if __name__ == "__main__":
    main()
