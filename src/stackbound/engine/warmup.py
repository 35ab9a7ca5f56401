"""Compile every kernel once into the shipped cache, readable by every user.

``python -m stackbound.engine.warmup`` (run by ``scripts/setup``) runs the built-in
``example`` scenario in each mode that compiles its own kernel signatures, and the embedded
default ``china`` (whose ownership, proportional pools and priorities over time give the
kernels other argument types: without it the first ``stackbound run`` after setup compiled
for about 25 s), and the example with a variant's own specs (:data:`VARIANT_SPECS`: no
built-in scenario has one), into :data:`~stackbound.engine.compiled.SHIPPED`, then makes
the cache world-readable (files 0644, directories 0755) so that other users load it instead
of compiling. Each kernel compiles once: arrays given read-only take the writable signature
(:class:`~stackbound.engine.compiled.Kernel`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["VARIANT_SPECS", "compile_kernels", "main", "share"]

VARIANT_SPECS = """stackbound: 1
extends: example
name: warmup-variant-specs
add:
  products.accel_a.variants.hbm3.specs: {price: {value: 8k USD, assumption: a variant's own price}}
"""
"""The example with one variant's own specs, whose units the outputs sum by a kernel of their
own (without it, the first run of such a scenario after setup compiled for a few seconds)."""


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
    from stackbound.scenario.loader import load_scenario, load_scenario_text

    example = load_scenario("example")
    run(example, samples=64, seed=1)
    run(example, samples=64, seed=1, keep_paths=True)
    run(example, samples=8, seed=1, exact=True)  # the exact solver passes its answer in: its own signature
    china = load_scenario("china")
    run(china, samples=64, seed=1)
    run(china, samples=64, seed=1, keep_paths=True)
    run(load_scenario_text(VARIANT_SPECS, "warmup"), samples=64, seed=1)


if __name__ == "__main__":
    main()
