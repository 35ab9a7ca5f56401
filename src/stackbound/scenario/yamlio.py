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
MAX_DEPTH = 64
"""Deeper nesting than this is a mistake (or an alias that contains itself)."""
_PLAIN_TAGS: dict[type[yaml.Node], str] = {
    yaml.MappingNode: yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    yaml.SequenceNode: yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG,
}


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
        if len(path) > MAX_DEPTH:
            mark = node.start_mark
            message = f"values nested more than {MAX_DEPTH} deep (does an alias contain itself?)"
            where = format_path(path[:4]) + "..."
            raise ScenarioError([Problem(self.file, mark.line + 1, mark.column + 1, where, message)])
        self.positions.at[path] = (self.file, node.start_mark.line + 1, node.start_mark.column + 1)
        plain = _PLAIN_TAGS.get(type(node))
        if node.tag != plain and (plain is not None or node.tag not in self.loader.yaml_constructors):
            self._problem(node, path, f"tag {node.tag!r} is not allowed: a scenario file holds plain data only")
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
        return self._scalar(node, path)

    def _scalar(self, node: yaml.Node, path: Path) -> Any:
        """A scalar through the safe constructor; a value its tag cannot hold is a problem."""
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as error:
            self._problem(node, path, f"YAML: {error.problem}")
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
            self._problem(node, path, f"{node.value!r} cannot be read as {node.tag!r}")
        return None

    def _key(self, node: yaml.Node, path: Path) -> str | None:
        """A mapping key as text; None (after noting the problem) if it cannot be a name."""
        if not isinstance(node, yaml.ScalarNode):
            self._problem(node, path, "a key must be a name, not a list or a mapping")
            return None
        before = len(self.problems)
        key = self._scalar(node, path)
        if key is None and len(self.problems) == before:
            self._problem(node, path, "a key must be a name, got nothing (null)")
        return None if key is None else str(key)

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[Any, Any]:
        explicit = sum(1 for key_node, _ in node.value if key_node.tag != "tag:yaml.org,2002:merge")
        self.loader.flatten_mapping(node)  # merged (<<) pairs first, then the explicit ones
        merged = len(node.value) - explicit
        result: dict[Any, Any] = {}
        for index, (key_node, value_node) in enumerate(node.value):
            key = self._key(key_node, path)
            if key is None:
                continue
            if key in result and index >= merged and not self._merged_key(node, key, merged):
                self._problem(key_node, (*path, key), f"duplicate key {key!r}")
                continue
            result[key] = self.build(value_node, (*path, key))
        return result

    def _merged_key(self, node: yaml.MappingNode, key: object, merged: int) -> bool:
        """Whether ``key`` came in through a merge (``<<``), which explicit keys override."""
        return any(self.loader.construct_object(k, deep=True) == key for k, _ in node.value[:merged])

    def _problem(self, node: yaml.Node, path: Path, message: str) -> None:
        mark = node.start_mark
        self.problems.append(Problem(self.file, mark.line + 1, mark.column + 1, format_path(path), message))


def _syntax_problem(error: yaml.MarkedYAMLError, file: str) -> Problem:
    """Where YAML gave up, and what it was reading (``while parsing a flow mapping ...``)."""
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    message = f"YAML syntax: {error.problem}"
    if error.context and error.context_mark is not None:
        message += f" ({error.context} at line {error.context_mark.line + 1})"
    if "'\\t'" in message:
        message += "; indent with spaces, not tabs"
    return Problem(file, line, column, "", message)


def _character_problem(text: str, error: yaml.reader.ReaderError, file: str) -> Problem:
    """A character YAML does not allow (a control character, say), located in ``text``."""
    before = text[: error.position]
    line, column = before.count("\n") + 1, error.position - (before.rfind("\n") + 1) + 1
    message = f"YAML: character U+{error.character:04X} is not allowed in a YAML file"
    return Problem(file, line, column, "", message)


def read_yaml(text: str, file: str) -> tuple[Any, Positions]:
    """Parse ``text`` (named ``file`` in errors) safely; ScenarioError on any YAML problem."""
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as error:
        raise ScenarioError([_character_problem(text, error, file)]) from None
    try:
        node = loader.get_single_node()
        if node is None:
            raise ScenarioError([Problem(file, 1, 1, "", "the file is empty")])
        builder = _Builder(file, loader)
        data = builder.build(node, ())
    except yaml.MarkedYAMLError as error:
        raise ScenarioError([_syntax_problem(error, file)]) from None
    except RecursionError:
        raise ScenarioError([Problem(file, 0, 0, "", "YAML: values nested too deeply")]) from None
    except yaml.YAMLError as error:
        raise ScenarioError([Problem(file, 0, 0, "", f"YAML: {error}")]) from None
    finally:
        loader.dispose()
    if builder.problems:
        raise ScenarioError(builder.problems)
    return data, builder.positions
