"""The reference model of the same-model side-by-side (``benchmarks/reference_model.md``)
stays the model stackbound runs: its tables name the scenario's uncertain inputs with the
same distributions, and on the same draws stackbound and the numpy peer build the same
units, sample by sample; on their own draws their medians agree within 1%. A change to the
engine's semantics that breaks ``benchmarks/scenarios/reference.yaml`` fails here, not in
a benchmark nobody reads."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from stackbound.engine.run import run
from stackbound.engine.sampling import draws_from_uniforms
from stackbound.scenario.loader import LoadedScenario, load_scenario

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
import reference  # noqa: E402  (a benchmark script's module, found through the path above)

SAMPLES = 400
TOLERANCE = 0.01


@pytest.fixture(scope="module")
def loaded() -> LoadedScenario:
    return load_scenario(BENCHMARKS / "scenarios" / "reference.yaml")


def test_the_tables_name_the_scenarios_inputs_with_their_distributions(loaded: LoadedScenario) -> None:
    assert [d.path for d in reference.INPUTS] == [i.name for i in loaded.inputs]
    quantiles = np.array([0.01, 0.05, 0.5, 0.95, 0.99])
    for d, inp in zip(reference.INPUTS, loaded.inputs, strict=True):
        ours = reference.scipy_distribution(d).ppf(quantiles)
        assert inp.dist.ppf(quantiles) == pytest.approx(ours, rel=1e-6), d.name


def test_same_draws_give_the_same_units_sample_by_sample(loaded: LoadedScenario) -> None:
    """Common random numbers: stackbound's own draws fed to the numpy version."""
    uniforms = np.random.default_rng(7).random((SAMPLES, len(loaded.inputs)))
    draws = draws_from_uniforms(loaded.inputs, loaded.copula, uniforms, correlate=False)
    numpy_units = reference.simulate_numpy({d.name: draws[d.path] for d in reference.INPUTS})
    result = run(loaded, samples=SAMPLES, seed=0, workers=1, uniforms=uniforms, correlate=False)
    units = result.annual_values("units").sum(axis=1)
    assert numpy_units == pytest.approx(units, rel=1e-6)  # stackbound keeps annual totals in float32
    assert abs(np.median(numpy_units) / np.median(units) - 1) <= TOLERANCE


def test_medians_agree_on_independent_draws(loaded: LoadedScenario) -> None:
    """Each with its own generator, as in the benchmark: 8,000 samples, so that sampling
    noise in the gap between the two medians (about 0.2% here) stays well inside the 1%."""
    numpy_units = reference.simulate_numpy(reference.draw_numpy(np.random.default_rng(1), 20 * SAMPLES))
    units = run(loaded, samples=20 * SAMPLES, seed=1, workers=1).annual_values("units").sum(axis=1)
    assert abs(np.median(numpy_units) / np.median(units) - 1) <= TOLERANCE


def test_the_one_sample_python_model_equals_the_numpy_one() -> None:
    draws = reference.draw_numpy(np.random.default_rng(3), 20)
    one = [reference.simulate_one({k: float(v[i]) for k, v in draws.items()}) for i in range(20)]
    assert np.array(one) == pytest.approx(reference.simulate_numpy(draws), rel=1e-12)
