"""Scenarios as the API takes them: a built-in name or uploaded text, never a path.

A built-in is loaded as the one-line overlay ``extends: <name>``, so that the loader's rule
for text without a file applies to every request alike: ``extends`` reaches built-ins only,
and nothing in the server's working directory is ever read. Overrides and levers are
applied as an overlay's ``overrides`` (:func:`~stackbound.scenario.loader.load_resolved`).
The scenarios of the latest requests are kept (:class:`RecentScenarios`): a request asked
again is not read and validated again; and each built-in is read once, so that a request
that changes one (a lever moved) only applies its changes and validates.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from fastapi import HTTPException

from stackbound.errors import Problem
from stackbound.report.export import inputs_table
from stackbound.report.register import missing_provenance
from stackbound.scenario.loader import LoadedScenario, load_resolved
from stackbound.scenario.months import format_month
from stackbound.scenario.overlay import Resolved, builtin_names, builtin_story, resolve_text
from stackbound.serve.schemas import (
    InputRow,
    LeverRow,
    ProblemRow,
    ScenarioEntry,
    ScenarioSource,
    ScenarioView,
)

__all__ = [
    "UPLOAD",
    "RecentScenarios",
    "builtin_entries",
    "builtin_text",
    "load_source",
    "problem_rows",
    "read_builtin",
    "scenario_view",
    "source_changes",
]

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


def read_builtin(name: str) -> Resolved:
    """Built-in ``name`` read and resolved as a request names it (404 for an unknown name)."""
    return resolve_text(builtin_text(name), REQUEST)


def source_changes(source: ScenarioSource) -> dict[str, Any]:
    """A request's overrides and levers as one overlay's ``overrides`` (dotted path -> value)."""
    return {**source.overrides, **{f"levers.{k}.value": v for k, v in source.levers.items()}}


def load_source(source: ScenarioSource, builtin: Callable[[str], Resolved] = read_builtin) -> LoadedScenario:
    """The scenario of a request, with its overrides and levers applied; ScenarioError
    lists every problem (uploaded text is named ``<upload>``, changes ``<overrides>``).
    ``builtin`` reads a built-in (:class:`RecentScenarios` gives the one it keeps)."""
    if source.scenario is not None:
        resolved = builtin(source.scenario)
    else:
        assert source.yaml is not None  # ScenarioSource holds exactly one of the two
        resolved = resolve_text(source.yaml, UPLOAD)
    changes = source_changes(source)
    return load_resolved(resolved, changes or None, file=OVERRIDES)


class RecentScenarios:
    """The scenarios of the latest ``size`` requests, by what each request says (built-in
    name or text, overrides, levers), the least recently asked let go first; and every
    built-in asked for, read and resolved.

    A request asked again, a lever moved back or a kept run asked for (the ``303``) is
    answered from here; any other request naming a built-in applies its changes to the
    built-in read before (:func:`~stackbound.scenario.loader.load_resolved` leaves it as it
    was): the same data, so the same digest and run id, as reading it again, and loading
    ``china`` with a lever takes about 60 ms instead of 210 (reading its YAML was half).
    Each scenario holds about 1 MB. A request that does not load is not kept (its problems
    are found again)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: OrderedDict[str, LoadedScenario] = OrderedDict()
        self._builtins: dict[str, Resolved] = {}
        self._lock = threading.Lock()

    def load(self, source: ScenarioSource) -> LoadedScenario:
        """:func:`load_source` of ``source``, or the scenario kept for the same request."""
        key = _request_key(source)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
                return kept
        loaded = load_source(source, self.builtin)  # outside the lock: other requests go on meanwhile
        with self._lock:
            self._kept[key] = loaded
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return loaded

    def builtin(self, name: str) -> Resolved:
        """Built-in ``name`` read and resolved (:func:`read_builtin`), once: the built-ins
        are files of the installed package, a handful, and do not change while it runs."""
        with self._lock:
            kept = self._builtins.get(name)
        if kept is None:
            kept = read_builtin(name)
            with self._lock:
                kept = self._builtins.setdefault(name, kept)
        return kept


def _request_key(source: ScenarioSource) -> str:
    """A digest of what ``source`` asks for, exactly as sent (no rounding): its scenario
    fields only, so a run's seed and samples do not count."""
    fields = source.model_dump(mode="json", include=set(ScenarioSource.model_fields))
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


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
