"""What a run keeps per sample: ``run(..., keep=...)`` and ``stackbound run --keep``.

=====================  ============================  ===================================
``keep``               per sample (float32)          as histograms (every keep mode)
=====================  ============================  ===================================
``annual,quarterly``   annual and quarterly totals   monthly series
``annual``             annual totals                 monthly series, quarterly totals
``none``               nothing annual or quarterly   monthly series, quarterly totals,
                                                     every annual metric and group
=====================  ============================  ===================================

Every mode keeps each stockpile's run-out month per sample (4 bytes a stockpile) and the
binding-constraint counts. Per-sample values are what paired analyses (compare,
sensitivity, discovery, marginal values, sweeps, validation, the report) read; without them
a run still answers with every annual mean (exact up to summation order) and percentile
(within :data:`~stackbound.engine.histogram.RELATIVE_ERROR`), and its per-sample memory
falls from about 5 kB a sample (china) to the run-out months alone.

    >>> parse_keep("quarterly, annual")
    'annual,quarterly'
"""

from __future__ import annotations

from typing import Final, Literal

from stackbound.errors import NotKeptError, SimulationError

__all__ = ["DEFAULT_KEEP", "KEEP_MODES", "Keep", "check_pairs", "keeps_annual", "keeps_quarterly", "parse_keep"]

Keep = Literal["annual,quarterly", "annual", "none"]
KEEP_MODES: Final[tuple[Keep, ...]] = ("annual,quarterly", "annual", "none")
DEFAULT_KEEP: Final[Keep] = "annual,quarterly"
"""Today's behaviour: every per-sample series analyses pair on."""


def parse_keep(value: str) -> Keep:
    """``value`` as a keep mode: the kept series, comma-separated in any order, or ``none``;
    SimulationError naming the modes otherwise."""
    parts = {part.strip() for part in value.split(",")}
    found = next((mode for mode in KEEP_MODES if set(mode.split(",")) == parts), None)
    if found is None:
        raise SimulationError(f"keep must be one of {', '.join(repr(m) for m in KEEP_MODES)}, got {value!r}")
    return found


def keeps_annual(keep: Keep) -> bool:
    """Whether ``keep`` keeps per-sample annual values."""
    return keep != "none"


def keeps_quarterly(keep: Keep) -> bool:
    """Whether ``keep`` keeps per-sample quarterly totals."""
    return keep == "annual,quarterly"


def check_pairs(keep: Keep, analysis: str) -> None:
    """NotKeptError, before anything is run, if ``analysis`` (which pairs samples) is asked
    to run with a ``keep`` that keeps no per-sample values."""
    if not keeps_annual(keep):
        raise NotKeptError(
            f"{analysis} pairs samples and needs every sample's annual values, which keep {keep!r} does not keep: "
            f"use --keep annual (keep='annual') or the default"
        )
