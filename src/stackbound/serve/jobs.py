"""A bounded queue of jobs (runs, analyses) simulated by worker threads.

A job is ``work(progress)``: the engine calls ``progress(done, total)`` after each chunk,
which is where a job learns that it was cancelled or ran out of time (it raises, and the
engine stops between chunks). At most ``capacity`` jobs are queued or running; past that
:meth:`JobQueue.submit` raises :class:`QueueFullError`, with the seconds to wait. Finished jobs
are kept for ``ttl`` seconds, and at most ``max_kept`` of them holding at most
``max_bytes`` of results (the oldest finished go first; the newest is always kept). A route
may wait for a job to end without holding a thread (:meth:`JobQueue.settled`, for
``?wait=``): the worker that finishes the job wakes it.

::

    jobs = JobQueue(workers=1, capacity=8, time_limit=600, ttl=3600, max_kept=64, max_bytes=10**9)
    job, new = jobs.submit("a1b2", "run", lambda progress: Finished(run(..., progress=progress), 0))
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from stackbound.errors import StackboundError
from stackbound.serve.release import QuietRelease

__all__ = ["Finished", "Job", "JobCancelledError", "JobQueue", "QueueFullError", "Status", "TimeLimitError"]

log = logging.getLogger("stackbound.serve")
Progress = Callable[[int, int], None]


class QueueFullError(StackboundError):
    """Every place in the job queue is taken; ``retry_after`` is the seconds to wait."""

    def __init__(self, capacity: int, retry_after: int) -> None:
        super().__init__(f"the job queue is full ({capacity} jobs queued or running); retry in {retry_after} s")
        self.retry_after = retry_after


class JobCancelledError(StackboundError):
    """Raised in a job's progress callback once the job is cancelled: the engine stops."""


class TimeLimitError(StackboundError):
    """Raised in a job's progress callback once the job has run past the time limit."""


class Status(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE = frozenset({Status.QUEUED, Status.RUNNING})


@dataclass(frozen=True)
class Finished:
    """What a job's work returns: its value and the memory it holds (bytes)."""

    value: object
    nbytes: int


Work = Callable[[Progress], Finished]


@dataclass(eq=False)
class Job:
    """One job: what it computes (``spec``, for the routes), its state and its result."""

    id: str
    kind: str
    spec: object
    work: Work = field(repr=False)
    created: float
    status: Status = Status.QUEUED
    done: int = 0
    total: int = 0
    started: float | None = None
    finished: float | None = None
    error: str | None = None
    value: object = None
    nbytes: int = 0
    cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    answers: dict[object, object] = field(default_factory=dict, repr=False)
    """Answers already computed from the result (a summary per language and metrics), so
    asking again costs nothing; small beside the result, and freed with it."""
    wakers: list[Callable[[], None]] = field(default_factory=list, repr=False)
    """Called once the job has ended, by the thread that ended it (:meth:`JobQueue.settled`)."""

    @property
    def fraction(self) -> float:
        if self.status is Status.DONE:
            return 1.0
        return self.done / self.total if self.total else 0.0


class JobQueue:
    """Jobs by id, simulated in order of submission by ``workers`` daemon threads."""

    def __init__(
        self,
        *,
        workers: int,
        capacity: int,
        time_limit: float,
        ttl: float,
        max_kept: int,
        max_bytes: int,
        clock: Callable[[], float] = time.monotonic,
        released: Callable[[], None] = lambda: None,
        quiet: float = 0.0,
    ) -> None:
        """``released`` is called after results were let go (to hand memory back to the OS),
        in a thread of its own once ``quiet`` seconds have passed with no job running,
        starting or ending (:class:`~stackbound.serve.release.QuietRelease`): no request
        waits on the trim, and a run that follows soon reuses the memory."""
        self.capacity, self.time_limit, self.ttl = capacity, time_limit, ttl
        self._release = QuietRelease(released, quiet)
        self.max_kept, self.max_bytes, self.clock = max_kept, max_bytes, clock
        self.workers = workers
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._pending: queue.Queue[Job | None] = queue.Queue()
        self._durations: list[float] = []
        self._threads = [threading.Thread(target=self._serve, daemon=True, name=f"job-{i}") for i in range(workers)]
        for thread in self._threads:
            thread.start()

    # ------------------------------------------------------------------ the routes' side

    def submit(self, job_id: str, kind: str, work: Work, spec: object) -> tuple[Job, bool]:
        """The job ``job_id``: the one kept (queued, running or done; ``False``), or a new
        one queued (``True``). QueueFullError when ``capacity`` jobs are already waiting or running."""
        with self._purged():
            kept = self._jobs.get(job_id)
            if kept is not None and kept.status not in (Status.FAILED, Status.CANCELLED):
                return kept, False
            active = sum(job.status in ACTIVE for job in self._jobs.values())
            if active >= self.capacity:
                raise QueueFullError(self.capacity, self._retry_after(active))
            job = Job(job_id, kind, spec, work, created=self.clock())
            self._jobs[job_id] = job
        self._pending.put(job)
        return job, True

    def get(self, job_id: str) -> Job | None:
        with self._purged():
            return self._jobs.get(job_id)

    async def settled(self, job: Job, timeout: float) -> None:
        """Return once ``job`` is done, failed or cancelled, or after ``timeout`` seconds,
        whichever is first; the event loop is free meanwhile (no thread is held)."""
        loop = asyncio.get_running_loop()
        ended = asyncio.Event()

        def wake() -> None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits any more
                loop.call_soon_threadsafe(ended.set)

        with self._lock:
            if job.status not in ACTIVE:
                return
            job.wakers.append(wake)
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await ended.wait()
        finally:
            with self._lock:
                if wake in job.wakers:
                    job.wakers.remove(wake)

    def cancel(self, job_id: str) -> Job | None:
        """Cancel a queued job now, a running one at its next chunk; a finished job is
        forgotten (its result freed). None: no such job."""
        forgotten = False
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return None
            job.cancel.set()
            if job.status is Status.QUEUED:
                self._finish(job, Status.CANCELLED, "cancelled before it started")
            elif job.status is not Status.RUNNING:
                del self._jobs[job_id]
                job.value, forgotten = None, True
        if forgotten:
            self._release.request()
        return job

    def counts(self) -> dict[str, int]:
        """Jobs kept by status, and the bytes their results hold."""
        with self._purged():
            found = {status.value: 0 for status in Status}
            for job in self._jobs.values():
                found[job.status.value] += 1
            return {**found, "result_bytes": sum(job.nbytes for job in self._jobs.values())}

    def close(self, wait: float = 60.0) -> None:
        """Cancel every job and stop the workers, each at its running job's next chunk,
        waiting up to ``wait`` seconds for them: a worker left inside the engine while the
        interpreter exits can abort the process."""
        with self._lock:
            for job in self._jobs.values():
                job.cancel.set()
        for _ in self._threads:
            self._pending.put(None)
        deadline = time.monotonic() + wait
        for thread in self._threads:
            thread.join(max(deadline - time.monotonic(), 0.0))
        self._release.close(max(deadline - time.monotonic(), 0.0))

    # ------------------------------------------------------------------ the workers' side

    def _serve(self) -> None:
        with np.errstate(all="ignore"):  # overflow shows in the results, as in the CLI
            while (job := self._pending.get()) is not None:
                self._execute(job)

    def _execute(self, job: Job) -> None:
        with self._lock:
            if job.status is not Status.QUEUED:
                return
            job.status, job.started = Status.RUNNING, self.clock()
        self._release.started()
        try:
            outcome = job.work(self._progress(job))
        except JobCancelledError:
            self._settle(job, Status.CANCELLED, "cancelled")
        except TimeLimitError as error:
            self._settle(job, Status.FAILED, str(error))
        except StackboundError as error:
            self._settle(job, Status.FAILED, str(error))
        except Exception:  # a bug: logged with its traceback, the client gets one line
            log.exception("job %s (%s) failed", job.id, job.kind)
            self._settle(job, Status.FAILED, "internal error while computing this job (see the server's log)")
        else:
            with self._purged():
                job.value, job.nbytes = outcome.value, outcome.nbytes
                self._finish(job, Status.DONE, None)
            return
        finally:
            self._release.ended()
        # Out of the except clause, the traceback is gone, and with it the run's arrays and
        # its chunks in flight (the engine's pool shuts down): only now is their memory free
        # to go back (asked for here, handed back once the server is quiet).
        self._release_if_idle()

    def _progress(self, job: Job) -> Progress:
        started = self.clock()

        def progress(done: int, total: int) -> None:
            job.done, job.total = done, total
            if job.cancel.is_set():
                raise JobCancelledError(f"job {job.id} was cancelled")
            if self.clock() - started > self.time_limit:
                raise TimeLimitError(f"the job ran past the time limit of {self.time_limit:g} s and was stopped")

        return progress

    def _settle(self, job: Job, status: Status, error: str | None) -> None:
        with self._lock:
            self._finish(job, status, error)

    def _release_if_idle(self) -> None:
        """After a job that ended without a result (failed or cancelled): the memory its
        work held goes back to the OS (``released``), unless another job waits to reuse it."""
        with self._lock:
            idle = not any(job.status is Status.QUEUED for job in self._jobs.values())
        if idle:
            self._release.request()

    def _finish(self, job: Job, status: Status, error: str | None) -> None:
        """Mark ``job`` finished (the lock held)."""
        job.status, job.error, job.finished = status, error, self.clock()
        job.work = _spent
        for wake in job.wakers:
            wake()
        job.wakers.clear()
        if job.started is not None:
            self._durations = [*self._durations[-19:], job.finished - job.started]

    # ------------------------------------------------------------------ bounds

    def _retry_after(self, active: int) -> int:
        """Seconds until a place is likely free: the mean of recent jobs' durations times the
        jobs ahead per worker, at least 1."""
        mean = sum(self._durations) / len(self._durations) if self._durations else 1.0
        return max(1, math.ceil(mean * active / self.workers))

    @contextlib.contextmanager
    def _purged(self) -> Iterator[None]:
        """The lock held, finished jobs past their bounds forgotten on the way in and on the
        way out (a job that finished inside counts), and ``released`` once the lock is let go."""
        freed = False
        try:
            with self._lock:
                freed = self._purge()
                yield
                freed = self._purge() or freed
        finally:
            if freed:
                self._release.request()

    def _purge(self) -> bool:
        """Forget finished jobs past their time, then the oldest past the count and memory
        bounds (the lock held); whether results were let go."""
        now = self.clock()
        finished = sorted(
            (job for job in self._jobs.values() if job.finished is not None and job.status not in ACTIVE),
            key=lambda job: job.finished or 0.0,
        )
        kept = [job for job in finished if now - (job.finished or now) <= self.ttl]
        dropped = [job for job in finished if job not in kept]
        held = sum(job.nbytes for job in kept)
        while len(kept) > 1 and (len(kept) > self.max_kept or held > self.max_bytes):  # the newest stays
            dropped.append(kept.pop(0))
            held -= dropped[-1].nbytes
        for job in dropped:
            del self._jobs[job.id]
            job.value = None
        return any(job.nbytes for job in dropped)


def _spent(progress: Progress) -> Finished:
    """A finished job's work: its closure (and the scenario it held) is let go."""
    raise RuntimeError("this job has already run")
