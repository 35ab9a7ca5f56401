"""``report.html``: one self-contained page (plotly.js embedded, no network) with the
report's sections and interactive charts."""

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
"""


def _cell(cell: Cell) -> str:
    if isinstance(cell, Link):
        return f'<a href="{escape(cell.url)}">{escape(cell.label)}</a>'
    if isinstance(cell, tuple):
        return "; ".join(_cell(part) for part in cell)
    return escape(cell)


def _table(table: Table) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in table.headers)
    body = "".join("<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in row) + "</tr>" for row in table.rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _section(section: Section, charts: dict[str, Figure]) -> str:
    parts = [f'<section id="{section.key}"><h2>{escape(section.heading)}</h2>']
    parts += [f"<p>{escape(p)}</p>" for p in section.paragraphs]
    parts += [f'<div class="chart">{fragment(charts[key])}</div>' for key in section.charts if key in charts]
    if section.bullets:
        parts.append("<ul>" + "".join(f"<li>{escape(b)}</li>" for b in section.bullets) + "</ul>")
    if section.table is not None:
        parts.append(_table(section.table))
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
        f"<h1>{escape(title)}</h1><nav>{nav}</nav>\n{body}\n</body></html>\n"
    )
