"""Keep freed chunk arrays in the process instead of handing them back to the OS.

Each chunk allocates and frees tens of megabytes of arrays. glibc's allocator returns large
freed blocks to the operating system straight away, and with worker threads (one malloc
arena each) it did so for nearly every chunk: the next chunk then page-faulted the same
memory back in, zero-filled, under the process-wide memory lock. Measured on the benchmark
scenario at 100k samples and two threads: eight times the page faults of one thread, a
second of system time, a quarter of the wall time. Raising glibc's mmap and trim thresholds
keeps up to :data:`TRIM_THRESHOLD` of freed memory for reuse; peak memory does not grow
(the freed blocks are reused, not added to). Elsewhere (not glibc) this does nothing.
"""

from __future__ import annotations

import ctypes
import sys

__all__ = ["MMAP_THRESHOLD", "TRIM_THRESHOLD", "keep_freed_arrays"]

MMAP_THRESHOLD = 32 * 2**20
"""Blocks up to this size come from the heap, not a fresh mapping (glibc's maximum)."""
TRIM_THRESHOLD = 64 * 2**20
"""Freed memory at the top of a heap kept for reuse, at most."""
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_applied = False


def keep_freed_arrays() -> None:
    """Set glibc's thresholds once per process (a no-op where there is no glibc)."""
    global _applied
    if _applied:
        return
    _applied = True
    if not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
