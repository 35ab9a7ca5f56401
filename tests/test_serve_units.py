"""The server's parts on their own, without HTTP: a job queue's waits (a job waited for is
seen to end at once, a wait that times out leaves nothing behind), the memory it hands back
after a job ends without a result, and the scenarios of recent requests kept loaded."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from stackbound.errors import ScenarioError
from stackbound.serve.jobs import Finished, JobQueue, Progress, Status
from stackbound.serve.scenarios import RecentScenarios
from stackbound.serve.schemas import RunRequest, ScenarioSource


@pytest.fixture
def jobs() -> Iterator[JobQueue]:
    queue = JobQueue(workers=1, capacity=4, time_limit=60, ttl=60, max_kept=4, max_bytes=10**9)
    yield queue
    queue.close(wait=10)


def _blocked(go: threading.Event) -> Callable[[Progress], Finished]:
    """A job's work that ends once ``go`` is set, reporting progress (so it can be cancelled)."""

    def work(progress: Progress) -> Finished:
        while not go.wait(0.01):
            progress(0, 1)
        return Finished("done", 0)

    return work


def _seconds_settled(jobs: JobQueue, job_id: str, timeout: float, release_after: float | None = None) -> float:
    """Seconds :meth:`JobQueue.settled` took for ``job_id``; ``release_after``: cancel the job then."""
    job = jobs.get(job_id)
    assert job is not None

    async def waited() -> float:
        if release_after is not None:
            asyncio.get_running_loop().call_later(release_after, jobs.cancel, job_id)
        asked = time.monotonic()
        await jobs.settled(job, timeout)
        return time.monotonic() - asked

    # In a thread of its own: a test before may have left an event loop running in this one
    # (Playwright's, in the browser tests), and asyncio.run refuses to start beside it.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(waited())).result()


def test_a_job_waited_for_is_seen_to_end_at_once(jobs: JobQueue) -> None:
    go = threading.Event()
    job, _ = jobs.submit("a", "run", _blocked(go), None)
    threading.Timer(0.3, go.set).start()
    took = _seconds_settled(jobs, "a", timeout=20)
    assert job.status is Status.DONE
    assert 0.2 < took < 5
    assert job.wakers == []


def test_a_wait_that_times_out_leaves_no_waker_behind(jobs: JobQueue) -> None:
    go = threading.Event()
    job, _ = jobs.submit("a", "run", _blocked(go), None)
    took = _seconds_settled(jobs, "a", timeout=0.2)
    assert job.status in (Status.QUEUED, Status.RUNNING)
    assert 0.2 <= took < 5
    assert job.wakers == []
    go.set()


def test_a_cancelled_job_ends_the_wait(jobs: JobQueue) -> None:
    job, _ = jobs.submit("a", "run", _blocked(threading.Event()), None)
    took = _seconds_settled(jobs, "a", timeout=20, release_after=0.3)
    assert job.status is Status.CANCELLED
    assert took < 5


def test_a_finished_job_is_not_waited_for(jobs: JobQueue) -> None:
    go = threading.Event()
    go.set()
    job, _ = jobs.submit("a", "run", _blocked(go), None)
    _seconds_settled(jobs, "a", timeout=20)
    assert job.status is Status.DONE
    assert _seconds_settled(jobs, "a", timeout=20) < 0.1


def test_memory_goes_back_after_a_cancelled_job_unless_another_waits() -> None:
    """A job that ends without a result frees its work's arrays: they go back to the OS
    (``released``) once the job has stopped, but not while another job would reuse them."""
    released: list[int] = []
    jobs = JobQueue(
        workers=1, capacity=4, time_limit=60, ttl=60, max_kept=4, max_bytes=10**9, released=lambda: released.append(1)
    )
    try:
        first, _ = jobs.submit("a", "run", _blocked(threading.Event()), None)
        go = threading.Event()
        second, _ = jobs.submit("b", "run", _blocked(go), None)
        jobs.cancel("a")
        _seconds_settled(jobs, "a", timeout=20)
        time.sleep(0.2)
        assert first.status is Status.CANCELLED
        assert released == []  # "b" was waiting to start
        jobs.cancel("b")
        _seconds_settled(jobs, "b", timeout=20)
        deadline = time.monotonic() + 5
        while not released and time.monotonic() < deadline:
            time.sleep(0.01)
        assert second.status is Status.CANCELLED
        assert released == [1]
    finally:
        jobs.close(wait=10)


# ------------------------------------------------------------------ recent scenarios


def test_a_request_asked_again_gets_the_scenario_kept() -> None:
    recent = RecentScenarios(size=2)
    first = recent.load(RunRequest(scenario="example", seed=1, samples=1_000, levers={"import_licence": 0}))
    again = recent.load(RunRequest(scenario="example", seed=2, samples=2_000, levers={"import_licence": 0}))
    assert again is first  # seed and samples are not the scenario's
    assert recent.load(ScenarioSource(scenario="example", levers={"import_licence": 1})) is not first


def test_the_least_recently_asked_scenario_goes_first() -> None:
    recent = RecentScenarios(size=2)
    sources = [ScenarioSource(scenario="example", levers={"import_licence": value}) for value in (0, 1, 0.5)]
    first, second = recent.load(sources[0]), recent.load(sources[1])
    assert recent.load(sources[0]) is first  # now the most recent
    recent.load(sources[2])  # lets the second go
    assert recent.load(sources[0]) is first
    assert recent.load(sources[1]) is not second


def test_a_request_that_does_not_load_is_not_kept() -> None:
    recent = RecentScenarios(size=2)
    source = ScenarioSource(scenario="example", overrides={"no.such.path": 1})
    for _ in range(2):  # its problems found again, each time
        with pytest.raises(ScenarioError, match=r"no\.such\.path"):
            recent.load(source)
