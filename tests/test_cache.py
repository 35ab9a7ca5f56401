"""Where the compiled kernels are cached (stackbound.engine.compiled), and that a user who
cannot write to the installed package or to a home directory can still run stackbound:
with the cache compiled at setup loaded, not recompiled."""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pytest

import stackbound
from stackbound.engine import compiled
from stackbound.engine.compiled import CacheChoice, choose_cache, user_cache

SOURCE = Path(stackbound.__file__).resolve().parent.parent
"""The directory holding the stackbound package (``src``)."""

# ------------------------------------------------------------------ the choice, as a function


def fill(directory: Path) -> Path:
    """A stand-in cache: one index file in numba's layout."""
    (directory / "engine_abc").mkdir(parents=True)
    index = directory / "engine_abc" / "kernel.open_month-26.py311.nbi"
    index.write_bytes(b"index")
    return index


def test_a_writable_shipped_cache_is_used(tmp_path: Path) -> None:
    shipped = tmp_path / "shipped"
    assert choose_cache({"HOME": str(tmp_path / "home")}, shipped) == CacheChoice(shipped)


def test_numba_cache_dir_set_by_the_user_comes_first(tmp_path: Path) -> None:
    given = tmp_path / "given"
    assert choose_cache({"NUMBA_CACHE_DIR": str(given)}, tmp_path / "shipped") == CacheChoice(given)


def test_an_unwritable_numba_cache_dir_is_passed_over(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    shipped = tmp_path / "shipped"
    assert choose_cache({"NUMBA_CACHE_DIR": str(blocker / "cache")}, shipped) == CacheChoice(shipped)


def test_the_user_cache_is_seeded_from_a_read_only_shipped_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = tmp_path / "shipped"
    index = fill(shipped)
    real = compiled.writable
    monkeypatch.setattr(compiled, "writable", lambda d: d != shipped and real(d))
    choice = choose_cache({"XDG_CACHE_HOME": str(tmp_path / "xdg")}, shipped)
    user = tmp_path / "xdg" / "stackbound" / "numba"
    assert choice == CacheChoice(user)
    assert (user / index.relative_to(shipped)).read_bytes() == b"index"


def test_the_user_cache_is_under_xdg_cache_home_else_home() -> None:
    assert user_cache({"XDG_CACHE_HOME": "/x", "HOME": "/h"}) == Path("/x/stackbound/numba")
    assert user_cache({"HOME": "/h"}) == Path("/h/.cache/stackbound/numba")
    assert user_cache({}) is None


def test_nothing_writable_gives_a_temporary_copy_and_one_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = tmp_path / "shipped"
    index = fill(shipped)
    monkeypatch.setattr(compiled, "writable", lambda d: False)
    monkeypatch.setattr(compiled.atexit, "register", lambda *args, **kwargs: None)
    choice = choose_cache({"HOME": "/nonexistent"}, shipped)
    assert choice.directory is not None
    assert choice.directory != shipped
    try:
        assert (choice.directory / index.relative_to(shipped)).read_bytes() == b"index"
        assert choice.warning is not None
        assert "temporary copy" in choice.warning
        assert "\n" not in choice.warning
    finally:
        shutil.rmtree(choice.directory)


def test_nothing_writable_and_nothing_shipped_turns_caching_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compiled, "writable", lambda d: False)
    choice = choose_cache({}, tmp_path / "missing")
    assert choice.directory is None
    assert choice.warning is not None
    assert "every run" in choice.warning
    assert "\n" not in choice.warning


# ------------------------------------------------------------------ as another user

needs_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to become nobody")

STATS = """
from stackbound.engine import compiled, kernel, outputs
from stackbound.engine.run import run
from stackbound.scenario.loader import load_scenario
run(load_scenario("example"), samples=64, seed=1)
stats = [d.stats for m in (kernel, outputs) for d in vars(m).values() if hasattr(d, "stats")]
print(sum(sum(s.cache_hits.values()) for s in stats), sum(sum(s.cache_misses.values()) for s in stats))
print(compiled.CACHE.directory)
"""
"""Runs the example and prints kernel cache hits and misses, then the cache directory."""


def nobody() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no user 'nobody'")


def as_nobody(command: list[str], env: dict[str, str], cwd: str = "/") -> subprocess.CompletedProcess[str]:
    user = nobody()
    return subprocess.run(
        command,
        env=env,
        cwd=cwd,
        user=user.pw_uid,
        group=user.pw_gid,
        extra_groups=[],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def python() -> list[str]:
    """A Python 3 that nobody can run with this venv's packages: this interpreter, or (when
    it lives under a home nobody cannot enter, such as /root/.pyenv) the system's
    interpreter of the same version given the venv's site-packages and the source."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in filter(None, (sys.executable, shutil.which(version, path="/usr/bin:/bin"))):
        try:
            runs = as_nobody([candidate, "-c", "import numba"], base_env(Path("/tmp"))).returncode == 0
        except OSError:  # not even executable for nobody
            runs = False
        if runs:
            return [candidate]
    pytest.skip(f"user nobody cannot run {sys.executable} nor a system {version} with numba")


def base_env(scratch: Path, source: Path = SOURCE) -> dict[str, str]:
    """HOME is unwritable (it does not exist); matplotlib gets a scratch config directory,
    its own warning about an unwritable home being another matter."""
    packages = sysconfig.get_paths()["purelib"]
    return {
        "HOME": "/nonexistent",
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": f"{source}:{packages}",
        "MPLCONFIGDIR": str(scratch),
        "LANG": "C.UTF-8",
    }


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="stackbound-test-"))
    directory.chmod(0o777)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def warmed() -> Path:
    """The shipped cache compiled the way scripts/setup does it."""
    done = subprocess.run([sys.executable, "-m", "stackbound.engine.warmup"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return compiled.SHIPPED


@needs_root
def test_setup_leaves_a_world_readable_cache(warmed: Path) -> None:
    entries = [warmed, *warmed.rglob("*")]
    assert any(p.name.endswith(".nbi") for p in entries)
    for entry in entries:
        if ".tmp." in entry.name:
            continue  # being written by another process's run
        mode = stat.S_IMODE(entry.stat().st_mode)
        assert mode == (0o755 if entry.is_dir() else 0o644), (entry, oct(mode))


@needs_root
def test_another_user_without_a_home_loads_the_shipped_cache(warmed: Path, python: list[str], scratch: Path) -> None:
    done = as_nobody([*python, "-c", STATS], base_env(scratch))
    assert done.returncode == 0, done.stderr
    hits, misses = map(int, done.stdout.splitlines()[0].split())
    assert misses == 0
    assert hits > 0
    assert done.stdout.splitlines()[1] != str(warmed)  # nobody cannot write there: a copy


@needs_root
def test_another_user_with_a_home_seeds_a_user_cache(warmed: Path, python: list[str], scratch: Path) -> None:
    home = Path(tempfile.mkdtemp(prefix="stackbound-home-"))
    try:
        os.chown(home, nobody().pw_uid, nobody().pw_gid)
        done = as_nobody([*python, "-c", STATS], {**base_env(scratch), "HOME": str(home)})
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[0].split()[1] == "0"
        assert done.stdout.splitlines()[1] == str(home / ".cache" / "stackbound" / "numba")
        assert done.stderr == ""
    finally:
        shutil.rmtree(home)


@needs_root
@pytest.mark.parametrize(
    "args", [["--version"], ["run", "example", "--samples", "64", "--seed", "1", "--format", "json"]]
)
def test_the_command_runs_for_a_user_who_cannot_write_the_package(
    warmed: Path, python: list[str], scratch: Path, args: list[str]
) -> None:
    done = as_nobody([*python, "-m", "stackbound", *args], base_env(scratch))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) <= 1
    if args[0] == "run":
        assert done.stdout.startswith("{")


@needs_root
def test_without_any_cache_one_warning_and_the_run_still_works(python: list[str], scratch: Path) -> None:
    """A copy of the package with no shipped cache, which nobody cannot write to."""
    source = Path(tempfile.mkdtemp(prefix="stackbound-src-"))
    try:
        source.chmod(0o755)
        shutil.copytree(SOURCE / "stackbound", source / "stackbound", ignore=shutil.ignore_patterns("__pycache__"))
        args = ["-m", "stackbound", "run", "example", "--samples", "64", "--seed", "1", "--format", "json"]
        done = as_nobody([*python, *args], base_env(scratch, source))
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        lines = done.stderr.splitlines()
        assert len(lines) == 1, done.stderr
        assert lines[0].startswith("warning: kernel cache:"), done.stderr
    finally:
        shutil.rmtree(source)


WORKER = f"""
import os, subprocess, sys
from stackbound.engine import compiled
child = subprocess.run([sys.executable, "-c", {STATS!r}], capture_output=True, text=True, env=os.environ)
print(compiled.CACHE.directory)
print(child.stdout, end="")
print(child.stderr, end="", file=sys.stderr)
"""
"""A process that starts a worker process, which runs the example."""


@needs_root
def test_a_worker_process_uses_its_parents_cache_without_compiling(
    warmed: Path, python: list[str], scratch: Path
) -> None:
    done = as_nobody([*python, "-c", WORKER], base_env(scratch))
    assert done.returncode == 0, done.stderr
    parent, counts, child = done.stdout.splitlines()
    assert child == parent  # inherited through NUMBA_CACHE_DIR, not copied again
    assert counts.split()[1] == "0"


CHINA_STATS = STATS.replace('load_scenario("example")', 'load_scenario("china")')
"""Runs the embedded default and prints kernel cache hits and misses."""


def test_the_first_run_of_the_default_after_setup_compiles_nothing(tmp_path: Path) -> None:
    """scripts/setup's compile step (``warmup.compile_kernels``) into a new cache covers
    every kernel signature the embedded default needs: its first run loads, never compiles
    (it compiled for about 25 s when setup warmed only the example)."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    step = "from stackbound.engine.warmup import compile_kernels; compile_kernels()"
    done = subprocess.run([sys.executable, "-c", step], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([sys.executable, "-c", CHINA_STATS], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    hits, misses = map(int, done.stdout.splitlines()[0].split())
    assert misses == 0
    assert hits > 0


# ------------------------------------------------------------------ one signature per kernel


class Pair(NamedTuple):
    left: np.ndarray
    right: object


def test_read_only_arrays_are_given_as_writable_copies_and_nothing_else_changes() -> None:
    locked = np.arange(6.0).reshape(2, 3)
    locked.flags.writeable = False
    free = np.zeros(3)
    given = (locked, free, 7, Pair(np.broadcast_to(free, (2, 3)), "x"))
    made = compiled.writable_arrays(given)
    assert isinstance(made, tuple)
    assert made[0].flags.writeable
    assert made[0].flags.c_contiguous
    np.testing.assert_array_equal(made[0], locked)
    assert made[1] is free  # a writable array is passed as it is: a kernel's writes reach the caller
    assert made[2] == 7
    assert isinstance(made[3], Pair)
    assert made[3].left.flags.writeable
    assert made[3].left.strides == (24, 8)
    assert made[3].right == "x"


def test_a_read_only_or_broadcast_array_adds_no_kernel_signature() -> None:
    from stackbound.engine import kernel

    weights, knots = np.eye(3), np.arange(6.0).reshape(3, 2)
    kernel.interpolate(weights, knots, np.empty((3, 2)))
    before = list(kernel.interpolate.signatures)
    locked = knots.copy()
    locked.flags.writeable = False
    for given in (locked, np.broadcast_to(np.ones(2), (3, 2))):  # read-only; read-only with a 0 stride
        out = np.empty((3, 2))
        kernel.interpolate(weights, given, out)
        np.testing.assert_array_equal(out, weights.T @ given)
    assert kernel.interpolate.signatures == before


def signatures() -> dict[str, int]:
    from stackbound.engine import kernel, outputs

    return {name: len(d.signatures) for m in (kernel, outputs) for name, d in vars(m).items() if hasattr(d, "stats")}


def locked(value: object) -> object:
    """``value`` (an array, or a tuple of them) read-only, arrays of two or more dimensions
    in Fortran order too."""
    if isinstance(value, tuple):
        return tuple(locked(v) for v in value)
    if not isinstance(value, np.ndarray):
        return value
    copy = np.asfortranarray(value) if value.ndim > 1 else value.copy()
    copy.flags.writeable = False
    return copy


def test_a_scenario_whose_arrays_are_read_only_runs_on_the_same_kernel_signatures(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The ``example`` after ``china`` compiled again, for ~11 s: china's market demand came
    read-only. Now every array the monthly loop is given locked (and in another layout)
    still runs on the signatures already compiled, to the same numbers."""
    from stackbound.engine import allocate
    from stackbound.engine.run import run
    from stackbound.scenario.loader import load_scenario

    example = load_scenario("example")
    first = run(example, samples=64, seed=1)
    before = signatures()
    real = allocate.kernel_inputs

    def locked_inputs(*args: Any, **kwargs: Any) -> Any:
        structure, block = real(*args, **kwargs)
        return locked(structure), locked(block)

    monkeypatch.setattr(allocate, "kernel_inputs", locked_inputs)
    again = run(example, samples=64, seed=1)
    assert signatures() == before
    for key, values in first.annual.items():
        np.testing.assert_array_equal(again.annual[key], values)
