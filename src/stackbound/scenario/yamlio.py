"""Safe YAML reading that remembers where every value stood.

:func:`read_yaml` returns plain Python data and a :class:`Positions` map from field paths
(tuples of keys and list indices) to ``(line, column)``, both 1-based. Only YAML's safe
tags are built; nothing in a file is ever evaluated as code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from stackbound.errors import Problem, ScenarioError

__all__ = ["Path", "Positions", "format_path", "read_yaml"]

Path = tuple[str | int, ...]
MAX_NODES = 200_000
"""Aliases can make a small file expand enormously; refuse past this many values."""


def format_path(path: Path) -> str:
    """``("sources", "smic", "dies", 0)`` to ``sources.smic.dies[0]``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


@dataclass
class Positions:
    """Where each path of one or more files stood: ``path -> (file, line, column)``."""

    at: dict[Path, tuple[str, int, int]] = field(default_factory=dict)

    def locate(self, path: Path) -> tuple[str, int, int]:
        """The position of ``path``, or of its nearest ancestor that has one."""
        for cut in range(len(path), -1, -1):
            found = self.at.get(path[:cut])
            if found is not None:
                return found
        return ("<scenario>", 0, 0)

    def problem(self, path: Path, message: str) -> Problem:
        file, line, column = self.locate(path)
        return Problem(file, line, column, format_path(path), message)

    def graft(self, path: Path, other: Positions) -> None:
        """Take ``other``'s positions for ``path`` and everything below it."""
        for key in [k for k in self.at if k[: len(path)] == path]:
            del self.at[key]
        self.at.update({k: v for k, v in other.at.items() if k[: len(path)] == path})


class _Builder:
    def __init__(self, file: str, loader: yaml.SafeLoader) -> None:
        self.file = file
        self.loader = loader
        self.positions = Positions()
        self.problems: list[Problem] = []
        self.count = 0

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise ScenarioError([Problem(self.file, 0, 0, "", f"file expands to more than {MAX_NODES} values")])
        self.positions.at[path] = (self.file, node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
        return self.loader.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[Any, Any]:
        self.loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.loader.construct_object(key_node, deep=True)
            if isinstance(key, list | dict) or key is None:
                self._problem(key_node, path, f"a key must be a name, got {key!r}")
                continue
            key = str(key) if not isinstance(key, str) else key
            if key in result:
                self._problem(key_node, (*path, key), f"duplicate key {key!r}")
                continue
            result[key] = self.build(value_node, (*path, key))
        return result

    def _problem(self, node: yaml.Node, path: Path, message: str) -> None:
        mark = node.start_mark
        self.problems.append(Problem(self.file, mark.line + 1, mark.column + 1, format_path(path), message))


def read_yaml(text: str, file: str) -> tuple[Any, Positions]:
    """Parse ``text`` (named ``file`` in errors) safely; ScenarioError on any YAML problem."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ScenarioError([Problem(file, 1, 1, "", "the file is empty")])
        builder = _Builder(file, loader)
        data = builder.build(node, ())
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        raise ScenarioError([Problem(file, line, column, "", f"YAML syntax: {error.problem}")]) from None
    except yaml.YAMLError as error:
        raise ScenarioError([Problem(file, 0, 0, "", f"YAML: {error}")]) from None
    finally:
        loader.dispose()
    if builder.problems:
        raise ScenarioError(builder.problems)
    return data, builder.positions
