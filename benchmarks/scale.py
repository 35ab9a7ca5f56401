"""Every figure of issue 13 §1 in one run, each beside its target.

    .venv/bin/python benchmarks/scale.py            # everything (several minutes)
    .venv/bin/python benchmarks/scale.py --quick    # no 1M run, no report; side-by-side --quick
    .venv/bin/python benchmarks/scale.py --keep none --only-engine   # the engine figures of runs keeping nothing

The engine figures run the embedded ``china`` scenario, each in a fresh process
(:func:`fresh.measure` through ``engine.py --one``, after a warm-up run that loads the
compiled kernels), so every peak memory figure is that process's own RSS high-water mark:

- ``china`` at 100k samples on 2 workers, median of ``--repeats`` processes (target ≤ 1.5 s);
- ``china`` at 1M samples on 2 workers, one process (≤ 12 s);
- two workers against one at 100k: the ratio of the medians, the runs interleaved (≥ 1.8×);
  the same with worker processes (``--executor processes``, pools started first);
- peak memory at 100k and 1M, and what is left of it beside the per-sample results a run
  keeps on purpose (issue 13: "flat apart from what is kept on purpose"; the verdict here
  allows the 1M figure 25% above the 100k one);
- a full Sobol analysis of ``china`` (every uncertain input, first and total order, the
  default base sample) and the default report of ``china`` and its overlays, each once in
  this process after a warm-up run, as ``analyses.py`` runs them (≤ 10 s, ≤ 20 s);
- the same-model side-by-side (``side_by_side.py``): stackbound against each peer, and
  whether the medians agree (the script exits 1 if they do not).

``--keep`` is the engine runs' keep mode (:mod:`stackbound.engine.keep`): with ``none`` a
run keeps no per-sample annual or quarterly values, so nearly all of its memory is flat.
``--only-engine`` prints the engine figures alone.

Every row carries the 1-minute load average when it was measured: the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

from analyses import SEED, cases
from fresh import measure
from side_by_side import QUICK, agreement, side_by_side, table

HERE = Path(__file__).resolve().parent
ENGINE = str(HERE / "engine.py")
SCENARIO = "china"
FLAT = 1.25
"""Peak memory less the kept results, 1M over 100k, that still counts as flat."""


@dataclass(frozen=True)
class Figure:
    """One measured figure against its target (``passed`` None: no target)."""

    label: str
    measured: str
    target: str
    passed: bool | None
    load: float
    note: str = ""


def _row(figure: Figure) -> str:
    verdict = "" if figure.passed is None else ("PASS" if figure.passed else "MISS")
    line = f"{figure.label:56s} {figure.measured:>10s} {figure.target:>11s}  {verdict:4s} {figure.load:>5.2f}"
    return f"{line}  {figure.note}" if figure.note else line


def _load() -> float:
    return os.getloadavg()[0]


def _loads() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _run(samples: int, workers: int, keep: str) -> dict[str, float]:
    """One run of ``china`` in a fresh process: seconds, peak and kept MB."""
    return measure(ENGINE, SCENARIO, samples, workers, ["--keep", keep])


def _seconds(label: str, seconds: float, target: float, note: str = "") -> Figure:
    return Figure(label, f"{seconds:.2f} s", f"≤ {target:g} s", seconds <= target, _load(), note)


def _memory(label: str, run: dict[str, float]) -> Figure:
    note = f"of it kept on purpose {run['kept_mb']:,.0f} MB, the rest {run['peak_mb'] - run['kept_mb']:,.0f} MB"
    return Figure(label, f"{run['peak_mb']:,.0f} MB", "", None, _load(), note)


def _flat(small: dict[str, float], big: dict[str, float]) -> Figure:
    ratio = (big["peak_mb"] - big["kept_mb"]) / (small["peak_mb"] - small["kept_mb"])
    label = "peak memory less kept results, 1M over 100k"
    return Figure(label, f"{ratio:.2f}×", f"≤ {FLAT:g}× (flat)", ratio <= FLAT, _load())


def engine_figures(repeats: int, million: bool, keep: str = "annual,quarterly") -> Iterator[Figure]:
    """Throughput, scaling over workers and peak memory of ``china``, fresh processes, each
    run keeping what ``keep`` says."""
    pairs = [(_run(100_000, 2, keep), _run(100_000, 1, keep)) for _ in range(repeats)]  # interleaved: load drifts
    two = [two for two, _ in pairs]
    two_s = statistics.median(r["seconds"] for r in two)
    yield _seconds(f"china 100k samples, 2 workers (median of {repeats})", two_s, 1.5, f"--keep {keep}")
    small = max(two, key=lambda r: r["peak_mb"])
    yield _memory(f"peak memory, china 100k, 2 workers, --keep {keep}", small)
    one_s = statistics.median(one["seconds"] for _, one in pairs)
    note = f"{one_s:.2f} s on 1 worker / {two_s:.2f} s on 2"
    yield Figure(
        "two workers vs one, china 100k", f"{one_s / two_s:.2f}×", "≥ 1.8×", one_s / two_s >= 1.8, _load(), note
    )
    if million:
        big = _run(1_000_000, 2, keep)
        yield _seconds("china 1M samples, 2 workers (one run)", big["seconds"], 12, f"--keep {keep}")
        yield _memory(f"peak memory, china 1M, 2 workers, --keep {keep}", big)
        yield _flat(small, big)


def process_figures(repeats: int) -> Iterator[Figure]:
    """Two worker processes against one (``--executor processes``), each pool started and
    warmed first (its start, about 2.5 s a process, is reported, not timed in the ratio):
    100k samples of ``china``, the runs interleaved, bit-identical to threads."""
    from stackbound.engine.executors import Processes
    from stackbound.engine.run import run
    from stackbound.scenario.loader import load_scenario

    loaded = load_scenario(SCENARIO)
    seconds: dict[int, list[float]] = {1: [], 2: []}
    starts: dict[int, float] = {}
    with Processes(1) as one, Processes(2) as two:
        for workers, pool in ((1, one), (2, two)):
            started = time.perf_counter()
            run(loaded, samples=4_096, seed=SEED, executor=pool)  # start the processes, load the kernels
            starts[workers] = time.perf_counter() - started
        for _ in range(repeats):
            for workers, pool in ((2, two), (1, one)):
                started = time.perf_counter()
                run(loaded, samples=100_000, seed=SEED, executor=pool)
                seconds[workers].append(time.perf_counter() - started)
    one_s, two_s = (statistics.median(seconds[w]) for w in (1, 2))
    yield _seconds(f"china 100k, 2 worker processes (median of {repeats})", two_s, 1.5)
    note = f"{one_s:.2f} s on 1 process / {two_s:.2f} s on 2; pools started in {starts[1]:.1f} s and {starts[2]:.1f} s"
    ratio = one_s / two_s
    yield Figure("two worker processes vs one, china 100k", f"{ratio:.2f}×", "≥ 1.8×", ratio >= 1.8, _load(), note)


def analysis_figures(report: bool) -> Iterator[Figure]:
    """The Sobol analysis and the default report of ``china``, timed as ``analyses.py`` does."""
    from stackbound.engine.run import run
    from stackbound.scenario.loader import load_scenario

    loaded = load_scenario(SCENARIO)
    run(loaded, samples=1_024, seed=SEED)  # load the compiled kernels
    wanted = {"sobol": ("Sobol of china, every uncertain input", 10.0)}
    if report:
        wanted["report"] = ("default report of china and its overlays", 20.0)
    for name, case in cases(loaded, loaded.scenario.horizon.end // 12 - 1).items():
        if name in wanted:
            label, target = wanted[name]
            started = time.perf_counter()
            what = case()
            yield _seconds(label, time.perf_counter() - started, target, what)


def summary(repeats: int, quick: bool) -> bool:
    """Print the side-by-side's table and medians; whether the medians agree."""
    samples, per_draw = QUICK if quick else (100_000, 2_000)
    rows = side_by_side(samples, per_draw, max(3, repeats), log=lambda _: None)
    lines, ok = agreement(rows)
    print(f"\nsame-model side-by-side (side_by_side.py: {samples:,} samples a run, {per_draw:,} for per-draw peers)")
    print("\n".join(table(rows)))
    print("\n".join(lines))
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes per 100k figure; side-by-side repeats")
    parser.add_argument("--quick", action="store_true", help="skip the 1M run and the report; a quick side-by-side")
    parser.add_argument("--skip-side-by-side", action="store_true")
    parser.add_argument(
        "--keep",
        choices=["annual,quarterly", "annual", "none"],
        default="annual,quarterly",
        help="the engine runs' keep",
    )
    parser.add_argument("--only-engine", action="store_true", help="the engine figures alone")
    args = parser.parse_args()
    print(f"issue 13 §1 figures; cores {os.cpu_count()}; load average at start {_loads()}")
    print(f"{'figure':56s} {'measured':>10s} {'target':>11s}  {'':4s} {'load':>5s}")
    figures = engine_figures(args.repeats, not args.quick, args.keep)
    if args.only_engine:
        for figure in figures:
            print(_row(figure), flush=True)
        print(f"load average at end {_loads()}")
        return
    figures = chain(figures, process_figures(args.repeats))
    for figure in chain(figures, analysis_figures(not args.quick)):
        print(_row(figure), flush=True)
    if not args.skip_side_by_side and not summary(args.repeats, args.quick):
        print("FAIL: the side-by-side medians differ from stackbound's by more than 1%", file=sys.stderr)
        sys.exit(1)
    print(f"load average at end {_loads()}")


if __name__ == "__main__":
    main()
