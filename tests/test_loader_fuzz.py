"""Property tests: whatever a file holds, the loader either loads it or raises ScenarioError.

Anything else escaping ``load_scenario`` (a KeyError, a RecursionError, a warning turned
into an error by the test run) is a loader bug.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackbound.errors import ScenarioError
from stackbound.scenario.loader import LoadedScenario, load_scenario
from stackbound.scenario.overlay import builtin_dir

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Words the scenario format uses, so that random documents reach past the top level.
WORDS = (  # noqa: SIM905 -- a word list reads better as one string than as 48 quoted items
    "stackbound name horizon start end components sources products kind fab_line memory_line stockpile "
    "flow dies component share wafer_starts die_area yield defect_density value assumption source to "
    "uniform pert knots step shift unit variants priority bill packaging platform levers extends "
    "overrides add remove correlations between rank draw_order initial arrivals 2025-01 2026-12"
).split()

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(WORDS),
    st.sampled_from(["45k wafer/month", "600 mm^2", "80 %", "2025-06", "1e400", "-0", "3 month", "1 /cm^2"]),
)
keys = st.one_of(st.sampled_from(WORDS), st.text(min_size=1, max_size=12))
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(keys, children, max_size=5),
    ),
    max_leaves=30,
)


def _example() -> dict[str, Any]:
    data = yaml.safe_load((builtin_dir() / "example.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


EXAMPLE = _example()


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into ``node`` (keys and list indices), outermost first."""
    found = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*path, index))
    return found


PATHS = _paths(EXAMPLE)


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        node = node[part]
    return node


def _set(root: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    _get(root, path[:-1])[path[-1]] = value


def _delete(root: dict[str, Any], path: tuple[Any, ...]) -> None:
    del _get(root, path[:-1])[path[-1]]


def _other_type(value: Any) -> st.SearchStrategy[Any]:
    """A random value of a different type from ``value``."""
    options: list[st.SearchStrategy[Any]] = [
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**25), max_value=10**25),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=15),
        st.lists(scalars, max_size=3),
        st.dictionaries(keys, scalars, max_size=3),
    ]
    kinds = (type(None), bool, int, float, str, list, dict)
    return st.one_of([s for s, k in zip(options, kinds, strict=True) if type(value) is not k])


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "scenario.yaml"


def _load_text(path: Path, text: str) -> LoadedScenario | None:
    """Load ``text`` from ``path``: the scenario, or None after a well-formed ScenarioError."""
    path.write_text(text, encoding="utf-8")
    try:
        return load_scenario(path)
    except ScenarioError as error:
        problems = error.problems
    assert problems
    for problem in problems:
        assert problem.file, problem
        assert problem.line >= 1, problem  # a line a user can go to: 1-based
        assert problem.column >= 1, problem
        assert problem.message, problem
    return None


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@FUZZ
@given(text=st.text(max_size=300))
def test_arbitrary_text_gives_scenario_error_or_loads(scratch: Path, text: str) -> None:
    _load_text(scratch, text)


@FUZZ
@given(text=st.text(alphabet="{}[]:,-&*!|>'\"#%@` \n\tab01?<=.", max_size=120))
def test_yaml_punctuation_soup_gives_scenario_error(scratch: Path, text: str) -> None:
    _load_text(scratch, text)


@FUZZ
@given(data=documents)
def test_arbitrary_yaml_gives_scenario_error_or_loads(scratch: Path, data: Any) -> None:
    _load_text(scratch, _dump(data))


@FUZZ
@given(sections=st.dictionaries(st.sampled_from(WORDS), documents, max_size=6))
def test_arbitrary_sections_of_a_scenario_give_scenario_error_or_load(scratch: Path, sections: dict[str, Any]) -> None:
    _load_text(scratch, _dump({"stackbound": 1, "name": "fuzz", **sections}))


def test_the_example_round_trips_through_yaml(scratch: Path) -> None:
    assert _load_text(scratch, _dump(EXAMPLE)) is not None


@FUZZ
@given(path=st.sampled_from(PATHS))
def test_deleting_any_key_of_the_example_gives_scenario_error_or_loads(scratch: Path, path: tuple[Any, ...]) -> None:
    data = yaml.safe_load(_dump(EXAMPLE))
    _delete(data, path)
    _load_text(scratch, _dump(data))


@FUZZ
@given(data=st.data(), path=st.sampled_from(PATHS))
def test_retyping_any_value_of_the_example_gives_scenario_error_or_loads(
    scratch: Path, data: st.DataObject, path: tuple[Any, ...]
) -> None:
    scenario = yaml.safe_load(_dump(EXAMPLE))
    _set(scenario, path, data.draw(_other_type(_get(scenario, path)), label="new value"))
    _load_text(scratch, _dump(scenario))


@FUZZ
@given(data=st.data(), path=st.sampled_from(PATHS))
def test_random_values_anywhere_in_the_example_give_scenario_error_or_load(
    scratch: Path, data: st.DataObject, path: tuple[Any, ...]
) -> None:
    scenario = yaml.safe_load(_dump(EXAMPLE))
    _set(scenario, path, data.draw(documents, label="new value"))
    loaded = _load_text(scratch, _dump(scenario))
    if loaded is not None:
        assert all(math.isfinite(inp.dist.median()) for inp in loaded.inputs)


# Files the fuzzing above rarely writes, each with a problem the loader once reported on
# line 0 (no line a user could go to) or that sits on a known line.
ALIAS_BOMB = "".join(
    f"{name}: &{name} [{', '.join([inner] * 9)}]\n"
    for name, inner in [("a", "1"), ("b", "*a"), ("c", "*b"), ("d", "*c"), ("e", "*d"), ("f", "*e")]
)
LINED_FILES = {
    "empty": ("", 1),
    "unclosed-list": ("a: [1, 2\n", 2),
    "tab-indent": ("stackbound: 1\n\tname: x\n", 2),
    "nested-too-deep": ("a: " + "[" * 300 + "]" * 300 + "\n", 1),
    "alias-bomb": (ALIAS_BOMB, None),
    "scalar": ("42\n", 1),
    "nul-byte": ("\x00\x01", 1),
    "extends-missing": ("stackbound: 1\nname: x\nextends: nowhere.yaml\noverrides: {}\n", 3),
    "extends-number": ("stackbound: 1\nname: x\nextends: 5\noverrides: {}\n", 3),
    "extends-itself": ("stackbound: 1\nname: x\nextends: extends-itself.yaml\noverrides: {}\n", 3),
}
"""File name -> (text, the line the problem is on, or None when any line >= 1 will do)."""


@pytest.mark.parametrize("name", list(LINED_FILES))
def test_every_problem_names_a_line(tmp_path: Path, name: str) -> None:
    text, line = LINED_FILES[name]
    assert _load_text(tmp_path / f"{name}.yaml", text) is None  # checks line >= 1 on every problem
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / f"{name}.yaml")
    if line is not None:
        assert [p.line for p in caught.value.problems] == [line]


def test_a_cycle_of_two_overlays_names_the_extends_line(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("stackbound: 1\nname: a\nextends: b.yaml\noverrides: {}\n", encoding="utf-8")
    text = "stackbound: 1\nname: b\n\nextends: a.yaml\noverrides: {}\n"
    assert _load_text(tmp_path / "b.yaml", text) is None
