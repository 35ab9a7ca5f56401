"""The report as a list of sections (heading, sentences, charts, one table), which
:mod:`.html` and :mod:`.markdown` render in their own syntax."""

from __future__ import annotations

from dataclasses import dataclass

from stackbound.analysis.validate import published_text
from stackbound.report import findings
from stackbound.report.gather import ReportData
from stackbound.report.i18n import Lang, number, text

__all__ = ["Link", "Section", "Table", "sections", "source_links"]


@dataclass(frozen=True)
class Link:
    label: str
    url: str


Cell = str | Link | tuple[Link | str, ...]


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True)
class Section:
    key: str
    heading: str
    paragraphs: tuple[str, ...] = ()
    charts: tuple[str, ...] = ()
    bullets: tuple[str, ...] = ()
    table: Table | None = None


def source_links(source: str) -> tuple[Link | str, ...]:
    """'https://a.b/c note; other' -> (Link('a.b note', url), 'other')."""
    parts: list[Link | str] = []
    for part in filter(None, (p.strip() for p in source.split(";"))):
        url, _, rest = part.partition(" ")
        if url.startswith(("http://", "https://")):
            host = url.split("//", 1)[1].split("/", 1)[0]
            parts.append(Link(f"{host} {rest}".strip(), url))
        else:
            parts.append(part)
    return tuple(parts)


def _validation(data: ReportData, lang: Lang) -> Table:
    headers = (
        "id",
        text(lang, "kind"),
        text(lang, "claim"),
        text(lang, "published"),
        text(lang, "model"),
        text(lang, "inside"),
    )
    rows = []
    for case in data.validation:
        published = published_text(case.case, lang)
        model = f"{number(case.p5, lang)} – {number(case.p50, lang)} – {number(case.p95, lang)}"
        kind = text(lang, f"kind_{case.case.kind}")
        rows.append((case.case.id, kind, case.case.claim, published, model, text(lang, "yes" if case.inside else "no")))
    return Table(headers, tuple(rows))


def _register(data: ReportData, lang: Lang) -> Table:
    headers = (
        text(lang, "input"),
        text(lang, "field"),
        text(lang, "value"),
        text(lang, "unit"),
        text(lang, "source"),
        text(lang, "grade"),
    )
    rows = []
    for row in data.inputs.to_dict("records"):
        source: Cell = source_links(str(row["source"]))
        if not source and row["assumption"]:
            source = f"assumption: {row['assumption']}"
        cells = (str(row["label"]), str(row["field"]), str(row["value"]), str(row["unit"]), source, str(row["grade"]))
        rows.append(cells)
    return Table(headers, tuple(rows))


def _record(data: ReportData, lang: Lang) -> Table:
    headers = (text(lang, "scenario"), text(lang, "version"), text(lang, "seed"), text(lang, "samples"))
    rows = tuple((r.scenario, data.version, str(r.seed), f"{r.samples:,}", r.digest) for r in data.results)
    return Table((*headers, text(lang, "digest")), rows)


def sections(data: ReportData, lang: Lang) -> list[Section]:
    """Every section of the report, in order."""
    seed = data.base.seed
    sensitivity = () if data.tornado or data.sobol else (text(lang, "no_sensitivity"),)
    return [
        Section(
            "question", text(lang, "question_heading"), (findings.question(data, lang), findings.answer(data, lang))
        ),
        Section("units", text(lang, "units_heading"), charts=("units", "compute")),
        Section("production", text(lang, "production_heading"), charts=("production",)),
        Section(
            "runway",
            text(lang, "runway_heading"),
            charts=("runway",),
            bullets=tuple(findings.runout_lines(data, lang)),
        ),
        Section(
            "binding",
            text(lang, "binding_heading"),
            (text(lang, "binding_text"),),
            charts=("binding",),
            bullets=tuple(findings.binding_lines(data, lang)),
        ),
        Section("stranded", text(lang, "stranded_heading"), charts=("stranded",)),
        Section(
            "comparison",
            text(lang, "comparison_heading"),
            (text(lang, "comparison_text", seed=seed),) if data.comparison else (),
            charts=("comparison",),
        ),
        Section(
            "sensitivity",
            text(lang, "sensitivity_heading"),
            sensitivity,
            charts=("tornado", "sobol"),
            bullets=tuple(findings.effect_lines(data, lang)),
        ),
        Section("discovery", text(lang, "discovery_heading"), bullets=tuple(findings.discovery_lines(data, lang))),
        Section(
            "validation",
            text(lang, "validation_heading"),
            (findings.validation_line(data, lang),),
            table=_validation(data, lang),
        ),
        Section("owned", text(lang, "compute_heading"), charts=("owned",)),
        Section(
            "register",
            text(lang, "register_heading"),
            (findings.register_line(data, lang),),
            table=_register(data, lang),
        ),
        Section("record", text(lang, "record_heading"), table=_record(data, lang)),
    ]
