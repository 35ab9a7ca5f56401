"""Issue 11 §5: the library for analysts — labelled annual values, monthly totals, months as
pandas Periods, an xarray Dataset with named dimensions, and each sample's input draws."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stackbound.analysis.features import sample_inputs
from stackbound.engine.labelled import AnnualValues
from stackbound.engine.results import RunResult
from stackbound.engine.run import run
from stackbound.errors import SimulationError
from stackbound.scenario.loader import LoadedScenario, load_scenario

FIXTURE = Path(__file__).parent / "fixtures" / "blackwell.yaml"


@pytest.fixture(scope="module")
def china() -> tuple[LoadedScenario, RunResult]:
    loaded = load_scenario("china")
    return loaded, run(loaded, samples=300, seed=4, keep_paths=True)


@pytest.fixture(scope="module")
def plain(china: tuple[LoadedScenario, RunResult]) -> RunResult:
    return run(china[0], samples=300, seed=4)


def test_annual_values_are_labelled_and_still_arrays(plain: RunResult) -> None:
    values = plain.annual_values("units", "Huawei")
    assert isinstance(values, AnnualValues)
    assert isinstance(values, np.ndarray)
    assert (values.metric, values.group, values.unit, values.years) == ("units", "Huawei", "units", plain.years)
    assert values.shape == (300, len(plain.years))
    np.testing.assert_array_equal(values[:, 0], np.asarray(values)[:, 0])  # old callers index as before
    frame = values.to_frame()
    assert frame.index.name == "sample"
    assert list(frame.columns) == list(plain.years)
    assert frame.attrs["unit"] == "units"
    array = values.to_xarray()
    assert array.dims == ("sample", "year")
    assert float(array.sel(year=2026).sum()) == pytest.approx(values[:, 2].sum())
    assert plain.annual_values("compute_added_tflops").unit == "TFLOPS"
    with pytest.raises(ValueError, match="samples × 5 years"):
        values[:, 0].to_frame()  # type: ignore[attr-defined]


def test_monthly_table_has_periods_and_totals(plain: RunResult, china: tuple[LoadedScenario, RunResult]) -> None:
    table = plain.monthly_table()
    assert isinstance(table["month"].dtype, pd.PeriodDtype)
    assert str(table["month"].iloc[0]) == "2024-01"
    assert list(plain.periods[:2].astype(str)) == ["2024-01", "2024-02"]
    units = table[table["metric"] == "units"]
    total = units[units["group"] == "total"].set_index("month")["mean"]
    parts = units[units["group"] != "total"].groupby("month")["mean"].sum()
    np.testing.assert_allclose(total.to_numpy(), parts.to_numpy(), rtol=1e-9)
    assert units[units["group"] == "total"]["p50"].isna().all()  # no paths: no percentiles of a sum
    assert (table["unit"] == table["metric"].map(plain.unit)).all()
    kept = china[1].monthly_table()
    kept_total = kept[(kept["metric"] == "units") & (kept["group"] == "total")]
    paths = sum(v.astype(np.float64) for (m, _), v in china[1].paths.items() if m == "units")  # type: ignore[union-attr]
    expected = np.percentile(paths, 50, axis=0, method="inverted_cdf")
    np.testing.assert_allclose(kept_total["p50"].to_numpy(), expected, rtol=1e-6)


def test_xarray_dataset_has_named_dimensions(china: tuple[LoadedScenario, RunResult]) -> None:
    result = china[1]
    ds = result.to_xarray()
    for dim in ("sample", "year", "quarter", "month", "product", "vendor", "origin"):
        assert dim in ds.dims, dim
    assert ds["units"].dims == ("sample", "year", "product")
    assert ds["units_by_vendor"].dims == ("sample", "year", "vendor")
    assert ds["units_by_origin"].dims == ("sample", "year", "origin")
    np.testing.assert_allclose(
        ds["units_by_vendor"].sel(vendor="Huawei").to_numpy(), result.annual_values("units", "Huawei"), rtol=1e-6
    )
    np.testing.assert_allclose(ds["units"].sum("product").to_numpy(), ds["units_total"].to_numpy(), rtol=1e-5)
    assert ds["units_quarterly"].dims == ("sample", "quarter")
    assert isinstance(ds.indexes["month"], pd.PeriodIndex)
    assert isinstance(ds.indexes["quarter"], pd.PeriodIndex)
    assert float(ds["units_monthly"].sel(statistic="mean", month="2026-03", product="ascend910c")) == pytest.approx(
        result.monthly_mean("units", "ascend910c")[list(result.periods.astype(str)).index("2026-03")]
    )
    assert ds["units_monthly_paths"].dims == ("sample", "month", "product")
    assert ds["units"].attrs["unit"] == "units"
    assert ds.attrs["seed"] == 4
    assert set(ds["vendor_of"].to_numpy()) == set(ds["vendor"].to_numpy())


def test_input_draws_are_the_runs_own(china: tuple[LoadedScenario, RunResult], plain: RunResult) -> None:
    loaded, _ = china
    draws = plain.input_draws(loaded)
    assert draws.shape == (300, len(loaded.inputs))
    assert draws.index.name == "sample"
    expected = sample_inputs(loaded, 300, 4)
    for name, values in expected.items():
        np.testing.assert_array_equal(draws[name].to_numpy(), values)
    labelled = plain.input_draws(loaded, labelled=True)
    assert "SMIC N+2 · wafer starts" in " ".join(labelled.columns)
    other = load_scenario(str(FIXTURE))
    with pytest.raises(SimulationError, match="not the one run"):
        plain.input_draws(other)


def test_outputs_plot_against_inputs(china: tuple[LoadedScenario, RunResult], plain: RunResult) -> None:
    """The draws join the outputs on the sample index: one table to plot outputs against inputs."""
    loaded, _ = china
    table = plain.input_draws(loaded).join(plain.annual_values("units").to_frame()[[2026]])
    assert len(table) == 300
    assert table[2026].notna().all()


def test_an_annual_table_of_some_metrics_is_the_whole_tables_rows(plain: RunResult) -> None:
    whole = plain.annual_table()
    some = plain.annual_table(["units", "domestic_share_units"])
    assert set(some["metric"]) == {"units", "domestic_share_units"}
    expected = whole[whole["metric"].isin(["units", "domestic_share_units"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(some, expected)
