"""Scenarios as the API takes them: a built-in name or uploaded text, never a path.

A built-in is loaded as the one-line overlay ``extends: <name>``, so that the loader's rule
for text without a file applies to every request alike: ``extends`` reaches built-ins only,
and nothing in the server's working directory is ever read. Overrides and levers are
applied as an overlay's ``overrides`` (:func:`~stackbound.scenario.loader.load_overridden_text`).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import HTTPException

from stackbound.errors import Problem
from stackbound.report.export import inputs_table
from stackbound.report.register import missing_provenance
from stackbound.scenario.loader import LoadedScenario, load_overridden_text, load_scenario_text
from stackbound.scenario.months import format_month
from stackbound.scenario.overlay import builtin_names, builtin_story
from stackbound.serve.schemas import (
    InputRow,
    LeverRow,
    ProblemRow,
    ScenarioEntry,
    ScenarioSource,
    ScenarioView,
)

__all__ = ["UPLOAD", "builtin_entries", "builtin_text", "load_source", "problem_rows", "scenario_view"]

UPLOAD = "<upload>"
"""The name uploaded text goes by in problems (a client never names a file)."""
OVERRIDES = "<overrides>"
REQUEST = "<request>"
"""The file name of the one-line overlay a built-in is loaded through (not shown)."""


def builtin_entries() -> list[ScenarioEntry]:
    """Every built-in scenario with what it extends and its story, as ``stackbound scenarios``."""
    entries = []
    for name in builtin_names():
        parent, story = builtin_story(name)
        entries.append(ScenarioEntry(name=name, extends=parent, story=story))
    return entries


def builtin_text(name: str) -> str:
    """The overlay that loads built-in ``name`` unchanged; 404 for an unknown name."""
    if name not in builtin_names():
        known = ", ".join(builtin_names())
        shown = json.dumps(name[:80])
        raise HTTPException(404, f"no built-in scenario is called {shown} (built-in: {known})")
    return f"stackbound: 1\nextends: {name}\n"


def load_source(source: ScenarioSource) -> LoadedScenario:
    """The scenario of a request, with its overrides and levers applied; ScenarioError
    lists every problem (uploaded text is named ``<upload>``, changes ``<overrides>``)."""
    text, name = (builtin_text(source.scenario), REQUEST) if source.scenario is not None else (source.yaml, UPLOAD)
    assert text is not None  # ScenarioSource holds exactly one of the two
    changes: dict[str, Any] = {**source.overrides, **{f"levers.{k}.value": v for k, v in source.levers.items()}}
    if not changes:
        return load_scenario_text(text, name)
    return load_overridden_text(text, changes, name=name, file=OVERRIDES)


def problem_rows(problems: list[Problem]) -> list[ProblemRow]:
    return [ProblemRow(file=p.file, line=p.line, column=p.column, path=p.path, message=p.message) for p in problems]


def shown_files(loaded: LoadedScenario) -> list[str]:
    """The files a scenario was read from, base first, without the built-in's one-line overlay."""
    return [f for f in loaded.files if f != REQUEST]


def _input_row(row: dict[Any, Any], unsourced: bool) -> InputRow:
    """A row of the inputs table as the API gives it (every cell text but the counts)."""
    cells = {str(k): str(v) for k, v in row.items()}
    return InputRow(**{**cells, "uncertain": bool(row["uncertain"]), "inputs": int(row["inputs"])}, unsourced=unsourced)


def scenario_view(loaded: LoadedScenario) -> ScenarioView:
    """Every value of the scenario with its label, unit, value as written and provenance
    (the assumptions register, :func:`~stackbound.report.export.inputs_table`)."""
    scenario = loaded.scenario
    unsourced = {problem.path for problem in missing_provenance(loaded)}
    table = inputs_table(loaded)
    rows = [_input_row(r, str(r["field"]) in unsourced) for r in table.to_dict("records")]
    levers = [
        LeverRow(name=name, description=lever.description, value=lever.value.describe())
        for name, lever in scenario.levers.items()
    ]
    horizon = {"start": format_month(scenario.horizon.start), "end": format_month(scenario.horizon.end)}
    return ScenarioView(
        name=scenario.name,
        description=scenario.description.strip(),
        files=shown_files(loaded),
        digest=loaded.digest,
        horizon=horizon,
        metric=scenario.metric,
        levers=levers,
        uncertain_inputs=len(loaded.inputs),
        inputs=rows,
        warnings=list(loaded.warnings),
    )
