"""Kill a real ``stackbound run --out DIR`` at each point of writing; DIR must then hold the
complete old or the complete new results, and the next run must leave no litter.

Processes stop at exact points through the test-only pause hook of
:func:`stackbound.report.atomic.pause_point`, never by timing.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from stackbound.report.atomic import NO_EXCHANGE, PAUSE_AT, PAUSE_FILE, written_files

STARTED: list[subprocess.Popen[str]] = []
"""Every paused process, so that a failing test leaves none sleeping."""


@pytest.fixture(autouse=True)
def no_process_left() -> Iterator[None]:
    yield
    while STARTED:
        process = STARTED.pop()
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=60)


def command(out: Path, seed: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "stackbound",
        "run",
        "example",
        "--samples",
        "64",
        "--seed",
        str(seed),
        "--out",
        str(out),
    ]


def finish(out: Path, seed: int, **env: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command(out, seed), capture_output=True, text=True, timeout=300, env={**os.environ, **env})
    assert done.returncode == 0, done.stderr
    return done


def paused(out: Path, seed: int, point: str, flag: Path, **env: str) -> subprocess.Popen[str]:
    """A run stopped at ``point``: returns once it has said it is there."""
    variables = {**os.environ, PAUSE_AT: point, PAUSE_FILE: str(flag), **env}
    process = subprocess.Popen(
        command(out, seed), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=variables
    )
    STARTED.append(process)
    deadline = time.monotonic() + 240
    while not flag.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"never reached {point}: {process.communicate()[1]}")
        time.sleep(0.05)
    return process


def kill(process: subprocess.Popen[str], signum: int = signal.SIGKILL) -> tuple[int, str]:
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    return process.returncode, stderr


def seed_of(out: Path) -> int:
    """The seed of the complete results in ``out`` (the manifest lists exactly its files)."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["files"]) == set(written_files(out)), "incomplete results"
    return int(manifest["runs"][0]["seed"])


def litter(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


@pytest.fixture(scope="module")
def previous(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Complete results of seed 1, to be copied and replaced."""
    out = tmp_path_factory.mktemp("previous") / "results"
    finish(out, 1)
    return out


@pytest.fixture
def parent(tmp_path: Path) -> Path:
    folder = tmp_path / "parent"
    folder.mkdir()
    return folder


CASES = [
    # point, fallback (no atomic exchange), an earlier output exists, seed found after the kill
    pytest.param("staging-written", False, False, None, id="fresh-staging-written"),
    pytest.param("staging-written", False, True, 1, id="replace-staging-written"),
    pytest.param("after-exchange", False, True, 2, id="replace-after-exchange"),
    pytest.param("staging-written", True, True, 1, id="fallback-staging-written"),
    pytest.param("after-exchange", True, True, 2, id="fallback-after-second-rename"),
]


@pytest.mark.parametrize(("point", "fallback", "existing", "expected"), CASES)
def test_sigkill_leaves_old_or_new_results(
    point: str, fallback: bool, existing: bool, expected: int | None, previous: Path, parent: Path, tmp_path: Path
) -> None:
    out = parent / "results"
    if existing:
        shutil.copytree(previous, out)
    env = {NO_EXCHANGE: "1"} if fallback else {}
    code, _ = kill(paused(out, 2, point, tmp_path / "flag", **env))
    assert code == -signal.SIGKILL
    assert litter(parent), "a killed run leaves its work directory"
    if expected is None:
        assert not out.exists()
    else:
        assert seed_of(out) == expected
    finish(out, 3)
    assert seed_of(out) == 3
    assert litter(parent) == []


def test_sigkill_between_renames_is_restored_by_the_next_run(previous: Path, parent: Path, tmp_path: Path) -> None:
    """The fallback's one gap (old results moved aside, new not yet in place) is closed
    by the next command before it writes anything."""
    out = parent / "results"
    shutil.copytree(previous, out)
    kill(paused(out, 2, "between-renames", tmp_path / "first", **{NO_EXCHANGE: "1"}))
    assert not out.exists()
    following = paused(out, 3, "staging-written", tmp_path / "second")
    assert seed_of(out) == 1, "the old results are back before the next run writes"
    kill(following)
    finish(out, 4)
    assert seed_of(out) == 4
    assert litter(parent) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_sigterm_and_sigint_interrupt_cleanly(signum: int, previous: Path, parent: Path, tmp_path: Path) -> None:
    out = parent / "results"
    shutil.copytree(previous, out)
    code, stderr = kill(paused(out, 2, "staging-written", tmp_path / "flag"), signum)
    assert code == 130
    assert stderr.strip() == "interrupted"
    assert seed_of(out) == 1
    assert litter(parent) == []
