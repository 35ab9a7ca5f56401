"""The report's headline is never led by products whose figures are all assumptions, says
how much of it they make, and names an unsourced input that sets its spread."""

from __future__ import annotations

import pytest

from stackbound.report import findings
from stackbound.report.gather import ReportData, ReportSettings, gather
from stackbound.scenario.inputs import unsourced_products
from stackbound.scenario.loader import load_scenario


@pytest.fixture(scope="module")
def china() -> ReportData:
    return gather([load_scenario("china")], ReportSettings(samples=1024, sensitivity=False, discovery=False))


def test_the_china_aggregate_counts_as_unsourced() -> None:
    names = unsourced_products(load_scenario("china").scenario)
    assert {"other_domestic", "other_domestic_gddr"} <= set(names)
    assert not {"ascend910b", "ascend910c", "mlu590"} & set(names)


def test_the_headline_says_what_the_unsourced_products_make_and_leads_with_a_sourced_one(china: ReportData) -> None:
    answer = findings.answer(china, "en")
    assert "products whose specs and bills cite no source; without them," in answer
    leading = answer.split("the leading product (")[1].split("/")[0]
    assert leading not in unsourced_products(china.loaded[0].scenario)
    assert "zonder die producten" in findings.answer(china, "nl")


def test_a_scenario_whose_products_are_all_unsourced_is_not_split() -> None:
    data = gather([load_scenario("example")], ReportSettings(samples=256, sensitivity=False, discovery=False))
    answer = findings.answer(data, "en")
    assert "cite no source" not in answer
    assert "the leading product" in answer


def test_the_input_that_moves_the_headline_most_is_named_with_its_provenance() -> None:
    data = gather([load_scenario("example")], ReportSettings(samples=256, sobol_samples=64, discovery=False))
    assert data.tornado is not None
    answer = findings.answer(data, "en")
    assert "The input that moves this figure most on its own is" in answer
    bar = max(data.tornado.bars, key=lambda b: b.swing)
    assert (bar.label or bar.factor) in answer
