"""The report's colours, shared by the static (:mod:`.charts`) and interactive
(:mod:`.interactive`) charts so that both draw a constraint or a product in the same colour.

- :data:`CATEGORIES`: distinct colours for categories (binding constraints), after Okabe
  and Ito's colour-blind-safe set (its yellow left out: too pale to shade) and Tol's muted set.
- :data:`FAMILIES`: one sequential family (dark to light) per vendor, after ColorBrewer, so
  a vendor's products read as one group and no two products share a colour.
- :func:`shaded`: a colour mixed with white by a probability, for the binding timeline.
"""

from __future__ import annotations

__all__ = ["CATEGORIES", "FAMILIES", "INACTIVE", "category_colour", "family_colours", "shaded"]

CATEGORIES = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#882255",
    "#44AA99",
    "#999933",
    "#332288",
    "#AA4499",
    "#117733",
)
INACTIVE = "#e4e4e4"
"""A variant-month outside its launch window."""
FAMILIES = (
    ("#08306b", "#08519c", "#2171b5", "#4292c6", "#6baed6", "#9ecae1"),
    ("#7f2704", "#a63603", "#d94801", "#f16913", "#fd8d3c", "#fdae6b"),
    ("#00441b", "#006d2c", "#238b45", "#41ab5d", "#74c476", "#a1d99b"),
    ("#3f007d", "#54278f", "#6a51a3", "#807dba", "#9e9ac8", "#bcbddc"),
    ("#67000d", "#a50f15", "#cb181d", "#ef3b2c", "#fb6a4a", "#fc9272"),
    ("#252525", "#525252", "#737373", "#969696", "#bdbdbd", "#d9d9d9"),
    ("#662506", "#993404", "#cc4c02", "#ec7014", "#fe9929", "#fec44f"),
)
LIGHTEST = 0.15
"""The share of a constraint's colour in a cell of probability 0 (1 shows it in full)."""


def category_colour(index: int) -> str:
    """The colour of the ``index``-th category."""
    return CATEGORIES[index % len(CATEGORIES)]


def family_colours(family: int, count: int) -> tuple[str, ...]:
    """``count`` colours of the ``family``-th vendor family, spread from dark to light
    (repeating, darkest first, beyond its six shades)."""
    shades = FAMILIES[family % len(FAMILIES)]
    if count <= 1:
        return shades[1:2]
    if count <= len(shades):
        step = (len(shades) - 1) / (count - 1)
        return tuple(shades[round(i * step)] for i in range(count))
    return tuple(shades[i % len(shades)] for i in range(count))


def shaded(colour: str, probability: float) -> str:
    """``colour`` (``#rrggbb``) mixed with white: in full at probability 1, mostly white at 0."""
    weight = LIGHTEST + (1.0 - LIGHTEST) * min(1.0, max(0.0, probability))
    channels = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(255 - weight * (255 - c)):02x}" for c in channels)
