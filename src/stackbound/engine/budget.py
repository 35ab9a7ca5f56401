"""Will a run fit in memory? Refuse, before allocating, what cannot.

A run keeps, per sample, its annual and quarterly series (float32) as far as its keep mode
says (:mod:`~stackbound.engine.keep`), each stockpile's run-out month (int32) and, with
``keep_paths``, every monthly series (float32): those grow with the sample count. Each
worker thread also holds one chunk's monthly arrays while it simulates it (measured at
7–10 float64 values per sample, month and modelled thing; 12 is used) and, when it keeps
no annual values, every annual series it summarises read as float64; up to two reduced
chunks per worker wait to be stored, each with a 2-byte histogram bin per value it
summarises. The histograms themselves (8-byte counts per bin, series and month, year or
quarter) do not grow with the sample count.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from stackbound.engine.accumulate import annual_reader, kept_groups, period_starts
from stackbound.engine.histogram import BINS
from stackbound.engine.keep import DEFAULT_KEEP, Keep, keeps_annual, keeps_quarterly
from stackbound.engine.metrics import ANNUAL, MONTHLY, QUARTERLY
from stackbound.engine.plan import Plan
from stackbound.errors import SimulationError

__all__ = ["Budget", "available_memory", "budget", "check_fits"]

WORKING_VALUES = 12
"""float64 values a chunk holds per sample, month and modelled thing (measured 7–10)."""
HEADROOM = 0.8
"""The share of available memory a suggested sample count may use."""
MEMINFO = Path("/proc/meminfo")


@dataclass(frozen=True)
class Budget:
    """Bytes a run needs: ``per_sample`` for each sample kept, plus ``working`` at once."""

    per_sample: int
    working: int

    def total(self, samples: int) -> int:
        return self.per_sample * samples + self.working


def budget(
    plan: Plan, samples: int, chunk_size: int, workers: int, keep_paths: bool, keep: Keep = DEFAULT_KEEP
) -> Budget:
    """The memory a run of ``samples`` needs (the working set is an upper estimate)."""
    months = len(plan.months)
    years, quarters = len(period_starts(plan.months, 12)), len(period_starts(plan.months, 3))
    annual = sum(len(kept_groups(plan, m)) for m in ANNUAL) * years
    quarterly = len(QUARTERLY) * quarters
    monthly = sum(len(kept_groups(plan, m)) for m in MONTHLY) * months
    read = 0 if keeps_annual(keep) else len(annual_reader(plan).summarised()) * years  # read as float64 per chunk
    summarised = monthly + read + (0 if keeps_quarterly(keep) else quarterly)  # values histogrammed per sample
    kept = (annual if keeps_annual(keep) else 0) + (quarterly if keeps_quarterly(keep) else 0)
    per_sample = 4 * kept + 4 * len(plan.stockpiles) + (4 * monthly if keep_paths else 0)
    things = len(plan.products) + len(plan.variants) + len(plan.components) + len(plan.pools)
    in_chunk = min(samples, chunk_size)
    working = workers * in_chunk * (8 * WORKING_VALUES * months * things + 8 * read + 2 * 2 * summarised)
    return Budget(per_sample, working + 8 * BINS * summarised)


def _meminfo_available() -> int | None:
    try:
        for line in MEMINFO.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def available_memory() -> int | None:
    """Memory available to this process in bytes (MemAvailable, else free physical pages),
    None if the system does not say."""
    found = _meminfo_available()
    if found is not None:
        return found
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _size(count: int) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count / 1e3:.1f} kB"


def _round_down(count: int) -> int:
    """To two significant digits: 12_345_678 -> 12_000_000."""
    if count < 100:
        return count
    scale = int(10 ** (int(math.log10(count)) - 1))
    return count // scale * scale


def check_fits(need: Budget, samples: int, keep_paths: bool, available: int | None, keep: Keep = DEFAULT_KEEP) -> None:
    """Raise SimulationError, saying what fits and what to do, if the run would not."""
    if available is None or need.total(samples) <= available:
        return
    message = (
        f"{samples:,} samples need about {_size(need.total(samples))} of memory "
        f"({_size(need.per_sample * samples)} of per-sample results, {_size(need.working)} to simulate), "
        f"but {_size(available)} is available"
    )
    fits = _round_down(max(0, (int(available * HEADROOM) - need.working) // need.per_sample))
    if fits < 1:
        raise SimulationError(
            f"{message}; even the working set of one chunk does not fit: use a smaller --chunk-size or free memory"
        )
    paths = " (more without keeping every sample's monthly paths)" if keep_paths else ""
    lighter = ", keep no per-sample values (--keep none: every annual mean and percentile is still given)"
    raise SimulationError(
        f"{message}; run at most about {fits:,} samples{paths}{lighter if keeps_annual(keep) else ''}, "
        f"or split the run into several runs with different seeds and combine them"
    )
