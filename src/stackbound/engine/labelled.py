"""A run's numbers with their labels: per-sample annual values that know their years, and the
whole result as an :mod:`xarray` Dataset with named dimensions.

:class:`AnnualValues` is what :meth:`~stackbound.engine.results.RunResult.annual_values`
returns: still a ``samples × years`` numpy array (so ``values[:, y]``, ``.mean(axis=0)`` and
every numpy function work as before), that also carries its metric, group, unit and years,
and converts to a labelled pandas or xarray object::

    units = result.annual_values("units", "Huawei")
    units.to_frame()          # DataFrame: index "sample", one column per year
    units.to_xarray()         # DataArray (sample, year)

:func:`dataset` builds :meth:`~stackbound.engine.results.RunResult.to_xarray`: per-sample
annual values by ``product``, ``vendor`` and ``origin`` (and ``component``) and quarterly
totals by ``quarter``, each as far as the run kept them (the attribute ``keep`` says how
far: :mod:`~stackbound.engine.keep`), monthly means and percentiles by ``month``
(``pandas.Period``), and the per-sample monthly paths when the run kept them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from stackbound.engine.metrics import MONTHLY

if TYPE_CHECKING:  # only for annotations: results imports this module
    import xarray as xr

    from stackbound.engine.results import RunResult

__all__ = ["AnnualValues", "dataset", "month_periods"]

Array = np.ndarray[Any, np.dtype[np.float64]]
LEVELS = {"product": "product", "component": "component"}
"""Annual metrics kept per product or per component, and the dimension they are read along."""


class AnnualValues(Array):
    """Per-sample annual values (samples × years) of one metric for one group, labelled."""

    metric: str
    group: str
    unit: str
    years: tuple[int, ...]

    def __new__(
        cls, values: NDArray[np.float64], metric: str, group: str, unit: str, years: tuple[int, ...]
    ) -> AnnualValues:
        found = np.asarray(values, dtype=np.float64).view(cls)
        found.metric, found.group, found.unit, found.years = metric, group, unit, tuple(years)
        return found

    def __array_finalize__(self, obj: object) -> None:
        self.metric = str(getattr(obj, "metric", ""))
        self.group = str(getattr(obj, "group", ""))
        self.unit = str(getattr(obj, "unit", ""))
        self.years = tuple(getattr(obj, "years", ()))

    def _check(self) -> None:
        if self.ndim != 2 or self.shape[1] != len(self.years):
            shape = f"samples × {len(self.years)} years"
            raise ValueError(f"annual values of {self.metric!r}: labels need {shape}, got shape {self.shape}")

    def to_frame(self) -> pd.DataFrame:
        """A DataFrame: one row per sample (index ``sample``), one column per year."""
        self._check()
        frame = pd.DataFrame(np.asarray(self), columns=pd.Index(self.years, name="year"))
        frame.index.name = "sample"
        frame.attrs.update(metric=self.metric, group=self.group, unit=self.unit)
        return frame

    def to_xarray(self) -> xr.DataArray:
        """An xarray DataArray with dimensions ``sample`` and ``year``."""
        import xarray as xr

        self._check()
        return xr.DataArray(
            np.asarray(self),
            dims=("sample", "year"),
            coords={"sample": np.arange(self.shape[0]), "year": list(self.years)},
            name=self.metric,
            attrs={"group": self.group, "unit": self.unit},
        )


def month_periods(months: NDArray[np.int64]) -> pd.PeriodIndex:
    """Internal month indices (year × 12 + month − 1) as monthly pandas Periods."""
    years, month = np.divmod(np.asarray(months, dtype=np.int64), 12)
    return pd.PeriodIndex(
        [pd.Period(year=int(y), month=int(m) + 1, freq="M") for y, m in zip(years, month, strict=True)]
    )


def _annual(
    result: RunResult, metric: str, groups: list[str], dim: str, kept: list[str] | None = None
) -> tuple[tuple[str, ...], NDArray[np.float64]]:
    """A metric stacked along ``dim``; a group the metric is not kept for (``kept``) is NaN."""
    blank = np.full((result.samples, len(result.years)), np.nan)
    columns = [np.asarray(result.annual_values(metric, g)) if kept is None or g in kept else blank for g in groups]
    return ("sample", "year", dim), np.stack(columns, axis=-1)


def _variables(result: RunResult) -> dict[str, Any]:
    """Per-sample annual metrics: by their own level, by vendor and origin for product metrics,
    and the total."""
    found: dict[str, Any] = {}
    vendors = sorted({result.vendors[p] for p in result.products})
    origins = sorted({result.origins[p] for p in result.products})
    for metric in dict.fromkeys(m for m, _ in result.annual):  # empty when the run kept no per-sample values
        groups = [g for m, g in result.annual_keys if m == metric]
        attrs = {"unit": result.unit(metric)}
        if set(groups) <= set(result.products):
            for dim, names in (("product", list(result.products)), ("vendor", vendors), ("origin", origins)):
                suffix = "" if dim == "product" else f"_by_{dim}"
                found[f"{metric}{suffix}"] = (*_annual(result, metric, names, dim), attrs)
        elif set(groups) <= set(result.components):
            found[metric] = (*_annual(result, metric, list(result.components), "component", groups), attrs)
        if "total" in result.groups(metric):
            found[f"{metric}_total"] = (("sample", "year"), np.asarray(result.annual_values(metric)), attrs)
    for (metric, _), values in result.quarterly.items():
        found[f"{metric}_quarterly"] = (("sample", "quarter"), values.astype(np.float64), {"unit": result.unit(metric)})
    return found


def _monthly_dim(result: RunResult, metric: str) -> tuple[str, list[str]]:
    """The dimension a monthly metric is kept along (empty for a total) and its labels."""
    level = next(m.level for m in MONTHLY if m.name == metric)
    labels = {
        "product": list(result.products),
        "variant": list(result.variants),
        "component": list(result.components),
        "stockpile": list(result.stockpiles),
    }
    return (level, labels[level]) if level in labels else ("", [])


def _monthly(result: RunResult) -> dict[str, Any]:
    """Monthly mean and P5–P50–P95 (from histograms) of each monthly series along a
    ``statistic`` dimension, by its product, variant, component or stockpile; the
    per-sample paths too when the run kept them. A group not kept is NaN."""
    found: dict[str, Any] = {}
    blank = np.full(len(result.months), np.nan)
    for metric in dict.fromkeys(m for m, _ in result.monthly_keys):
        kept = {g for m, g in result.monthly_keys if m == metric}
        dim, groups = _monthly_dim(result, metric)
        groups = groups if dim else ["total"]
        stats = [_statistics(result, metric, g) if g in kept else [blank] * 4 for g in groups]
        values = np.asarray(stats).transpose(1, 2, 0)  # statistic, month, group
        attrs = {"unit": result.unit(metric), "percentiles": "from histograms, within RELATIVE_ERROR"}
        dims = ("statistic", "month", dim) if dim else ("statistic", "month")
        found[f"{metric}_monthly"] = (dims, values if dim else values[..., 0], attrs)
        if result.paths is not None:
            paths = np.stack([_path(result, metric, g) for g in groups], axis=-1)
            dims = ("sample", "month", dim) if dim else ("sample", "month")
            found[f"{metric}_monthly_paths"] = (dims, paths if dim else paths[..., 0], {"unit": result.unit(metric)})
    return found


def _statistics(result: RunResult, metric: str, group: str) -> list[NDArray[np.float64]]:
    percentiles = [result.monthly_percentile(metric, group, q) for q in (5.0, 50.0, 95.0)]
    return [result.monthly_mean(metric, group), *percentiles]


def _path(result: RunResult, metric: str, group: str) -> NDArray[np.float64]:
    assert result.paths is not None  # only called when paths are kept
    found = result.paths.get((metric, group))
    blank = np.full((result.samples, len(result.months)), np.nan)
    return blank if found is None else found.astype(np.float64)


def dataset(result: RunResult) -> xr.Dataset:
    """The run as an xarray Dataset (see the module docstring)."""
    import xarray as xr

    variables = {**_variables(result), **_monthly(result)}
    coords: dict[str, Any] = {
        "sample": np.arange(result.samples),
        "year": list(result.years),
        "quarter": pd.PeriodIndex(result.quarters, freq="Q"),
        "month": month_periods(result.months),
        "product": list(result.products),
        "vendor": sorted({result.vendors[p] for p in result.products}),
        "origin": sorted({result.origins[p] for p in result.products}),
        "component": list(result.components),
        "variant": list(result.variants),
        "stockpile": list(result.stockpiles),
        "statistic": ["mean", "p5", "p50", "p95"],
        "vendor_of": ("product", [result.vendors[p] for p in result.products]),
        "origin_of": ("product", [result.origins[p] for p in result.products]),
    }
    attrs = {
        "scenario": result.scenario,
        "seed": result.seed,
        "samples": result.samples,
        "digest": result.digest,
        "keep": result.keep,
    }
    return xr.Dataset(variables, coords=coords, attrs=attrs)
