"""The assumptions register: every value of a scenario with its unit and provenance, as
Markdown, generated from the scenario itself (never written by hand).

The scenario's text is escaped where it could become HTML (``<`` before a letter, ``/``,
``!`` or ``?``) or break a table row, a code span or a link; other Markdown stays as written.

:func:`missing_provenance` is the provenance rule (``docs/scenario-format.md``,
"Provenance"): every value a scenario file gives needs a source or an assumption; values
the format fills in by default do not. ``stackbound check`` warns with it, so this module
imports the tables (pandas, the engine's results) only inside :func:`register_markdown`."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from stackbound.errors import Problem
from stackbound.scenario.inputs import needs_source, walk_params
from stackbound.scenario.loader import LoadedScenario
from stackbound.scenario.months import format_month
from stackbound.scenario.yamlio import Path, format_path

__all__ = ["NO_PROVENANCE", "missing_provenance", "register_markdown"]

NO_PROVENANCE = "warning: no source or assumption"
"""The message of a value given without provenance, as ``check`` prints it."""


TAG = re.compile(r"<(?=[A-Za-z/!?])")
URL_UNSAFE = re.compile(r"[()<>\[\]\s]")


def _child(node: Any, part: str | int) -> tuple[Any, bool]:
    """The child ``part`` of a scenario node, and whether a file gave it (a model's field
    left to its default was not given)."""
    if isinstance(node, BaseModel):
        name = next(n for n, info in type(node).model_fields.items() if (info.alias or n) == part)
        return getattr(node, name), name in node.model_fields_set
    if isinstance(node, dict):  # month keys are ints in the scenario, YYYY-MM in paths
        return next(v for k, v in node.items() if (format_month(k) if isinstance(k, int) else k) == part), True
    return node[part], True


def _given(node: Any, path: Path) -> bool:
    """Whether every step of ``path`` below ``node`` was given in a file (not a default)."""
    for part in path:
        node, written = _child(node, part)
        if not written:
            return False
    return True


def missing_provenance(loaded: LoadedScenario) -> list[Problem]:
    """One warning, located in its file, per value given without a source or assumption."""
    scenario = loaded.scenario
    found = [
        loaded.positions.problem(path, NO_PROVENANCE)
        for path, param in walk_params(scenario)
        if param.provenance is None and needs_source(param) and _given(scenario, path)
    ]
    return sorted(found, key=lambda p: (p.file, p.line, p.column, p.path))


def _defaults(loaded: LoadedScenario) -> set[str]:
    """The fields of values the format filled in (no file gave them) without provenance."""
    scenario = loaded.scenario
    return {
        format_path(path)
        for path, param in walk_params(scenario)
        if param.provenance is None and needs_source(param) and not _given(scenario, path)
    }


def _grades(loaded: LoadedScenario) -> dict[str, str]:
    """The grade cell of each value derived from several graded sources: the weakest grade
    and those it is the weakest of (``C (weakest of B, C)``)."""
    cells = {}
    for path, param in walk_params(loaded.scenario):
        prov = param.provenance
        graded = [c.grade for c in prov.sources if c.grade is not None] if prov is not None else []
        if prov is not None and len(graded) > 1:
            cells[format_path(path)] = f"{prov.grade} (weakest of {', '.join(graded)})"
    return cells


def _no_html(text: str) -> str:
    return TAG.sub("&lt;", text)


def _cell(text: object) -> str:
    return _no_html(str(text).replace("|", "\\|").replace("\n", " ").strip())


def _url(url: str) -> str:
    return URL_UNSAFE.sub(lambda found: f"%{ord(found.group()):02X}", url)


def _source(source: str) -> str:
    if not source:
        return ""
    links = []
    for part in source.split(";"):
        url, _, rest = part.strip().partition(" ")
        if url.startswith("http"):
            shown = url.split("//", 1)[1].split("/", 1)[0]
            links.append(f"[{_cell(shown)}]({_url(url)})" + (f" {_cell(rest)}" if rest else ""))
        else:
            links.append(_cell(part))
    return "; ".join(links)


def _code(text: str) -> str:
    """``text`` inside a code span: one line, no backtick to close it early."""
    return " ".join(text.replace("`", "'").split())


def register_markdown(loaded: LoadedScenario) -> str:
    """Markdown: the scenario's notes, then one table per section of the scenario; a value
    given without a source or assumption is counted in the header and flagged in its row; a
    value derived from several sources is counted under its weakest grade, and its row shows
    each source with its own grade."""
    from stackbound.report.export import inputs_table  # imported here: pandas and the engine's results

    scenario = loaded.scenario
    table = inputs_table(loaded)
    unsourced = {problem.path for problem in missing_provenance(loaded)}
    defaults = _defaults(loaded)
    grades = _grades(loaded)
    lines = [
        f"# Assumptions register: {_cell(scenario.name)}",
        "",
        f"Generated by `stackbound register {_code(scenario.name)}` from the scenario file(s) "
        f"{', '.join(f'`{_code(f)}`' for f in loaded.files)}; do not edit by hand.",
        "",
        _no_html(scenario.description.strip()),
        "",
    ]
    if scenario.notes:
        lines += ["## Notes and calibration choices", ""] + [f"- {_cell(n)}" for n in scenario.notes] + [""]
    counts = table["grade"].value_counts()
    assumed = int((table["assumption"] != "").sum())
    lines += [
        f"{len(table)} values: "
        + ", ".join(f"{int(counts.get(g, 0))} grade {g}" for g in "ABC")
        + f", {assumed} assumptions; {int(table['uncertain'].sum())} uncertain "
        f"({len(loaded.inputs)} uncertain inputs); {len(unsourced)} without source or assumption.",
        "",
    ]
    for section, rows in table.groupby(table["field"].str.split(".").str[0], sort=False):
        lines += [
            f"## {section}",
            "",
            "| input | field | value | unit | source | date | grade | note or assumption |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for row in rows.to_dict("records"):
            note = f"assumption: {row['assumption']}" if row["assumption"] else ""
            flag = "**no source or assumption**" if row["field"] in unsourced else ""
            flag = "default of the format" if row["field"] in defaults else flag
            note = "; ".join(x for x in (flag, note, str(row["note"])) if x)
            lines.append(
                "| "
                + " | ".join(
                    [
                        _cell(row["label"]),
                        f"`{_code(_cell(row['field']))}`",
                        _cell(row["value"]),
                        _cell(row["unit"]),
                        _source(str(row["source"])),
                        _cell(row["date"]),
                        _cell(grades.get(row["field"], row["grade"])),
                        _cell(note),
                    ]
                )
                + " |"
            )
        lines.append("")
    return "\n".join(lines)
