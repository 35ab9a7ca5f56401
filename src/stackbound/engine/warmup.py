"""Compile every kernel once into the shipped cache, readable by every user.

``python -m stackbound.engine.warmup`` (run by ``scripts/setup``) runs the built-in
``example`` scenario in each mode that compiles its own kernel signatures, and the embedded
default ``china`` (whose ownership, proportional pools and priorities over time give the
kernels other argument types: without it the first ``stackbound run`` after setup compiled
for about 25 s), into :data:`~stackbound.engine.compiled.SHIPPED`, then makes the cache
world-readable (files 0644, directories 0755) so that other users load it instead of
compiling.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["compile_kernels", "main", "share"]


def share(directory: Path) -> None:
    """Files 0644 and directories 0755 under ``directory`` (itself included)."""
    directory.chmod(0o755)
    for root, dirs, files in os.walk(directory):
        for names, mode in ((dirs, 0o755), (files, 0o644)):
            for name in names:
                try:
                    (Path(root) / name).chmod(mode)
                except FileNotFoundError:  # another process's temporary file, already renamed
                    continue


def main() -> None:
    """Compile into the shipped cache (which must be writable), then share it."""
    from stackbound.engine import compiled

    if compiled.CACHE.directory != compiled.SHIPPED:
        sys.exit(f"warmup: {compiled.SHIPPED} is not writable (or NUMBA_CACHE_DIR points elsewhere)")
    compile_kernels()
    share(compiled.SHIPPED)


def compile_kernels() -> None:
    """Run what compiles every kernel signature the built-in scenarios need, into whatever
    cache :mod:`stackbound.engine.compiled` chose."""
    from stackbound.engine.run import run
    from stackbound.scenario.loader import load_scenario

    example = load_scenario("example")
    run(example, samples=64, seed=1)
    run(example, samples=64, seed=1, keep_paths=True)
    run(example, samples=8, seed=1, exact=True)  # the exact solver passes its answer in: its own signature
    china = load_scenario("china")
    run(china, samples=64, seed=1)
    run(china, samples=64, seed=1, keep_paths=True)


if __name__ == "__main__":
    main()
