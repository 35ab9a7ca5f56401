"""Safe YAML reading that remembers where every value stood.

:func:`read_yaml` returns plain Python data and a :class:`Positions` map from field paths
(tuples of keys and list indices) to ``(line, column)``, both 1-based. Only YAML's safe
tags are built; nothing in a file is ever evaluated as code. Plain scalars are resolved by
the YAML 1.2 core schema (``yes``, ``on`` and ``190:20:30`` are text; ``012`` is twelve),
no string may hold a control or format character (:mod:`stackbound.scenario.text`), and
every problem carries a line.

The file is parsed by libyaml (PyYAML's C parser, about four times faster on ``china``)
when it is installed, else by PyYAML's pure-Python parser; nodes are composed in Python
either way, so the caps on nesting and on values hold while the file is read, aliases
unexpanded. Both give the same nodes, lines and columns, except in corners (:func:`_alike`,
:meth:`_CLoader.compose_node`) where PyYAML alone reads the file; and they word syntax errors
differently, so a file libyaml refuses is read again by PyYAML, whose message is reported.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import yaml
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from stackbound.errors import Problem, ScenarioError
from stackbound.scenario.text import bad_character, excerpt

__all__ = ["Path", "Positions", "format_path", "read_yaml"]

Path = tuple[str | int, ...]
MAX_NODES = 200_000
"""Aliases can make a small file expand enormously; refuse past this many values."""
MAX_DEPTH = 64
"""Deeper nesting than this is a mistake (or an alias that contains itself)."""
MAX_KEY = 200
"""The longest key (overlay paths included)."""
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    """A YAML 1.2 integer: decimal (``012`` is twelve), ``0o17`` or ``0x1F``."""
    text = str(loader.construct_scalar(node))
    if not _INT.match(text):
        raise ValueError(f"not an integer: {text!r}")
    if text.startswith(("0o", "0x")):
        return int(text[2:], 8 if text[1] == "o" else 16)
    return int(text, 10)


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    """A YAML 1.2 float (no ``_``, no base 60)."""
    text = str(loader.construct_scalar(node))
    if not _FLOAT.match(text):
        raise ValueError(f"not a float: {text!r}")
    body = text.lstrip("+-").lower()
    if body in (".inf", ".nan"):
        return (-math.inf if text.startswith("-") else math.inf) if body == ".inf" else math.nan
    return float(text)


class _Bounded(yaml.composer.Composer, SafeConstructor):
    """Composition and construction (shared by both parsers) that refuse nesting past
    MAX_DEPTH and more than MAX_NODES values and keys, and note where each alias stood."""

    peek_event: Callable[[], Any]  # the parser's (PyYAML's or libyaml's), untyped in the stubs
    refused: ClassVar[tuple[type[Exception], ...]] = ()
    """What this parser raises for a file it cannot read that the pure-Python parser words
    for the user (none: this is that parser)."""

    def _bound(self) -> None:
        self.depth = 0
        self.composed = 0
        self.alias_marks: dict[tuple[int, int], Any] = {}

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        """Compose as usual, refusing nesting past MAX_DEPTH and noting where aliases stood."""
        event = self.peek_event()
        if self.depth >= MAX_DEPTH:
            raise _LimitError(event.start_mark, f"values nested more than {MAX_DEPTH} deep")
        self.composed += not isinstance(event, yaml.AliasEvent)  # aliases are counted as they expand
        if self.composed > MAX_NODES:
            raise _LimitError(event.start_mark, f"file holds more than {MAX_NODES} values and keys")
        self.depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self.depth -= 1
        if isinstance(event, yaml.AliasEvent) and parent is not None and event.start_mark is not None:
            self.alias_marks[(id(parent), index if isinstance(index, int) else id(index))] = event.start_mark
        assert node is not None  # compose_node returns None only at the end of a stream
        return node


class _Loader(_Bounded, yaml.SafeLoader):
    """The pure-Python safe loader with YAML 1.2 core-schema resolution and bounded nesting."""

    yaml_implicit_resolvers = {}  # noqa: RUF012 -- pyyaml keeps its resolver table here; ours starts empty

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._bound()


class _LimitError(Exception):
    """The document is nested too deeply or holds too many values (``message``) at ``mark``."""

    def __init__(self, mark: yaml.Mark, message: str) -> None:
        self.mark = mark
        self.message = message


def _configure(loader: type[_Loader]) -> None:
    """YAML 1.2 core-schema resolvers (and the safe loader's dates) and number constructors."""
    for tag, pattern, first in (
        ("tag:yaml.org,2002:null", _NULL, ["~", "n", "N", ""]),
        ("tag:yaml.org,2002:bool", _BOOL, list("tTfF")),
        ("tag:yaml.org,2002:int", _INT, list("-+0123456789")),
        ("tag:yaml.org,2002:float", _FLOAT, list("-+.0123456789")),
        ("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"]),
    ):
        loader.add_implicit_resolver(tag, pattern, first)
    for first_char, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items():
        for tag, pattern in resolvers:
            if tag == "tag:yaml.org,2002:timestamp":  # dates (2025-09-08) stay dates
                loader.add_implicit_resolver(tag, pattern, [first_char])
    loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
    loader.add_constructor("tag:yaml.org,2002:float", _construct_float)


_configure(_Loader)


class _RefusedError(Exception):
    """libyaml cannot read the file, or would read it otherwise than PyYAML: PyYAML reads it."""


_LIBYAML_REFUSED = (yaml.reader.ReaderError, yaml.scanner.ScannerError, yaml.parser.ParserError, UnicodeError)
"""What libyaml raises, in its own words, for a file it cannot read (nothing composed in
Python raises these)."""

if yaml.__with_libyaml__:
    from yaml._yaml import CParser

    class _CLoader(_Bounded, CParser, Resolver):
        """:class:`_Loader` with libyaml's scanner and parser (events in C, nodes composed
        by :class:`_Bounded` in Python: libyaml's own composer is neither capped nor
        located at aliases)."""

        yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
        yaml_constructors = _Loader.yaml_constructors
        refused = _LIBYAML_REFUSED

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            self._bound()

        def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
            """As PyYAML composes, except for an empty value in a flow collection or an empty
            document: libyaml places it at the next token, PyYAML at the indicator before it."""
            event = self.peek_event()
            empty = isinstance(event, yaml.ScalarEvent) and not event.value and not event.style
            if empty and (parent is None or getattr(parent, "flow_style", False)):
                raise _RefusedError
            return super().compose_node(parent, index)

    _FAST: type[_Bounded] | None = _CLoader
else:  # pragma: no cover -- PyYAML built without libyaml
    _FAST = None

_PYYAML_ONLY = re.compile(r"[\t\ufeff!]|(?:^|[\s\[{,])\?(?:\s|$)|[|>][-+0-9]*#", re.MULTILINE)
"""What libyaml reads otherwise than PyYAML (found by tests/test_yaml_loaders.py): a tab, a
byte-order mark, a tag, an explicit key (``?``), a block scalar's header running into a
comment."""


def _alike(text: str) -> bool:
    """Whether libyaml reads ``text`` as PyYAML does: it holds nothing of :data:`_PYYAML_ONLY`
    nor a character PyYAML refuses before parsing, and it ends a line (at the end of a last
    line left open, libyaml moves the end of the stream to the next line)."""
    if text and not text.endswith("\n"):
        return False
    return not _PYYAML_ONLY.search(text) and not yaml.reader.Reader.NON_PRINTABLE.search(text)


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
    def __init__(self, file: str, loader: _Bounded) -> None:
        self.file = file
        self.loader = loader
        self.positions = Positions()
        self.problems: list[Problem] = []
        self.count = 0
        self.aliases: list[yaml.Mark] = []
        self.mark: yaml.Mark | None = None

    def build(self, node: yaml.Node, path: Path, alias: yaml.Mark | None = None) -> Any:
        if alias is not None:
            self.aliases.append(alias)
        try:
            return self._build(node, path)
        finally:
            if alias is not None:
                self.aliases.pop()

    def _build(self, node: yaml.Node, path: Path) -> Any:
        self.count += 1
        self.mark = node.start_mark
        if self.count > MAX_NODES:
            mark = self.aliases[0] if self.aliases else node.start_mark
            message = f"file expands to more than {MAX_NODES} values (through the alias here)"
            if not self.aliases:
                message = f"file holds more than {MAX_NODES} values"
            raise ScenarioError([Problem(self.file, mark.line + 1, mark.column + 1, format_path(path[:4]), message)])
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
            marks = self.loader.alias_marks
            return [self.build(child, (*path, i), marks.get((id(node), i))) for i, child in enumerate(node.value)]
        return self._text(node, path, self._scalar(node, path), multiline=True)

    def _text(self, node: yaml.Node, path: Path, value: Any, *, multiline: bool) -> Any:
        """``value``, or None (after noting the problem) if it is text with a refused character."""
        found = bad_character(value, multiline=multiline) if isinstance(value, str) else None
        if found is None:
            return value
        what = "a key" if not multiline else "text"
        self._problem(node, path, f"{what} must not contain control or format characters; found {found}")
        return None

    def _scalar(self, node: yaml.Node, path: Path) -> Any:
        """A scalar through the safe constructor; a value its tag cannot hold is a problem."""
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as error:
            self._problem(node, path, f"YAML: {error.problem}")
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
            self._problem(node, path, f"{excerpt(node.value)} cannot be read as {node.tag!r}")
        return None

    def _key(self, node: yaml.Node, path: Path) -> str | None:
        """A mapping key as text; None (after noting the problem) if it cannot be a name."""
        if not isinstance(node, yaml.ScalarNode):
            self._problem(node, path, "a key must be a name, not a list or a mapping")
            return None
        before = len(self.problems)
        key = self._text(node, path, self._scalar(node, path), multiline=False)
        if key is not None and len(str(key)) > MAX_KEY:
            self._problem(node, path, f"a key may be at most {MAX_KEY} characters, got {len(str(key))}")
            return None
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
            alias = self.loader.alias_marks.get((id(node), id(key_node)))
            result[key] = self.build(value_node, (*path, key), alias)
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
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
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
    if _FAST is not None and _alike(text):
        try:
            return _read(text, file, _FAST)
        except _RefusedError:
            pass
    return _read(text, file, _Loader)


def _read(text: str, file: str, kind: type[_Bounded]) -> tuple[Any, Positions]:
    """:func:`read_yaml` with the parser ``kind``; _RefusedError if it is libyaml's and it refuses."""
    try:
        loader = kind(text)  # type: ignore[call-arg]
    except kind.refused:
        raise _RefusedError from None
    except yaml.reader.ReaderError as error:
        raise ScenarioError([_character_problem(text, error, file)]) from None
    builder = _Builder(file, loader)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ScenarioError([Problem(file, 1, 1, "", "the file is empty")])
        data = builder.build(node, ())
    except kind.refused:
        raise _RefusedError from None
    except yaml.MarkedYAMLError as error:
        raise ScenarioError([_syntax_problem(error, file)]) from None
    except _LimitError as error:
        raise ScenarioError([Problem(file, error.mark.line + 1, error.mark.column + 1, "", error.message)]) from None
    except RecursionError:
        raise ScenarioError([_mark_problem(file, builder.mark, "YAML: values nested too deeply")]) from None
    except yaml.YAMLError as error:
        raise ScenarioError([_mark_problem(file, builder.mark, f"YAML: {error}")]) from None
    finally:
        loader.dispose()  # type: ignore[attr-defined]
    if builder.problems:
        raise ScenarioError(builder.problems)
    return data, builder.positions


def _mark_problem(file: str, mark: yaml.Mark | None, message: str) -> Problem:
    """A problem at ``mark`` (the last value read), or at the start of the file."""
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    return Problem(file, line, column, "", message)
