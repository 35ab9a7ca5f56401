"""Engine benchmark: sample-months per second and peak memory.

    .venv/bin/python benchmarks/engine.py                 # 10k, 100k, 1M samples
    .venv/bin/python benchmarks/engine.py --sizes 10000 100000 --repeats 5
    .venv/bin/python benchmarks/engine.py --scenario china --keep none   # runs that keep no per-sample values

Each measurement runs in a fresh process (so peak RSS is that run's own), after a small
warm-up run that loads the compiled kernels. It prints the scenario's counts of variants,
sources and uncertain inputs, the median wall time over ``--repeats`` runs, sample-months
per second, peak resident memory and how much of it is the per-sample annual and quarterly
results a run keeps (these grow with samples by design; the rest stays flat), and the
1-minute load average after the runs.
``--keep`` is the runs' keep mode (``run(..., keep=...)``, :mod:`stackbound.engine.keep`):
with ``none`` nothing annual or quarterly is kept per sample, only histograms.
Targets (2-core machine): 100k samples < 2 s, 1M < 20 s, peak memory < 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import time
from pathlib import Path

from fresh import measure
from stackbound.engine.keep import DEFAULT_KEEP, KEEP_MODES, Keep

HERE = Path(__file__).resolve().parent
SCENARIOS = [str(HERE / "scenarios" / "bench.yaml")]
"""Benchmarked scenarios; the China dataset is added once it is built in."""


def _one(scenario: str, samples: int, workers: int, keep: Keep) -> dict[str, float]:
    from stackbound.engine.run import run
    from stackbound.scenario.loader import load_scenario

    loaded = load_scenario(scenario)
    run(loaded, samples=1024, seed=1, workers=workers, keep=keep)
    started = time.perf_counter()
    result = run(loaded, samples=samples, seed=1, workers=workers, keep=keep)
    seconds = time.perf_counter() - started
    kept = sum(a.nbytes for a in result.annual.values()) + sum(a.nbytes for a in result.quarterly.values())
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": seconds, "peak_mb": peak_kb / 1024, "kept_mb": kept / 2**20, "months": len(result.months)}


def _counts(scenario: str) -> str:
    from stackbound.engine.plan import build_plan
    from stackbound.scenario.loader import load_scenario

    loaded = load_scenario(scenario)
    plan = build_plan(loaded)
    return (
        f"{loaded.name}: {len(plan.months)} months, {len(plan.variants)} variants, "
        f"{len(loaded.scenario.sources)} sources, {len(loaded.inputs)} uncertain inputs"
    )


def _measure(scenario: str, samples: int, workers: int, keep: Keep) -> dict[str, float]:
    return measure(__file__, scenario, samples, workers, ["--keep", keep])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3, help="runs per size below 1M (1M runs once)")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--scenario", action="append", help="scenario file or built-in name (repeatable)")
    parser.add_argument("--keep", choices=KEEP_MODES, default=DEFAULT_KEEP, help="what each run keeps per sample")
    parser.add_argument("--one", nargs=2, metavar=("SCENARIO", "SAMPLES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(_one(args.one[0], int(args.one[1]), args.workers, args.keep)))
        return
    print(f"cores {os.cpu_count()}, workers {args.workers}, keep {args.keep}")
    for scenario in args.scenario or SCENARIOS:
        print(_counts(scenario))
        heading = f"{'samples':>10} {'median s':>9} {'runs':>5} {'sample-months/s':>16} {'peak MB':>8} {'kept MB':>8}"
        print(f"{heading} {'load':>5}")
        for samples in args.sizes:
            repeats = 1 if samples >= 1_000_000 else args.repeats
            runs = [_measure(scenario, samples, args.workers, args.keep) for _ in range(repeats)]
            seconds = statistics.median(r["seconds"] for r in runs)
            rate = samples * runs[0]["months"] / seconds
            peak = max(r["peak_mb"] for r in runs)
            row = f"{samples:>10,} {seconds:>9.2f} {repeats:>5} {rate:>16,.0f} {peak:>8.0f} {runs[0]['kept_mb']:>8.0f}"
            print(f"{row} {os.getloadavg()[0]:>5.2f}", flush=True)


if __name__ == "__main__":
    main()
