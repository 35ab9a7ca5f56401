"""``report.html``: one self-contained page (plotly.js embedded, no network) with the
report's sections and interactive charts.

Tables wrap long cells rather than overflow the page; a folded section (the assumptions
register) shows its table under a ``<details>`` summary with a box that filters its rows
as one types (every word must appear in the row), by a few lines of script on the page."""

from __future__ import annotations

from html import escape

from stackbound.report.document import Cell, Link, Section, Table
from stackbound.report.figures import Figure
from stackbound.report.interactive import fragment, plotly_js

__all__ = ["html_page"]

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #111; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; font-size: .85em; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: .25em .5em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } .chart { margin: 1em 0; } nav a { margin-right: .8em; }
table.fixed { table-layout: fixed; width: 100%; }
td, th { overflow-wrap: anywhere; word-break: normal; }
details.folded > summary { cursor: pointer; font-weight: 600; margin: .5em 0; }
input.filter { width: 100%; box-sizing: border-box; padding: .4em; margin: .5em 0; font: inherit; }
"""
FILTER = """
document.querySelectorAll('input.filter').forEach(function (box) {
  box.addEventListener('input', function () {
    var words = box.value.toLowerCase().split(/\\s+/).filter(Boolean), shown = 0;
    var table = document.getElementById(box.dataset.table);
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      var text = row.textContent.toLowerCase();
      var keep = words.every(function (w) { return text.indexOf(w) >= 0; });
      row.hidden = !keep; shown += keep ? 1 : 0;
    });
    document.getElementById(box.dataset.table + '-none').hidden = shown > 0;
  });
});
"""


def _cell(cell: Cell) -> str:
    if isinstance(cell, Link):
        return f'<a href="{escape(cell.url)}">{escape(cell.label)}</a>'
    if isinstance(cell, tuple):
        return "; ".join(_cell(part) for part in cell)
    return escape(cell)


def _table(table: Table, key: str = "") -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in table.headers)
    body = "".join("<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in row) + "</tr>" for row in table.rows)
    columns = "".join(f'<col style="width:{w}%">' for w in table.widths)
    attributes = (f' id="table-{key}"' if key else "") + (' class="fixed"' if table.widths else "")
    group = f"<colgroup>{columns}</colgroup>" if columns else ""
    return f"<table{attributes}>{group}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _folded(section: Section, table: Table) -> str:
    """The table under a summary line, with a filter box and a line for no match."""
    key = f"table-{section.key}"
    box = (
        f'<input type="search" class="filter" data-table="{key}" placeholder="{escape(section.filter_hint)}" '
        f'aria-label="{escape(section.filter_hint)}">'
    )
    none = f'<p id="{key}-none" hidden>{escape(section.no_match)}</p>'
    return (
        f'<details class="folded"><summary>{escape(section.folded)}</summary>{box}'
        f"{_table(table, section.key)}{none}</details>"
    )


def _section(section: Section, charts: dict[str, Figure]) -> str:
    parts = [f'<section id="{section.key}"><h2>{escape(section.heading)}</h2>']
    parts += [f"<p>{escape(p)}</p>" for p in section.paragraphs]
    parts += [f'<div class="chart">{fragment(charts[key])}</div>' for key in section.charts if key in charts]
    if section.bullets:
        parts.append("<ul>" + "".join(f"<li>{escape(b)}</li>" for b in section.bullets) + "</ul>")
    if section.table is not None:
        parts.append(_folded(section, section.table) if section.folded else _table(section.table))
    return "\n".join(parts) + "</section>"


def html_page(title: str, lang: str, sections: list[Section], charts: list[Figure]) -> str:
    """The whole page as one string."""
    by_key = {f.key: f for f in charts}
    nav = " ".join(f'<a href="#{s.key}">{escape(s.heading)}</a>' for s in sections)
    body = "\n".join(_section(s, by_key) for s in sections)
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style>"
        f"<script>{plotly_js()}</script></head><body>"
        f"<h1>{escape(title)}</h1><nav>{nav}</nav>\n{body}\n<script>{FILTER}</script></body></html>\n"
    )
