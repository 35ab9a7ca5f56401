"""Static charts (PNG and SVG) from :class:`~.figures.Figure` data, with matplotlib's Agg
backend. Readable in black and white: series differ by line style, marker and hatch as well
as by shade; every chart has a title, axis units and the scenario and seed in a footnote.

The binding timeline (``timeline``) is the exception that needs colour: each constraint has
its colour (:mod:`.palette`, the interactive chart's too) and a hatch, so it still reads
in black and white. Small multiples (series with a ``panel``) get one axes each; stacked
bars take their series' colours and keep the legend outside the plot, grouped by vendor.

Every text is the user's or ours, never mathtext: a ``$`` is escaped (:func:`_plain`)."""

from __future__ import annotations

from itertools import cycle
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display, no GUI toolkit: files only

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure as MplFigure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter

from stackbound.report.figures import Figure, Grid, Series, wrapped
from stackbound.report.i18n import Lang, number
from stackbound.report.palette import INACTIVE, shaded

__all__ = ["draw", "save", "save_png"]

SHADES = ("#000000", "#555555", "#888888", "#333333", "#aaaaaa", "#222222", "#777777")
STYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1)), (0, (1, 1)), (0, (8, 2)))
MARKERS = ("o", "s", "^", "D", "v", "x", "+", "*", "P", "h", "<")
HATCHES = ("", "///", "...", "\\\\\\", "xxx", "---", "+++", "ooo", "|||", "**")
CELL_HATCHES = ("", "//", "..", "\\\\", "xx", "--", "++", "oo", "||", "**", "//..", "\\\\..")
"""A hatch per timeline constraint, thin enough to read the shade beneath."""
DPI = 120
PANEL_COLUMNS = 3


def _plain(text: str) -> str:
    """``text`` as matplotlib shows it literally: two ``$`` would otherwise start mathtext."""
    return text.replace("$", r"\$")


def _short(label: str) -> str:
    """A factor's label short enough for an axis label: a few wrapped lines."""
    return _plain("\n".join(wrapped(label)))


def _ticks(axis: Axes, x: tuple[str, ...], most: int = 10) -> None:
    step = max(1, -(-len(x) // most))
    positions = np.arange(len(x))
    axis.set_xticks(positions[::step], [_plain(x[i]) for i in positions[::step]], rotation=45 if len(x) > 10 else 0)


def _lines(axis: Axes, series: tuple[Series, ...], most: int = 10) -> None:
    for k, one in enumerate(series):
        shade, style, marker = SHADES[k % len(SHADES)], STYLES[k % len(STYLES)], MARKERS[k % len(MARKERS)]
        x = np.arange(len(one.x))
        every = max(1, len(x) // 12)
        axis.plot(x, one.y, color=shade, linestyle=style, marker=marker, markevery=every, label=_plain(one.name))
        if one.low is not None and one.high is not None:
            axis.fill_between(x, one.low, one.high, color=shade, alpha=0.12, linewidth=0)
    _ticks(axis, series[0].x, most)


def _fan(axis: Axes, figure: Figure) -> None:
    _lines(axis, figure.series)


def _stacked(axis: Axes, figure: Figure) -> None:
    """Stacked bars in the series' colours (vendor families), hatched so that neighbours
    differ in black and white too; the legend is drawn outside by :func:`_outside_legend`."""
    x = np.arange(len(figure.series[0].x))
    bottom = np.zeros(len(x))
    for series, hatch, colour in zip(figure.series, cycle(HATCHES), _bar_colours(figure), strict=False):
        axis.bar(x, series.y, bottom=bottom, color=colour, edgecolor="black", linewidth=0.5, hatch=hatch)
        bottom += np.asarray(series.y)
    _ticks(axis, figure.series[0].x)


def _bar_colours(figure: Figure) -> list[str]:
    greys = cycle(("#ffffff", "#dddddd", "#bbbbbb", "#999999", "#777777"))
    return [series.colour or grey for series, grey in zip(figure.series, greys, strict=False)]


def _stacked_legend(axis: Axes, figure: Figure) -> None:
    """The products' legend to the right of the plot, topmost bar first, under a heading
    per vendor."""
    handles: list[Artist] = []
    names: list[str] = []
    heading: list[int] = []
    entries = list(zip(figure.series, cycle(HATCHES), _bar_colours(figure), strict=False))[::-1]
    group = None
    for series, hatch, colour in entries:
        if series.group and series.group != group:
            group = series.group
            heading.append(len(names))
            handles.append(Patch(visible=False))
            names.append(_plain(group))
        handles.append(Patch(facecolor=colour, edgecolor="black", linewidth=0.5, hatch=hatch))
        names.append(_plain(series.name))
    legend = axis.legend(handles, names, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    for index in heading:
        legend.get_texts()[index].set_fontweight("bold")


def _timeline(axis: Axes, grid: Grid) -> None:
    """Cells coloured by constraint and shaded by probability, a hatch per constraint over
    each run of months it holds, a dot where the variant was starved by priority."""
    rows, columns = len(grid.rows), len(grid.columns)
    image = np.ones((rows, columns, 3))
    for r in range(rows):
        for c in range(columns):
            k = grid.cells[r][c]
            colour = INACTIVE if k < 0 else shaded(grid.colours[k], grid.probability[r][c])
            image[r, c] = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    axis.imshow(image, aspect="auto", interpolation="nearest", extent=(-0.5, columns - 0.5, rows - 0.5, -0.5))
    for r in range(rows):
        start = 0
        for c in range(1, columns + 1):
            if c == columns or grid.cells[r][c] != grid.cells[r][start]:
                k = grid.cells[r][start]
                if k >= 0 and CELL_HATCHES[k % len(CELL_HATCHES)]:
                    box = Rectangle((start - 0.5, r - 0.5), c - start, 1.0, fill=False, linewidth=0)
                    box.set_hatch(CELL_HATCHES[k % len(CELL_HATCHES)])
                    box.set_edgecolor("#00000066")
                    axis.add_patch(box)
                start = c
    starved = [(c, r) for r in range(rows) for c in range(columns) if grid.starved[r][c]]
    if starved:
        xs, ys = zip(*starved, strict=True)
        axis.scatter(xs, ys, s=6, color="black", marker="o", linewidths=0)
    axis.set_yticks(np.arange(rows), [_short(name) for name in grid.rows])
    axis.set_yticks(np.arange(rows + 1) - 0.5, minor=True)
    axis.tick_params(axis="y", which="minor", length=0)
    axis.grid(True, axis="y", which="minor", color="white", linewidth=1.5)
    _ticks(axis, grid.columns)


def _timeline_legend(axis: Axes, grid: Grid) -> None:
    handles: list[Artist] = [
        Patch(facecolor=colour, edgecolor="black", linewidth=0.5, hatch=CELL_HATCHES[k % len(CELL_HATCHES)])
        for k, colour in enumerate(grid.colours)
    ]
    names = [_plain(c) for c in grid.categories]
    if any(k < 0 for row in grid.cells for k in row):
        handles.append(Patch(facecolor=INACTIVE, edgecolor="black", linewidth=0.5))
        names.append(_plain(grid.inactive_label))
    if any(any(row) for row in grid.starved):
        handles.append(Line2D([], [], color="black", marker="o", linestyle="", markersize=3))
        names.append(_plain(grid.starved_label))
    axis.legend(handles, names, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)


def _tornado(axis: Axes, figure: Figure) -> None:
    base = figure.base or 0.0
    low, high = figure.series
    y = np.arange(len(low.x))
    axis.barh(
        y, np.asarray(low.y) - base, left=base, color="#ffffff", edgecolor="black", hatch="///", label=_plain(low.name)
    )
    axis.barh(y, np.asarray(high.y) - base, left=base, color="#888888", edgecolor="black", label=_plain(high.name))
    axis.axvline(base, color="black", linewidth=1)
    axis.set_yticks(y, [_short(name) for name in low.x])


def _bars(axis: Axes, figure: Figure) -> None:
    y = np.arange(len(figure.series[0].x))
    height = 0.8 / len(figure.series)
    for k, (series, hatch) in enumerate(zip(figure.series, ("///", ""), strict=False)):
        axis.barh(
            y + k * height,
            series.y,
            height,
            color=SHADES[2 * k],
            edgecolor="black",
            hatch=hatch,
            label=_plain(series.name),
        )
    axis.set_yticks(y + 0.4 - height / 2, [_short(name) for name in figure.series[0].x])


DRAWERS = {"fan": _fan, "lines": _fan, "stacked": _stacked, "tornado": _tornado, "bars": _bars}


def _size(figure: Figure) -> tuple[float, float]:
    if figure.grid is not None:
        return (11.0, 1.6 + 0.32 * max(3, len(figure.grid.rows)))
    if figure.kind in ("tornado", "bars"):
        return (9.0, 2.0 + 0.35 * len(figure.series[0].x))
    if figure.panels:
        rows = -(-len(figure.panels) // PANEL_COLUMNS)
        return (11.0, 1.2 + 2.8 * rows)
    return (11.0, 5.0) if figure.kind == "stacked" else (9.0, 5.0)


def _numbers(axis: Axes, figure: Figure) -> None:
    """Value-axis ticks in the figure's language (``1,5 mln``), except for probabilities
    and indices."""
    horizontal = figure.kind in ("tornado", "bars")
    value_axis = axis.xaxis if horizontal else axis.yaxis
    lang: Lang = figure.lang
    if figure.key not in ("binding", "sobol"):
        value_axis.set_major_formatter(FuncFormatter(lambda v, _: number(v, lang)))
    if figure.key == "sobol" and lang == "nl":
        value_axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}".replace(".", ",")))


def _panels(mpl: MplFigure, figure: Figure) -> None:
    """Small multiples: one axes per panel, sharing the value axis when ``figure.shared``."""
    panels = figure.panels
    columns = min(PANEL_COLUMNS, len(panels))
    rows = -(-len(panels) // columns)
    axes = mpl.subplots(rows, columns, sharex=True, sharey=figure.shared, squeeze=False)
    for index, axis in enumerate(axes.ravel()):
        if index >= len(panels):
            axis.set_visible(False)
            continue
        _lines(axis, tuple(s for s in figure.series if s.panel == panels[index]), most=5)
        axis.set_title(_plain(panels[index]), fontsize=10)
        _numbers(axis, figure)
        axis.grid(True, color="#dddddd", linewidth=0.5)
        if len([s for s in figure.series if s.panel == panels[index]]) > 1 or not figure.shared:
            axis.legend(fontsize=7, loc="upper left")
        if index % columns == 0:
            axis.set_ylabel(_plain(figure.ylabel))
        if index >= len(panels) - columns:
            axis.set_xlabel(_plain(figure.xlabel))
            axis.tick_params(axis="x", labelbottom=True)
    mpl.suptitle(_plain(figure.title))


def _single(mpl: MplFigure, figure: Figure) -> None:
    axis = mpl.add_subplot()
    if figure.grid is not None:
        _timeline(axis, figure.grid)
        _timeline_legend(axis, figure.grid)
    else:
        DRAWERS[figure.kind](axis, figure)
        _numbers(axis, figure)
        axis.grid(True, color="#dddddd", linewidth=0.5)
        if figure.kind == "stacked":
            _stacked_legend(axis, figure)
        else:
            axis.legend(fontsize=8, loc="best", ncols=2 if len(figure.series) > 6 else 1)
    axis.set_title(_plain(figure.title))
    axis.set_xlabel(_plain(figure.xlabel))
    axis.set_ylabel(_plain(figure.ylabel))


def draw(figure: Figure) -> MplFigure:
    """A matplotlib figure of ``figure``; the caller closes it."""
    mpl = plt.figure(figsize=_size(figure), dpi=DPI)
    if figure.panels:
        _panels(mpl, figure)
    else:
        _single(mpl, figure)
    mpl.text(0.01, 0.01, _plain(figure.footnote), fontsize=7, color="#333333")
    mpl.tight_layout(rect=(0, 0.03, 1, 1))
    return mpl


def save(figure: Figure, folder: Path) -> list[Path]:
    """Write ``folder/<key>.png`` and ``.svg``."""
    folder.mkdir(parents=True, exist_ok=True)
    mpl = draw(figure)
    try:
        paths = [folder / f"{figure.key}.png", folder / f"{figure.key}.svg"]
        for path in paths:
            mpl.savefig(path, metadata={"Date": None} if path.suffix == ".svg" else None)
    finally:
        plt.close(mpl)
    return paths


def save_png(figure: Figure, path: Path) -> Path:
    """Write one PNG of ``figure`` to ``path``."""
    mpl = draw(figure)
    try:
        mpl.savefig(path, format="png")
    finally:
        plt.close(mpl)
    return path
