"""Chunks simulated in worker processes or on a Dask cluster give the run a single process
gives, bit for bit: whatever the number of workers, the order chunks finish in, or a worker
killed mid-run. Errors (an unreachable scheduler, a pool that breaks, work that cannot be
sent) are one clear line and exit status 2; Ctrl-C leaves no output.

A worker is killed deterministically: an ``adjust`` seam that changes nothing, except that
the first call anywhere (a marker file created exclusively) ends its process with
``os._exit``. ``STACKBOUND_TEST_INTERRUPTS=1`` also interrupts a long command once its
workers simulate, on a process pool and on a local Dask cluster, as a terminal's Ctrl-C
does (the whole process group): about 20 s and 30 s on two busy cores.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dask
import numpy as np
import psutil
import pytest
from distributed import Client, LocalCluster

from stackbound.engine.accumulate import Reduction
from stackbound.engine.executors import QUIET_CLUSTER, Chunk, Dask, Processes, Rows, Threads
from stackbound.engine.plan import Plan
from stackbound.engine.results import RunResult
from stackbound.engine.run import run
from stackbound.engine.supply import Supply
from stackbound.errors import SimulationError
from stackbound.scenario.loader import LoadedScenario, load_scenario
from support import run_main as cli
from test_cache import as_nobody, base_env, needs_root, python, scratch, warmed  # noqa: F401  (fixtures)

SAMPLES = 20_517
"""Twenty whole random blocks and a ragged one of 37 samples."""
SEED = 11
INTERRUPTS = os.environ.get("STACKBOUND_TEST_INTERRUPTS") == "1"


def identical(expected: RunResult, got: RunResult) -> None:
    """Every field of the two results equal, every array bit for bit (timings apart)."""
    for field in dataclasses.fields(RunResult):
        if field.name != "timings":
            _identical(getattr(expected, field.name), getattr(got, field.name), field.name)


def _identical(expected: object, got: object, where: str) -> None:
    if isinstance(expected, np.ndarray):
        assert isinstance(got, np.ndarray), where
        assert (expected.dtype, expected.shape) == (got.dtype, got.shape), where
        assert expected.tobytes() == got.tobytes(), where
    elif isinstance(expected, dict):
        assert isinstance(got, dict), where
        assert list(expected) == list(got), where
        for key, value in expected.items():
            _identical(value, got[key], f"{where}[{key!r}]")
    else:
        assert expected == got, where


def die_once(marker: Path, plan: Plan, supply: Supply) -> None:
    """An adjust that changes nothing; its first call, in whichever process, ends that process."""
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return
    os._exit(1)


def more_capacity(plan: Plan, supply: Supply) -> None:
    """A picklable adjust that changes the results: half as much packaging capacity again."""
    supply.capacity *= 1.5


@pytest.fixture(scope="module")
def example() -> LoadedScenario:
    return load_scenario("example")


@pytest.fixture(scope="module")
def local(example: LoadedScenario) -> RunResult:
    return run(example, samples=SAMPLES, seed=SEED)


@pytest.fixture(scope="module")
def pair() -> Iterator[Client]:
    """Two worker processes of one thread each."""
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, **QUIET_CLUSTER) as cluster,
        Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def processes() -> Iterator[Processes]:
    with Processes(2) as pool:
        yield pool


# ------------------------------------------------------------------ threads


HELD = 2.0
"""Seconds a chunk under way takes when a run is stopped: far longer than stopping takes."""


def test_a_run_stopped_early_on_threads_starts_no_chunk_that_was_only_queued() -> None:
    """A cancelled run's chunks are no longer taken (its generator closed): the threads
    finish the chunks under way and drop those submitted but not started, so a server's
    next job waits for two chunks, not for the window of four (``IN_FLIGHT`` per thread)."""
    started: list[int] = []

    def work(chunk: Chunk, rows: Rows | None) -> Reduction:
        first = chunk[0]
        started.append(first)
        if first > 0:
            time.sleep(HELD)  # under way when the run is stopped
        return first  # type: ignore[return-value]  # what a chunk returns is passed on as it is

    tasks = [((first, []), None) for first in range(12)]
    reductions = Threads(2).reductions(work, tasks)
    assert next(reductions) == 0  # chunks 1 and 2 under way, 3 submitted behind them
    reductions.close()
    assert set(started) <= {0, 1, 2}
    assert 3 not in started


# ------------------------------------------------------------------ dask


def test_two_dask_workers_give_the_local_run_bit_for_bit(
    example: LoadedScenario, local: RunResult, pair: Client
) -> None:
    calls: list[tuple[int, int]] = []
    got = run(example, samples=SAMPLES, seed=SEED, executor=Dask(pair), progress=lambda d, t: calls.append((d, t)))
    identical(local, got)
    assert calls == [(min(done, SAMPLES), SAMPLES) for done in range(1024, SAMPLES + 1024, 1024)]


def test_one_dask_worker_gives_the_local_run_bit_for_bit(example: LoadedScenario, local: RunResult) -> None:
    with (
        LocalCluster(n_workers=1, threads_per_worker=1, processes=True, **QUIET_CLUSTER) as cluster,
        Client(cluster) as client,
    ):
        identical(local, run(example, samples=SAMPLES, seed=SEED, chunk_size=3_000, executor=Dask(client)))


def test_designs_and_adjustments_run_on_dask(example: LoadedScenario, pair: Client) -> None:
    """Uniform rows (a Sobol' design) are cut per chunk; adjust travels with the work."""
    uniforms = np.random.default_rng(5).random((3_000, len(example.inputs)))
    design = functools.partial(run, example, samples=3_000, seed=SEED, uniforms=uniforms, correlate=False)
    expected = design(adjust=more_capacity)
    assert not np.array_equal(expected.annual_values("units"), design().annual_values("units"))
    identical(expected, design(adjust=more_capacity, executor=Dask(pair)))


def test_a_dask_worker_killed_mid_run_changes_no_bit(
    example: LoadedScenario, local: RunResult, pair: Client, tmp_path: Path
) -> None:
    before = set(pair.run(os.getpid).values())
    dies = functools.partial(die_once, tmp_path / "x")
    got = run(example, samples=SAMPLES, seed=SEED, executor=Dask(pair), adjust=dies)
    identical(local, got)
    assert (tmp_path / "x").exists()
    pair.wait_for_workers(2, timeout=60)  # the nanny restarts the killed worker
    assert len(before - set(pair.run(os.getpid).values())) == 1


def test_dask_workers_load_the_kernels_without_compiling(
    example: LoadedScenario,
    pair: Client,
    warmed: Path,  # noqa: F811  (a fixture)
) -> None:
    run(example, samples=2_048, seed=SEED, executor=Dask(pair))
    counts = pair.run(_cache_counts)
    assert len(counts) == 2
    for hits, misses in counts.values():
        assert misses == 0, counts
        assert hits > 0, counts


def _cache_counts() -> tuple[int, int]:
    """Kernel cache hits and misses in this process."""
    from stackbound.engine import kernel, outputs

    stats = [d.stats for m in (kernel, outputs) for d in vars(m).values() if hasattr(d, "stats")]
    return sum(sum(s.cache_hits.values()) for s in stats), sum(sum(s.cache_misses.values()) for s in stats)


# ------------------------------------------------------------------ processes


def test_worker_processes_give_the_local_run_bit_for_bit(
    example: LoadedScenario, local: RunResult, processes: Processes
) -> None:
    identical(local, run(example, samples=SAMPLES, seed=SEED, executor=processes))
    identical(local, run(example, samples=SAMPLES, seed=SEED, chunk_size=5_000, executor=processes))


def test_designs_and_adjustments_run_in_worker_processes(example: LoadedScenario, processes: Processes) -> None:
    uniforms = np.random.default_rng(6).random((2_500, len(example.inputs)))
    design = functools.partial(run, example, samples=2_500, seed=SEED, uniforms=uniforms, adjust=more_capacity)
    identical(design(), design(executor=processes))


def test_an_adjust_the_pool_cannot_send_is_refused(example: LoadedScenario, processes: Processes) -> None:
    with pytest.raises(SimulationError, match=r"cannot send this run to its workers .* picklable"):
        run(example, samples=64, executor=processes, adjust=lambda plan, supply: None)


def test_a_worker_process_that_dies_stops_the_run_clearly(example: LoadedScenario, tmp_path: Path) -> None:
    with Processes(1) as pool, pytest.raises(SimulationError, match=r"worker process .* died .* not retried"):
        run(example, samples=4_096, seed=SEED, executor=pool, adjust=functools.partial(die_once, tmp_path / "x"))


# ------------------------------------------------------------------ as a user runs it


@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_the_command_prints_the_same_numbers_on_every_executor(
    capsys: pytest.CaptureFixture[str], executor: str
) -> None:
    args = ("run", "example", "--samples", str(SAMPLES), "--seed", str(SEED), "--format", "json")
    code, expected, err = cli(capsys, *args)
    assert code == 0, err
    code, got, err = cli(capsys, *args, "--executor", executor)
    assert code == 0, err
    assert "Traceback" not in err
    assert json.loads(got) == json.loads(expected)


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("not a scheduler", "cannot reach the Dask scheduler at 'not a scheduler': missing port"),
        ("tcp://127.0.0.1:1", "cannot reach the Dask scheduler at 'tcp://127.0.0.1:1': Timed out"),
    ],
)
def test_a_bad_scheduler_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], address: str, message: str) -> None:
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        started = time.perf_counter()
        code, out, err = cli(capsys, "run", "example", "--samples", "64", "--scheduler", address)
    assert (code, out) == (2, "")
    assert err.startswith(message), err
    assert err.count("\n") == 1, err
    assert time.perf_counter() - started < 30


def test_a_scheduler_with_another_executor_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "sensitivity", "example", "--output", "units", "--year", "2026", "--executor",
                       "processes", "--scheduler", "tcp://127.0.0.1:1")  # fmt: skip
    assert code == 2
    assert "--scheduler is for --executor dask" in err


def test_every_simulating_command_takes_the_executor(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("run", "compare", "sensitivity", "discover", "report"):
        code, out, _ = cli(capsys, command, "--help")
        assert code == 0
        assert "--executor [local|processes|dask]" in out, command
        assert "--scheduler ADDRESS" in out, command


@pytest.mark.skipif(not INTERRUPTS, reason="long: set STACKBOUND_TEST_INTERRUPTS=1")
@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_ctrl_c_during_a_run_on_workers_leaves_no_output(tmp_path: Path, executor: str) -> None:
    """Ctrl-C, as a terminal sends it to the whole process group, once the workers are
    simulating: exit 130, one line, no output directory, no process left behind."""
    out = tmp_path / "results"
    command = [sys.executable, "-m", "stackbound", "run", "example", "--samples", "3000000", "--out", str(out)]
    started = subprocess.Popen(
        [*command, "--executor", executor], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        family = _busy_workers(psutil.Process(started.pid))
        os.killpg(started.pid, signal.SIGINT)
        _, err = started.communicate(timeout=120)
    finally:
        if started.poll() is None:
            started.kill()
    assert started.returncode == 130, err
    assert err.endswith("interrupted\n"), err
    assert "Traceback" not in err, err
    assert not out.exists()
    assert os.listdir(tmp_path) == []
    psutil.wait_procs(family, timeout=30)
    assert not [p for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def _busy_workers(parent: psutil.Process) -> list[psutil.Process]:
    """The process tree under ``parent`` once one of its workers has simulated for a while
    (past its imports and loading the kernels, about 2.3 s of its own time)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        children = parent.children(recursive=True)
        if any(child.cpu_times().user > 3.0 for child in children):
            return children
        time.sleep(0.2)
    raise AssertionError("no worker started simulating within 120 s")


# ------------------------------------------------------------------ as another user

NOBODY_RUN = """
import functools, sys
from stackbound.engine import compiled
from stackbound.engine.executors import Processes
from stackbound.engine.run import run
from stackbound.scenario.loader import load_scenario
sys.path.insert(0, sys.argv[1])
from test_executors import record_cache_counts
example = load_scenario("example")
with Processes(1) as pool:
    run(example, samples=2048, seed=1, executor=pool)
    run(example, samples=64, seed=1, executor=pool, adjust=functools.partial(record_cache_counts, sys.argv[2]))
print(compiled.CACHE.directory)
"""
"""Runs the example on one worker process, whose cache hits and misses after the first
run the second run's adjust writes to a file; prints the parent's cache directory."""


def record_cache_counts(path: str, plan: Plan, supply: Supply) -> None:
    Path(path).write_text(json.dumps(_cache_counts()))


@needs_root
def test_a_worker_process_of_another_user_loads_the_shipped_cache(
    warmed: Path,  # noqa: F811  (a fixture)
    python: list[str],  # noqa: F811
    scratch: Path,  # noqa: F811
) -> None:
    counts = scratch / "worker-counts.json"
    done = as_nobody([*python, "-c", NOBODY_RUN, str(Path(__file__).parent), str(counts)], base_env(scratch))
    assert done.returncode == 0, done.stderr
    hits, misses = json.loads(counts.read_text())
    assert misses == 0
    assert hits > 0
    assert done.stdout.strip() != str(warmed)  # nobody cannot write the shipped cache: a copy of it
