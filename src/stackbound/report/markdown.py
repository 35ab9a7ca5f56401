"""``report.md``: the report's findings as Markdown, with the charts as PNG images."""

from __future__ import annotations

from stackbound.report.document import Cell, Link, Section, Table
from stackbound.report.figures import Figure

__all__ = ["markdown_page"]


def _text(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ").strip()


def _cell(cell: Cell) -> str:
    if isinstance(cell, Link):
        return f"[{_text(cell.label)}]({cell.url})"
    if isinstance(cell, tuple):
        return "; ".join(_cell(part) for part in cell)
    return _text(cell)


def _table(table: Table) -> list[str]:
    lines = ["| " + " | ".join(table.headers) + " |", "|" + "---|" * len(table.headers)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    return [*lines, ""]


def _section(section: Section, charts: dict[str, Figure], folder: str) -> list[str]:
    lines = [f"## {section.heading}", ""]
    for paragraph in section.paragraphs:
        lines += [paragraph, ""]
    for key in section.charts:
        if key in charts:
            lines += [f"![{charts[key].title}]({folder}/{key}.png)", ""]
    if section.bullets:
        lines += [*(f"- {b}" for b in section.bullets), ""]
    if section.table is not None:
        lines += _table(section.table)
    return lines


def markdown_page(title: str, sections: list[Section], charts: list[Figure], folder: str = "charts") -> str:
    """The whole document; chart images are referenced under ``folder``."""
    by_key = {f.key: f for f in charts}
    lines = [f"# {title}", ""]
    for section in sections:
        lines += _section(section, by_key, folder)
    return "\n".join(lines).rstrip() + "\n"
