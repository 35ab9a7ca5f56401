"""Tables by year that fit the terminal: each cell a P50 and its P5–P95 range, never cut.

A table is laid out the first way that fits the console's width: every cell on one line
(``635k (431k–917k)``); else the range on a line of its own under the P50; else the same,
with the years split over as few tables as fit. Nothing is shortened with '…': a table
that fits no way is printed with one year per table and folded cells.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from stackbound.formatting import number

__all__ = ["Cell", "Row", "cell", "percent_cell", "print_by_year"]

INLINE = "P50 (P5–P95)"
STACKED = "P50 over P5–P95"
"""How the cells read, said at the end of a table's title: range beside or under the P50."""
UNBOUNDED = 100_000
"""Columns a table is measured in: wide enough that it takes its natural width."""


@dataclass(frozen=True)
class Cell:
    """A P50 as shown and its range (empty when the range is the P50 alone); plain text."""

    p50: str
    band: str = ""


@dataclass(frozen=True)
class Row:
    """A table row: its labels (plain text, one per label column) and a cell per year;
    ``dim`` greys the row (a level shown beside differences)."""

    labels: tuple[str, ...]
    cells: tuple[Cell, ...]
    end_section: bool = False
    dim: bool = False


def cell(p5: float, p50: float, p95: float, show: Callable[[float], str] = number) -> Cell:
    """P50 with its P5–P95 range, each written by ``show`` (default :func:`number`; a
    signed number for differences); no range when all three read the same."""
    low, mid, high = show(p5), show(p50), show(p95)
    return Cell(mid, "" if low == mid == high else f"{low}–{high}")


def percent_cell(p5: float, p50: float, p95: float) -> Cell:
    """A share's P50 with its P5–P95 range, in whole percent."""
    return cell(p5, p50, p95, lambda share: f"{share:.0%}")


def _text(c: Cell, stacked: bool, dim: bool) -> str:
    p50 = f"[dim]{escape(c.p50)}[/dim]" if dim else escape(c.p50)
    if not c.band:
        return p50
    return f"{p50}\n[dim]{escape(c.band)}[/dim]" if stacked else f"{p50} [dim]({escape(c.band)})[/dim]"


def _table(
    title: str, heads: Sequence[str], years: Sequence[int], rows: Sequence[Row], span: range, stacked: bool
) -> Table:
    table = Table(title=escape(title), title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1, 0, 0))
    for head in heads:
        table.add_column(escape(head), overflow="fold")
    for y in span:
        table.add_column(str(years[y]), justify="right", overflow="fold")
    for row in rows:
        labels = [f"[dim]{escape(label)}[/dim]" if row.dim else escape(label) for label in row.labels]
        cells = [_text(row.cells[y], stacked, row.dim) for y in span]
        table.add_row(*labels, *cells, end_section=row.end_section)
    return table


def _spans(years: int, parts: int) -> list[range]:
    """``years`` indices in ``parts`` runs as even as can be, the longer ones first."""
    size, extra = divmod(years, parts)
    spans, start = [], 0
    for part in range(parts):
        end = start + size + (part < extra)
        spans.append(range(start, end))
        start = end
    return spans


def _layouts(title: str, heads: Sequence[str], years: Sequence[int], rows: Sequence[Row]) -> list[list[Table]]:
    """Every way to lay the table out, from the most compact on the page to the narrowest;
    the title ends with how its cells read."""
    whole = range(len(years))
    found = [[_table(f"{title}, {INLINE}", heads, years, rows, whole, stacked=False)]]
    for parts in range(1, len(years) + 1):
        spans = _spans(len(years), parts)
        titles = [f"{title}, {STACKED}", *(f"{title} (continued)" for _ in spans[1:])]
        found.append([_table(t, heads, years, rows, span, stacked=True) for t, span in zip(titles, spans, strict=True)])
    return found


def print_by_year(
    console: Console, title: str, heads: Sequence[str], years: Sequence[int], rows: Sequence[Row], note: str = ""
) -> None:
    """Print ``rows`` (label columns ``heads``, then one column per year) the first way
    that fits the console's width, its title followed by how the cells read, then
    ``note`` (plain text) under it."""
    layouts = _layouts(title, heads, years, rows)
    unbounded = console.options.update_width(UNBOUNDED)
    fitting = next(
        (
            tables
            for tables in layouts
            if all(console.measure(t, options=unbounded).maximum <= console.width for t in tables)
        ),
        layouts[-1],
    )
    for table in fitting:
        console.print(table)
    if note:
        console.print(note, markup=False, highlight=False, style="dim")
    console.print()
