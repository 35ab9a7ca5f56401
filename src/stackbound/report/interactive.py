"""Interactive charts (plotly) from :class:`~.figures.Figure` data, as HTML fragments that
need plotly.js once on the page (:func:`plotly_js`, embedded: the report works offline).
Hovering shows every value; clicking a legend entry toggles a series with its band.

plotly.js reads titles, names and category labels as a little HTML, so every text is
escaped (:func:`literal`): a scenario or product name shows as written, never as markup."""

from __future__ import annotations

from html import escape
from typing import Any

# plotly ships no type information
import plotly.graph_objects as go  # type: ignore[import-untyped]
from plotly.offline import get_plotlyjs  # type: ignore[import-untyped]

from stackbound.report.figures import Figure, Series, wrapped

__all__ = ["fragment", "literal", "plotly_js", "shown"]

COLOURS = ("#1f3b73", "#c0392b", "#27ae60", "#8e44ad", "#d35400", "#16a085", "#7f8c8d", "#2c3e50")
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
HOVER = "%{fullData.name}<br>%{x}: %{customdata}<extra></extra>"
"""Hover labels show :func:`shown`'s text of each value, which the tables round the same way."""


def shown(value: float) -> str:
    """A value as hovering shows it: whole numbers with thousands separators from 100 up,
    else four significant digits."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.4g}"


def literal(text: str) -> str:
    """``text`` as plotly.js shows it literally: ``&``, ``<`` and ``>`` as entities."""
    return escape(text, quote=False)


def _names(values: tuple[str, ...]) -> list[str]:
    return [literal(v) for v in values]


def _wrapped(values: tuple[str, ...]) -> list[str]:
    """Category labels wrapped to a few short lines, each line escaped."""
    return ["<br>".join(literal(line) for line in wrapped(v)) for v in values]


def _details(series: Series) -> list[list[str]]:
    """Per bar: its value as shown and its hover detail (the full label and field paths)."""
    details = series.detail or series.x
    return [[shown(v), literal(d).replace("\n", "<br>")] for v, d in zip(series.y, details, strict=True)]


def _labels(values: tuple[float, ...]) -> list[str]:
    return [shown(v) for v in values]


def plotly_js() -> str:
    """plotly.js itself, to embed in a ``<script>`` element."""
    return str(get_plotlyjs())


def _band(series: Series, colour: str, group: str) -> list[Any]:
    if series.low is None or series.high is None:
        return []
    common: dict[str, Any] = {"x": _names(series.x), "legendgroup": group, "showlegend": False, "mode": "lines"}
    return [
        go.Scatter(
            y=series.high,
            name=literal(f"{series.name} P95"),
            line={"width": 0},
            customdata=_labels(series.high),
            hovertemplate=HOVER,
            **common,
        ),
        go.Scatter(
            y=series.low,
            customdata=_labels(series.low),
            name=literal(f"{series.name} P5"),
            line={"width": 0},
            fill="tonexty",
            fillcolor=colour + "33",
            hovertemplate=HOVER,
            **common,
        ),
    ]


def _fan(figure: Figure) -> list[Any]:
    traces: list[Any] = []
    for k, series in enumerate(figure.series):
        colour, group = COLOURS[k % len(COLOURS)], f"g{k}"
        traces += _band(series, colour, group)
        traces.append(
            go.Scatter(
                x=_names(series.x),
                y=series.y,
                name=literal(series.name),
                legendgroup=group,
                mode="lines+markers" if len(series.x) <= 12 else "lines",
                line={"color": colour, "dash": DASHES[k % len(DASHES)]},
                customdata=_labels(series.y),
                hovertemplate=HOVER,
            )
        )
    return traces


def _stacked(figure: Figure) -> list[Any]:
    return [
        go.Bar(
            x=_names(s.x),
            y=s.y,
            name=literal(s.name),
            marker_color=COLOURS[k % len(COLOURS)],
            customdata=_labels(s.y),
            hovertemplate=HOVER,
        )
        for k, s in enumerate(figure.series)
    ]


def _horizontal(figure: Figure) -> list[Any]:
    base = figure.base if figure.kind == "tornado" else None
    traces = []
    for k, s in enumerate(figure.series):
        values = [v - base for v in s.y] if base is not None else list(s.y)
        traces.append(
            go.Bar(
                y=_wrapped(s.x),
                x=values,
                base=base,
                name=literal(s.name),
                orientation="h",
                marker_color=COLOURS[k % len(COLOURS)],
                customdata=_details(s),
                hovertemplate="%{fullData.name}: %{customdata[0]}<br>%{customdata[1]}<extra></extra>",
            )
        )
    return traces


def _traces(figure: Figure) -> list[Any]:
    if figure.kind in ("fan", "lines"):
        return _fan(figure)
    if figure.kind == "stacked":
        return _stacked(figure)
    return _horizontal(figure)


def fragment(figure: Figure) -> str:
    """A ``<div>`` with the chart, its data and the script that draws it."""
    chart = go.Figure(_traces(figure))
    horizontal = figure.kind in ("tornado", "bars")
    chart.update_layout(
        title={"text": literal(figure.title)},
        xaxis_title=literal(figure.xlabel),
        yaxis_title=literal(figure.ylabel),
        barmode="stack" if figure.kind == "stacked" else ("overlay" if figure.kind == "tornado" else "group"),
        template="plotly_white",
        hovermode="closest",
        height=max(420, 160 + 28 * len(figure.series[0].x)) if horizontal else 460,
        margin={"b": 90},
        yaxis={"automargin": True},
        annotations=[
            {
                "text": literal(figure.footnote),
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": -0.22,
                "showarrow": False,
                "font": {"size": 10},
            }
        ],
    )
    config = {"displaylogo": False, "responsive": True}
    return str(chart.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{figure.key}", config=config))
