"""Run a scenario: draw inputs block by block, simulate chunk by chunk, keep results.

``run(loaded, samples=..., seed=...)`` is the engine's one entry point. A chunk is a whole
number of random blocks (:data:`~stackbound.engine.sampling.BLOCK_SIZE` samples each), so the
result is bit-identical for any ``chunk_size``, and for any executor that simulates the
chunks (:mod:`stackbound.engine.executors`: threads here, worker processes, a Dask cluster).
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from stackbound.engine.accumulate import Accumulator, Reduction, annual_reader, reduce_chunk
from stackbound.engine.allocate import simulate
from stackbound.engine.annual import AnnualReader
from stackbound.engine.budget import available_memory, budget, check_fits
from stackbound.engine.exact import EXACT_MAX_SAMPLES, lp_solver
from stackbound.engine.executors import Chunk, Executor, Threads
from stackbound.engine.keep import DEFAULT_KEEP, Keep, parse_keep
from stackbound.engine.memory import keep_freed_arrays
from stackbound.engine.outputs import derive
from stackbound.engine.plan import Plan, build_plan
from stackbound.engine.results import RunResult
from stackbound.engine.sampling import BLOCK_SIZE, block_uniforms, draws_from_uniforms
from stackbound.engine.supply import Supply, build_supply
from stackbound.engine.workspace import Workspace
from stackbound.errors import SimulationError
from stackbound.scenario.loader import LoadedScenario

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_SAMPLES",
    "Adjust",
    "ChunkWork",
    "Progress",
    "new_seed",
    "run",
    "run_deterministic",
]

DEFAULT_SAMPLES = 10_000
DEFAULT_CHUNK_SIZE = 1_024
"""Samples simulated at once: small enough that a chunk's arrays stay in cache and memory
stays flat; measured within a few percent of the fastest size."""
DEFAULT_WORKERS = min(2, os.cpu_count() or 1)
Progress = Callable[[int, int], None]
Adjust = Callable[[Plan, Supply], None]


def new_seed() -> int:
    """A fresh seed from the operating system, to be recorded with the result."""
    entropy = np.random.SeedSequence().entropy
    assert isinstance(entropy, int)  # a fresh SeedSequence draws an int from the OS
    return entropy % (2**63)


def _draws(
    loaded: LoadedScenario,
    seed: int,
    blocks: list[tuple[int, int]],
    uniforms: NDArray[np.float64] | None,
    correlate: bool,
    first: int = 0,
) -> dict[str, NDArray[np.float64]]:
    """The blocks' draws: from their random streams, or from ``uniforms``, whose first row is
    sample ``first`` (0: the whole design; a chunk's first sample: that chunk's rows)."""
    parts: list[dict[str, NDArray[np.float64]]] = []
    for block, size in blocks:
        if uniforms is None:
            u = block_uniforms(seed, block, size, [inp.name for inp in loaded.inputs])
        else:
            start = block * BLOCK_SIZE - first
            u = uniforms[start : start + size]
        parts.append(draws_from_uniforms(loaded.inputs, loaded.copula, u, correlate=correlate))
    return {inp.name: np.concatenate([p[inp.name] for p in parts]) for inp in loaded.inputs}


def _levers(loaded: LoadedScenario) -> dict[str, str]:
    return {name: lever.value.describe() for name, lever in loaded.scenario.levers.items()}


def run_deterministic(loaded: LoadedScenario) -> RunResult:
    """One sample with every uncertain input at its median and no correlation: the
    deterministic run that a run without uncertainty must equal."""
    return run(loaded, samples=1, seed=0, uniforms=np.full((1, len(loaded.inputs)), 0.5), correlate=False)


def _result(plan: Plan, acc: Accumulator, seed: int, samples: int, exact: bool, timings: dict[str, float]) -> RunResult:
    scenario, reader = plan.loaded.scenario, acc.reader
    return RunResult(
        scenario=scenario.name,
        digest=plan.loaded.digest,
        seed=seed,
        samples=samples,
        exact=exact,
        months=plan.months,
        years=tuple(int(m // 12) for m in plan.months[acc.year_starts]),
        quarters=tuple(f"{m // 12}-Q{m % 12 // 3 + 1}" for m in plan.months[acc.quarter_starts]),
        products=plan.products,
        vendors=reader.vendors,
        origins=reader.origins,
        components=plan.components,
        variants=tuple(v.name for v in plan.variants),
        constraint_names=plan.constraint_names,
        stockpiles=tuple(plan.pools[p].name for p in plan.stockpiles),
        annual=acc.annual,
        quarterly=acc.quarterly,
        annual_keys=reader.kept,
        quarterly_keys=acc.quarterly_keys,
        monthly_keys=tuple(acc.monthly_keys),
        monthly_counts=acc.counts,
        monthly_sums=acc.sums,
        binding_counts=acc.binding,
        starved_counts=acc.starved,
        relief_sums=acc.relief,
        runout=acc.runout,
        levers=_levers(plan.loaded),
        reference=reader.reference,
        paths=acc.paths,
        timings=timings,
        memberships=reader.memberships,
        metric=scenario.metric,
        keep=acc.keep,
        unsourced=reader.unsourced,
        annual_histograms=acc.annual_histograms,
        quarterly_histograms=acc.quarterly_histograms,
    )


def _chunks(samples: int, chunk_size: int) -> list[Chunk]:
    per_chunk = math.ceil(chunk_size / BLOCK_SIZE) * BLOCK_SIZE
    chunks = []
    for first in range(0, samples, per_chunk):
        n = min(per_chunk, samples - first)
        count = math.ceil(n / BLOCK_SIZE)
        chunks.append((first, [(first // BLOCK_SIZE + b, min(BLOCK_SIZE, n - b * BLOCK_SIZE)) for b in range(count)]))
    return chunks


@dataclass(frozen=True, eq=False)
class ChunkWork:
    """Simulates and reduces one chunk of a run: the run's plan and settings, given each
    chunk's blocks and, in a design, its rows of ``uniforms``. Picklable (its workspaces are
    left behind), so an executor can send it once to each worker process, which keeps a
    workspace per thread for as long as it holds the work."""

    plan: Plan
    seed: int
    correlate: bool
    exact: bool
    keep_paths: bool
    adjust: Adjust | None
    keep: Keep = DEFAULT_KEEP
    reader: AnnualReader | None = None
    """How annual metrics are read before they are summarised (``keep="none"``)."""
    spaces: dict[int, Workspace] = field(default_factory=dict, repr=False)

    def __getstate__(self) -> dict[str, object]:
        return {**self.__dict__, "spaces": {}}

    def __call__(self, chunk: Chunk, uniforms: NDArray[np.float64] | None) -> Reduction:
        first, blocks = chunk
        plan, n = self.plan, sum(size for _, size in blocks)
        space = self.spaces.setdefault(threading.get_ident(), Workspace())
        # Extreme but legal inputs (1e308 wafers, a 1e-300 mm² die, a huge sigma) overflow
        # to inf or nan, which the results carry and the reports flag: numpy's warnings
        # would only be noise. errstate is per thread, so it is set here, in the worker.
        with np.errstate(all="ignore"):
            draws = _draws(plan.loaded, self.seed, blocks, uniforms, self.correlate, first)
            supply = build_supply(plan, draws, n, space)
            if self.adjust is not None:
                self.adjust(plan, supply)
            paths = simulate(plan, supply, n, lp_solver(plan, supply) if self.exact else None, space)
            offsets = [(b * BLOCK_SIZE, size) for b, (_, size) in enumerate(blocks)]
            return reduce_chunk(
                plan, derive(plan, supply, paths, space), offsets, self.keep_paths, self.keep, self.reader
            )


def _rows(uniforms: NDArray[np.float64] | None, chunk: Chunk) -> NDArray[np.float64] | None:
    """A chunk's rows of the design, the only ones its worker needs."""
    first, blocks = chunk
    return None if uniforms is None else uniforms[first : first + sum(size for _, size in blocks)]


def run(
    loaded: LoadedScenario,
    *,
    samples: int = DEFAULT_SAMPLES,
    seed: int | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    workers: int = DEFAULT_WORKERS,
    exact: bool = False,
    keep_paths: bool = False,
    keep: Keep = DEFAULT_KEEP,
    uniforms: NDArray[np.float64] | None = None,
    correlate: bool = True,
    adjust: Adjust | None = None,
    progress: Progress | None = None,
    executor: Executor | None = None,
) -> RunResult:
    """Simulate ``samples`` Monte Carlo samples of a loaded scenario.

    Chunks of ``chunk_size`` samples (rounded up to whole random blocks) are simulated by up
    to ``workers`` threads and reduced in sample order, so neither setting changes a bit of
    the result. ``uniforms`` (samples × inputs, in (0, 1)) replaces the random draws: the
    seam for Latin-hypercube and Sobol designs; ``correlate=False`` then skips the copula.
    ``adjust`` may change each chunk's exogenous supply in place before it is simulated
    (one more HBM stack, one more wafer a month): the seam for marginal values.
    ``executor`` simulates the chunks elsewhere (worker processes, a Dask cluster; see
    :mod:`~stackbound.engine.executors`) and bit for bit alike; without one, ``workers``
    threads here do. ``keep`` says what is kept per sample (:mod:`~stackbound.engine.keep`):
    ``"annual,quarterly"`` (the default), ``"annual"`` or ``"none"``; what is not kept is
    kept as histograms, so every annual mean and percentile can still be read
    (:meth:`~stackbound.engine.results.RunResult.annual_percentiles`), and the kept values
    are bit-identical in every mode that keeps them.
    """
    if samples < 1:
        raise SimulationError(f"samples must be at least 1, got {samples}")
    if chunk_size < 1 or workers < 1:
        raise SimulationError(f"chunk size and workers must be at least 1, got {chunk_size} and {workers}")
    if exact and samples > EXACT_MAX_SAMPLES:
        raise SimulationError(f"exact mode is capped at {EXACT_MAX_SAMPLES} samples, got {samples}")
    if uniforms is not None and uniforms.shape != (samples, len(loaded.inputs)):
        raise SimulationError(f"uniforms must have shape ({samples}, {len(loaded.inputs)}), got {uniforms.shape}")
    kept = parse_keep(keep)
    seed = seed if seed is not None else new_seed()
    keep_freed_arrays()
    started = time.perf_counter()
    plan = build_plan(loaded)
    per_chunk = math.ceil(chunk_size / BLOCK_SIZE) * BLOCK_SIZE
    need = budget(plan, samples, per_chunk, min(workers, math.ceil(samples / per_chunk)), keep_paths, kept)
    check_fits(need, samples, keep_paths, available_memory(), kept)
    reader = annual_reader(plan)
    acc = Accumulator(plan, samples, keep_paths, kept, reader)
    work = ChunkWork(plan, seed, correlate, exact, keep_paths, adjust, kept, reader)  # a workspace per thread, this run
    chunks = _chunks(samples, chunk_size)
    tasks = ((chunk, _rows(uniforms, chunk)) for chunk in chunks)
    reductions = (executor if executor is not None else Threads(workers)).reductions(work, tasks)
    # The copula's matrix product is small: BLAS threads would only spin against ours.
    with threadpool_limits(limits=1, user_api="blas"):
        for (start, _), reduction in zip(chunks, reductions, strict=True):
            acc.add(start, reduction)
            if progress is not None:
                progress(start + reduction.samples, samples)
    timings = {"simulate_seconds": time.perf_counter() - started}
    return _result(plan, acc, seed, samples, exact, timings)
