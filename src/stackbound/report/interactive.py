"""Interactive charts (plotly) from :class:`~.figures.Figure` data, as HTML fragments that
need plotly.js once on the page (:func:`plotly_js`, embedded: the report works offline).
Hovering shows every value; clicking a legend entry toggles a series with its band.

plotly.js reads titles, names and category labels as a little HTML, so every text is
escaped (:func:`literal`): a scenario or product name shows as written, never as markup.

The binding timeline is one heatmap per constraint (its colour, shaded by probability from
:mod:`.palette`, as the static chart), a grey one for inactive months and markers for
"starved by priority"; hovering a cell names the variant, month, constraint and probability.
Small multiples are plotly subplots; stacked bars are grouped by vendor in the legend."""

from __future__ import annotations

import json
from html import escape
from typing import Any

# plotly ships no type information
import plotly.graph_objects as go  # type: ignore[import-untyped]
from plotly.offline import get_plotlyjs  # type: ignore[import-untyped]
from plotly.subplots import make_subplots  # type: ignore[import-untyped]

from stackbound.report.figures import Figure, Grid, Series, wrapped
from stackbound.report.i18n import Lang
from stackbound.report.palette import INACTIVE, shaded

__all__ = ["CONFIG", "figure_json", "fragment", "literal", "plotly_chart", "plotly_js", "shown"]

COLOURS = ("#1f3b73", "#c0392b", "#27ae60", "#8e44ad", "#d35400", "#16a085", "#7f8c8d", "#2c3e50")
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
HOVER = "%{fullData.name}<br>%{x}: %{customdata}<extra></extra>"
"""Hover labels show :func:`shown`'s text of each value, which the tables round the same way."""


def shown(value: float, lang: Lang = "en") -> str:
    """A value as hovering shows it: whole numbers with thousands separators from 100 up,
    else four significant digits (Dutch: ``1.234.567`` and ``0,5``)."""
    found = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.4g}"
    return found if lang == "en" else found.translate(str.maketrans(",.", ".,"))


def literal(text: str) -> str:
    """``text`` as plotly.js shows it literally: ``&``, ``<`` and ``>`` as entities."""
    return escape(text, quote=False)


def _names(values: tuple[str, ...]) -> list[str]:
    return [literal(v) for v in values]


def _wrapped(values: tuple[str, ...]) -> list[str]:
    """Category labels wrapped to a few short lines, each line escaped."""
    return ["<br>".join(literal(line) for line in wrapped(v)) for v in values]


def _details(series: Series, lang: Lang) -> list[list[str]]:
    """Per bar: its value as shown and its hover detail (the full label and field paths)."""
    details = series.detail or series.x
    return [[shown(v, lang), literal(d).replace("\n", "<br>")] for v, d in zip(series.y, details, strict=True)]


def _labels(values: tuple[float, ...], lang: Lang = "en") -> list[str]:
    return [shown(v, lang) for v in values]


def plotly_js() -> str:
    """plotly.js itself, to embed in a ``<script>`` element."""
    return str(get_plotlyjs())


def _band(series: Series, colour: str, group: str, lang: Lang) -> list[Any]:
    if series.low is None or series.high is None:
        return []
    common: dict[str, Any] = {"x": _names(series.x), "legendgroup": group, "showlegend": False, "mode": "lines"}
    return [
        go.Scatter(
            y=series.high,
            name=literal(f"{series.name} P95"),
            line={"width": 0},
            customdata=_labels(series.high, lang),
            hovertemplate=HOVER,
            **common,
        ),
        go.Scatter(
            y=series.low,
            customdata=_labels(series.low, lang),
            name=literal(f"{series.name} P5"),
            line={"width": 0},
            fill="tonexty",
            fillcolor=colour + "33",
            hovertemplate=HOVER,
            **common,
        ),
    ]


def _fan(figure: Figure, series: tuple[Series, ...] | None = None, legend: bool = True) -> list[Any]:
    traces: list[Any] = []
    for k, one in enumerate(figure.series if series is None else series):
        colour, group = COLOURS[k % len(COLOURS)], f"g{k}"
        traces += _band(one, colour, group, figure.lang)
        traces.append(
            go.Scatter(
                x=_names(one.x),
                y=one.y,
                name=literal(one.name),
                legendgroup=group,
                showlegend=legend,
                mode="lines+markers" if len(one.x) <= 12 else "lines",
                line={"color": colour, "dash": DASHES[k % len(DASHES)]},
                customdata=_labels(one.y, figure.lang),
                hovertemplate=HOVER,
            )
        )
    return traces


def _stacked(figure: Figure) -> list[Any]:
    """Stacked bars, the series' colours, one legend group per vendor with its name as title."""
    traces = []
    titled: set[str] = set()
    for k, s in enumerate(figure.series):
        group: dict[str, Any] = {}
        if s.group:
            group = {"legendgroup": literal(s.group)}
            if s.group not in titled:
                group["legendgrouptitle_text"] = literal(s.group)
                titled.add(s.group)
        traces.append(
            go.Bar(
                x=_names(s.x),
                y=s.y,
                name=literal(s.name),
                marker_color=s.colour or COLOURS[k % len(COLOURS)],
                customdata=_labels(s.y, figure.lang),
                hovertemplate=HOVER,
                **group,
            )
        )
    return traces


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
                customdata=_details(s, figure.lang),
                hovertemplate="%{fullData.name}: %{customdata[0]}<br>%{customdata[1]}<extra></extra>",
            )
        )
    return traces


def _cell_text(grid: Grid, r: int, c: int, lang: Lang) -> str:
    k = grid.cells[r][c]
    head = f"{literal(grid.rows[r])} ({literal(grid.row_names[r])})<br>{grid.columns[c]}: "
    if k < 0:
        return head + literal(grid.inactive_label)
    chance = f"{grid.probability[r][c]:.2f}"
    found = f"{literal(grid.categories[k])}, P={chance if lang == 'en' else chance.replace('.', ',')}"
    return head + found + (f"; {literal(grid.starved_label)}" if grid.starved[r][c] else "")


def _timeline(figure: Figure) -> list[Any]:
    """A heatmap per constraint (probability where it is the most likely, blank elsewhere),
    one for inactive cells, markers for starved cells and a legend entry for each."""
    grid = figure.grid
    assert grid is not None  # only timelines come here
    rows, columns = _wrapped_rows(grid), _names(grid.columns)
    hover = [[_cell_text(grid, r, c, figure.lang) for c in range(len(grid.columns))] for r in range(len(grid.rows))]
    common: dict[str, Any] = {"x": columns, "y": rows, "customdata": hover, "xgap": 0, "ygap": 2}
    common |= {"hovertemplate": "%{customdata}<extra></extra>", "showscale": False, "zmin": 0, "zmax": 1}
    traces: list[Any] = []
    for k, (name, colour) in enumerate(zip(grid.categories, grid.colours, strict=True)):
        z = [_where(cells, chances, k) for cells, chances in zip(grid.cells, grid.probability, strict=True)]
        scale = [[0.0, shaded(colour, 0.0)], [1.0, shaded(colour, 1.0)]]
        traces.append(go.Heatmap(z=z, colorscale=scale, name=literal(name), legendgroup=f"c{k}", **common))
        traces.append(_swatch(literal(name), colour, f"c{k}"))
    if any(k < 0 for row in grid.cells for k in row):
        traces += _inactive(grid, common)
    starved = [(r, c) for r in range(len(grid.rows)) for c in range(len(grid.columns)) if grid.starved[r][c]]
    if starved:
        traces.append(_starved(grid, starved, rows, columns, hover))
    return traces


def _inactive(grid: Grid, common: dict[str, Any]) -> list[Any]:
    z = [[1.0 if cell < 0 else None for cell in cr] for cr in grid.cells]
    inactive = [[0.0, INACTIVE], [1.0, INACTIVE]]
    name = literal(grid.inactive_label)
    return [
        go.Heatmap(z=z, colorscale=inactive, name=name, legendgroup="inactive", **common),
        _swatch(name, INACTIVE, "inactive"),
    ]


def _starved(
    grid: Grid, cells: list[tuple[int, int]], rows: list[str], columns: list[str], hover: list[list[str]]
) -> Any:
    """Markers on the cells where the variant was mostly starved by priority."""
    return go.Scatter(
        x=[columns[c] for _, c in cells],
        y=[rows[r] for r, _ in cells],
        customdata=[hover[r][c] for r, c in cells],
        hovertemplate="%{customdata}<extra></extra>",
        mode="markers",
        marker={"color": "black", "size": 4, "symbol": "circle"},
        name=literal(grid.starved_label),
    )


def _where(cells: tuple[int, ...], chances: tuple[float, ...], k: int) -> list[float | None]:
    """A heatmap row for category ``k``: the probability where it binds, else a gap."""
    return [p if cell == k else None for cell, p in zip(cells, chances, strict=True)]


def _wrapped_rows(grid: Grid) -> list[str]:
    return ["<br>".join(literal(line) for line in wrapped(v)) for v in grid.rows]


def _swatch(name: str, colour: str, group: str) -> Any:
    """A legend entry (a square of ``colour``) for a heatmap, which has none of its own."""
    return go.Scatter(
        x=[None],
        y=[None],
        mode="markers",
        marker={"color": colour, "size": 12, "symbol": "square", "line": {"color": "#444", "width": 1}},
        name=name,
        legendgroup=group,
        hoverinfo="skip",
    )


def _traces(figure: Figure) -> list[Any]:
    if figure.grid is not None:
        return _timeline(figure)
    if figure.kind in ("fan", "lines"):
        return _fan(figure)
    if figure.kind == "stacked":
        return _stacked(figure)
    return _horizontal(figure)


def _panelled(figure: Figure) -> Any:
    """Small multiples: a subplot per panel, its series' traces drawn in it."""
    panels = figure.panels
    columns = min(3, len(panels))
    rows = -(-len(panels) // columns)
    chart = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=[literal(p) for p in panels],
        shared_yaxes="all" if figure.shared else False,
        horizontal_spacing=0.06 if figure.shared else 0.09,
        vertical_spacing=0.18,
    )
    for index, panel in enumerate(panels):
        series = tuple(s for s in figure.series if s.panel == panel)
        legend = len(series) > 1 or not figure.shared
        for trace in _fan(figure, series, legend):
            trace.legendgroup = f"{index}-{trace.legendgroup}"
            chart.add_trace(trace, row=index // columns + 1, col=index % columns + 1)
    return chart


def _height(figure: Figure) -> int:
    if figure.grid is not None:
        return max(420, 200 + 30 * len(figure.grid.rows))
    if figure.kind in ("tornado", "bars"):
        return max(420, 160 + 36 * len(figure.series[0].x))
    if figure.panels:
        return 160 + 300 * -(-len(figure.panels) // 3)
    return 460


def _legend(figure: Figure) -> dict[str, Any]:
    """Outside the plot, on the right; stacked bars' entries top of the stack first."""
    if figure.kind == "stacked":
        return {"x": 1.02, "y": 1, "xanchor": "left", "traceorder": "reversed+grouped"}
    return {"x": 1.02, "y": 1, "xanchor": "left"} if figure.kind == "timeline" else {}


def _axes(chart: Any, figure: Figure) -> None:
    """Axis titles (on the outer panels of small multiples), the timeline's rows top down."""
    if figure.panels:
        chart.update_xaxes(title_text=literal(figure.xlabel), row=-(-len(figure.panels) // 3))
        chart.update_yaxes(title_text=literal(figure.ylabel), col=1)
        chart.update_yaxes(automargin=True)
        return
    chart.update_layout(xaxis_title=literal(figure.xlabel), yaxis_title=literal(figure.ylabel))
    chart.update_yaxes(automargin=True, autorange="reversed" if figure.grid is not None else True)


CONFIG = {"displaylogo": False, "responsive": True}
"""plotly.js options of every chart: no logo, resized with its element."""


def fragment(figure: Figure) -> str:
    """A ``<div>`` with the chart, its data and the script that draws it."""
    chart = plotly_chart(figure)
    return str(chart.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{figure.key}", config=CONFIG))


def figure_json(figure: Figure) -> dict[str, Any]:
    """The chart as plotly.js draws it (``{"data", "layout", "config"}``): what
    ``Plotly.react`` takes, for a page that draws the same chart as the report."""
    drawn = json.loads(plotly_chart(figure).to_json())
    return {
        "key": figure.key,
        "title": figure.title,
        "data": drawn["data"],
        "layout": drawn["layout"],
        "config": CONFIG,
    }


def plotly_chart(figure: Figure) -> Any:
    """The plotly figure of ``figure``: its traces, title, legend, axes and footnote."""
    chart = _panelled(figure) if figure.panels else go.Figure(_traces(figure))
    chart.update_layout(
        title={"text": literal(figure.title)},
        barmode="stack" if figure.kind == "stacked" else ("overlay" if figure.kind == "tornado" else "group"),
        template="plotly_white",
        hovermode="closest",
        height=_height(figure),
        margin={"b": 90},
        separators=".," if figure.lang == "en" else ",.",
        legend=_legend(figure),
    )
    chart.add_annotation(
        text=literal(figure.footnote),
        xref="paper",
        yref="paper",
        x=0,
        xanchor="left",
        y=-(55 if figure.panels else 70) / max(100, _height(figure) - 190),  # below the x axis title, in the margin
        showarrow=False,
        font={"size": 10},
    )
    _axes(chart, figure)
    return chart
