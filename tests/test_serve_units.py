"""The server's parts on their own, without HTTP: a job queue's waits (a job waited for is
seen to end at once, a wait that times out leaves nothing behind), the memory it hands back
after a job ends without a result (once the server has been quiet a while), the scenarios
of recent requests kept loaded, and the built-ins read once: a change applied to one kept
is the scenario read afresh."""

from __future__ import annotations

import asyncio
import copy
import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from stackbound.errors import ScenarioError
from stackbound.report.jsondoc import finite_document, json_text
from stackbound.scenario.loader import LoadedScenario, load_overridden_text, load_scenario_text
from stackbound.scenario.units import DEFECT_DENSITY, WAFER_RATE, parse_quantity
from stackbound.serve.jobs import Finished, JobQueue, Progress, Status
from stackbound.serve.release import QuietRelease
from stackbound.serve.runs import RunSpec, run_id
from stackbound.serve.scenarios import OVERRIDES, REQUEST, RecentScenarios, builtin_text, source_changes
from stackbound.serve.schemas import RunRequest, ScenarioSource
from stackbound.serve.tables import kept_json


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


def _releases(quiet: float) -> tuple[QuietRelease, list[float]]:
    calls: list[float] = []
    return QuietRelease(lambda: calls.append(time.monotonic()), quiet), calls


def _until(calls: list[float], count: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while len(calls) < count and time.monotonic() < deadline:
        time.sleep(0.01)


def test_memory_goes_back_once_the_server_has_been_quiet_not_before() -> None:
    """Asked twice, the release is made once, ``quiet`` seconds after the last ask."""
    releaser, calls = _releases(0.3)
    try:
        asked = time.monotonic()
        releaser.request()
        time.sleep(0.1)
        releaser.request()
        _until(calls, 1)
        time.sleep(0.4)
        assert len(calls) == 1
        assert calls[0] - asked >= 0.4 - 0.02  # the second ask, 0.1 s later, set the time
    finally:
        releaser.close()


def test_no_memory_goes_back_while_a_job_runs_and_a_job_that_ends_puts_it_off() -> None:
    """A release asked for while a job runs waits for it to end, then ``quiet`` seconds
    more (a run that follows soon reuses the memory); with no ask, nothing is released."""
    releaser, calls = _releases(0.2)
    try:
        releaser.started()
        releaser.request()
        time.sleep(0.5)
        assert calls == []
        ended = time.monotonic()
        releaser.ended()
        _until(calls, 1)
        assert len(calls) == 1
        assert calls[0] - ended >= 0.2 - 0.02
        releaser.started()
        releaser.ended()
        time.sleep(0.4)
        assert len(calls) == 1  # nothing more was let go
    finally:
        releaser.close()


def test_a_release_that_fails_is_logged_and_the_next_ask_still_served(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[float] = []

    def release() -> None:
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise OSError("no trim here")

    releaser = QuietRelease(release, 0.05)
    try:
        releaser.request()
        _until(calls, 1)
        time.sleep(0.1)
        releaser.request()
        _until(calls, 2)
        assert len(calls) == 2
        assert "handing freed memory back failed" in caplog.text
    finally:
        releaser.close()


def test_a_closed_release_makes_no_call_still_waiting() -> None:
    releaser, calls = _releases(0.2)
    releaser.request()
    releaser.close()
    time.sleep(0.3)
    assert calls == []


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


# ------------------------------------------------------------------ built-ins read once


def _fresh(source: ScenarioSource) -> LoadedScenario:
    """The scenario as every request loaded it before built-ins were kept: read from text."""
    text = builtin_text(source.scenario or "")
    changes = source_changes(source)
    if not changes:
        return load_scenario_text(text, REQUEST)
    return load_overridden_text(text, changes, name=REQUEST, file=OVERRIDES)


CHANGES = [
    ScenarioSource(scenario="china"),
    ScenarioSource(scenario="china", levers={"tool_controls": 0.55}),
    ScenarioSource(scenario="china", levers={"tool_controls": {"to": [0.4, 0.9]}}),
    ScenarioSource(scenario="china", overrides={"levers.tool_controls.value": 0.55}),
    ScenarioSource(scenario="example", levers={"import_licence": 0}, overrides={"name": "example, no licence"}),
]


@pytest.mark.parametrize("source", CHANGES, ids=lambda s: json.dumps(s.model_dump(exclude_defaults=True)))
def test_a_change_to_a_kept_builtin_is_the_scenario_read_afresh(source: ScenarioSource) -> None:
    """Applied to the built-in read before, the same data, positions and files, so the same
    digest and run id; and the built-in kept is left as it was (asked again unchanged, the
    same digest as read afresh)."""
    recent = RecentScenarios(size=1)  # each request loaded anew but the first: the built-in is kept
    recent.load(ScenarioSource(scenario=source.scenario))
    base = recent.builtin(source.scenario or "")
    before = copy.deepcopy(base.data)
    got, expected = recent.load(source), _fresh(source)
    assert got.digest == expected.digest
    assert got.data == expected.data
    assert got.positions.at == expected.positions.at
    assert (got.files, got.inputs, got.warnings) == (expected.files, expected.inputs, expected.warnings)
    assert got.scenario == expected.scenario
    runs = [RunSpec(loaded, 1, 10_000, "v") for loaded in (got, expected)]
    assert run_id(runs[0]) == run_id(runs[1])
    assert recent.builtin(source.scenario or "") is base
    assert base.data == before
    recent.load(ScenarioSource(scenario="example"))  # lets the request go, not the built-in
    unchanged = recent.load(ScenarioSource(scenario=source.scenario))
    assert unchanged.digest == _fresh(ScenarioSource(scenario=source.scenario)).digest


@pytest.mark.parametrize(
    "bad",
    [
        ScenarioSource(scenario="china", overrides={"no.such.path": 1}),
        ScenarioSource(scenario="china", levers={"tool_controls": "lots"}),
    ],
    ids=["path", "value"],
)
def test_a_bad_change_to_a_kept_builtin_says_what_reading_afresh_says(bad: ScenarioSource) -> None:
    recent = RecentScenarios(size=4)
    recent.load(ScenarioSource(scenario="china"))
    with pytest.raises(ScenarioError) as kept:
        recent.load(bad)
    with pytest.raises(ScenarioError) as fresh:
        _fresh(bad)
    assert kept.value.problems == fresh.value.problems


def test_units_read_from_the_kept_readings_convert_as_before() -> None:
    """pint's readings are kept per text: the same text converts to the same float each
    time, in every kind, and a text pint cannot read is refused each time."""
    for raw, kind in (("45k wafer/month", WAFER_RATE), ("540k wafer/year", WAFER_RATE), ("2.5 1/cm^2", DEFECT_DENSITY)):
        assert parse_quantity(raw, kind) == parse_quantity(raw, kind)
    assert parse_quantity("540k wafer/year", WAFER_RATE) == 45_000.0
    for _ in range(2):
        with pytest.raises(ValueError, match="unknown unit"):
            parse_quantity("3 furlongs_per_fortnightz", WAFER_RATE)


# ------------------------------------------------------------------ answers as JSON


def test_an_answer_of_finite_numbers_is_dumped_as_it_is_and_one_without_gets_nulls() -> None:
    """A document of finite numbers is not walked for non-finite ones first: the same bytes
    as walked; one with NaN or an infinity still gets null and a ``non_finite`` entry."""
    finite = {"annual": [{"metric": "units", "p5": 1.5, "p95": np.float64(2.25), "years": (2026, 2027)}]}
    walked, found = finite_document(finite)
    assert found == []
    assert kept_json({}, ("a",), lambda: finite).body == json_text(walked).encode()
    broken = {"annual": [{"metric": "units", "p5": float("nan"), "p95": np.float32("inf")}]}
    document = json.loads(kept_json({}, ("b",), lambda: broken).body)
    assert document["annual"] == [{"metric": "units", "p5": None, "p95": None}]
    assert [(entry["path"], entry["value"]) for entry in document["non_finite"]] == [
        ("/annual/0/p5", "nan"),
        ("/annual/0/p95", "inf"),
    ]
