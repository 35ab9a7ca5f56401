"""The fields of a sweep file, each checked on its own before any scenario is read.

:func:`read_shape` notes every problem it finds in a :class:`SweepFile` and returns the
:class:`Shape` of what the file says; a field with a problem is left out or defaulted.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from stackbound.analysis.sweep.definition import Output
from stackbound.engine.run import DEFAULT_SAMPLES
from stackbound.errors import Problem, ScenarioError
from stackbound.scenario.text import check_label, check_text, excerpt
from stackbound.scenario.units import MULTIPLIER, parse_quantity
from stackbound.scenario.yamlio import Path, Positions

__all__ = ["DEFAULT_OUTPUTS", "DEFAULT_SEED", "KEYS", "LeverValues", "Shape", "SweepFile", "read_shape"]

KEYS = ("stackbound_sweep", "name", "description", "scenario", "overlays", "levers", "samples", "seed", "outputs")
DEFAULT_SEED = 0
"""The seed of a sweep that gives none: every command's default, so a sweep file reruns alike."""
DEFAULT_OUTPUTS: tuple[Output, ...] = (("units", "total"), ("compute_added_h100e", "total"))


class SweepFile:
    """The sweep file being read: where each field stood, and every problem found so far."""

    def __init__(self, positions: Positions) -> None:
        self.positions = positions
        self.problems: list[Problem] = []

    def problem(self, path: Path, message: str) -> None:
        self.problems.append(self.positions.problem(path, message))

    def check(self) -> None:
        """Raise every problem noted so far, if any, as one ScenarioError."""
        if self.problems:
            raise ScenarioError(self.problems)


@dataclass(frozen=True)
class LeverValues:
    """The lever values a file gives: a ``grid`` (lever → values) or ``listed`` points
    (values, where each was written), and where each lever was first named."""

    grid: Mapping[str, list[float]] = field(default_factory=dict)
    listed: list[tuple[dict[str, float], Path]] = field(default_factory=list)
    paths: Mapping[str, Path] = field(default_factory=dict)

    def count(self) -> int:
        """How many lever points there are (0 without levers), without making them."""
        return math.prod(len(v) for v in self.grid.values()) if self.grid else len(self.listed)

    def points(self) -> list[tuple[dict[str, float], Path]]:
        """Every lever point: the grid's combinations (its last lever varying fastest) or the list."""
        if not self.grid:
            return list(self.listed)
        combos = itertools.product(*self.grid.values())
        return [(dict(zip(self.grid, combo, strict=True)), ("levers", "grid")) for combo in combos]


@dataclass(frozen=True)
class Shape:
    """What the file says, each part checked on its own."""

    scenario: str
    overlays: list[str]
    levers: LeverValues
    outputs: list[tuple[Output, Path]]
    years: list[tuple[int, Path]]
    samples: int
    seed: int
    name: str
    description: str


def read_shape(checked: SweepFile, data: Any) -> Shape:
    """The fields of the parsed file ``data``; each problem is noted in ``checked``."""
    if not isinstance(data, dict):
        checked.problem((), f"a sweep file must be a mapping of keys, got {type(data).__name__}")
        data = {}
    for key in data:
        if key not in KEYS:
            checked.problem((key,), f"unknown field; a sweep has {', '.join(KEYS)}")
    version = data.get("stackbound_sweep")
    if type(version) is not int or version != 1:
        checked.problem(("stackbound_sweep",), f"sweep format version must be 1, got {excerpt(version)}")
    scenario = data.get("scenario")
    if not isinstance(scenario, str) or not scenario:
        checked.problem(("scenario",), f"scenario must name a scenario file or a built-in, got {excerpt(scenario)}")
    overlays = _names(checked, data.get("overlays", []), ("overlays",), "scenario", empty=True)
    levers = _levers(checked, data.get("levers"))
    if not overlays and "levers" not in data:
        checked.problem(("levers",), "a sweep needs levers (a grid or a list of points) or overlays")
    outputs, years = _outputs(checked, data.get("outputs", {}))
    return Shape(
        scenario if isinstance(scenario, str) else "",
        overlays,
        levers,
        outputs,
        years,
        _whole(checked, data, "samples", 1, DEFAULT_SAMPLES),
        _whole(checked, data, "seed", 0, DEFAULT_SEED),
        _text(checked, data, "name", check_label),
        _text(checked, data, "description", check_text),
    )


def _whole(checked: SweepFile, data: dict[str, Any], key: str, low: int, default: int) -> int:
    raw = data.get(key, default)
    if type(raw) is not int or raw < low:
        checked.problem((key,), f"must be a whole number >= {low}, got {excerpt(raw)}")
        return default
    return raw


def _text(checked: SweepFile, data: dict[str, Any], key: str, rule: Callable[[str], str]) -> str:
    raw = data.get(key, "")
    try:
        if not isinstance(raw, str):
            raise ValueError(f"{key} must be text, got {excerpt(raw)}")
        return str(rule(raw))
    except ValueError as error:
        checked.problem((key,), str(error))
        return ""


def _names(checked: SweepFile, raw: Any, path: Path, what: str, *, empty: bool = False) -> list[str]:
    """A list of names (``what`` says of what), each once; noted problems leave it out."""
    if not isinstance(raw, list) or (not raw and not empty):
        checked.problem(path, f"expected a non-empty list of {what} names, got {excerpt(raw)}")
        return []
    found: list[str] = []
    for i, item in enumerate(raw):
        if not isinstance(item, str) or not item:
            checked.problem((*path, i), f"expected a {what} name, got {excerpt(item)}")
        elif item in found:
            checked.problem((*path, i), f"{what} {item!r} is listed twice")
        else:
            found.append(item)
    return found


def _multiplier(checked: SweepFile, raw: Any, path: Path) -> float | None:
    try:
        return parse_quantity(raw, MULTIPLIER)
    except ValueError as error:
        hint = "; a sweep sets a lever to one number (write an overlay for a curve or a distribution)"
        checked.problem(path, f"{error}{hint if isinstance(raw, dict | list) else ''}")
        return None


def _levers(checked: SweepFile, raw: Any) -> LeverValues:
    if raw is None:
        return LeverValues()
    if not isinstance(raw, dict) or len(raw) != 1 or next(iter(raw)) not in ("grid", "list"):
        both = isinstance(raw, dict) and {"grid", "list"} <= set(raw)
        checked.problem(
            ("levers",), "give a grid or a list, not both" if both else f"expected grid or list, got {excerpt(raw)}"
        )
        return LeverValues()
    return _grid(checked, raw["grid"]) if "grid" in raw else _list(checked, raw["list"])


def _grid(checked: SweepFile, raw: Any) -> LeverValues:
    if not isinstance(raw, dict) or not raw:
        checked.problem(("levers", "grid"), f"a grid maps each lever to a list of its values, got {excerpt(raw)}")
        return LeverValues()
    grid: dict[str, list[float]] = {}
    for lever, listed in raw.items():
        path: Path = ("levers", "grid", lever)
        if not isinstance(listed, list) or not listed:
            checked.problem(path, f"expected a non-empty list of values, got {excerpt(listed)}")
            continue
        grid[lever] = []
        for i, item in enumerate(listed):
            value = _multiplier(checked, item, (*path, i))
            if value is not None and value in grid[lever]:
                checked.problem((*path, i), f"value {value:g} is listed twice")
            elif value is not None:
                grid[lever].append(value)
    return LeverValues(grid=grid, paths={lever: ("levers", "grid", lever) for lever in raw})


def _list(checked: SweepFile, raw: Any) -> LeverValues:
    if not isinstance(raw, list) or not raw:
        checked.problem(("levers", "list"), f"expected a non-empty list of points (lever: value), got {excerpt(raw)}")
        return LeverValues()
    listed: list[tuple[dict[str, float], Path]] = []
    paths: dict[str, Path] = {}
    for i, entry in enumerate(raw):
        path: Path = ("levers", "list", i)
        if not isinstance(entry, dict) or not entry:
            checked.problem(path, f"a point maps levers to values, got {excerpt(entry)}")
            continue
        values = {lever: _multiplier(checked, v, (*path, lever)) for lever, v in entry.items()}
        for lever in entry:
            paths.setdefault(lever, (*path, lever))
        point = {lever: v for lever, v in values.items() if v is not None}
        twin = next((j for j, (other, _) in enumerate(listed) if other == point), None)
        if twin is not None and len(point) == len(values):
            checked.problem(path, f"this point repeats the one at levers.list[{listed[twin][1][-1]}]")
        listed.append((point, path))
    return LeverValues(listed=listed, paths=paths)


def _outputs(checked: SweepFile, raw: Any) -> tuple[list[tuple[Output, Path]], list[tuple[int, Path]]]:
    """The (metric, group) pairs asked for and the years, each with where it was written."""
    if not isinstance(raw, dict):
        checked.problem(("outputs",), f"outputs must hold metrics and years, got {excerpt(raw)}")
        return [], []
    for key in raw:
        if key not in ("metrics", "years"):
            checked.problem(("outputs", key), "unknown field; outputs has metrics and years")
    metrics = raw.get("metrics")
    outputs: list[tuple[Output, Path]] = [(o, ("outputs",)) for o in DEFAULT_OUTPUTS] if metrics is None else []
    if metrics is not None and (not isinstance(metrics, dict) or not metrics):
        checked.problem(("outputs", "metrics"), f"metrics maps each metric to its groups, got {excerpt(metrics)}")
    elif metrics is not None:
        for metric, groups in metrics.items():
            path: Path = ("outputs", "metrics", metric)
            outputs += [((metric, g), path) for g in _names(checked, groups, path, "group")]
    years = raw.get("years", [])
    if not isinstance(years, list):
        checked.problem(("outputs", "years"), f"years must be a list of years, got {excerpt(years)}")
        return outputs, []
    found: list[tuple[int, Path]] = []
    for i, year in enumerate(years):
        if type(year) is not int:
            checked.problem(("outputs", "years", i), f"expected a year (a whole number), got {excerpt(year)}")
        elif year in (y for y, _ in found):
            checked.problem(("outputs", "years", i), f"year {year} is listed twice")
        else:
            found.append((year, ("outputs", "years", i)))
    return outputs, found
