"""The typed result of a run, with conversion to pandas.

Per-sample annual series are kept for products and components; vendor, origin and total
groups are sums of those. Monthly series are histograms: their percentiles are within
:data:`~stackbound.engine.histogram.RELATIVE_ERROR` of the exact ones; means are exact.
Annual and monthly percentiles share one definition, the inverted CDF
(:data:`~stackbound.engine.histogram.PERCENTILE_METHOD`): a percentile is one of the
samples, so the annual P50 is what the monthly histograms approximate.

For analysts: :meth:`RunResult.annual_values` returns labelled arrays
(:class:`~stackbound.engine.labelled.AnnualValues`), :meth:`RunResult.to_xarray` the whole
run as an xarray Dataset, :meth:`RunResult.input_draws` each sample's input draws as a
table (to plot outputs against inputs), and the tables' months are ``pandas.Period``::

    result = run(loaded, samples=2_000, seed=1)
    draws = result.input_draws(loaded)                  # sample × input
    units = result.annual_values("units").to_frame()    # sample × year
    ds = result.to_xarray()
    ds["units"].sel(year=2026).groupby("vendor_of").sum()
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from stackbound.engine.histogram import RELATIVE_ERROR, percentile_from_counts, sample_percentiles
from stackbound.engine.labelled import AnnualValues, dataset, month_periods
from stackbound.engine.metrics import ANNUAL, DERIVED, MONTHLY
from stackbound.engine.sampling import BLOCK_SIZE, block_uniforms, draws_from_uniforms
from stackbound.errors import SimulationError

if TYPE_CHECKING:  # annotations only: the loader is the scenario layer's, results need not import it
    import xarray as xr

    from stackbound.scenario.loader import LoadedScenario

__all__ = ["PERCENTILES", "AnnualValues", "RunResult"]

PERCENTILES = (5.0, 50.0, 95.0)
SHARES = {"domestic_share_units": "units_delivered", "domestic_share_value": "value_usd"}
"""Domestic over domestic-plus-imported, per sample and year: of units delivered, and of
the value of units produced (only products with a price count)."""
Key = tuple[str, str]
UNITS = {m.name: m.unit for m in (*MONTHLY, *ANNUAL)} | dict.fromkeys(SHARES, "share") | dict.fromkeys(DERIVED, "count")
"""Each metric's unit, for people (``units``, ``H100e``, ``dies``, ``count``, ``share``)."""
TOTALLED = tuple(m.name for m in MONTHLY if m.level == "product")
"""Monthly metrics kept per product, whose monthly total :meth:`RunResult.monthly_table` adds."""


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

    def unit(self, metric: str) -> str:
        """The unit of a metric, for people: ``units``, ``H100e``, ``TFLOPS``, ``share``, ..."""
        if metric in self.native_metrics:
            return self.reference[0]
        return UNITS.get(metric, "")

    @property
    def periods(self) -> pd.PeriodIndex:
        """The months of the run as monthly ``pandas.Period`` (``self.months`` are internal indices)."""
        return month_periods(self.months)

    def annual_values(self, metric: str, group: str = "total") -> AnnualValues:
        """Per-sample annual values (samples × years) of a metric for a product, component,
        vendor, origin or the total: a numpy array labelled with its metric, group, unit
        and years (``.to_frame()``, ``.to_xarray()``)."""
        values = self._annual_values(metric, group)
        return AnnualValues(values, metric, group, self.unit(metric), self.years)

    def _annual_values(self, metric: str, group: str) -> NDArray[np.float64]:
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

    def annual_table(self, metrics: Sequence[str] | None = None) -> pd.DataFrame:
        """One row per year, metric and group: mean, P5, P50, P95 (exact percentiles of the
        per-sample values, by the inverted CDF like the monthly ones); ``metrics``: only
        these (default: every metric), in the table's order."""
        rows = []
        for metric in self.metrics():
            if metrics is not None and metric not in metrics:
                continue
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
        """One row per month (a ``pandas.Period``), metric and group: mean, P5, P50, P95
        (percentiles within about 1.2%: ``percentile_relative_error``) and the unit.

        Metrics kept per product (units) also get a ``total`` row per month: its mean is
        exact (the sum of the products' means); its percentiles are exact when the run kept
        its monthly paths (``run(..., keep_paths=True)``) and missing (NaN) otherwise, since
        percentiles of products do not add up to the percentile of their total."""
        frames = []
        periods = self.periods
        for metric, group in self.monthly_keys:
            frame = pd.DataFrame({"month": periods, "metric": metric, "group": group})
            frame["mean"] = self.monthly_mean(metric, group)
            for q in PERCENTILES:
                frame[f"p{q:g}"] = self.monthly_percentile(metric, group, q)
            frame["percentile_relative_error"] = RELATIVE_ERROR
            frames.append(frame)
            if self._last_of(metric, group):
                frames.append(self._monthly_total(metric))
        table = pd.concat(frames, ignore_index=True)
        table["unit"] = table["metric"].map(self.unit)
        return table

    def _last_of(self, metric: str, group: str) -> bool:
        """Whether ``group`` is the last kept group of a per-product monthly metric."""
        groups = [g for m, g in self.monthly_keys if m == metric]
        return metric in TOTALLED and "total" not in groups and group == groups[-1]

    def _monthly_total(self, metric: str) -> pd.DataFrame:
        groups = [g for m, g in self.monthly_keys if m == metric]
        frame = pd.DataFrame({"month": self.periods, "metric": metric, "group": "total"})
        frame["mean"] = np.sum([self.monthly_mean(metric, g) for g in groups], axis=0)
        if self.paths is not None:
            total = np.sum([self.paths[(metric, g)].astype(np.float64) for g in groups], axis=0)
            pct = sample_percentiles(total, PERCENTILES)
            for q, row in zip(PERCENTILES, pct, strict=True):
                frame[f"p{q:g}"] = row
            frame["percentile_relative_error"] = 0.0
        else:
            for q in PERCENTILES:
                frame[f"p{q:g}"] = np.nan
            frame["percentile_relative_error"] = np.nan
        return frame

    # ----------------------------------------------------------------- for analysts

    def to_xarray(self) -> xr.Dataset:
        """The run as an xarray Dataset with named dimensions ``sample``, ``year``,
        ``quarter``, ``month``, ``product``, ``vendor``, ``origin`` and ``component``
        (:func:`~stackbound.engine.labelled.dataset`)."""
        return dataset(self)

    def input_draws(self, loaded: LoadedScenario, labelled: bool = False) -> pd.DataFrame:
        """Each sample's draw of every uncertain input (samples × inputs, index ``sample``),
        to plot outputs against inputs. A run does not keep its draws: they are drawn again,
        block by block from the recorded seed, exactly as :func:`~stackbound.engine.run.run`
        drew them. ``loaded`` must be the scenario that was run (its digest is checked);
        ``labelled`` names the columns by input label in place of the field path. Runs given
        their own ``uniforms`` (Sobol' and Latin-hypercube designs) are not reproduced."""
        if loaded.digest != self.digest:
            raise SimulationError(
                f"input draws: scenario {loaded.name!r} is not the one run (digest {loaded.digest[:12]}, "
                f"the run's {self.digest[:12]})"
            )
        names = [inp.name for inp in loaded.inputs]
        parts = []
        for block in range(math.ceil(self.samples / BLOCK_SIZE)):
            size = min(BLOCK_SIZE, self.samples - block * BLOCK_SIZE)
            parts.append(
                draws_from_uniforms(loaded.inputs, loaded.copula, block_uniforms(self.seed, block, size, names))
            )
        table = pd.DataFrame({name: np.concatenate([p[name] for p in parts]) for name in names})
        table.index.name = "sample"
        if labelled:
            from stackbound.scenario.labels import input_label, labels

            known = labels(loaded.scenario)
            table.columns = pd.Index([input_label(known, inp.name, inp.group) for inp in loaded.inputs])
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
