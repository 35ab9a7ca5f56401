"""Keep freed chunk arrays in the process instead of handing them back to the OS.

Each chunk allocates and frees tens of megabytes of arrays. glibc's allocator returns large
freed blocks to the operating system straight away, and with worker threads (one malloc
arena each) it did so for nearly every chunk: the next chunk then page-faulted the same
memory back in, zero-filled, under the process-wide memory lock. Measured on the benchmark
scenario at 100k samples and two threads: eight times the page faults of one thread, a
second of system time, a quarter of the wall time. Raising glibc's mmap and trim thresholds
keeps up to :data:`TRIM_THRESHOLD` of freed memory for reuse; peak memory does not grow
(the freed blocks are reused, not added to). Elsewhere (not glibc) this does nothing.

numpy also asks the kernel for transparent huge pages on every array of 4 MB or more
(``madvise(MADV_HUGEPAGE)``). Where the kernel compacts memory on such a fault (THP
``defrag`` set to ``madvise``, the common default), each first touch of fresh memory can
stall to assemble a 2 MB page: on these machines the first 10,000-sample run of ``china``
with two worker threads spent 1.9 s of system time in it (1.75 s wall; 0.85 s without the
advice, with 0.4 s of system time). :func:`keep_freed_arrays` turns numpy's advice off for
the process; the kernel may still back memory with huge pages where it has them free.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

__all__ = [
    "MMAP_THRESHOLD",
    "SERVER_ARENAS",
    "TRIM_THRESHOLD",
    "keep_freed_arrays",
    "limit_arenas",
    "release_freed_memory",
]

MMAP_THRESHOLD = 32 * 2**20
"""Blocks up to this size come from the heap, not a fresh mapping (glibc's maximum)."""
TRIM_THRESHOLD = 64 * 2**20
"""Freed memory at the top of a heap kept for reuse, at most."""
SERVER_ARENAS = 2
"""malloc arenas a long-lived server keeps (one per core here), whatever its thread count."""
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
_applied = False


def keep_freed_arrays() -> None:
    """Set glibc's thresholds once per process (a no-op where there is no glibc)."""
    global _applied
    if _applied:
        return
    _applied = True
    if not sys.platform.startswith("linux"):
        return
    _no_hugepage_advice()
    mallopt = _glibc("mallopt", ctypes.c_int, ctypes.c_int)
    if mallopt is not None:
        mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)


def limit_arenas(count: int = SERVER_ARENAS) -> None:
    """Let glibc keep at most ``count`` malloc arenas (a no-op elsewhere). For the server:
    its request threads (dozens under load) each got an arena of their own, and freed
    results stayed spread over them. Measured with the issue's load test (20 submissions of
    ``china`` at 10,000 samples, 200 concurrent requests): peak 2,097 MB and 538 MB after the
    queue drained (idle 457 MB) with glibc's default, 1,376 MB and 369 MB (idle 353 MB) with
    two arenas. Call it before the threads start."""
    mallopt = _glibc("mallopt", ctypes.c_int, ctypes.c_int)
    if mallopt is not None:
        mallopt(_M_ARENA_MAX, count)


def release_freed_memory() -> None:
    """Hand freed memory back to the operating system now (glibc's ``malloc_trim``; a no-op
    elsewhere): for a long-lived process, such as the server, once it has let results go.
    Each worker thread's arena keeps what it freed until then."""
    trim = _glibc("malloc_trim", ctypes.c_size_t)
    if trim is not None:
        trim(0)


def _glibc(name: str, *argtypes: Any) -> Any:
    """glibc's function ``name`` with its argument types; None off Linux or without it."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError):
        return None
    function.argtypes = list(argtypes)
    return function


def _no_hugepage_advice() -> None:
    """Stop numpy advising huge pages for large arrays (a private switch: skipped where a
    numpy version lacks it, and where numpy is not imported, so there is no advice)."""
    multiarray = sys.modules.get("numpy._core.multiarray") or sys.modules.get("numpy.core.multiarray")
    switch = getattr(multiarray, "_set_madvise_hugepage", None)
    if switch is not None:
        switch(False)
