"""``report.md``: the report's findings as Markdown, with the charts as PNG images.

Every piece of text is escaped (:func:`inline`): scenario, vendor and product names and
sources are the user's text, and must not become HTML, links, images or table cells.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from stackbound.report.document import Cell, Link, Section, Table
from stackbound.report.figures import Figure

__all__ = ["inline", "markdown_page"]

SPECIAL = re.compile(r"([\\`*\[\]|])")
"""Characters that would start code, emphasis, a link or a table cell: escaped with a backslash."""
ENTITIES = {"<": "&lt;", ">": "&gt;"}


def inline(value: str) -> str:
    """``value`` as literal Markdown text on one line: no raw HTML, links or cell breaks."""
    escaped = SPECIAL.sub(r"\\\1", " ".join(value.split()))
    return "".join(ENTITIES.get(c, c) for c in escaped)


def _url(url: str) -> str:
    return quote(url, safe=":/?#@!$&'*+,;=%~-._")


def _cell(cell: Cell) -> str:
    if isinstance(cell, Link):
        return f"[{inline(cell.label)}]({_url(cell.url)})"
    if isinstance(cell, tuple):
        return "; ".join(_cell(part) for part in cell)
    return inline(cell)


def _table(table: Table) -> list[str]:
    lines = ["| " + " | ".join(inline(h) for h in table.headers) + " |", "|" + "---|" * len(table.headers)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    return [*lines, ""]


def _section(section: Section, charts: dict[str, Figure], folder: str) -> list[str]:
    lines = [f"## {inline(section.heading)}", ""]
    for paragraph in section.paragraphs:
        lines += [inline(paragraph), ""]
    for key in section.charts:
        if key in charts:
            lines += [f"![{inline(charts[key].title)}]({_url(folder)}/{key}.png)", ""]
    if section.bullets:
        lines += [*(f"- {inline(b)}" for b in section.bullets), ""]
    if section.table is not None:
        lines += _table(section.table)
    return lines


def markdown_page(title: str, sections: list[Section], charts: list[Figure], folder: str = "charts") -> str:
    """The whole document; chart images are referenced under ``folder``."""
    by_key = {f.key: f for f in charts}
    lines = [f"# {inline(title)}", ""]
    for section in sections:
        lines += _section(section, by_key, folder)
    return "\n".join(lines).rstrip() + "\n"
