"""Load a scenario: read (safely), resolve overlays, validate, check references.

:func:`load_scenario` is the only way scenario files enter stackbound, and
:func:`load_scenario_text` the way scenario text without a file does (an upload). Every
problem in a file is collected and raised together as one
:class:`~stackbound.errors.ScenarioError`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Any

from pydantic import ValidationError

from stackbound.errors import Problem, ScenarioError
from stackbound.scenario.checks import check_references
from stackbound.scenario.inputs import Copula, Input, collect_inputs, copula
from stackbound.scenario.overlay import Resolved, override, resolve, resolve_text
from stackbound.scenario.schema import Scenario
from stackbound.scenario.text import excerpt
from stackbound.scenario.yamlio import Path, Positions

__all__ = ["LoadedScenario", "load_overridden_text", "load_resolved", "load_scenario", "load_scenario_text"]

_UNION_TAGS = frozenset({"fab_line", "memory_line", "stockpile", "flow"})


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario with everything the engine and the reports need about it."""

    scenario: Scenario
    data: dict[str, Any]
    positions: Positions
    files: tuple[str, ...]
    inputs: tuple[Input, ...]
    copula: Copula | None
    warnings: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def digest(self) -> str:
        """SHA-256 of the resolved scenario data: two runs with equal digests ran the same inputs."""
        text = json.dumps(self.data, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


def _data_path(data: Any, loc: tuple[int | str, ...]) -> Path:
    """Pydantic's error location to a path in the file (dropping union tags it inserts)."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, dict) and str(part) in node:
            part = str(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        elif part in _UNION_TAGS or part == "[key]" or (isinstance(part, str) and part.startswith("function-")):
            continue
        else:
            node = None
        path.append(part)
    return tuple(path)


def _message(error: Any) -> str:
    kind, msg, received = error["type"], error["msg"], error.get("input")
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "value_error":
        return str(msg).removeprefix("Value error, ")
    if kind == "union_tag_invalid":
        tag = error.get("ctx", {}).get("tag", received)
        return f"kind must be one of fab_line, memory_line, stockpile, flow; got {excerpt(tag)}"
    if kind == "string_pattern_mismatch":
        return f"a name must start with a letter and hold only letters, digits, _ and -; got {excerpt(received)}"
    if kind == "union_tag_not_found":
        return "a source needs a kind: fab_line, memory_line, stockpile or flow"
    return f"{msg}; got {excerpt(received)}"


def _validate(data: dict[str, Any], positions: Positions) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        problems = [positions.problem(_data_path(data, e["loc"]), _message(e)) for e in error.errors()]
        raise ScenarioError(problems) from None


def load_scenario(ref: str | FilePath, *, allow_outside: bool = False) -> LoadedScenario:
    """Load a scenario by path or built-in name; ScenarioError lists every problem.
    ``extends`` may lead outside the scenario's folder and the working directory only if
    ``allow_outside``."""
    return _load(resolve(str(ref), allow_outside=allow_outside))


def load_scenario_text(text: str, name: str = "<upload>") -> LoadedScenario:
    """Load a scenario from ``text`` (called ``name`` in errors); its ``extends`` may name
    only a built-in scenario. ScenarioError lists every problem."""
    return load_resolved(resolve_text(text, name))


def load_overridden_text(
    text: str, overrides: Mapping[str, Any], *, name: str = "<upload>", file: str = "<overrides>"
) -> LoadedScenario:
    """:func:`load_scenario_text`, then each dotted path of ``overrides`` set to its value
    (as an overlay's ``overrides``; problems with them are named ``file``)."""
    return load_resolved(resolve_text(text, name), overrides, file=file)


def load_resolved(
    resolved: Resolved, overrides: Mapping[str, Any] | None = None, *, file: str = "<overrides>"
) -> LoadedScenario:
    """Validate a scenario already read (:func:`~stackbound.scenario.overlay.resolve_text`),
    with each dotted path of ``overrides`` set to its value first, as
    :func:`load_overridden_text` does (None: none, and no ``file`` in the chain).
    ``resolved`` is left as it was: one reading serves many loads with different changes."""
    return _load(resolved if overrides is None else override(resolved, overrides, file))


def _load(resolved: Resolved) -> LoadedScenario:
    scenario = _validate(resolved.data, resolved.positions)
    findings = check_references(scenario)
    inputs = collect_inputs(scenario)
    cop, copula_findings = copula(scenario, inputs)
    problems: list[Problem] = [resolved.positions.problem(path, msg) for path, msg in (*findings, *copula_findings)]
    if problems:
        raise ScenarioError(problems)
    warnings: tuple[str, ...] = ()
    if cop is not None and cop.repaired:
        warnings = ("the rank correlations were inconsistent and were replaced by the nearest valid matrix",)
    return LoadedScenario(scenario, resolved.data, resolved.positions, resolved.files, tuple(inputs), cop, warnings)
