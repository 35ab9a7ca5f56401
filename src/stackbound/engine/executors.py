"""Where a run's chunks are simulated: threads here, worker processes, or a Dask cluster.

:func:`~stackbound.engine.run.run` hands an executor its :class:`~stackbound.engine.run.ChunkWork`
(the run's plan and settings, picklable) and one task per chunk: the chunk's random blocks
and, in a design, its rows of uniforms. A worker draws the blocks from the run's seed,
simulates them and returns the chunk's :class:`~stackbound.engine.accumulate.Reduction`;
the executor yields the reductions in chunk order, and ``run`` merges them in that order.
Which worker ran a chunk, and when it finished, changes no bit of the result. At most
:data:`IN_FLIGHT` chunks per worker thread are under way or waiting to be merged, so the
caller's memory stays flat however many samples are run.

::

    Executor     reductions(work, tasks) -> reductions in task order
    ├── Threads    threads of this process (the default: ``run(workers=...)``)
    ├── Processes  the standard library's process pool, started with ``spawn``; the pool
    │              lives as long as the ``with`` block, across runs
    └── Dask       a ``distributed.Client``: the work is scattered to every worker once
                   per run; a chunk lost with a worker is run again by the scheduler

:data:`EXECUTORS` names them for the command line, :func:`open_executor` opens one.
Worker processes load the compiled kernels from the cache that
:mod:`stackbound.engine.compiled` chose in the parent (``NUMBA_CACHE_DIR`` is inherited);
a cluster's workers each choose their own, and compile once where it is cold.
"""

from __future__ import annotations

import os
import pickle
import signal
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from multiprocessing import get_context
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from stackbound.engine.accumulate import Reduction
from stackbound.errors import SimulationError

if TYPE_CHECKING:
    from distributed import Client, Worker, WorkerPlugin
    from distributed import Future as DaskFuture

__all__ = [
    "EXECUTORS",
    "IN_FLIGHT",
    "QUIET_CLUSTER",
    "Chunk",
    "Dask",
    "Executor",
    "Processes",
    "Task",
    "Threads",
    "Work",
    "dask_client",
    "open_executor",
]

Chunk = tuple[int, list[tuple[int, int]]]
"""First sample of a chunk, and its random blocks as (block index, size)."""
Rows = NDArray[np.float64]
Task = tuple[Chunk, Rows | None]
"""A chunk and its rows of the run's uniforms (None: drawn from the seed)."""
Work = Callable[[Chunk, Rows | None], Reduction]
"""Simulates one chunk: :class:`~stackbound.engine.run.ChunkWork`."""

IN_FLIGHT = 2
"""Chunks per worker thread under way or finished and waiting to be merged: enough that a
worker never waits for the caller, few enough that the caller's memory stays flat."""
EXECUTORS = ("local", "processes", "dask")
"""The executors the command line offers (``--executor``); local is :class:`Threads`."""


class Executor(Protocol):
    """Runs ``work`` on every task and yields the reductions in task order."""

    def reductions(self, work: Work, tasks: Iterable[Task]) -> Iterator[Reduction]: ...


class _Result(Protocol):
    def result(self) -> Reduction: ...


def _in_order(submit: Callable[[Task], _Result], tasks: Iterable[Task], window: int) -> Iterator[Reduction]:
    """Each task's result in task order, with at most ``window`` tasks submitted and not yet
    taken: the rest are submitted as results are taken."""
    pending: list[_Result] = []
    for task in tasks:
        if len(pending) == window:
            yield pending.pop(0).result()
        pending.append(submit(task))
    while pending:
        yield pending.pop(0).result()


class Threads:
    """Chunks simulated by ``workers`` threads of this process (the kernels and numpy release
    the GIL); one thread simulates them in turn. A run stopped early (cancelled, failed: its
    reductions no longer taken) drops the chunks submitted and not yet started, and waits
    only for those under way: a server's next job starts after them."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def reductions(self, work: Work, tasks: Iterable[Task]) -> Iterator[Reduction]:
        if self.workers <= 1:
            yield from (work(*task) for task in tasks)
            return
        pool = ThreadPoolExecutor(max_workers=self.workers)
        try:
            yield from _in_order(lambda task: pool.submit(work, *task), tasks, IN_FLIGHT * self.workers)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


# ------------------------------------------------------------------ processes

_held: tuple[str, Work] | None = None
"""In a worker process of :class:`Processes`: the run it is simulating (token, work)."""


def _start_worker() -> None:
    """A pool process leaves Ctrl-C to its parent (which stops the pool), and runs BLAS on
    one thread, as ``run`` does."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threadpool_limits(limits=1, user_api="blas")


def _simulate_pickled(token: str, work: bytes, chunk: Chunk, rows: Rows | None) -> Reduction:
    """Simulate a chunk of the run ``token``, unpickling its work only when a new run starts."""
    global _held
    if _held is None or _held[0] != token:
        _held = (token, pickle.loads(work))
    return _held[1](chunk, rows)


def _pickled(work: Work) -> bytes:
    try:
        return pickle.dumps(work, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, AttributeError, TypeError) as error:
        raise SimulationError(
            f"the processes executor cannot send this run to its workers ({error}); an adjust function must "
            "be picklable (a module-level function or a functools.partial of one): use the local or dask executor"
        ) from None


class Processes:
    """Chunks simulated by ``workers`` processes (default: one per core), a pool kept for as
    long as the ``with`` block, so that several runs pay its start once (about 2.5 s a
    process: imports and loading the kernel cache). Each run pickles its work once; every
    chunk carries those bytes, and a worker unpickles them when a new run reaches it. A
    worker that dies (killed, out of memory) stops the run with a :class:`SimulationError`;
    chunks are not retried (use :class:`Dask` for that)."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers if workers is not None else len(os.sched_getaffinity(0))
        if self.workers < 1:
            raise SimulationError(f"the processes executor needs at least 1 worker, got {self.workers}")
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Processes:
        context = get_context("spawn")  # forking a process that holds threads can deadlock its child
        self._pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_start_worker)
        return self

    def __exit__(self, *_: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def reductions(self, work: Work, tasks: Iterable[Task]) -> Iterator[Reduction]:
        pool = self._pool
        if pool is None:
            raise SimulationError("the processes executor is used outside its `with` block")
        payload, token = _pickled(work), uuid.uuid4().hex

        def submit(task: Task) -> Future[Reduction]:
            return pool.submit(_simulate_pickled, token, payload, *task)

        try:
            yield from _in_order(submit, tasks, IN_FLIGHT * self.workers)
        except BrokenProcessPool:
            raise SimulationError(
                "a worker process of the processes executor died (killed, or out of memory?); its chunks are "
                "not retried: run again, with fewer --samples per chunk, or with --executor dask"
            ) from None


# ------------------------------------------------------------------ dask


def _simulate(work: Work, chunk: Chunk, rows: Rows | None) -> Reduction:
    """A chunk on a Dask worker; ``work`` is that worker's copy of the scattered run."""
    return work(chunk, rows)


class Dask:
    """Chunks simulated by the workers of a Dask cluster, through ``client``. Each run's work
    is scattered to every worker once and released when the run ends; a chunk lost with a
    worker is run again by the scheduler (up to its ``distributed.scheduler.allowed-failures``)."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def reductions(self, work: Work, tasks: Iterable[Task]) -> Iterator[Reduction]:
        from distributed import KilledWorker  # imported here: only a Dask run loads distributed

        client, run_key = self.client, f"stackbound-{uuid.uuid4().hex[:12]}"
        # distributed's Client methods are untyped.
        [held] = client.scatter([work], broadcast=True, hash=False)  # type: ignore[no-untyped-call]
        threads: dict[str, int] = client.nthreads()  # type: ignore[no-untyped-call]
        window = IN_FLIGHT * max(sum(threads.values()), 1)

        def submit(task: Task) -> DaskFuture[Reduction]:
            (first, blocks), rows = task
            return client.submit(_simulate, held, (first, blocks), rows, key=f"{run_key}-{first}", pure=False)

        try:
            yield from _in_order(submit, tasks, window)  # a taken future is dropped, which releases it
        except KilledWorker as error:
            raise SimulationError(f"Dask gave up on a chunk: the workers running it died too often ({error})") from None
        except CancelledError:
            raise SimulationError(
                "the Dask cluster lost the run (its scheduler, or every worker holding the run, went away)"
            ) from None
        finally:
            held.release()


def _interrupts_to_the_client() -> WorkerPlugin:
    """A plugin for the workers of a cluster this process started: Ctrl-C reaches every
    process of the terminal's process group, and the client alone should answer it (it
    stops the cluster), not each worker with a traceback. (Defined here, so that importing
    this module does not import distributed; cloudpickle sends the class by value.)"""
    from distributed import WorkerPlugin

    class LeaveInterruptsToTheClient(WorkerPlugin):
        idempotent = True

        def setup(self, worker: Worker) -> None:
            signal.signal(signal.SIGINT, signal.SIG_IGN)

    return LeaveInterruptsToTheClient()


QUIET_CLUSTER: dict[str, Any] = {"dashboard_address": None, "scheduler_kwargs": {"dashboard_address": ":0"}}
"""Options of a local cluster without a dashboard whose scheduler's HTTP server (health and
metrics, always started) takes a free port: on its default, 8787, a second cluster on the
machine would warn that the port is taken."""


@contextmanager
def dask_client(scheduler: str | None) -> Iterator[Client]:
    """A client of the scheduler at ``scheduler``, or of a new local cluster (one worker
    process per core, one thread each, no dashboard); closed, with the cluster, at the end."""
    from distributed import Client, LocalCluster  # imported here: only a Dask run loads distributed

    # distributed's Client and LocalCluster are untyped.
    if scheduler is None:
        workers = len(os.sched_getaffinity(0))
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers, threads_per_worker=1, processes=True, **QUIET_CLUSTER
        )
        with cluster, Client(cluster) as client:  # type: ignore[no-untyped-call]
            client.register_plugin(_interrupts_to_the_client(), name="stackbound-interrupts")
            yield client
        return
    try:
        client = Client(scheduler)  # type: ignore[no-untyped-call]
    except (OSError, ValueError, TimeoutError) as error:
        raise SimulationError(f"cannot reach the Dask scheduler at {scheduler!r}: {error}") from None
    with client:
        yield client


@contextmanager
def open_executor(name: str, scheduler: str | None = None) -> Iterator[Executor | None]:
    """The executor called ``name`` (one of :data:`EXECUTORS`), open for the ``with`` block;
    None for local (``run`` then uses its own threads). ``scheduler`` is a Dask scheduler's
    address (dask only; without it, a local cluster is started)."""
    if scheduler is not None and name != "dask":
        raise SimulationError(f"a scheduler address is for the dask executor, not {name!r}")
    if name == "local":
        yield None
    elif name == "processes":
        with Processes() as processes:
            yield processes
    elif name == "dask":
        with dask_client(scheduler) as client:
            yield Dask(client)
    else:
        raise SimulationError(f"unknown executor {name!r} (known: {', '.join(EXECUTORS)})")
