"""Overlays: a scenario that ``extends`` another and says only what it changes.

An overlay file has ``extends`` (a built-in name or a path relative to the overlay) and any
of ``overrides`` (path -> new value; the path must exist), ``add`` (path -> value; the
path must not exist, its parent must) and ``remove`` (paths that must exist). Paths are
dotted: ``sources.smic.wafer_starts``, ``initial.installed_base.0.units``.

A path in ``extends`` must lie (after following symbolic links) in the top scenario's
folder, the working directory or the built-in folder, unless ``allow_outside``; the file
it names must declare ``stackbound: 1``, or nothing of it is shown back. Text without a
file (:func:`resolve_text`, an upload) may extend built-in scenarios only.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Any

from stackbound.errors import Problem, ScenarioError
from stackbound.scenario.files import check_text_size, read_text
from stackbound.scenario.text import bad_character, excerpt
from stackbound.scenario.yamlio import Path, Positions, read_yaml

__all__ = [
    "OVERLAY_KEYS",
    "Resolved",
    "builtin_dir",
    "builtin_names",
    "builtin_story",
    "locate",
    "overlays_of",
    "override",
    "resolve",
    "resolve_text",
]

OVERLAY_KEYS = frozenset({"stackbound", "extends", "name", "description", "notes", "overrides", "add", "remove"})
MAX_DEPTH = 20
MAX_SHOWN_PATH = 200


def builtin_dir() -> FilePath:
    """Where the built-in scenarios are shipped."""
    return FilePath(__file__).parent / "builtin"


def builtin_names() -> list[str]:
    return sorted(p.stem for p in builtin_dir().glob("*.yaml"))


def builtin_story(name: str) -> tuple[str | None, str]:
    """A built-in scenario's base (what it ``extends``, None for a base) and its story: the
    first sentence of its ``description``."""
    data, _ = read_yaml(read_text(builtin_dir() / f"{name}.yaml", name), name)
    if not isinstance(data, dict):
        return None, ""
    parent = data.get("extends")
    first = " ".join(str(data.get("description", "")).split()).split(". ")[0].rstrip(".")
    return (parent if isinstance(parent, str) else None), (first + "." if first else "")


def overlays_of(base: str) -> list[str]:
    """Built-in scenarios that extend ``base`` (directly or through another overlay)."""
    parents: dict[str, str | None] = {}
    for name in builtin_names():
        try:
            data, _ = read_yaml(read_text(builtin_dir() / f"{name}.yaml", name), name)
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
    """A scenario reference to (file, display name): an existing path, else a built-in name.
    A path that exists but is not a regular file (a folder, a FIFO) is returned as it is,
    for the reader to say what it is, unless a built-in has that name."""
    candidate = FilePath(ref) if relative_to is None else relative_to / ref
    display = _shown(str(ref) if relative_to is None else str(candidate))
    builtin = _builtin(ref)
    if _is_file(candidate) or (builtin is None and _present(candidate)):
        return candidate, display
    if builtin is not None:
        return builtin, f"{ref} (built-in)"
    known = ", ".join(builtin_names())
    raise ScenarioError(
        [Problem(_shown(ref), 0, 0, "", f"no such scenario file or built-in scenario (built-in: {known})")]
    )


def _shown(path: str) -> str:
    """A path as errors show it: as it is, or escaped and cut if long or unprintable."""
    return path if len(path) <= MAX_SHOWN_PATH and bad_character(path, multiline=False) is None else excerpt(path, 80)


def _builtin(ref: str) -> FilePath | None:
    """The built-in scenario called ``ref``, if there is one."""
    return builtin_dir() / f"{ref}.yaml" if ref in builtin_names() else None


def _is_file(path: FilePath) -> bool:
    """Whether ``path`` is a regular file; a name the OS rejects (too long, say) is not."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _present(path: FilePath) -> bool:
    """Whether anything (a folder, a FIFO, a broken link) is at ``path``."""
    try:
        return path.exists() or path.is_symlink()
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


@dataclass(frozen=True)
class _Access:
    """Where ``extends`` may lead: ``roots`` are the folders a path may lie in (None:
    anywhere), and ``files`` is False when only built-in names may be extended."""

    roots: tuple[FilePath, ...] | None
    files: bool = True


def resolve(ref: str, *, allow_outside: bool = False) -> Resolved:
    """Read ``ref`` and every scenario it extends; ScenarioError on cycles and bad overlays.
    ``extends`` paths outside the scenario's folder, the working directory and the
    built-in folder are refused unless ``allow_outside``."""
    path, display = locate(ref)
    roots = None if allow_outside else (_real(path).parent, _real(FilePath.cwd()), _real(builtin_dir()))
    return _resolve_file(path, display, (), _Access(roots))


def override(base: Resolved, overrides: Mapping[str, Any], file: str) -> Resolved:
    """``base`` with each dotted path of ``overrides`` set to its value, as an overlay's
    ``overrides`` section sets it (every path must exist); a problem names ``file`` and
    ``overrides.<path>``. The seam for changes given as data, not text (an HTTP request)."""
    where = Positions({("overrides", key): (file, 0, 0) for key in overrides})
    return _apply(base, {"overrides": dict(overrides)}, where, file)


def resolve_text(text: str, name: str) -> Resolved:
    """Read a scenario given as text (named ``name`` in errors), which may extend only
    built-in scenarios."""
    check_text_size(text, name)
    data, positions = read_yaml(text, name)
    return _resolve_data(data, positions, name, None, (), _Access((), files=False))


def _real(path: FilePath) -> FilePath:
    """``path`` with every symbolic link followed (as far as it exists)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):
        return path.absolute()


def _resolve_file(path: FilePath, display: str, chain: tuple[FilePath, ...], access: _Access) -> Resolved:
    key = _real(path)
    if key in chain:
        names = " -> ".join(p.name for p in (*chain, key))
        raise ScenarioError([Problem(display, 0, 0, "extends", f"overlays form a cycle: {names}")])
    if len(chain) >= MAX_DEPTH:
        raise ScenarioError([Problem(display, 0, 0, "extends", f"more than {MAX_DEPTH} overlays deep")])
    text = read_text(path, display)
    try:
        data, positions = read_yaml(text, display)
    except ScenarioError:
        if chain and not _DECLARED.search(text):
            raise _not_a_scenario(display) from None
        raise
    if chain and not (isinstance(data, dict) and _is_version(data.get("stackbound"))):
        raise _not_a_scenario(display)
    return _resolve_data(data, positions, display, path.parent, (*chain, key), access)


_DECLARED = re.compile(r"^stackbound\s*:\s*1\s*(#.*)?$", re.MULTILINE)


def _is_version(value: object) -> bool:
    return type(value) is int and value == 1


def _not_a_scenario(display: str) -> ScenarioError:
    """A base that is not a scenario: say so without showing anything it holds."""
    message = f"{display} is not a stackbound scenario (it has no top-level stackbound: 1)"
    return ScenarioError([Problem(display, 0, 0, "", message)])


def _resolve_data(
    data: Any, positions: Positions, display: str, folder: FilePath | None, chain: tuple[FilePath, ...], access: _Access
) -> Resolved:
    if not isinstance(data, dict):
        raise ScenarioError([positions.problem((), f"a scenario must be a mapping of keys, got {type(data).__name__}")])
    if "extends" not in data:
        return Resolved(data, positions, (display,))
    if not _is_version(data.get("stackbound")):
        shown = excerpt(data.get("stackbound"))
        raise ScenarioError([positions.problem(("stackbound",), f"format version must be 1, got {shown}")])
    unknown = sorted(set(map(str, data)) - OVERLAY_KEYS)
    if unknown:
        problems = [
            positions.problem((k,), "an overlay changes its base only through overrides, add or remove")
            for k in unknown
        ]
        raise ScenarioError(problems)
    base_ref = data["extends"]
    if not isinstance(base_ref, str) or not base_ref:
        shown = excerpt(base_ref)
        raise ScenarioError([positions.problem(("extends",), f"extends must name a scenario, got {shown}")])
    try:
        base = _resolve_base(base_ref, folder, chain, access)
    except ScenarioError as error:
        if all(p.line == 0 for p in error.problems):  # about the base file as a whole
            raise ScenarioError([positions.problem(("extends",), _about(p, display)) for p in error.problems]) from None
        raise
    return _apply(base, data, positions, display)


def _about(problem: Problem, display: str) -> str:
    """A problem of a base file as a whole, said at the overlay's ``extends``."""
    if problem.file in (display, "<extends>") or problem.file in problem.message:
        return problem.message
    return f"{problem.file}: {problem.message}"


def _resolve_base(ref: str, folder: FilePath | None, chain: tuple[FilePath, ...], access: _Access) -> Resolved:
    """The scenario an overlay extends: a file beside it (where ``access`` allows), else a
    built-in."""
    if not access.files or folder is None:
        builtin = _builtin(ref)
        if builtin is None:
            known = ", ".join(builtin_names())
            message = f"a scenario without a file may extend only a built-in scenario ({known}), not {excerpt(ref)}"
            raise ScenarioError([Problem("<extends>", 0, 0, "", message)])
        return _resolve_file(builtin, f"{ref} (built-in)", chain, access)
    path, display = locate(ref, folder)
    if access.roots is not None and not any(_real(path).is_relative_to(root) for root in access.roots):
        message = (
            f"{excerpt(ref, 80)} lies outside the scenario's folder and the working directory;"
            " pass --allow-outside to read it"
        )
        raise ScenarioError([Problem(display, 0, 0, "", message)])
    return _resolve_file(path, display, chain, access)
