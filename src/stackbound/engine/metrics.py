"""The output metrics a run keeps, and how each is made from a block's outputs.

``ANNUAL`` series are kept per sample (annual, and quarterly for totals) so analyses can
pair samples; ``MONTHLY`` series are kept as mergeable histograms per month.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["ANNUAL", "DERIVED", "MONTHLY", "PARTS", "QUARTERLY", "Metric"]

Level = Literal["product", "variant", "component", "stockpile", "account", "origin", "total"]


@dataclass(frozen=True)
class Metric:
    """``field`` of :class:`~stackbound.engine.outputs.BlockOutputs`; ``level`` says what it
    is kept per; ``kinds`` restricts components, ``spec`` products (to those that give
    that spec, such as a price); ``stock`` series are read at year end (not summed);
    ``unit`` is for people."""

    name: str
    level: Level
    field: str
    unit: str
    kinds: frozenset[str] = frozenset()
    stock: bool = False
    spec: str | None = None


PARTS: tuple[tuple[str, str, bool], ...] = (
    ("made", "made", False),
    ("drawn", "drawn", False),
    ("in_good_units", "good", False),
    ("idle", "idle", True),
    ("stranded", "stranded", True),
    ("held_by_policy", "policy", True),
)
"""The ledger of every account kept per sample (metric suffix, field suffix, read at year
end): made = drawn + held at the end − held at the start; drawn = in good units +
destroyed; held = idle + stranded + held by policy. ``parts_held`` and
``parts_destroyed`` are those sums (:data:`DERIVED`), not kept twice."""

DERIVED: dict[str, tuple[tuple[str, float], ...]] = {
    "parts_held": (("parts_idle", 1.0), ("parts_stranded", 1.0), ("parts_held_by_policy", 1.0)),
    "parts_destroyed": (("parts_drawn", 1.0), ("parts_in_good_units", -1.0)),
}
"""Annual metrics that are signed sums of kept ones, per sample."""

ANNUAL: tuple[Metric, ...] = (
    Metric("units", "product", "produced", "units"),
    Metric("units_delivered", "product", "delivered", "units"),
    Metric("compute_added_h100e", "product", "compute_added", "H100e"),
    Metric("effective_compute_added_h100e", "product", "effective_added", "H100e"),
    Metric("value_usd", "product", "value", "USD", spec="price"),
    Metric("dies_made", "component", "made", "dies", frozenset({"logic_die"})),
    Metric("hbm_stacks_made", "component", "made", "stacks", frozenset({"hbm_stack"})),
    Metric("dies_consumed", "component", "consumed", "dies", frozenset({"logic_die"})),
    Metric("hbm_stacks_consumed", "component", "consumed", "stacks", frozenset({"hbm_stack"})),
    Metric("memory_consumed", "component", "consumed", "packages", frozenset({"memory", "other"})),
    Metric("stranded_dies", "component", "stranded", "dies", frozenset({"logic_die"}), stock=True),
    Metric("stranded_hbm_stacks", "component", "stranded", "stacks", frozenset({"hbm_stack"}), stock=True),
    Metric("installed_h100e", "total", "installed_total", "H100e", stock=True),
    Metric("effective_installed_h100e", "total", "effective_installed_total", "H100e", stock=True),
    Metric("bandwidth_added_tbps", "total", "bandwidth_total", "TB/s"),
    Metric("rental_h100e", "total", "rental", "H100e", stock=True),
    Metric("units_by_die_source", "origin", "by_die_source", "units"),
    *(Metric(f"parts_{name}", "account", f"parts_{field}", "count", stock=stock) for name, field, stock in PARTS),
)

QUARTERLY: tuple[str, ...] = ("units", "compute_added_h100e")
"""Metrics also kept per sample per quarter, as totals."""

MONTHLY: tuple[Metric, ...] = (
    Metric("units", "product", "produced", "units"),
    Metric("units_by_variant", "variant", "produced_by_variant", "units"),
    Metric("units_delivered", "total", "delivered", "units"),
    Metric("compute_added_h100e", "total", "compute_added", "H100e"),
    Metric("installed_h100e", "total", "installed_total", "H100e", stock=True),
    Metric("effective_installed_h100e", "total", "effective_installed_total", "H100e", stock=True),
    Metric("rental_h100e", "total", "rental", "H100e", stock=True),
    Metric("stranded", "component", "stranded", "count", stock=True),
    Metric("stock", "stockpile", "stock", "count", stock=True),
    Metric("runway_months", "stockpile", "runway", "months", stock=True),
)
