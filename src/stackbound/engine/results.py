"""The typed result of a run, with conversion to pandas.

Per-sample annual series are kept for products and components; vendor, origin and total
groups are sums of those (:class:`~stackbound.engine.annual.AnnualReader`). Monthly series
are histograms: their percentiles are within
:data:`~stackbound.engine.histogram.RELATIVE_ERROR` of the exact ones; means are exact.
Annual and monthly percentiles share one definition, the inverted CDF
(:data:`~stackbound.engine.histogram.PERCENTILE_METHOD`): a percentile is one of the
samples, so the annual P50 is what the monthly histograms approximate.

What a run keeps per sample is its ``keep`` (:mod:`~stackbound.engine.keep`). Without
per-sample annual values (``keep="none"``) every annual metric and group is a histogram
too: :meth:`RunResult.annual_percentiles`, :meth:`RunResult.annual_mean` and
:meth:`RunResult.annual_table` read them alike in every mode (exact when the values were
kept), while :meth:`RunResult.annual_values` raises
:class:`~stackbound.errors.NotKeptError`.

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
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from stackbound.engine.annual import SHARES, UNSOURCED_SHARE, AnnualReader
from stackbound.engine.histogram import RELATIVE_ERROR, percentile_from_counts, sample_percentiles, sorted_percentiles
from stackbound.engine.keep import DEFAULT_KEEP, Keep, keeps_annual, keeps_quarterly
from stackbound.engine.labelled import AnnualValues, dataset, month_periods
from stackbound.engine.metrics import ANNUAL, DERIVED, MONTHLY
from stackbound.engine.sampling import BLOCK_SIZE, block_uniforms, draws_from_uniforms
from stackbound.engine.summaries import Histograms
from stackbound.errors import NotKeptError, SimulationError

if TYPE_CHECKING:  # annotations only: the loader is the scenario layer's, results need not import it
    import xarray as xr

    from stackbound.scenario.loader import LoadedScenario

__all__ = ["PERCENTILES", "SHARES", "AnnualValues", "RunResult"]

PERCENTILES = (5.0, 50.0, 95.0)
Key = tuple[str, str]
UNITS = (
    {m.name: m.unit for m in (*MONTHLY, *ANNUAL)}
    | dict.fromkeys([*SHARES, UNSOURCED_SHARE], "share")
    | dict.fromkeys(DERIVED, "count")
)
"""Each metric's unit, for people (``units``, ``H100e``, ``dies``, ``count``, ``share``)."""
KEPT_AS_IS = frozenset(m.name for m in ANNUAL) - {*DERIVED, *SHARES, UNSOURCED_SHARE}
"""Annual metrics whose kept (metric, group) series :meth:`RunResult.annual_values` reads
as they are (converted to float64), not summed, scaled or divided."""
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
    """Per-sample annual series by (metric, group), when kept (else empty)."""
    quarterly: dict[Key, NDArray[np.float32]]
    """Per-sample quarterly totals by (metric, "total"), when kept (else empty)."""
    annual_keys: tuple[Key, ...]
    """The (metric, group) series the run reads its annual metrics from, kept or not."""
    quarterly_keys: tuple[Key, ...]
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
    keep: Keep = DEFAULT_KEEP
    """What the run kept per sample (:mod:`~stackbound.engine.keep`)."""
    unsourced: tuple[str, ...] = ()
    """The products whose specs and bills cite no source."""
    annual_histograms: Histograms | None = None
    """Every annual metric and group per year, when per-sample values were not kept."""
    quarterly_histograms: Histograms | None = None
    """The quarterly totals per quarter, when per-sample ones were not kept."""

    # ----------------------------------------------------------------- annual

    @cached_property
    def _reader(self) -> AnnualReader:
        return AnnualReader(
            self.annual_keys,
            self.products,
            self.vendors,
            self.origins,
            self.memberships,
            self.reference,
            self.unsourced,
        )

    @property
    def native_metrics(self) -> dict[str, str]:
        """Compute metrics in the reference unit (TFLOPS or TB/s) instead of H100e: name ->
        the H100e metric they scale."""
        return self._reader.native_metrics

    def metrics(self) -> list[str]:
        """Every annual metric, H100e ones also in the reference unit, the shares, and the
        sums of kept metrics (``parts_held``, ``parts_destroyed``)."""
        return self._reader.metrics()

    def groups(self, metric: str) -> list[str]:
        """Every group an annual metric can be read for."""
        return self._reader.groups(metric)

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
        and years (``.to_frame()``, ``.to_xarray()``). NotKeptError if the run kept no
        per-sample values (``keep="none"``)."""
        if not keeps_annual(self.keep):
            raise NotKeptError(
                f"{self.scenario}: per-sample annual values of {metric} ({group}) were not kept (--keep {self.keep}) "
                f"and what asks for them pairs samples: run with --keep annual (or without --keep)"
            )
        values = self._reader.read(self.annual, (self.samples, len(self.years)), metric, group)
        return AnnualValues(values, metric, group, self.unit(metric), self.years)

    def annual_percentiles(
        self, metric: str, group: str = "total", q: Sequence[float] = PERCENTILES
    ) -> NDArray[np.float64]:
        """Percentiles ``q`` (0–100) of a metric for a group, by year: (len(q), years), in
        every keep mode: by the inverted CDF of the per-sample values when they were kept,
        else from histograms, within RELATIVE_ERROR of those (0 below
        :data:`~stackbound.engine.histogram.LOW`)."""
        if self.annual_histograms is None:
            return sorted_percentiles(self._kept_series(metric, group, self.annual_values(metric, group)), q)
        if (metric, group) not in self.annual_histograms.keys:
            return self._unsummarised(metric, len(q))
        return self.annual_histograms.percentiles((metric, group), q)

    def annual_mean(self, metric: str, group: str = "total") -> NDArray[np.float64]:
        """The mean of a metric for a group, by year, in every keep mode (from the
        per-sample values, or from their sums added in block order)."""
        if self.annual_histograms is None:
            return _yearly_means(np.asarray(self.annual_values(metric, group)))
        if (metric, group) not in self.annual_histograms.keys:
            return self._unsummarised(metric, 1).reshape(-1)
        return self.annual_histograms.mean((metric, group), self.samples)

    def _annual_summary(self, metric: str, group: str) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The mean and the P5, P50, P95 of a metric for a group, by year, as
        :meth:`annual_mean` and :meth:`annual_percentiles` give them, the per-sample values
        read once."""
        if self.annual_histograms is not None:
            return self.annual_mean(metric, group), self.annual_percentiles(metric, group)
        values = np.asarray(self.annual_values(metric, group))
        return _yearly_means(values), sorted_percentiles(self._kept_series(metric, group, values), PERCENTILES)

    def _kept_series(self, metric: str, group: str, values: NDArray[np.float64]) -> NDArray[np.number[Any]]:
        """The kept float32 series that ``values`` were read from as they are, else
        ``values`` (a sum of groups, a scaled, derived or share metric): percentiles of
        either are the same numbers (float32 converts to float64 exactly, and the inverted
        CDF picks a sample), and sorting float32 is about 40% quicker."""
        kept = self.annual.get((metric, group))
        as_kept = metric in KEPT_AS_IS and metric not in self.native_metrics
        return kept if kept is not None and as_kept else values

    def _unsummarised(self, metric: str, rows: int) -> NDArray[np.float64]:
        """Zeros for a group a known metric has no series in, as :meth:`annual_values` reads
        one; KeyError for an unknown metric."""
        if metric not in {*self.metrics(), *(m.name for m in ANNUAL), UNSOURCED_SHARE}:
            raise KeyError(f"unknown metric {metric!r}")
        return np.zeros((rows, len(self.years)))

    def annual_table(self, metrics: Sequence[str] | None = None) -> pd.DataFrame:
        """One row per year, metric and group: mean, P5, P50, P95 (percentiles by the
        inverted CDF like the monthly ones: exact when the run kept per-sample values,
        within RELATIVE_ERROR otherwise); ``metrics``: only these (default: every metric),
        in the table's order."""
        rows = []
        for metric in self.metrics():
            if metrics is not None and metric not in metrics:
                continue
            for group in self.groups(metric):
                mean, pct = self._annual_summary(metric, group)
                for y, year in enumerate(self.years):
                    rows.append(
                        {
                            "year": year,
                            "metric": metric,
                            "group": group,
                            "mean": float(mean[y]),
                            "p5": float(pct[0, y]),
                            "p50": float(pct[1, y]),
                            "p95": float(pct[2, y]),
                        }
                    )
        return pd.DataFrame(rows, columns=["year", "metric", "group", "mean", "p5", "p50", "p95"])

    # ----------------------------------------------------------------- quarterly

    def quarterly_percentiles(self, metric: str, q: Sequence[float] = PERCENTILES) -> NDArray[np.float64]:
        """Percentiles ``q`` of a quarterly total by quarter, (len(q), quarters), in every keep
        mode (exact, or within RELATIVE_ERROR from histograms)."""
        if self.quarterly_histograms is not None:
            return self.quarterly_histograms.percentiles((metric, "total"), q)
        return sorted_percentiles(self._quarterly(metric), q)

    def quarterly_mean(self, metric: str) -> NDArray[np.float64]:
        """The mean of a quarterly total by quarter, in every keep mode."""
        if self.quarterly_histograms is not None:
            return self.quarterly_histograms.mean((metric, "total"), self.samples)
        values = self._quarterly(metric)
        return np.array([values[:, q].mean() for q in range(len(self.quarters))], dtype=np.float64)

    def _quarterly(self, metric: str) -> NDArray[np.float32]:
        if not keeps_quarterly(self.keep):
            raise NotKeptError(f"{self.scenario}: the run kept no per-sample quarterly totals (--keep {self.keep})")
        return self.quarterly[(metric, "total")]

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


# ----------------------------------------------------------------- means of per-sample values


def _yearly_means(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """The mean of each column of per-sample values (samples × years), one column at a time."""
    return np.array([values[:, y].mean() for y in range(values.shape[1])], dtype=np.float64)
