"""Hand freed memory back to the operating system once the server has been quiet a while.

Trimming the heap (:func:`~stackbound.engine.memory.release_freed_memory`) after every
result let go cost the next run dearly: it page-faulted its chunk arrays back in, zero-filled.
Measured on ``china`` at 10,000 samples, two engine threads, two malloc arenas as the server
keeps them: 0.71–0.82 s a run without trimming, 1.08–1.23 s with a trim before each run
(8 runs each, one thread starting them as the server's job thread does). An analyst moving
a lever every few seconds lets results go with nearly every run (the kept results are
bounded), so the server waits for ``quiet`` seconds with no job starting or ending, and no
job running, before it trims: a server left alone still gives its memory back.

::

    releaser = QuietRelease(release_freed_memory, quiet=15.0)
    releaser.request()            # results were let go
    releaser.started(); releaser.ended()   # around each job
    releaser.close()
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

__all__ = ["QuietRelease"]

log = logging.getLogger("stackbound.serve")


class QuietRelease:
    """Calls ``release`` in a thread of its own once it was asked to (:meth:`request`) and
    ``quiet`` seconds have passed with no job running and none starting or ending; asked
    again meanwhile, it still calls it once."""

    def __init__(self, release: Callable[[], None], quiet: float) -> None:
        self._release, self.quiet = release, quiet
        self._due: float | None = None
        self._running = 0
        self._closed = False
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._serve, daemon=True, name="release")
        self._thread.start()

    def request(self) -> None:
        """Results were let go: release ``quiet`` seconds from now, unless a job runs then."""
        with self._changed:
            self._due = time.monotonic() + self.quiet
            self._changed.notify()

    def started(self) -> None:
        """A job starts: nothing is released while it runs."""
        with self._changed:
            self._running += 1

    def ended(self) -> None:
        """A job ended: a release asked for waits ``quiet`` seconds more (the next run, if
        one follows soon, reuses the memory)."""
        with self._changed:
            self._running -= 1
            if self._due is not None:
                self._due = max(self._due, time.monotonic() + self.quiet)
            self._changed.notify()

    def close(self, wait: float = 5.0) -> None:
        """Stop the thread; a release still waiting is not made."""
        with self._changed:
            self._closed = True
            self._changed.notify()
        self._thread.join(wait)

    def _serve(self) -> None:
        while True:
            with self._changed:
                while not self._closed:
                    due = self._due
                    if due is None or self._running > 0:
                        self._changed.wait()  # until asked, or until the jobs end
                        continue
                    left = due - time.monotonic()
                    if left <= 0.0:
                        break
                    self._changed.wait(left)
                if self._closed:
                    return
                self._due = None
            try:
                self._release()
            except Exception:  # a bug: logged; the next ask is still served
                log.exception("handing freed memory back failed")
