"""The same-model side-by-side (issue 13 §1): the reference supply model of
``reference_model.md`` run by stackbound and by peers written in their libraries' idioms,
in one process, with the medians of every version checked against stackbound's.

    .venv/bin/python benchmarks/side_by_side.py                  # 100k samples, 2,000 per draw
    .venv/bin/python benchmarks/side_by_side.py --quick          # 20k samples, 1,000 per draw
    .venv/bin/python benchmarks/side_by_side.py --samples 200000 --per-draw-samples 5000 --repeats 5

Versions: (a) plain Python, one call per sample, ``random`` draws; (b) squigglepy, the
inputs as squigglepy distributions and its model idiom, a function sampled n times
(``sq.sample(model, n=...)``, ``~dist`` per draw); (c) EMA workbench, a ``Model`` with
its uncertainties and ``perform_experiments`` on the ``SequentialEvaluator`` (Latin
hypercube, its default); (d) numpy, arrays over samples, a Python loop over months and
variants; (e) numba, a compiled per-sample loop on one core; (f) the same loop with
``prange`` on two threads; (g) stackbound itself (``run``, 2 workers and 1). (a)–(c) share
:func:`reference.simulate_one`, so they differ only in how they draw and call it.

Each version runs once to warm up (imports, numba's compile, stackbound's kernel cache:
reported as "warm-up s"); then every version runs in turn, ``--repeats`` rounds with seeds
1, 2, … (interleaved, so a drifting load meets them alike); the figure is the median wall
time, drawing the inputs included. Per-draw versions run fewer samples
(``--per-draw-samples``) and are compared by throughput, sample-months per second. The
target ratios are issue 13's: stackbound (2 workers) ≥ 30× the per-draw peers, ≥ the
one-core compiled loop, ≥ 0.8× the two-core compiled loop. The medians of cumulative good
units (all repeats pooled) must agree with stackbound's within 1%, or the script exits 1.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reference import (
    INPUTS,
    MONTHS,
    Dist,
    FloatArray,
    draw_numpy,
    lognormal_of,
    pert_of,
    scipy_distribution,
    simulate_numpy,
    simulate_one,
)

HERE = Path(__file__).resolve().parent
SCENARIO = HERE / "scenarios" / "reference.yaml"
TOLERANCE = 0.01
"""Largest relative gap allowed between a version's median and stackbound's."""
QUICK = (20_000, 1_000)
"""Samples a run of the array versions and of the per-draw peers with ``--quick``."""
Simulate = Callable[[int, int], FloatArray]
"""(samples, seed) → cumulative good units per sample."""


@dataclass(frozen=True)
class Version:
    """One implementation of the reference model, with the ratio issue 13 asks of stackbound
    against it (None: no target)."""

    label: str
    simulate: Simulate
    per_draw: bool
    target: float | None


# ------------------------------------------------------------------ the per-draw peers


def _draw_python(rng: random.Random, d: Dist) -> float:
    if d.kind == "to":
        return rng.lognormvariate(*lognormal_of(*d.params))
    if d.kind == "uniform":
        return rng.uniform(*d.params)
    low, _, high = d.params
    return low + (high - low) * rng.betavariate(*pert_of(*d.params))


def plain_python(samples: int, seed: int) -> FloatArray:
    """(a) ``random`` draws and one call of the one-sample model per sample."""
    rng = random.Random(seed)
    return np.array([simulate_one({d.name: _draw_python(rng, d) for d in INPUTS}) for _ in range(samples)])


def squigglepy(samples: int, seed: int) -> FloatArray:
    """(b) squigglepy distributions, a model function sampled ``samples`` times."""
    import squigglepy as sq

    build = {"to": sq.to, "uniform": sq.uniform, "pert": sq.pert}
    dists = {d.name: build[d.kind](*d.params) for d in INPUTS}

    def model() -> float:
        return simulate_one({name: ~dist for name, dist in dists.items()})

    sq.set_seed(seed)
    return np.asarray(sq.sample(model, n=samples, verbose=False), dtype=np.float64)


def _ema_uncertainty(d: Dist):  # type: ignore[no-untyped-def]
    """An EMA uncertainty: a ``RealParameter`` range for a uniform input (EMA's native
    kind), else one built from the scipy distribution (``RealParameter.from_dist``)."""
    from ema_workbench import RealParameter

    if d.kind == "uniform":
        return RealParameter(d.name, *d.params)
    return RealParameter.from_dist(d.name, scipy_distribution(d))


def ema_workbench(samples: int, seed: int) -> FloatArray:
    """(c) an EMA ``Model`` run by the sequential evaluator. EMA's samplers take no seed
    (they use numpy's global generator), so ``seed`` is not used."""
    with warnings.catch_warnings():  # ipyparallel is not installed: EMA warns on import
        warnings.simplefilter("ignore")
        from ema_workbench import Model, ScalarOutcome, SequentialEvaluator

    def units(**inputs: float) -> dict[str, float]:
        return {"units": simulate_one(inputs)}

    model = Model("reference", function=units)
    model.uncertainties = [_ema_uncertainty(d) for d in INPUTS]
    model.outcomes = [ScalarOutcome("units")]
    with SequentialEvaluator(model) as evaluator:
        # log_progress=True reports progress to EMA's logger instead of a tqdm bar (in EMA
        # 2.5 the bar is drawn when log_progress is false); nothing else changes.
        _, outcomes = evaluator.perform_experiments(scenarios=samples, log_progress=True)
    return np.asarray(outcomes["units"], dtype=np.float64)


# ------------------------------------------------------------------ arrays and compiled loops


def naive_numpy(samples: int, seed: int) -> FloatArray:
    """(d) numpy draws and arrays over samples."""
    return simulate_numpy(draw_numpy(np.random.default_rng(seed), samples))


def _compiled(parallel: bool) -> Simulate:
    def simulate(samples: int, seed: int) -> FloatArray:
        import numba

        from reference_compiled import STRUCTURE, draws_matrix, simulate_parallel, simulate_serial

        if parallel:
            numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        kernel = simulate_parallel if parallel else simulate_serial
        return kernel(draws_matrix(draw_numpy(np.random.default_rng(seed), samples)), *STRUCTURE)  # type: ignore[no-any-return]

    return simulate


def _stackbound(workers: int) -> Simulate:
    from stackbound.engine.run import run
    from stackbound.scenario.loader import load_scenario

    loaded = load_scenario(SCENARIO)

    def simulate(samples: int, seed: int) -> FloatArray:
        return run(loaded, samples=samples, seed=seed, workers=workers).annual_values("units").sum(axis=1)

    return simulate


def versions() -> list[Version]:
    """Every version, stackbound last (its two-worker row is the reference)."""
    return [
        Version("plain Python, per draw (random)", plain_python, True, 30.0),
        Version("squigglepy, per draw (sq.sample)", squigglepy, True, 30.0),
        Version("EMA workbench, per draw (sequential)", ema_workbench, True, 30.0),
        Version("numpy, vectorised over samples", naive_numpy, False, None),
        Version("numba per-sample loop, 1 core", _compiled(parallel=False), False, 1.0),
        Version("numba per-sample loop, 2 cores (prange)", _compiled(parallel=True), False, 0.8),
        Version("stackbound, 1 worker", _stackbound(1), False, None),
        Version("stackbound, 2 workers", _stackbound(2), False, None),
    ]


# ------------------------------------------------------------------ measuring


@dataclass(frozen=True)
class Row:
    """One version's measurement: samples per run, warm-up and median seconds, the median
    load average after its runs, and the pooled per-sample results of its timed runs."""

    version: Version
    samples: int
    warmup: float
    seconds: float
    runs: int
    load: float
    units: FloatArray

    @property
    def rate(self) -> float:
        """Sample-months per second."""
        return self.samples * MONTHS / self.seconds

    @property
    def median(self) -> float:
        return float(np.median(self.units))


def _timed(simulate: Simulate, samples: int, seed: int) -> tuple[float, FloatArray]:
    started = time.perf_counter()
    units = simulate(samples, seed)
    return time.perf_counter() - started, units


def _row(version: Version, samples: int, warmup: float, timed: list[tuple[float, FloatArray, float]]) -> Row:
    seconds = statistics.median(s for s, _, _ in timed)
    load = statistics.median(load for _, _, load in timed)
    return Row(version, samples, warmup, seconds, len(timed), load, np.concatenate([u for _, u, _ in timed]))


def side_by_side(samples: int, per_draw_samples: int, repeats: int, log: Callable[[str], None] = print) -> list[Row]:
    """Warm every version up on a few samples, then run them all in turn, ``repeats``
    rounds with seeds 1, 2, … (interleaved, so a load that drifts meets every version
    alike); ``log`` gets a line per round."""
    chosen = versions()
    sizes = [per_draw_samples if v.per_draw else samples for v in chosen]
    warmups = [_timed(v.simulate, min(n, 1_024), 0)[0] for v, n in zip(chosen, sizes, strict=True)]
    timed: list[list[tuple[float, FloatArray, float]]] = [[] for _ in chosen]
    for seed in range(1, repeats + 1):
        for runs, version, n in zip(timed, chosen, sizes, strict=True):
            runs.append((*_timed(version.simulate, n, seed), os.getloadavg()[0]))
        log(f"  round {seed} of {repeats} done, load {os.getloadavg()[0]:.2f}")
    return [_row(*row) for row in zip(chosen, sizes, warmups, timed, strict=True)]


# ------------------------------------------------------------------ printing


def _verdict(ratio: float, target: float | None) -> str:
    if target is None:
        return ""
    return f"≥ {target:g}×  {'PASS' if ratio >= target else 'MISS'}"


def table(rows: list[Row]) -> list[str]:
    """The throughput table: stackbound (2 workers) against every version, with targets."""
    reference = rows[-1]
    lines = [
        f"{'version':42s} {'samples':>8s} {'warm-up s':>9s} {'median s':>9s} {'runs':>4s} "
        f"{'M sample-months/s':>17s} {'stackbound ×':>12s} {'load':>5s}  target"
    ]
    for row in rows:
        ratio = reference.rate / row.rate
        lines.append(
            f"{row.version.label:42s} {row.samples:>8,} {row.warmup:>9.2f} {row.seconds:>9.3f} {row.runs:>4} "
            f"{row.rate / 1e6:>17.3f} {ratio:>11.2f}× {row.load:>5.2f}  {_verdict(ratio, row.version.target)}"
        )
    return lines


def agreement(rows: list[Row]) -> tuple[list[str], bool]:
    """Each version's median of cumulative units against stackbound's (2 workers)."""
    reference = rows[-1].median
    lines = [f"{'version':42s} {'pooled samples':>14s} {'median units':>14s} {'vs stackbound':>13s}"]
    ok = True
    for row in rows:
        gap = row.median / reference - 1
        ok = ok and abs(gap) <= TOLERANCE
        lines.append(f"{row.version.label:42s} {row.units.size:>14,} {row.median:>14,.0f} {gap:>+12.3%}")
    return lines, ok


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average (as uptime prints it) {one:.2f}, {five:.2f}, {fifteen:.2f}"


def _libraries() -> str:
    from importlib.metadata import version

    import numba

    names = ("stackbound", "numpy", "numba", "squigglepy", "ema_workbench")
    layer = f"numba's threading layer {numba.threading_layer()}, {numba.get_num_threads()} threads"
    return ", ".join(f"{name} {version(name)}" for name in names) + f"; {layer}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=100_000, help="samples per run of the array versions")
    parser.add_argument("--per-draw-samples", type=int, default=2_000, help="samples per run of the per-draw peers")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="20,000 and 1,000 samples")
    args = parser.parse_args()
    if args.repeats < 3:
        parser.error("--repeats must be at least 3 (the figure is a median of repeats)")
    samples, per_draw = QUICK if args.quick else (args.samples, args.per_draw_samples)
    print(f"same-model side-by-side: {SCENARIO.name}, 8 components, 10 variants, 2 packaging lines, {MONTHS} months")
    print(f"cores {os.cpu_count()}; {_load()}")
    rows = side_by_side(samples, per_draw, args.repeats)
    print(_libraries())
    print(f"\nper-draw peers ran {per_draw:,} samples a run, the others {samples:,}: rows compare by throughput")
    print("\n".join(table(rows)))
    lines, ok = agreement(rows)
    print(f"\nmedians of cumulative good units 2024-01..2028-12 (timed runs pooled), tolerance {TOLERANCE:.0%}")
    print("\n".join(lines))
    same = np.array_equal(rows[-1].units, rows[-2].units)
    print(f"stackbound with 1 and with 2 workers: {'bit-identical' if same else 'DIFFERENT'} per-sample results")
    print(_load())
    if not ok:
        print(f"FAIL: a median differs from stackbound's by more than {TOLERANCE:.0%}", file=sys.stderr)
        sys.exit(1)
    print(f"medians agree within {TOLERANCE:.0%}")


if __name__ == "__main__":
    main()
