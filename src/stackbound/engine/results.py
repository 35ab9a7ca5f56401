"""The typed result of a run, with conversion to pandas.

Per-sample annual series are kept for products and components; vendor, origin and total
groups are sums of those. Monthly series are histograms: their percentiles are within
:data:`~stackbound.engine.histogram.RELATIVE_ERROR` of the exact ones; means are exact.
Annual and monthly percentiles share one definition, the inverted CDF
(:data:`~stackbound.engine.histogram.PERCENTILE_METHOD`): a percentile is one of the
samples, so the annual P50 is what the monthly histograms approximate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from stackbound.engine.histogram import RELATIVE_ERROR, percentile_from_counts, sample_percentiles
from stackbound.engine.metrics import ANNUAL, DERIVED
from stackbound.scenario.months import format_month

__all__ = ["PERCENTILES", "RunResult"]

PERCENTILES = (5.0, 50.0, 95.0)
SHARES = {"domestic_share_units": "units_delivered", "domestic_share_value": "value_usd"}
"""Domestic over domestic-plus-imported, per sample and year: of units delivered, and of
the value of units produced (only products with a price count)."""
Key = tuple[str, str]


@dataclass(frozen=True)
class RunResult:
    """Everything one run of one scenario produced."""

    scenario: str
    digest: str
    seed: int
    samples: int
    exact: bool
    months: NDArray[np.int64]
    years: tuple[int, ...]
    quarters: tuple[str, ...]
    products: tuple[str, ...]
    vendors: dict[str, str]
    origins: dict[str, str]
    components: tuple[str, ...]
    variants: tuple[str, ...]
    constraint_names: tuple[str, ...]
    stockpiles: tuple[str, ...]
    annual: dict[Key, NDArray[np.float32]]
    quarterly: dict[Key, NDArray[np.float32]]
    monthly_keys: tuple[Key, ...]
    monthly_counts: NDArray[np.int64]
    monthly_sums: NDArray[np.float64]
    binding_counts: NDArray[np.int64]
    starved_counts: NDArray[np.int64]
    relief_sums: NDArray[np.float64]
    """(variants, constraint codes, months): good units each binding limit cost, summed
    over samples (the gap to the next tightest limit)."""
    runout: NDArray[np.int32]
    levers: dict[str, str]
    reference: tuple[str, float]
    """The H100's figure on the scenario metric: ("TFLOPS", 1978.9) or ("TB/s", 3.35)."""
    paths: dict[Key, NDArray[np.float32]] | None = None
    timings: dict[str, float] = field(default_factory=dict)
    memberships: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """The groups each account or (product, die source) pair adds up into: its component
    (first), owner, source and component@owner; its product, vendor, origin, source and
    vendor@source."""
    metric: str = "dense_bf16"
    """The scenario's compute metric (``dense_bf16``, ``dense_8bit`` or ``memory_bandwidth``)."""

    # ----------------------------------------------------------------- annual, per sample

    @property
    def native_metrics(self) -> dict[str, str]:
        """Compute metrics in the reference unit (TFLOPS or TB/s) instead of H100e: name ->
        the H100e metric they scale."""
        unit = "tflops" if self.reference[0] == "TFLOPS" else "tbps"
        h100e = [m for m in dict.fromkeys(m for m, _ in self.annual) if m.endswith("_h100e")]
        return {m.removesuffix("_h100e") + f"_{unit}": m for m in h100e}

    def metrics(self) -> list[str]:
        """Every annual metric, H100e ones also in the reference unit, the shares, and the
        sums of kept metrics (``parts_held``, ``parts_destroyed``)."""
        kept = list(dict.fromkeys(m for m, _ in self.annual))
        derived = [m for m, parts in DERIVED.items() if parts[0][0] in kept]
        return [*kept, *self.native_metrics, *SHARES, *derived]

    def groups(self, metric: str) -> list[str]:
        """Every group an annual metric can be read for."""
        if metric in SHARES:
            return ["total"]
        if metric in DERIVED:
            return self.groups(DERIVED[metric][0][0])
        metric = self.native_metrics.get(metric, metric)
        base = [g for (m, g) in self.annual if m == metric]
        if base == ["total"]:
            return base
        extra: list[str] = []
        if set(base) <= set(self.products):
            extra = sorted({self.vendors[p] for p in base}) + sorted({self.origins[p] for p in base})
        else:
            extra = list(dict.fromkeys(g for member in base for g in self.memberships.get(member, ())))
        return [*base, *[g for g in extra if g not in base], "total"]

    def annual_values(self, metric: str, group: str = "total") -> NDArray[np.float64]:
        """Per-sample annual values (samples × years) of a metric for a product, component,
        vendor, origin or the total."""
        if metric in self.native_metrics:
            return self.annual_values(self.native_metrics[metric], group) * self.reference[1]
        if metric in DERIVED:
            return sum((sign * self.annual_values(part, group) for part, sign in DERIVED[metric]), np.zeros(()))
        if metric in SHARES:
            part, whole = (self.annual_values(SHARES[metric], g) for g in ("domestic", "total"))
            return np.divide(part, whole, out=np.zeros_like(part), where=whole > 0)
        if (metric, group) in self.annual:
            return self.annual[(metric, group)].astype(np.float64)
        members = [g for (m, g) in self.annual if m == metric and self._in_group(g, group)]
        if not members and metric not in {m.name for m in ANNUAL}:
            raise KeyError(f"unknown metric {metric!r}")
        total = np.zeros((self.samples, len(self.years)))
        for member in members:
            total += self.annual[(metric, member)]
        return total

    def _in_group(self, member: str, group: str) -> bool:
        return (
            group == "total"
            or self.vendors.get(member) == group
            or self.origins.get(member) == group
            or group in self.memberships.get(member, ())
        )

    def annual_table(self) -> pd.DataFrame:
        """One row per year, metric and group: mean, P5, P50, P95 (exact percentiles of the
        per-sample values, by the inverted CDF like the monthly ones)."""
        rows = []
        for metric in self.metrics():
            for group in self.groups(metric):
                values = self.annual_values(metric, group)
                pct = sample_percentiles(values, PERCENTILES)
                for y, year in enumerate(self.years):
                    rows.append(
                        {
                            "year": year,
                            "metric": metric,
                            "group": group,
                            "mean": float(values[:, y].mean()),
                            "p5": float(pct[0, y]),
                            "p50": float(pct[1, y]),
                            "p95": float(pct[2, y]),
                        }
                    )
        return pd.DataFrame(rows, columns=["year", "metric", "group", "mean", "p5", "p50", "p95"])

    # ----------------------------------------------------------------- monthly summaries

    def monthly_percentile(self, metric: str, group: str, q: float) -> NDArray[np.float64]:
        """Percentile ``q`` by month, by the inverted CDF, within RELATIVE_ERROR (from
        histograms)."""
        return percentile_from_counts(self.monthly_counts[self.monthly_keys.index((metric, group))], q)

    def monthly_mean(self, metric: str, group: str) -> NDArray[np.float64]:
        return np.asarray(self.monthly_sums[self.monthly_keys.index((metric, group))] / self.samples)

    def monthly_table(self) -> pd.DataFrame:
        """One row per month, metric and group: mean, P5, P50, P95 (percentiles within
        about 1.2%: ``percentile_relative_error``)."""
        frames = []
        labels = [format_month(m) for m in self.months]
        for metric, group in self.monthly_keys:
            frame = pd.DataFrame(
                {"month": labels, "metric": metric, "group": group, "mean": self.monthly_mean(metric, group)}
            )
            for q in PERCENTILES:
                frame[f"p{q:g}"] = self.monthly_percentile(metric, group, q)
            frames.append(frame)
        table = pd.concat(frames, ignore_index=True)
        table["percentile_relative_error"] = RELATIVE_ERROR
        return table

    # ----------------------------------------------------------------- binding constraints

    def binding_table(self) -> pd.DataFrame:
        """Per variant and year: the probability each constraint set its output, over the
        sample-months it was active; 'inactive' over all; and 'starved by priority'."""
        rows = []
        year_of = self.months // 12
        for v, variant in enumerate(self.variants):
            for year in self.years:
                in_year = year_of == year
                counts = self.binding_counts[v][:, in_year].sum(axis=1)
                total = counts.sum()
                active = total - counts[0]
                starved = int(self.starved_counts[v][in_year].sum())
                for k, name in enumerate(self.constraint_names):
                    share = counts[k] / total if k == 0 else (counts[k] / active if active else 0.0)
                    rows.append(
                        {
                            "variant": variant,
                            "year": year,
                            "constraint": name,
                            "probability": float(share),
                            "starved_by_priority": float(starved / active) if active else 0.0,
                        }
                    )
        return pd.DataFrame(rows)

    def most_likely_binding(self) -> pd.DataFrame:
        """Per variant and year, the constraint most likely to bind while active."""
        table = self.binding_table()
        table = table[table["constraint"] != "inactive"]
        best = table.loc[table.groupby(["variant", "year"])["probability"].idxmax()]
        return best.reset_index(drop=True)
