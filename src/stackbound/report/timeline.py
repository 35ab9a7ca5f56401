"""The binding-constraint timeline as data: one row per product variant, one column per
month, each cell the constraint most likely to bind that variant that month (given it is
active), its probability and whether the variant was mostly starved by priority.

Read from the base run's monthly bottleneck analysis (:class:`~stackbound.analysis.bottlenecks.Bottlenecks`),
so it never averages over variants: a variant bound by HBM in every sample shows as HBM at
P=1, whatever the others do. A cell is *inactive* when the variant is outside its launch
window in at least half the samples, and *starved* when, at least half the time it was
active, its binding limit had been drawn down by higher-priority variants (the thresholds of
the binding story, :data:`~stackbound.analysis.bottlenecks.MOSTLY`). Variants inactive in
every month are left out and counted in the footnote.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stackbound.analysis.bottlenecks import MOSTLY, Bottlenecks
from stackbound.report.i18n import Lang, text
from stackbound.report.palette import category_colour
from stackbound.scenario.labels import SEPARATOR, named, vocabulary, words
from stackbound.scenario.schema import Scenario

__all__ = ["Grid", "constraint_label", "timeline_grid", "variant_label"]

INACTIVE_CELL = -1
"""The category of a cell whose variant was mostly inactive."""
_LIMITS = {"packaging": "limit_packaging", "demand cap": "limit_demand_cap", "market demand": "limit_market"}


@dataclass(frozen=True)
class Grid:
    """A timeline: ``rows`` × ``columns`` cells, each a category (an index into
    ``categories``, or -1 for inactive), its probability and a starved mark."""

    rows: tuple[str, ...]
    """Each variant in words (``Ascend 910B · hbm2e``)."""
    row_names: tuple[str, ...]
    """Each variant as the scenario names it (``ascend910b/hbm2e``), for hovering."""
    columns: tuple[str, ...]
    categories: tuple[str, ...]
    """Constraints in words, only those most likely to bind in some cell."""
    colours: tuple[str, ...]
    cells: tuple[tuple[int, ...], ...]
    probability: tuple[tuple[float, ...], ...]
    starved: tuple[tuple[bool, ...], ...]
    inactive_label: str
    starved_label: str
    hidden: int = 0
    """Variants inactive in every month, not shown."""


def constraint_label(scenario: Scenario, name: str, lang: Lang) -> str:
    """A constraint in words: a component by its short name, the other limits in ``lang``."""
    if name in _LIMITS:
        return text(lang, _LIMITS[name])
    return named(scenario, "components", name) if name in scenario.components else name


def variant_label(scenario: Scenario, variant: str, product: str) -> str:
    """``ascend910c/huawei_hbm`` -> ``Ascend 910C · Huawei HBM``; a product's only variant by the product alone."""
    name = named(scenario, "products", product) if product in scenario.products else product
    key = variant[len(product) + 1 :] if variant.startswith(f"{product}/") else variant
    only = product in scenario.products and len(scenario.products[product].variants) == 1
    if only or not key:
        return name
    key = words(key, vocabulary(scenario))
    return f"{name}{SEPARATOR}{key[:1].upper()}{key[1:]}"


def timeline_grid(monthly: Bottlenecks, scenario: Scenario, lang: Lang) -> Grid:
    """The timeline of ``monthly`` (a bottleneck analysis by month)."""
    best = np.argmax(monthly.probability, axis=1)  # (variants, months)
    chance = np.take_along_axis(monthly.probability, best[:, None, :], axis=1)[:, 0, :]
    inactive = monthly.inactive >= MOSTLY
    shown = [v for v in range(len(monthly.variants)) if not inactive[v].all()]
    used = sorted({int(best[v, t]) for v in shown for t in range(len(monthly.periods)) if not inactive[v, t]})
    index = {k: i for i, k in enumerate(used)}
    cells = tuple(
        tuple(INACTIVE_CELL if inactive[v, t] else index[int(best[v, t])] for t in range(len(monthly.periods)))
        for v in shown
    )
    return Grid(
        rows=tuple(variant_label(scenario, monthly.variants[v], monthly.products[v]) for v in shown),
        row_names=tuple(monthly.variants[v] for v in shown),
        columns=monthly.periods,
        categories=tuple(constraint_label(scenario, monthly.constraints[k], lang) for k in used),
        colours=tuple(category_colour(i) for i in range(len(used))),
        cells=cells,
        probability=tuple(tuple(float(p) for p in chance[v]) for v in shown),
        starved=tuple(tuple(bool(s) for s in (monthly.starved[v] >= MOSTLY) & ~inactive[v]) for v in shown),
        inactive_label=text(lang, "inactive"),
        starved_label=text(lang, "starved_by_priority"),
        hidden=len(monthly.variants) - len(shown),
    )
