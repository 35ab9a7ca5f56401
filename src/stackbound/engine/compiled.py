"""Where the compiled kernels are cached: chosen once, before numba compiles anything.

numba's ``cache=True`` writes beside the source (the installed package) or under the home
directory, and fails when a kernel is defined if neither is writable. The kernel modules
decorate with :func:`njit` from here instead; on import this module picks the first
usable cache directory and hands it to numba through ``NUMBA_CACHE_DIR`` (which worker
processes inherit):

1. ``NUMBA_CACHE_DIR`` as set by the user (or a parent process), if writable;
2. the shipped cache, ``stackbound/__pycache__/numba`` in the installed package, which
   ``scripts/setup`` fills world-readable (``python -m stackbound.engine.warmup``), if
   writable;
3. the user cache, ``$XDG_CACHE_HOME/stackbound/numba`` (default
   ``~/.cache/stackbound/numba``), seeded from the shipped cache so nothing is recompiled;
4. a temporary copy of the shipped cache, removed at exit (read-only install, no writable
   home): loads without recompiling, but keeps nothing;
5. no cache at all: every process compiles its kernels.

Cases 4 and 5 set :data:`WARNING`, one line for the command-line tool to print.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "CACHE",
    "SHIPPED",
    "WARNING",
    "CacheChoice",
    "Kernel",
    "choose_cache",
    "njit",
    "user_cache",
    "writable_arrays",
]

SHIPPED = Path(__file__).resolve().parent.parent / "__pycache__" / "numba"
"""The cache compiled at setup, inside the installed package."""


@dataclass(frozen=True)
class CacheChoice:
    """The cache directory numba is given (None: compile without caching), and the one
    warning line to show, if any."""

    directory: Path | None
    warning: str | None = None


def user_cache(environ: Mapping[str, str]) -> Path | None:
    """``$XDG_CACHE_HOME/stackbound/numba``, else ``~/.cache/stackbound/numba``."""
    base = environ.get("XDG_CACHE_HOME") or (str(Path(environ["HOME"]) / ".cache") if environ.get("HOME") else "")
    return Path(base) / "stackbound" / "numba" if base else None


def writable(directory: Path) -> bool:
    """Whether numba can write here: the directory (created if missing) takes a new file,
    and so does every subdirectory already in it."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=directory).close()
        return all(os.access(sub, os.W_OK | os.X_OK) for sub in directory.iterdir() if sub.is_dir())
    except OSError:
        return False


def seed_from(shipped: Path, target: Path) -> None:
    """Copy the shipped cache's files into ``target`` where missing or older."""
    for source in shipped.rglob("*"):
        if not source.is_file() or ".tmp." in source.name:
            continue
        copy = target / source.relative_to(shipped)
        try:
            if not copy.exists() or copy.stat().st_mtime < source.stat().st_mtime:
                copy.parent.mkdir(parents=True, exist_ok=True)
                partial = copy.with_name(f"{copy.name}.tmp.{os.getpid()}")  # skipped when seeding
                shutil.copy2(source, partial)
                os.replace(partial, copy)  # another process never reads half a file
        except OSError:
            continue  # a file we cannot read or write is compiled again instead


def temporary_copy(shipped: Path) -> Path | None:
    """A private copy of the shipped cache, removed when the process exits."""
    try:
        directory = Path(tempfile.mkdtemp(prefix="stackbound-numba-"))
    except OSError:
        return None
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    seed_from(shipped, directory)
    return directory


def choose_cache(environ: Mapping[str, str], shipped: Path = SHIPPED) -> CacheChoice:
    """The first usable cache directory, in the order of the module docstring."""
    given = environ.get("NUMBA_CACHE_DIR")
    if given and writable(Path(given)):
        return CacheChoice(Path(given))
    if writable(shipped):
        return CacheChoice(shipped)
    user = user_cache(environ)
    if user is not None and writable(user):
        seed_from(shipped, user)
        return CacheChoice(user)
    where = f"neither {shipped} nor {user or 'a home directory'} can be written"
    if shipped.is_dir() and os.access(shipped, os.R_OK | os.X_OK):
        copy = temporary_copy(shipped)
        if copy is not None:
            kept = "using a temporary copy (kernels compiled now are not kept)"
            return CacheChoice(copy, f"warning: kernel cache: {where}; {kept}")
    return CacheChoice(None, f"warning: kernel cache: {where}; compiling the kernels in every run (slower start)")


def _configure() -> CacheChoice:
    choice = choose_cache(os.environ)
    if choice.directory is not None:
        os.environ["NUMBA_CACHE_DIR"] = str(choice.directory)
    else:
        os.environ.pop("NUMBA_CACHE_DIR", None)
    return choice


CACHE = _configure()  # before numba reads its configuration, below
WARNING = CACHE.warning

import numba  # noqa: E402  (NUMBA_CACHE_DIR must be set before numba's config loads)
import numpy as np  # noqa: E402
from numba.core.registry import CPUDispatcher  # noqa: E402

numba.core.config.reload_config()  # type: ignore[no-untyped-call]  # in case numba was imported first, by someone else


def writable_arrays(value: object) -> object:
    """``value`` with every read-only array in it (itself, or an element of a tuple, named
    or not) replaced by a writable C-contiguous copy; anything else as it is."""
    if isinstance(value, np.ndarray):
        return value if value.flags.writeable else np.array(value, order="C")
    if isinstance(value, tuple):
        items = [writable_arrays(item) for item in value]
        named: Any = type(value)  # a NamedTuple, or tuple itself
        return named(*items) if hasattr(value, "_fields") else tuple(items)
    return value


class Kernel(CPUDispatcher):
    """A compiled kernel that is given read-only arrays as writable copies.

    numba compiles one specialisation per argument type, and an array's type includes
    whether it is writable: a kernel called with a read-only array (a broadcast, an array
    locked against change) compiled again, about 11 s, and kept a second signature in the
    cache (the ``example`` scenario after ``china``, whose market demand came read-only).
    A kernel cannot write to an array it was given read-only (numba refuses to compile the
    write), so a copy reads the same and every kernel keeps one signature. Calls from one
    kernel to another are compiled and do not pass through here.
    """

    def __call__(self, *args: object, **kwargs: object) -> Any:
        if kwargs or any(map(_read_only, args)):
            return super().__call__(*map(writable_arrays, args), **{k: writable_arrays(v) for k, v in kwargs.items()})
        return super().__call__(*args)  # nothing to copy: called as it is (hundreds of calls a chunk)


def _read_only(value: object) -> bool:
    """Whether ``value`` holds a read-only array (itself, or an element of a tuple)."""
    if isinstance(value, np.ndarray):
        return not value.flags.writeable
    if isinstance(value, tuple):
        return any(map(_read_only, value))
    return False


def njit(**options: Any) -> Callable[[Callable[..., Any]], Any]:
    """``numba.njit(cache=..., **options)`` with caching on only where a cache was found,
    returning a :class:`Kernel` (untyped, as numba's own dispatcher)."""

    def decorate(function: Callable[..., Any]) -> Any:
        if getattr(numba.core.config, "DISABLE_JIT", False):  # NUMBA_DISABLE_JIT=1: plain Python, as numba.njit
            return function
        kernel = Kernel(function, targetoptions={"nopython": True, "boundscheck": None, **options})
        if CACHE.directory is not None:
            kernel.enable_caching()
        return kernel

    return decorate
