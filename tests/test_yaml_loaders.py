"""libyaml and PyYAML's pure-Python parser read scenario files alike
(stackbound.scenario.yamlio): the same data, the same positions, the same problems in the
same words, and the caps on values and nesting hold on the libyaml path too."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackbound.errors import Problem, ScenarioError
from stackbound.scenario import files, yamlio
from stackbound.scenario.overlay import builtin_dir

pytestmark = pytest.mark.skipif(yamlio._FAST is None, reason="PyYAML is built without libyaml")

TESTS = Path(__file__).parent
FILES = sorted(
    [*(TESTS / "bad_scenarios").glob("*.yaml"), *(TESTS / "fixtures").glob("*.yaml"), *builtin_dir().rglob("*.yaml")]
)
BUILTINS = sorted(builtin_dir().rglob("*.yaml"))

Outcome = tuple[str, Any]
"""``("data", (repr of the data, positions))`` or ``("problems", [Problem, ...])``."""


def outcome(read: Any, text: str, file: str) -> Outcome:
    try:
        data, positions = read(text, file)
    except ScenarioError as error:
        return ("problems", error.problems)
    return ("data", (repr(data), positions.at))  # repr: NaN equals itself, 1 differs from True


def pure(text: str, file: str = "s.yaml") -> Outcome:
    return outcome(lambda t, f: yamlio._read(t, f, yamlio._Loader), text, file)


def libyaml(text: str, file: str = "s.yaml") -> Outcome:
    """Through libyaml only: _RefusedError (no fallback) if libyaml cannot read it."""
    assert yamlio._FAST is not None
    return outcome(lambda t, f: yamlio._read(t, f, yamlio._FAST), text, file)


def chosen(text: str, file: str = "s.yaml") -> Outcome:
    return outcome(yamlio.read_yaml, text, file)


def text_of(path: Path) -> str:
    """The file's text as the loader decodes it (a file it cannot decode never reaches YAML)."""
    try:
        return files.decode(path.read_bytes(), path.name)
    except ScenarioError:
        pytest.skip("refused before YAML is parsed")


def the_problem(found: Outcome) -> Problem:
    kind, problems = found
    assert kind == "problems", found
    (problem,) = problems
    assert isinstance(problem, Problem)
    return problem


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(p.parent.parent)))
def test_both_parsers_give_the_same_data_positions_and_problems(path: Path) -> None:
    text = text_of(path)
    name = str(path)
    assert chosen(text, name) == pure(text, name)


@pytest.mark.parametrize("path", BUILTINS, ids=lambda p: p.name)
def test_the_built_in_files_are_read_by_libyaml(path: Path) -> None:
    """Without falling back: libyaml's reading alone equals the pure-Python one."""
    text = text_of(path)
    assert yamlio._alike(text)
    assert libyaml(text, path.name) == pure(text, path.name)


EDGES = {
    "crlf": "a: 1\r\nb:\r\n  - x\r\n  - {c: 2}\r\n",
    "cr": "a: 1\rb: [1, 2]\r",
    "unicode breaks": "a: x\x85b: y\u2028c: z\u2029d: w\n",
    "bom": "\ufeffa: 1\nb: 2\n",
    "wide characters": "naam: 'Chine – à la 华为'\nb: {c: 😀, d: [é, 1]}\n",
    "block scalars": "a: |\n  one\n  two\nb: >-\n  three\n  four\nc: 1\n",
    "anchors and merges": "a: &a {x: 1, y: 2}\nb:\n  <<: *a\n  y: 3\nc: [*a, *a]\n",
    "duplicate key": "a: 1\nb: 2\na: 3\n",
    "tag": "a: !!python/object:os.system x\n",
    "explicit int": "a: !!int 12\nb: !!float '1.5'\nc: !!str 1\n",
    "core schema": "a: yes\nb: 012\nc: 0x1F\nd: .inf\ne: ~\nf: 190:20:30\ng: 2025-09-08\n",
    "empty": "",
    "comment only": "# nothing\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "undefined alias": "a: *nowhere\n",
    "tab": "a:\n\tb: 1\n",
    "bad indentation": "a:\n  b: 1\n c: 2\n",
    "unclosed flow": "a: [1, 2\nb: 3\n",
    "colon in flow": "a: {b: c: d}\n",
    "control character": "a: 'x\x07y'\n",
    "escaped control": 'a: "x\\ay"\n',
    "lone surrogate": "a: '\ud800'\n",
    "long key": "k" * 201 + ": 1\n",
    "complex key": "? [a, b]\n: 1\n",
    "null key": "~: 1\n",
}


@pytest.mark.parametrize("text", EDGES.values(), ids=EDGES.keys())
def test_edge_cases_read_alike(text: str) -> None:
    assert chosen(text) == pure(text)


BOMB = "\n".join(
    [
        "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]",
        *(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]" for name, prev in zip("bcde", "abcd", strict=True)),
        "f: [" + ", ".join(["*e"] * 10) + "]",
    ]
)


def test_an_alias_bomb_is_refused_quickly_on_the_libyaml_path() -> None:
    started = time.monotonic()
    problem = the_problem(libyaml(BOMB + "\n", "bomb.yaml"))
    assert time.monotonic() - started < 10
    assert (problem.line, problem.column) == (6, 5)
    assert f"more than {yamlio.MAX_NODES} values" in problem.message
    assert libyaml(BOMB + "\n") == pure(BOMB + "\n")


def test_a_self_containing_alias_is_refused_on_the_libyaml_path() -> None:
    text = "a: &a [1, *a]\n"
    assert "does an alias contain itself?" in the_problem(libyaml(text)).message
    assert libyaml(text) == pure(text)


def test_deep_nesting_stops_at_the_cap_on_the_libyaml_path() -> None:
    """Composed in Python: the cap (64) is met before libyaml's own (1000 levels)."""
    text = "a: 1\nb: " + "[" * 500 + "]" * 500 + "\n"
    problem = the_problem(libyaml(text, "deep.yaml"))
    assert (problem.line, problem.column) == (2, 4 + yamlio.MAX_DEPTH - 1)
    assert f"nested more than {yamlio.MAX_DEPTH} deep" in problem.message


def test_nesting_past_libyamls_own_cap_is_worded_as_ours() -> None:
    """libyaml's scanner meets its cap (1000) first, looking ahead: read again in Python."""
    text = "a: 1\nb: " + "[" * 5000 + "]" * 5000 + "\n"
    with pytest.raises(yamlio._RefusedError):
        libyaml(text)
    problem = the_problem(chosen(text))
    assert f"nested more than {yamlio.MAX_DEPTH} deep" in problem.message
    assert problem == the_problem(pure(text))


def test_a_huge_document_stops_while_libyaml_reads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlio, "MAX_NODES", 50)
    text = "a: 1\nb: {" + ", ".join(f"k{i}: {i}" for i in range(100)) + "}\n"
    problem = the_problem(libyaml(text, "huge.yaml"))
    assert (problem.line, problem.message) == (2, "file holds more than 50 values and keys")


def test_a_syntax_error_is_worded_by_the_pure_python_parser() -> None:
    text = "a: [1, 2\nb: 3\n"
    with pytest.raises(yamlio._RefusedError):
        libyaml(text)
    problem = the_problem(chosen(text))
    assert problem == the_problem(pure(text))
    assert problem.message.startswith("YAML syntax: ")


PIECES = [*"ab1 :-,[]{}&*|>'\"#\n.~<%@`\\\r", "\r\n", "  ", "é", "- ", ": ", "&x ", "*x", "<<: ", "---\n", "...\n"]
PIECES += ["%YAML 1.2\n", "\x85", '"\\x41"', "'it''s'"]
YAMLISH = st.lists(st.sampled_from(PIECES), max_size=60).map(lambda pieces: "".join(pieces) + "\n")
"""Text made of YAML's punctuation, so that random files reach the parsers' corners (most of
it read by libyaml: no tab, tag, explicit key or byte-order mark, and a last line ended)."""


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=YAMLISH)
def test_yaml_punctuation_reads_alike(text: str) -> None:
    assert chosen(text) == pure(text)
