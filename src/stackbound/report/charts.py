"""Static charts (PNG and SVG) from :class:`~.figures.Figure` data, with matplotlib's Agg
backend. Readable in black and white: series differ by line style, marker and hatch as well
as by shade; every chart has a title, axis units and the scenario and seed in a footnote.

Every text is the user's or ours, never mathtext: a ``$`` is escaped (:func:`_plain`)."""

from __future__ import annotations

from itertools import cycle
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display, no GUI toolkit: files only

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure as MplFigure
from matplotlib.ticker import FuncFormatter

from stackbound.report.figures import Figure, wrapped
from stackbound.report.i18n import number

__all__ = ["draw", "save", "save_png"]

SHADES = ("#000000", "#555555", "#888888", "#333333", "#aaaaaa", "#222222", "#777777")
STYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1)), (0, (1, 1)), (0, (8, 2)))
MARKERS = ("o", "s", "^", "D", "v", "x", "+", "*", "P", "h", "<")
HATCHES = ("", "///", "...", "\\\\\\", "xxx", "---", "+++", "ooo", "|||", "**")
DPI = 120


def _plain(text: str) -> str:
    """``text`` as matplotlib shows it literally: two ``$`` would otherwise start mathtext."""
    return text.replace("$", r"\$")


def _short(label: str) -> str:
    """A factor's label short enough for an axis label: a few wrapped lines."""
    return _plain("\n".join(wrapped(label)))


def _ticks(axis: Axes, x: tuple[str, ...]) -> None:
    step = max(1, len(x) // 10)
    positions = np.arange(len(x))
    axis.set_xticks(positions[::step], [_plain(x[i]) for i in positions[::step]], rotation=45 if len(x) > 10 else 0)


def _fan(axis: Axes, figure: Figure) -> None:
    for k, series in enumerate(figure.series):
        shade, style, marker = SHADES[k % len(SHADES)], STYLES[k % len(STYLES)], MARKERS[k % len(MARKERS)]
        x = np.arange(len(series.x))
        every = max(1, len(x) // 12)
        axis.plot(x, series.y, color=shade, linestyle=style, marker=marker, markevery=every, label=_plain(series.name))
        if series.low is not None and series.high is not None:
            axis.fill_between(x, series.low, series.high, color=shade, alpha=0.12, linewidth=0)
    _ticks(axis, figure.series[0].x)


def _stacked(axis: Axes, figure: Figure) -> None:
    x = np.arange(len(figure.series[0].x))
    bottom = np.zeros(len(x))
    shades = cycle(("#ffffff", "#dddddd", "#bbbbbb", "#999999", "#777777"))
    for series, hatch, shade in zip(figure.series, cycle(HATCHES), shades, strict=False):
        axis.bar(x, series.y, bottom=bottom, color=shade, edgecolor="black", hatch=hatch, label=_plain(series.name))
        bottom += np.asarray(series.y)
    _ticks(axis, figure.series[0].x)


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


def draw(figure: Figure) -> MplFigure:
    """A matplotlib figure of ``figure``; the caller closes it."""
    horizontal = figure.kind in ("tornado", "bars")
    size = (9.0, 2.0 + 0.35 * len(figure.series[0].x)) if horizontal else (9.0, 5.0)
    mpl = plt.figure(figsize=size, dpi=DPI)
    axis = mpl.add_subplot()
    DRAWERS[figure.kind](axis, figure)
    axis.set_title(_plain(figure.title))
    axis.set_xlabel(_plain(figure.xlabel))
    axis.set_ylabel(_plain(figure.ylabel))
    value_axis = axis.xaxis if horizontal else axis.yaxis
    if figure.key not in ("binding", "sobol"):
        value_axis.set_major_formatter(FuncFormatter(lambda v, _: number(v)))
    axis.grid(True, color="#dddddd", linewidth=0.5)
    axis.legend(fontsize=8, loc="best", ncols=2 if len(figure.series) > 6 else 1)
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
