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

__all__ = ["CACHE", "SHIPPED", "WARNING", "CacheChoice", "choose_cache", "njit", "user_cache"]

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

numba.core.config.reload_config()  # type: ignore[no-untyped-call]  # in case numba was imported first, by someone else


def njit(**options: Any) -> Callable[[Callable[..., Any]], Any]:
    """``numba.njit(cache=..., **options)`` with caching on only where a cache was found;
    the kernel it returns is a numba dispatcher (untyped, as numba's own)."""
    decorator: Callable[[Callable[..., Any]], Any] = numba.njit(cache=CACHE.directory is not None, **options)
    return decorator
