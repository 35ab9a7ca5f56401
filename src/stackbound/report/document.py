"""The report as a list of sections (heading, sentences, charts, one table), which
:mod:`.html` and :mod:`.markdown` render in their own syntax.

A section with nothing to show for the scenario is left out (:meth:`Section.empty`): no
stockpile runway without stockpiles, no scenario comparison for one scenario, no validation
without published estimates, no chart that has no data."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, replace

from stackbound.analysis.validate import published_text
from stackbound.report import findings
from stackbound.report.gather import ReportData
from stackbound.report.i18n import Lang, number, text
from stackbound.scenario.months import format_month

__all__ = ["Link", "Section", "Table", "question", "sections", "source_links"]

LIMITS = ("fab_line", "memory_line", "stockpile", "flow")
"""Source kinds, in the order the question names what runs short."""
LEAD = re.compile(r"[:;.(]\s|:$|\.$")
LONGEST_LEAD = 80


@dataclass(frozen=True)
class Link:
    label: str
    url: str


Cell = str | Link | tuple[Link | str, ...]


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    widths: tuple[int, ...] = ()
    """Each column's share of the width, in percent (empty: as the browser lays it out)."""


@dataclass(frozen=True)
class Section:
    key: str
    heading: str
    paragraphs: tuple[str, ...] = ()
    charts: tuple[str, ...] = ()
    bullets: tuple[str, ...] = ()
    table: Table | None = None
    folded: str = ""
    """When set, the table is folded away under this summary line, with a filter box."""
    filter_hint: str = ""
    no_match: str = ""

    def empty(self) -> bool:
        """Nothing to show: no sentence, chart, bullet or table row."""
        rows = self.table is not None and bool(self.table.rows)
        return not (self.paragraphs or self.charts or self.bullets or rows)


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
    return Table(headers, tuple(rows), widths=(20, 17, 25, 8, 25, 5))


def _record(data: ReportData, lang: Lang) -> Table:
    headers = (text(lang, "scenario"), text(lang, "version"), text(lang, "seed"), text(lang, "samples"))
    rows = tuple((r.scenario, data.version, str(r.seed), f"{r.samples:,}", r.digest) for r in data.results)
    return Table((*headers, text(lang, "digest")), rows)


def _listed(words: list[str], lang: Lang) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {text(lang, 'and')} {words[-1]}"


def question(data: ReportData, lang: Lang) -> str:
    """The report's question for any scenario: its name and what it is about (the start of
    its description), its horizon, and what can run short in it (its kinds of source)."""
    scenario = data.loaded[0].scenario
    kinds = {str(source.kind) for source in scenario.sources.values()}
    limits = [text(lang, f"limit_words_{kind}") for kind in LIMITS if kind in kinds]
    if scenario.packaging:
        limits.append(text(lang, "limit_words_packaging"))
    lead = LEAD.split(" ".join(scenario.description.split()), maxsplit=1)[0].strip()
    about = f" — {lead}" if lead and len(lead) <= LONGEST_LEAD and lead != scenario.name else ""
    return text(
        lang,
        "question_any",
        scenario=data.base.scenario,
        about=about,
        start=format_month(scenario.horizon.start),
        end=format_month(scenario.horizon.end),
        limits=_listed(limits or [text(lang, "limit_words_packaging")], lang),
    )


def sections(data: ReportData, lang: Lang, charts: Collection[str] | None = None) -> list[Section]:
    """Every section of the report with something to show, in order; given the keys of the
    ``charts`` drawn, a section only lists those."""
    found = [
        s if charts is None else replace(s, charts=tuple(c for c in s.charts if c in charts)) for s in _all(data, lang)
    ]
    return [s for s in found if not s.empty()]


def _all(data: ReportData, lang: Lang) -> list[Section]:
    seed = data.base.seed
    sensitivity = () if data.tornado or data.sobol else (text(lang, "no_sensitivity"),)
    validation = (findings.validation_line(data, lang),) if data.validation else ()
    return [
        Section("question", text(lang, "question_heading"), (question(data, lang), findings.answer(data, lang))),
        Section("units", text(lang, "units_heading"), charts=("units", "compute")),
        Section("production", text(lang, "production_heading"), charts=("production",)),
        Section(
            "runway",
            text(lang, "runway_heading"),
            charts=("runway",) if data.base.stockpiles else (),
            bullets=tuple(findings.runout_lines(data, lang)),
        ),
        Section(
            "binding",
            text(lang, "binding_heading"),
            (text(lang, "binding_timeline_text"), text(lang, "binding_text")),
            charts=("binding",),
            bullets=tuple(findings.binding_lines(data, lang)),
        ),
        Section("stranded", text(lang, "stranded_heading"), charts=("stranded",)),
        Section(
            "comparison",
            text(lang, "comparison_heading"),
            (text(lang, "comparison_text", seed=seed),) if data.comparison else (),
            charts=("comparison",) if data.comparison else (),
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
            validation,
            table=_validation(data, lang),
        ),
        Section("owned", text(lang, "compute_heading"), charts=("owned",)),
        Section(
            "register",
            text(lang, "register_heading"),
            (findings.register_line(data, lang),),
            table=_register(data, lang),
            folded=text(lang, "register_show", count=len(data.inputs)),
            filter_hint=text(lang, "register_filter"),
            no_match=text(lang, "register_none"),
        ),
        Section("record", text(lang, "record_heading"), table=_record(data, lang)),
    ]
