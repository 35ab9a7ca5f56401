"""Analysis benchmark: wall time of each analysis on the China baseline at its defaults.

    .venv/bin/python benchmarks/analyses.py            # all analyses on china
    .venv/bin/python benchmarks/analyses.py --only sobol --scenario benchmarks/scenarios/bench.yaml

Each analysis runs once after a small warm-up run that loads the compiled kernels; the
figures are wall seconds on this machine, printed with the samples and engine runs used.
Targets (2-core machine): a Sobol analysis of every uncertain input, first and total
order, at the default sample size, in under one minute; the report of the China baseline
and its six scenarios at default sample sizes, sensitivity included, in under two minutes.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from stackbound.analysis.bottlenecks import bottlenecks
from stackbound.analysis.compare import compare, lever_view
from stackbound.analysis.discover import Outcome, discover
from stackbound.analysis.marginal import marginal_values
from stackbound.analysis.sensitivity import DEFAULT_SAMPLES, Output, delta, sobol, tornado
from stackbound.engine.run import DEFAULT_SAMPLES as RUN_SAMPLES
from stackbound.engine.run import run
from stackbound.report.gather import ReportSettings, gather
from stackbound.report.write import write_report
from stackbound.scenario.loader import LoadedScenario, load_scenario
from stackbound.scenario.overlay import overlays_of

SEED = 1


def cases(loaded: LoadedScenario, year: int) -> dict[str, Callable[[], str]]:
    """Each analysis as a call that runs it on ``loaded`` (output: units in ``year``) and
    says what it ran; ``benchmarks/scale.py`` times "sobol" and "report" from here."""
    output = Output("units", year)

    def with_overlays() -> str:
        overlays = [load_scenario(name) for name in overlays_of(loaded.name)]
        results = [run(s, samples=RUN_SAMPLES, seed=SEED) for s in (loaded, *overlays)]
        compare(results)
        return f"{len(results)} scenarios x {RUN_SAMPLES:,} samples"

    def levers() -> str:
        overlays = [load_scenario(name) for name in overlays_of(loaded.name)]
        view = lever_view(loaded, overlays, lambda s: run(s, samples=RUN_SAMPLES, seed=SEED))
        return f"{len(view.changes)} lever changes x {RUN_SAMPLES:,} samples"

    def typed_discover() -> str:
        base = run(loaded, samples=RUN_SAMPLES, seed=SEED).annual_values("units")[:, -1]
        threshold = float(sorted(base)[len(base) // 3])
        discover(loaded, Outcome("units", year, "below", threshold), samples=RUN_SAMPLES, seed=SEED)
        return f"{RUN_SAMPLES:,} samples"

    def report() -> str:
        scenarios = [loaded, *(load_scenario(name) for name in overlays_of(loaded.name))]
        with tempfile.TemporaryDirectory() as folder:
            write_report(Path(folder) / "report", gather(scenarios, ReportSettings(seed=SEED)))
        return f"{len(scenarios)} scenarios x {RUN_SAMPLES:,} samples, sensitivity and discovery included"

    return {
        "run": lambda: (run(loaded, samples=RUN_SAMPLES, seed=SEED), f"{RUN_SAMPLES:,} samples")[1],
        "bottlenecks": lambda: (bottlenecks(run(loaded, samples=RUN_SAMPLES, seed=SEED)), "run + analysis")[1],
        "compare": with_overlays,
        "levers": levers,
        "tornado": lambda: (tornado(loaded, output), "1 + 2 x factors rows")[1],
        "sobol": lambda: (sobol(loaded, output), f"base N = {DEFAULT_SAMPLES['sobol']:,}, N x (G + 2) runs")[1],
        "delta": lambda: (delta(loaded, output), f"{DEFAULT_SAMPLES['delta']:,} samples")[1],
        "discover": typed_discover,
        "marginal": lambda: (marginal_values(loaded, samples=1_000, seed=SEED), "1,000 samples per input")[1],
        "report": report,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default="china")
    parser.add_argument("--only", nargs="*", help="analyses to time (default: all)")
    args = parser.parse_args()
    loaded = load_scenario(args.scenario)
    year = loaded.scenario.horizon.end // 12 - 1
    run(loaded, samples=1_024, seed=SEED)
    print(f"{loaded.name}: {len(loaded.inputs)} uncertain inputs; output = units in {year}")
    print(f"{'analysis':<12} {'seconds':>8}  what")
    for name, case in cases(loaded, year).items():
        if args.only and name not in args.only:
            continue
        started = time.perf_counter()
        what = case()
        print(f"{name:<12} {time.perf_counter() - started:>8.1f}  {what}", flush=True)


if __name__ == "__main__":
    main()
