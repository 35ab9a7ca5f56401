"""How every annual metric and group is read from the per-sample series a run keeps.

A run keeps one float32 series (samples × years) per key of
:data:`~stackbound.engine.metrics.ANNUAL` and its kept groups (:attr:`AnnualReader.kept`).
Everything else the tables show is read from those, sample by sample: a vendor's, an
origin's or a source's members added up, and the total; the
:data:`~stackbound.engine.metrics.DERIVED` signed sums; the :data:`SHARES` (domestic over
domestic plus imported); compute in the reference unit (H100e times the H100's figure).

Reading is element-wise over samples, so a chunk's rows read alike whether the run keeps
every sample (:meth:`~stackbound.engine.results.RunResult.annual_values`) or reads each
chunk before dropping it (``keep="none"``: :meth:`AnnualReader.summarised` lists what is
read and histogrammed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from stackbound.engine.metrics import ANNUAL, DERIVED

__all__ = ["SHARES", "SOURCED", "UNSOURCED", "UNSOURCED_SHARE", "AnnualReader"]

Key = tuple[str, str]
Kept = Mapping[Key, NDArray[np.float32] | NDArray[np.float64]]
FloatArray = NDArray[np.float64]

SHARES = {"domestic_share_units": "units_delivered", "domestic_share_value": "value_usd"}
"""Domestic over domestic-plus-imported, per sample and year: of units delivered, and of
the value of units produced (only products with a price count)."""
UNSOURCED = "unsourced products"
SOURCED = "sourced products"
"""Groups of per-product metrics, not listed by :meth:`AnnualReader.groups`: the products
whose specs and bills cite no source (:func:`~stackbound.scenario.inputs.unsourced_products`)
and the others, which the headline sentence reads."""
UNSOURCED_SHARE = "unsourced_share_units"
"""Units of unsourced products over all units, per sample and year (not listed either)."""


@dataclass(frozen=True)
class AnnualReader:
    """The annual metrics and groups of a run, and how each is read from its ``kept``
    series: ``products`` with their ``vendors`` and ``origins``, the groups each account or
    (product, die source) pair adds up into (``memberships``), the H100's figure on the
    scenario's metric (``reference``) and the ``unsourced`` products."""

    kept: tuple[Key, ...]
    products: tuple[str, ...]
    vendors: dict[str, str]
    origins: dict[str, str]
    memberships: dict[str, tuple[str, ...]]
    reference: tuple[str, float]
    unsourced: tuple[str, ...] = ()

    @cached_property
    def native_metrics(self) -> dict[str, str]:
        """Compute metrics in the reference unit (TFLOPS or TB/s) instead of H100e: name ->
        the H100e metric they scale."""
        unit = "tflops" if self.reference[0] == "TFLOPS" else "tbps"
        h100e = [m for m in self._kept_groups if m.endswith("_h100e")]
        return {m.removesuffix("_h100e") + f"_{unit}": m for m in h100e}

    @cached_property
    def _kept_groups(self) -> dict[str, list[str]]:
        """The kept groups of each kept metric, in order."""
        found: dict[str, list[str]] = {}
        for metric, group in self.kept:
            found.setdefault(metric, []).append(group)
        return found

    def metrics(self) -> list[str]:
        """Every annual metric, H100e ones also in the reference unit, the shares, and the
        sums of kept metrics (``parts_held``, ``parts_destroyed``)."""
        kept = list(self._kept_groups)
        derived = [m for m, parts in DERIVED.items() if parts[0][0] in kept]
        return [*kept, *self.native_metrics, *SHARES, *derived]

    def groups(self, metric: str) -> list[str]:
        """Every group an annual metric can be read for."""
        if metric in SHARES:
            return ["total"]
        if metric in DERIVED:
            return self.groups(DERIVED[metric][0][0])
        metric = self.native_metrics.get(metric, metric)
        base = self._kept_groups.get(metric, [])
        if base == ["total"]:
            return base
        extra: list[str] = []
        if set(base) <= set(self.products):
            extra = sorted({self.vendors[p] for p in base}) + sorted({self.origins[p] for p in base})
        else:
            extra = list(dict.fromkeys(g for member in base for g in self.memberships.get(member, ())))
        return [*base, *[g for g in extra if g not in base], "total"]

    def summarised(self) -> list[Key]:
        """What a run that keeps no per-sample values histograms per year: every metric and
        group, and the units and share of unsourced products when there are any (otherwise
        they read as 0 either way)."""
        found = [(metric, group) for metric in self.metrics() for group in self.groups(metric)]
        if self.unsourced:
            found += [("units", UNSOURCED), ("units", SOURCED), (UNSOURCED_SHARE, "total")]
        return found

    def read(self, kept: Kept, shape: tuple[int, int], metric: str, group: str) -> FloatArray:
        """Per-sample annual values (samples × years, the ``shape`` of every kept series) of
        ``metric`` for ``group``, from the ``kept`` series (which may also hold values read
        before, under their own keys); KeyError for an unknown metric."""
        if metric in self.native_metrics:
            return self.read(kept, shape, self.native_metrics[metric], group) * self.reference[1]
        if metric in DERIVED:
            parts = (sign * self.read(kept, shape, part, group) for part, sign in DERIVED[metric])
            return sum(parts, np.zeros(()))
        if metric in SHARES or metric == UNSOURCED_SHARE:
            top, numerator = (SHARES[metric], "domestic") if metric in SHARES else ("units", UNSOURCED)
            part, whole = (self.read(kept, shape, top, g) for g in (numerator, "total"))
            return np.divide(part, whole, out=np.zeros_like(part), where=whole > 0)
        if (metric, group) in kept:
            return kept[(metric, group)].astype(np.float64)
        members = [g for g in self._kept_groups.get(metric, []) if self._in_group(g, group)]
        if not members and metric not in {m.name for m in ANNUAL}:
            raise KeyError(f"unknown metric {metric!r}")
        total = np.zeros(shape)
        for member in members:
            total += kept[(metric, member)]
        return total

    def _in_group(self, member: str, group: str) -> bool:
        if group in (UNSOURCED, SOURCED):
            return member in self.products and (member in self.unsourced) == (group == UNSOURCED)
        return (
            group == "total"
            or self.vendors.get(member) == group
            or self.origins.get(member) == group
            or group in self.memberships.get(member, ())
        )
