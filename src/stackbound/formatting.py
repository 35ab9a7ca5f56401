"""Numbers as people read them: three significant digits with a unit (``12.3M``).

The one number formatter of stackbound, used by the terminal, the analyses' sentences and
the reports (:mod:`stackbound.report.i18n` re-exports it). It imports nothing of
stackbound, so every layer may use it.
"""

from __future__ import annotations

import math
from typing import Literal

__all__ = ["Lang", "number"]

Lang = Literal["en", "nl"]
"""The languages stackbound writes: English and Dutch."""

_UNITS: tuple[tuple[float, str, str], ...] = (
    (1e12, "T", " bln"),
    (1e9, "B", " mld"),
    (1e6, "M", " mln"),
    (1e3, "k", "k"),
)
"""Thousand, million, billion and trillion: English suffix and Dutch word (biljoen = 10¹²)."""


def number(value: float, lang: Lang = "en") -> str:
    """Three significant digits with a unit: 12_345_678 -> '12.3M' (Dutch: '12,3 mln').

    The value is rounded before its unit is chosen, so 999_600 shows as '1M', not
    '1e+03k'. Dutch writes a decimal comma. Zero (also −0) is '0'; NaN is 'n/a' ('n.b.'),
    infinities '∞' and '-∞'; beyond 999 trillion the exponent is written ('1.2e+15').

    >>> number(-1_500), number(0.5, "nl"), number(999_600)
    ('-1.5k', '0,5', '1M')
    """
    if math.isnan(value):
        return "n/a" if lang == "en" else "n.b."
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    rounded = float(f"{value:.3g}")
    shown, suffix = f"{rounded:.3g}", ""
    for limit, en, nl in _UNITS:
        if 1e3 * limit > abs(rounded) >= limit:
            shown, suffix = f"{rounded / limit:.3g}", en if lang == "en" else nl
    if rounded == 0.0:
        shown = "0"
    return (shown if lang == "en" else shown.replace(".", ",")) + suffix
