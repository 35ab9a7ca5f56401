"""Overlays: a scenario that ``extends`` another and says only what it changes.

An overlay file has ``extends`` (a built-in name or a path relative to the overlay) and any
of ``overrides`` (path -> new value; the path must exist), ``add`` (path -> value; the
path must not exist, its parent must) and ``remove`` (paths that must exist). Paths are
dotted: ``sources.smic.wafer_starts``, ``initial.installed_base.0.units``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Any

from stackbound.errors import Problem, ScenarioError
from stackbound.scenario.yamlio import Path, Positions, read_yaml

__all__ = ["OVERLAY_KEYS", "Resolved", "builtin_dir", "builtin_names", "locate", "overlays_of", "resolve"]

OVERLAY_KEYS = frozenset({"stackbound", "extends", "name", "description", "notes", "overrides", "add", "remove"})
MAX_DEPTH = 20


def builtin_dir() -> FilePath:
    """Where the built-in scenarios are shipped."""
    return FilePath(__file__).parent / "builtin"


def builtin_names() -> list[str]:
    return sorted(p.stem for p in builtin_dir().glob("*.yaml"))


def overlays_of(base: str) -> list[str]:
    """Built-in scenarios that extend ``base`` (directly or through another overlay)."""
    parents: dict[str, str | None] = {}
    for name in builtin_names():
        try:
            data, _ = read_yaml((builtin_dir() / f"{name}.yaml").read_text(encoding="utf-8"), name)
        except ScenarioError:
            continue
        parent = data.get("extends") if isinstance(data, dict) else None
        parents[name] = parent if isinstance(parent, str) else None

    def descends(name: str) -> bool:
        seen: set[str] = set()
        while (parent := parents.get(name)) is not None and name not in seen:
            seen.add(name)
            if parent == base:
                return True
            name = parent
        return False

    return [name for name in parents if name != base and descends(name)]


@dataclass(frozen=True)
class Resolved:
    """A scenario's raw data after all overlays, where each value came from, and the chain
    of files read (base first)."""

    data: dict[str, Any]
    positions: Positions
    files: tuple[str, ...]


def locate(ref: str, relative_to: FilePath | None = None) -> tuple[FilePath, str]:
    """A scenario reference to (file, display name): an existing path, else a built-in name."""
    candidate = FilePath(ref) if relative_to is None else relative_to / ref
    if _is_file(candidate):
        return candidate, str(ref) if relative_to is None else str(candidate)
    builtin = builtin_dir() / f"{ref}.yaml"
    if "/" not in ref and _is_file(builtin):
        return builtin, f"{ref} (built-in)"
    known = ", ".join(builtin_names())
    raise ScenarioError(
        [Problem(str(ref), 0, 0, "", f"no such scenario file or built-in scenario (built-in: {known})")]
    )


def _is_file(path: FilePath) -> bool:
    """Whether ``path`` is a readable file; a name the OS rejects (too long, say) is not."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _split(dotted: str) -> list[str | int]:
    return [int(part) if part.isdigit() else part for part in dotted.split(".")]


def _walk(data: Any, parts: list[str | int]) -> tuple[Any, str | int] | None:
    """The container holding the last part, or None if the parent path does not exist."""
    node = data
    for part in parts[:-1]:
        if _exists(node, part):
            node = node[part]
        else:
            return None
    return node, parts[-1]


def _exists(container: Any, key: str | int) -> bool:
    if isinstance(container, dict):
        return key in container
    return isinstance(container, list) and isinstance(key, int) and key < len(container)


def _apply(base: Resolved, overlay: dict[str, Any], positions: Positions, file: str) -> Resolved:
    data = copy.deepcopy(base.data)
    merged = Positions(dict(base.positions.at))
    problems: list[Problem] = []
    for section in ("overrides", "add", "remove"):
        entries = overlay.get(section) or ({} if section != "remove" else [])
        if section == "remove":
            if not isinstance(entries, list):
                problems.append(positions.problem((section,), "remove must be a list of paths"))
                continue
            pairs = [(str(p), None, (section, i)) for i, p in enumerate(entries)]
        else:
            if not isinstance(entries, dict):
                problems.append(positions.problem((section,), f"{section} must map paths to values"))
                continue
            pairs = [(str(k), v, (section, k)) for k, v in entries.items()]
        for dotted, value, where in pairs:
            problem = _change(data, merged, section, dotted, value, where, positions)
            if problem:
                problems.append(positions.problem(where, problem))
    if problems:
        raise ScenarioError(problems)
    for key in ("name", "description", "notes"):
        if key in overlay:
            data[key] = overlay[key]
            merged.graft((key,), positions)
    return Resolved(data, merged, (*base.files, file))


def _change(
    data: dict[str, Any], merged: Positions, section: str, dotted: str, value: Any, where: Path, positions: Positions
) -> str | None:
    parts = _split(dotted)
    found = _walk(data, parts)
    if found is None:
        return f"path {dotted!r} does not exist in the base scenario"
    container, key = found
    exists = _exists(container, key)
    if section in ("overrides", "remove") and not exists:
        return f"path {dotted!r} does not exist in the base scenario (use add: for something new)"
    if section == "add" and exists:
        return f"path {dotted!r} already exists in the base scenario (use overrides: to change it)"
    if section == "add" and not isinstance(container, dict):
        return f"cannot add {dotted!r}: its parent is not a mapping"
    target = tuple(parts)
    if section == "remove":
        del container[key]
        merged.graft(target, Positions())
        return None
    container[key] = value
    moved = Positions({(*target, *k[len(where) :]): v for k, v in positions.at.items() if k[: len(where)] == where})
    merged.graft(target, moved)
    return None


def resolve(ref: str, relative_to: FilePath | None = None, chain: tuple[FilePath, ...] = ()) -> Resolved:
    """Read ``ref`` and every scenario it extends; ScenarioError on cycles and bad overlays."""
    path, display = locate(ref, relative_to)
    key = path.resolve()
    if key in chain:
        names = " -> ".join(p.name for p in (*chain, key))
        raise ScenarioError([Problem(display, 0, 0, "extends", f"overlays form a cycle: {names}")])
    if len(chain) >= MAX_DEPTH:
        raise ScenarioError([Problem(display, 0, 0, "extends", f"more than {MAX_DEPTH} overlays deep")])
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError([Problem(display, 0, 0, "", f"cannot read the file: {error}")]) from None
    data, positions = read_yaml(text, display)
    if not isinstance(data, dict):
        raise ScenarioError([positions.problem((), f"a scenario must be a mapping of keys, got {type(data).__name__}")])
    if "extends" not in data:
        return Resolved(data, positions, (display,))
    if data.get("stackbound") != 1:
        raise ScenarioError(
            [positions.problem(("stackbound",), f"format version must be 1, got {data.get('stackbound')!r}")]
        )
    unknown = sorted(set(map(str, data)) - OVERLAY_KEYS)
    if unknown:
        problems = [
            positions.problem((k,), "an overlay changes its base only through overrides, add or remove")
            for k in unknown
        ]
        raise ScenarioError(problems)
    base_ref = data["extends"]
    if not isinstance(base_ref, str) or not base_ref:
        raise ScenarioError([positions.problem(("extends",), f"extends must name a scenario, got {base_ref!r}")])
    try:
        base = resolve(base_ref, path.parent, (*chain, key))
    except ScenarioError as error:
        if any(p.file != display for p in error.problems) and all(p.line == 0 for p in error.problems):
            raise ScenarioError([positions.problem(("extends",), p.message) for p in error.problems]) from None
        raise
    return _apply(base, data, positions, display)
