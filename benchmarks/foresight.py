"""Perfect-foresight bound benchmark: seconds per sample (every year-end's LP) on china.

    .venv/bin/python benchmarks/foresight.py                      # 500 samples, 2 workers, 3 runs
    .venv/bin/python benchmarks/foresight.py --samples 100 --workers 1 2 --repeats 5

Each measurement runs in a fresh process, after a two-sample warm-up that loads the
compiled kernels; it times the whole call (plan, supply, the month-by-month engine, the
worker processes' start and every LP) and prints the LP's size, the median wall time over
``--repeats`` runs, seconds per sample and the machine's load average before each run.
Target (2-core machine, 2 workers): at most 0.5 s per sample for all year-ends on china.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

from fresh import measure

SCENARIO = "china"


def _one(scenario: str, samples: int, workers: int) -> dict[str, float]:
    from stackbound.engine.foresight import foresight
    from stackbound.scenario.loader import load_scenario

    loaded = load_scenario(scenario)
    foresight(loaded, samples=2, seed=1, workers=1)
    started = time.perf_counter()
    result = foresight(loaded, samples=samples, seed=1, workers=workers)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "years": len(result.years)}


def _size(scenario: str) -> str:
    from stackbound.engine.foresight import _build_layout
    from stackbound.engine.plan import build_plan
    from stackbound.scenario.loader import load_scenario

    layout = _build_layout(build_plan(load_scenario(scenario)))
    return (
        f"{scenario}: {layout.months} months, {layout.variants} variants, {layout.accounts} accounts; "
        f"LP to the last year-end: {layout.months * layout.width:,} variables, "
        f"{layout.months * (layout.ub_rows + layout.eq_rows):,} rows"
    )


def _measure(scenario: str, samples: int, workers: int) -> dict[str, float]:
    return measure(__file__, scenario, samples, workers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="+", default=[2])
    parser.add_argument("--scenario", default=SCENARIO, help="scenario file or built-in name")
    parser.add_argument("--one", nargs=2, metavar=("SCENARIO", "SAMPLES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(_one(args.one[0], int(args.one[1]), args.workers[0])))
        return
    print(f"cores {os.cpu_count()}")
    print(_size(args.scenario))
    print(f"{'workers':>7} {'samples':>8} {'median s':>9} {'runs':>5} {'s/sample':>9}  load average before each run")
    for workers in args.workers:
        runs, loads = [], []
        for _ in range(args.repeats):
            loads.append(f"{os.getloadavg()[0]:.2f}")
            runs.append(_measure(args.scenario, args.samples, workers))
        seconds = statistics.median(r["seconds"] for r in runs)
        rate = seconds / args.samples
        print(f"{workers:>7} {args.samples:>8,} {seconds:>9.2f} {args.repeats:>5} {rate:>9.3f}  {' '.join(loads)}")


if __name__ == "__main__":
    main()
