"""Format gaps closed: packaging yield per variant, and rental given as units of a product
converted on the scenario's metric — known answers and errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from stackbound.engine.run import run
from stackbound.errors import ScenarioError
from support import AMPLE, load, product, scenario

RTOL = 1e-6
LOGIC_HBM = {"logic": {"kind": "logic_die"}, "hbm": {"kind": "hbm_stack"}}
SOURCES = {
    "fab": {"kind": "flow", "component": "logic", "rate": 100},
    "hbm_flow": {"kind": "flow", "component": "hbm", "rate": AMPLE},
}


def two_variants(own_yield: Any) -> dict[str, Any]:
    """Two products on one line of yield 0.9, 50 dies a month each (their own fabs); the
    4-die one may carry its own yield."""
    four = product({"logic": 4, "hbm": 8}, priority=1, vendor="VendorA")
    if own_yield is not None:
        four["variants"]["main"]["yield"] = own_yield
    return scenario(
        components={**LOGIC_HBM, "logic4": {"kind": "logic_die"}},
        sources={**SOURCES, "fab4": {"kind": "flow", "component": "logic4", "rate": 200}},
        packaging={"pkg": {"capacity": AMPLE, "yield": 0.9}},
        products={
            "quad": {**four, "variants": {"main": {**four["variants"]["main"], "bill": {"logic4": 4, "hbm": 8}}}},
            "single": product({"logic": 1, "hbm": 2}, priority=2, vendor="VendorA"),
        },
    )


def test_a_variant_may_fail_more_often_than_its_line(tmp_path: Path) -> None:
    result = run(load(two_variants(0.5), tmp_path), samples=4, seed=1)
    # 200 dies a month / 4 per package = 50 attempts, half of them good
    np.testing.assert_allclose(result.annual_values("units", "quad")[:, 0], 12 * 50 * 0.5, rtol=RTOL)
    # the single-die product keeps the line's 0.9: 100 attempts, 90 good
    np.testing.assert_allclose(result.annual_values("units", "single")[:, 0], 12 * 100 * 0.9, rtol=RTOL)
    # the failed packages destroyed their dies: 50% of what the quad drew
    np.testing.assert_allclose(result.annual_values("parts_destroyed", "fab4")[:, 0], 12 * 200 * 0.5, rtol=RTOL)
    line_only = run(load(two_variants(None), tmp_path), samples=4, seed=1)
    np.testing.assert_allclose(line_only.annual_values("units", "quad")[:, 0], 12 * 50 * 0.9, rtol=RTOL)


def test_a_variant_yield_may_be_a_curve(tmp_path: Path) -> None:
    result = run(load(two_variants({"2025-01": 0.4, "2025-12": 0.4, "2026-01": 0.8}), tmp_path), samples=4, seed=1)
    np.testing.assert_allclose(result.annual_values("units", "quad")[:, 0], 12 * 50 * 0.4, rtol=RTOL)


def rented(rental: dict[str, Any], **specs: Any) -> dict[str, Any]:
    b300 = product({"logic": 1, "hbm": 1}, packaging=None, vendor="Nvidia", origin="imported")
    b300["variants"] = {}
    b300["specs"] = specs
    return scenario(
        components=LOGIC_HBM,
        sources=SOURCES,
        packaging={"pkg": {"capacity": AMPLE, "yield": 1.0}},
        products={"accel": product({"logic": 1, "hbm": 1}), "b300": b300},
        offshore_rental={"abroad": rental},
    )


def test_rental_in_units_of_a_product_is_converted_on_the_scenarios_metric(tmp_path: Path) -> None:
    data = rented({"units": 1000, "product": "b300"}, dense_bf16="2250 TFLOPS")
    result = run(load(data, tmp_path), samples=4, seed=1)
    expected = 1000 * 2250 / 989.4  # the H100's dense BF16, the scenario's reference
    np.testing.assert_allclose(result.annual_values("rental_h100e")[:, 0], expected, rtol=RTOL)
    data["metric"] = "dense_8bit"
    data["products"]["b300"]["specs"] = {"dense_fp8": "4500 TFLOPS"}
    result = run(load(data, tmp_path), samples=4, seed=1)
    np.testing.assert_allclose(result.annual_values("rental_h100e")[:, 0], 1000 * 4500 / 1978.9, rtol=RTOL)


@pytest.mark.parametrize(
    ("rental", "specs", "message"),
    [
        ({"units": 1000, "product": "b300", "h100e": 5}, {"dense_bf16": "2250 TFLOPS"}, "not both or neither"),
        ({"units": 1000}, {"dense_bf16": "2250 TFLOPS"}, "need the product they are"),
        ({"units": 1000, "product": "b3000"}, {"dense_bf16": "2250 TFLOPS"}, "unknown product 'b3000'"),
        ({"units": 1000, "product": "b300"}, {"bandwidth": "8 TB/s"}, "has no dense_bf16 spec"),
    ],
)
def test_bad_rentals_are_refused(tmp_path: Path, rental: dict[str, Any], specs: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        load(rented(rental, **specs), tmp_path)


def test_a_variant_yield_without_a_line_is_refused(tmp_path: Path) -> None:
    data = two_variants(None)
    data["products"]["single"]["variants"]["main"].pop("packaging")
    data["products"]["single"]["variants"]["main"]["yield"] = 0.8
    with pytest.raises(ScenarioError, match="packaging yield needs its packaging line"):
        load(data, tmp_path)
