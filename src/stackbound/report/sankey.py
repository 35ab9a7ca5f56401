"""The model graph (:mod:`stackbound.analysis.graph`) drawn as a plotly Sankey diagram,
its layout computed here: one column per kind of node (sources, components, variants,
packaging lines), nodes spread evenly down each column in the scenario's order, each
coloured by how often it binds (grey: not a constraint). Every edge has width one: a
bill's counts are in different units (dies, stacks), so the edge's label carries them.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import plotly.graph_objects as go  # type: ignore[import-untyped]

from stackbound.analysis.graph import KINDS, Edge, ModelGraph, Node
from stackbound.report.interactive import CONFIG, literal

__all__ = ["binding_colour", "sankey_json"]

COLUMNS = dict(zip(KINDS, (0.001, 0.34, 0.67, 0.999), strict=True))
NEUTRAL = "#b8c2cc"
LOW = (0xE8, 0xEE, 0xF4)
HIGH = (0xC0, 0x39, 0x2B)
COLUMN_TITLES = {"source": "sources", "component": "components", "variant": "variants", "packaging": "packaging lines"}


def binding_colour(share: float | None) -> str:
    """Pale blue-grey (never binds) to red (always binds); grey when not a constraint."""
    if share is None:
        return NEUTRAL
    t = min(1.0, max(0.0, share)) ** 0.6  # small shares stay visible
    r, g, b = (round(lo + (hi - lo) * t) for lo, hi in zip(LOW, HIGH, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def _share_text(share: float | None) -> str:
    """How often a node binds, for people: ``binds 34% of active months``."""
    return "not a constraint" if share is None else f"binds {100 * share:.0f}% of active months"


def _positions(nodes: tuple[Node, ...], edges: tuple[Edge, ...]) -> tuple[list[float], list[float]]:
    """Each node's x (its kind's column) and y (its centre): stacked down the column in
    proportion to its height, which plotly makes its larger of links in and links out, so
    that tall nodes (an HBM type in many bills) do not overlap their neighbours."""
    links_in = Counter(e.target for e in edges)
    links_out = Counter(e.source for e in edges)
    xs, ys = [], []
    for kind in KINDS:
        column = [n for n in nodes if n.kind == kind]
        heights = [max(links_in[n.id], links_out[n.id], 1) for n in column]
        gap = 0.25 * max(heights, default=1)
        total = sum(heights) + gap * len(column)
        top = 0.0
        for height in heights:
            xs.append(COLUMNS[kind])
            ys.append(0.001 + 0.998 * (top + (gap + height) / 2) / total)
            top += gap + height
    return xs, ys


def sankey_json(graph: ModelGraph, title: str) -> dict[str, Any]:
    """The graph as plotly.js draws it (``{"data", "layout", "config"}``), nodes in the
    order of ``graph.nodes`` (a click's ``pointNumber`` is the node's index)."""
    nodes = graph.nodes  # in column order already
    index = {n.id: k for k, n in enumerate(nodes)}
    xs, ys = _positions(nodes, graph.edges)
    hover = [f"{literal(n.label)}<br>{n.kind}: {literal(n.name)}<br>{_share_text(n.binds)}" for n in nodes]
    sankey = go.Sankey(
        arrangement="fixed",
        node={
            "label": [literal(n.label) for n in nodes],
            "x": xs,
            "y": ys,
            "pad": 6,
            "thickness": 14,
            "color": [binding_colour(n.binds) for n in nodes],
            "line": {"color": "#5d6d7e", "width": 0.5},
            "customdata": hover,
            "hovertemplate": "%{customdata}<extra></extra>",
        },
        link={
            "source": [index[e.source] for e in graph.edges],
            "target": [index[e.target] for e in graph.edges],
            "value": [1] * len(graph.edges),
            "color": "rgba(120,130,140,0.25)",
            "customdata": [f"{literal(e.label)}" for e in graph.edges],
            "hovertemplate": "%{source.label} → %{target.label}<br>%{customdata}<extra></extra>",
        },
    )
    chart = go.Figure(sankey)
    for kind in KINDS:
        chart.add_annotation(
            text=f"<b>{COLUMN_TITLES[kind]}</b>", x=COLUMNS[kind], y=1.04, xref="paper", yref="paper", showarrow=False
        )
    rows = max((sum(1 for n in nodes if n.kind == kind) for kind in KINDS), default=1)
    chart.update_layout(
        title={"text": literal(title)},
        height=max(460, 120 + 26 * rows),
        margin={"l": 10, "r": 10, "t": 80, "b": 20},
        template="plotly_white",
        font={"size": 11},
    )
    drawn = json.loads(chart.to_json())
    return {"key": "graph", "title": title, "data": drawn["data"], "layout": drawn["layout"], "config": CONFIG}
