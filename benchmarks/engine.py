"""Engine benchmark: sample-months per second and peak memory.

    .venv/bin/python benchmarks/engine.py                 # 10k, 100k, 1M samples
    .venv/bin/python benchmarks/engine.py --sizes 10000 100000 --repeats 5

Each measurement runs in a fresh process (so peak RSS is that run's own), after a small
warm-up run that loads the compiled kernels. It prints the scenario's counts of variants,
sources and uncertain inputs, the median wall time over ``--repeats`` runs, sample-months
per second, peak resident memory, and how much of it is the per-sample annual and
quarterly results a run keeps (these grow with samples by design; the rest stays flat).
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

HERE = Path(__file__).resolve().parent
SCENARIOS = [str(HERE / "scenarios" / "bench.yaml")]
"""Benchmarked scenarios; the China dataset is added once it is built in."""


def _one(scenario: str, samples: int, workers: int) -> dict[str, float]:
    from stackbound.engine.run import run
    from stackbound.scenario.loader import load_scenario

    loaded = load_scenario(scenario)
    run(loaded, samples=1024, seed=1, workers=workers)
    started = time.perf_counter()
    result = run(loaded, samples=samples, seed=1, workers=workers)
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


def _measure(scenario: str, samples: int, workers: int) -> dict[str, float]:
    return measure(__file__, scenario, samples, workers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3, help="runs per size below 1M (1M runs once)")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--scenario", action="append", help="scenario file or built-in name (repeatable)")
    parser.add_argument("--one", nargs=2, metavar=("SCENARIO", "SAMPLES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(_one(args.one[0], int(args.one[1]), args.workers)))
        return
    print(f"cores {os.cpu_count()}, workers {args.workers}")
    for scenario in args.scenario or SCENARIOS:
        print(_counts(scenario))
        print(f"{'samples':>10} {'median s':>9} {'runs':>5} {'sample-months/s':>16} {'peak MB':>8} {'kept MB':>8}")
        for samples in args.sizes:
            repeats = 1 if samples >= 1_000_000 else args.repeats
            runs = [_measure(scenario, samples, args.workers) for _ in range(repeats)]
            seconds = statistics.median(r["seconds"] for r in runs)
            rate = samples * runs[0]["months"] / seconds
            peak = max(r["peak_mb"] for r in runs)
            print(f"{samples:>10,} {seconds:>9.2f} {repeats:>5} {rate:>16,.0f} {peak:>8.0f} {runs[0]['kept_mb']:>8.0f}")


if __name__ == "__main__":
    main()
