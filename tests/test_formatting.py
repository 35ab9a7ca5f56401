"""The report's number formatter, ``report.i18n.number``: three significant digits, a unit
chosen after rounding, a decimal comma in Dutch."""

from __future__ import annotations

import math

import pytest

from stackbound.report.i18n import LANGUAGES, number

CASES = [
    # value, English, Dutch
    (0.0, "0", "0"),
    (-0.0, "0", "0"),
    (1e-300, "1e-300", "1e-300"),
    (0.000123, "0.000123", "0,000123"),
    (0.5, "0.5", "0,5"),
    (1.0, "1", "1"),
    (-2.25, "-2.25", "-2,25"),
    (123.456, "123", "123"),
    (99.95, "100", "100"),
    (999.4, "999", "999"),
    (999.6, "1k", "1k"),  # rounds to 1 000 first: a thousand, not '1e+03'
    (1_000.0, "1k", "1k"),
    (1_234.0, "1.23k", "1,23k"),
    (-1_500.0, "-1.5k", "-1,5k"),
    (12_345.0, "12.3k", "12,3k"),
    (999_400.0, "999k", "999k"),
    (999_600.0, "1M", "1 mln"),  # the case: printed '1e+03k' before
    (-999_600.0, "-1M", "-1 mln"),
    (1_000_000.0, "1M", "1 mln"),
    (12_345_678.0, "12.3M", "12,3 mln"),
    (999.6e6, "1B", "1 mld"),
    (4.56e9, "4.56B", "4,56 mld"),
    (999.6e9, "1T", "1 bln"),
    (2.5e12, "2.5T", "2,5 bln"),
    (999.6e12, "1e+15", "1e+15"),
    (1.2e15, "1.2e+15", "1,2e+15"),
    (math.nan, "n/a", "n.b."),
    (math.inf, "∞", "∞"),
    (-math.inf, "-∞", "-∞"),
]


@pytest.mark.parametrize(("value", "english", "dutch"), CASES)
def test_number(value: float, english: str, dutch: str) -> None:
    assert number(value) == english
    assert number(value, "en") == english
    assert number(value, "nl") == dutch


@pytest.mark.parametrize("exponent", range(-3, 15))
@pytest.mark.parametrize("mantissa", [1.0, 9.994, 9.996, 5.55])
def test_number_never_prints_an_exponent_with_a_unit(mantissa: float, exponent: int) -> None:
    for value in (mantissa * 10.0**exponent, -mantissa * 10.0**exponent):
        for lang in LANGUAGES:
            shown = number(value, lang)
            assert not ("e" in shown and shown[-1] in "kMBTnd"), shown
            significant = shown.split("e")[0].lstrip("-0.,").rstrip("kMBT mlndb")
            assert 1 <= sum(c.isdigit() for c in significant) <= 3, shown
