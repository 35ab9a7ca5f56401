"""Mutation fuzzing: mangled copies of the shipped scenarios, through the command line.

Each mutant is a shipped scenario (``example``, ``china``, the overlays, the loader
catalogue's ``_base_valid.yaml``) with one to three mutations, made on the text (lines
deleted, duplicated, swapped or re-indented; numbers replaced by extreme ones; units,
keys, control characters, markup, ``%%``, sexagesimal numbers or YAML syntax garbled; the
file truncated) or on the parsed data (a value replaced by another type, an extreme
number or a long string; a key renamed or deleted). Every mutant goes through
``stackbound check``; those that pass and were given a new number or value, and one in
four of the others, also go through ``stackbound run --format json``. Every outcome must
be exit 0 or a clean exit 2: no traceback, no internal error, something said on stderr,
and on exit 0 of ``run`` strict JSON. A command still running after ten seconds is
interrupted and counts as a failure (a hang).

Environment: ``STACKBOUND_FUZZ_MUTANTS`` (default 300), ``STACKBOUND_FUZZ_SEED``
(default 9), ``STACKBOUND_FUZZ_SECONDS`` (stop making mutants after this long; default
240), ``STACKBOUND_FUZZ_KEEP`` (where failing mutants are kept; default a folder under
this test's temporary directory). The failure message lists each failing mutant's path.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import random
import re
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
import yaml

from stackbound.cli.app import main
from stackbound.scenario.overlay import builtin_dir

MUTANTS = int(os.environ.get("STACKBOUND_FUZZ_MUTANTS", "300"))
SEED = int(os.environ.get("STACKBOUND_FUZZ_SEED", "9"))
SECONDS = float(os.environ.get("STACKBOUND_FUZZ_SECONDS", "240"))
KEEP = os.environ.get("STACKBOUND_FUZZ_KEEP")
RUN_EVERY = 4
"""One in this many mutants that pass ``check`` is also run (and every one with a new number)."""
HANG_SECONDS = 10
"""A command still running after this long counts as a hang (and is interrupted)."""

BUILTIN = builtin_dir()
OVERLAYS = sorted(p for p in BUILTIN.glob("*.yaml") if p.stem not in {"china", "example"})
SOURCES: list[tuple[Path, float]] = [
    (BUILTIN / "example.yaml", 0.35),
    (Path(__file__).parent / "bad_scenarios" / "_base_valid.yaml", 0.30),
    *((overlay, 0.25 / len(OVERLAYS)) for overlay in OVERLAYS),
    (BUILTIN / "china.yaml", 0.10),
]

EXTREME_NUMBERS = (
    "1e308", "-1e308", "1e-308", "5e-324", "1e400", "-1e400", "-0", "0", "-1", "0.5", ".nan", ".inf", "-.inf",
    "99999999999999999999999999", "1e9", "-1e300", "1_000", "0x1F", "0o17", "0b101", "190:20:30", "1e6", "2**1000",
)  # fmt: skip
UNIT_GARBAGE = (
    "**9**9**9", "^9^9", "/0", "^-1", " %%", " %", " bananas", "·", "(", ")", "mm^2^2", " wafer/wafer", " 1/0",
    " month**-1", " k", " M M", " [/red]", " :fire:", " die/stack/stack", "e", " year", " USD/TFLOPS",
)  # fmt: skip
JUNK = (
    "\x07", "\x1b[31m", "\x1b", "\u202e", "\u200f", "\0", "\x7f", "\ufeff", "\udce9", "[/]", "[/red]", "[bold]",
    ":fire:", ":100:", "%%", "190:20:30", "&a ", "*a", "<<: *a", "!!python/object/apply:os.system ['true'] ",
    "!!binary ", "{", "}", "[", "]", "'", '"', "#", "\t", ": ", "- ", "|", ">", "?", "@", "`", "\\",
)  # fmt: skip
WORDS = (
    "name", "horizon", "start", "end", "components", "sources", "products", "kind", "value", "unit", "to",
    "uniform", "knots", "shift", "priority", "bill", "extends", "overrides", "add", "remove", "assumption",
    "source", "levers", "lag", "cycle_time", "vendor", "description", "correlations", "rank", "between",
)  # fmt: skip
VALUES: tuple[Any, ...] = (
    None, True, False, [], {}, "", 0, -1, 0.5, 10**30, -(10**30), 1e308, -1e308, 5e-324, float("nan"),
    float("inf"), "x" * 10_000, "[/red]", "a\x1bb", "a\0b", "\u202eabc", "2025-13", "1 wafer/month**9**9",
    "80 %%", "190:20:30", [1, 2, 3], {"to": [1, 0]}, {"uniform": [5, 1]}, {"knots": {}}, {"pert": [1]},
    {"value": None}, [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]],
)  # fmt: skip


class Hang(BaseException):
    """Raised into a command that runs too long (not an Exception, so no handler eats it)."""


@dataclass(frozen=True)
class Mutant:
    number: int
    source: Path
    mutations: tuple[str, ...]
    text: str

    @property
    def file_name(self) -> str:
        return f"m{self.number:05d}-{self.source.stem}.yaml"


@dataclass(frozen=True)
class Failure:
    mutant: Mutant
    argv: tuple[str, ...]
    reason: str
    output: str


# ------------------------------------------------------------------ text mutations

Lines = list[str]


def _line(rng: random.Random, lines: Lines) -> int:
    return rng.randrange(len(lines)) if lines else 0


def delete_line(rng: random.Random, lines: Lines) -> str:
    if lines:
        del lines[_line(rng, lines)]
    return "delete a line"


def duplicate_line(rng: random.Random, lines: Lines) -> str:
    if lines:
        i = _line(rng, lines)
        lines.insert(i, lines[i])
    return "duplicate a line"


def swap_lines(rng: random.Random, lines: Lines) -> str:
    if len(lines) > 1:
        i = rng.randrange(len(lines) - 1)
        j = i + 1 if rng.random() < 0.7 else rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    return "swap two lines"


def reindent(rng: random.Random, lines: Lines) -> str:
    if lines:
        i = _line(rng, lines)
        body = lines[i].lstrip(" ")
        depth = max(0, len(lines[i]) - len(body) + rng.choice((-2, -1, 1, 2, 4)))
        lines[i] = ("\t" if rng.random() < 0.2 else "") + " " * depth + body
    return "re-indent a line"


def _replace_match(rng: random.Random, lines: Lines, pattern: re.Pattern[str], make: Callable[[str], str]) -> bool:
    spots = [(i, m) for i, line in enumerate(lines) for m in pattern.finditer(line)]
    if not spots:
        return False
    i, match = rng.choice(spots)
    lines[i] = lines[i][: match.start()] + make(match.group()) + lines[i][match.end() :]
    return True


NUMBER = re.compile(r"(?<![\w.-])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?[kMB]?(?![\w-])")
QUANTITY = re.compile(r"^-?\d[\d.]*(?:e[+-]?\d+)?[kMB]?(?= |$)")
UNIT = re.compile(r"(?<=\d )[A-Za-z%][\w/^%*]*")
KEY = re.compile(r"(?<=^)(\s*(?:- )?)[A-Za-z_][\w-]*(?=:)")


def extreme_number(rng: random.Random, lines: Lines) -> str:
    number = rng.choice(EXTREME_NUMBERS)
    _replace_match(rng, lines, NUMBER, lambda _: number)
    return f"a number -> {number}"


def garble_unit(rng: random.Random, lines: Lines) -> str:
    junk = rng.choice(UNIT_GARBAGE)
    _replace_match(rng, lines, UNIT, lambda unit: unit + junk if rng.random() < 0.7 else junk.strip())
    return f"a unit + {junk!r}"


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 2 or rng.random() < 0.3:
        return rng.choice(WORDS)
    i = rng.randrange(len(word) - 1)
    return rng.choice((word[:i] + word[i + 1 :], word[:i] + word[i + 1] + word[i] + word[i + 2 :], word + word[-1]))


def flip_key(rng: random.Random, lines: Lines) -> str:
    def flip(match: str) -> str:
        indent = match[: len(match) - len(match.lstrip(" -"))]
        return indent + _typo(rng, match.lstrip(" -"))

    _replace_match(rng, lines, KEY, flip)
    return "flip a key"


def insert_junk(rng: random.Random, lines: Lines) -> str:
    junk = rng.choice(JUNK)
    if lines:
        i = _line(rng, lines)
        at = rng.randrange(len(lines[i]) + 1)
        lines[i] = lines[i][:at] + junk + lines[i][at:]
    return f"insert {junk!r}"


def truncate(rng: random.Random, lines: Lines) -> str:
    text = "".join(lines)
    cut = rng.randrange(len(text) + 1)
    lines[:] = [text[:cut]]
    return f"truncate at {cut}"


TEXT_MUTATIONS: tuple[Callable[[random.Random, Lines], str], ...] = (
    delete_line, duplicate_line, swap_lines, reindent, extreme_number, extreme_number, garble_unit, garble_unit,
    flip_key, insert_junk, insert_junk, truncate,
)  # fmt: skip


# ------------------------------------------------------------------ data mutations


def _slots(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path into ``data`` (mapping keys and list indices)."""
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        yield (*path, key)
        yield from _slots(value, (*path, key))


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        data = data[key]
    return data


def _is_quantity(value: Any) -> bool:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return number or (isinstance(value, str) and QUANTITY.match(value) is not None)


def mutate_data(rng: random.Random, data: Any) -> str:
    """One change to the parsed document: a quantity made extreme (its unit kept), a value
    replaced by another kind, a key deleted or renamed, or a list item repeated."""
    slots = list(_slots(data))
    if not slots:
        return "nothing to mutate"
    quantities = [path for path in slots if _is_quantity(_parent(data, path)[path[-1]])]
    roll = rng.random()
    path = rng.choice(quantities if roll < 0.3 and quantities else slots)
    parent, key = _parent(data, path), path[-1]
    where = ".".join(map(str, path))
    if roll < 0.3 and quantities:
        parent[key] = QUANTITY.sub(rng.choice(EXTREME_NUMBERS), str(parent[key]))
        return f"{where} -> {parent[key]!r}"
    if roll < 0.6:
        parent[key] = copy.deepcopy(rng.choice(VALUES))
        return f"{where} -> {str(parent[key])[:40]!r}"
    if roll < 0.8:
        del parent[key]
        return f"delete {where}"
    if isinstance(parent, dict):
        parent[_typo(rng, str(key))] = parent.pop(key)
        return f"rename {where}"
    parent.append(copy.deepcopy(parent[key]))
    return f"repeat {where}"


# ------------------------------------------------------------------ making and judging mutants


def make_mutant(rng: random.Random, number: int, parsed: dict[Path, Any]) -> Mutant:
    source = rng.choices([s for s, _ in SOURCES], weights=[w for _, w in SOURCES])[0]
    text = source.read_text(encoding="utf-8")
    mutations = []
    if rng.random() < 0.5:
        if source not in parsed:
            parsed[source] = yaml.safe_load(text)
        data = copy.deepcopy(parsed[source])
        mutations += [mutate_data(rng, data) for _ in range(rng.randint(1, 2))]
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10**6)
    lines = text.splitlines(keepends=True)
    for _ in range(rng.randint(0, 1) if mutations else rng.randint(1, 2)):
        mutations.append(rng.choice(TEXT_MUTATIONS)(rng, lines))
    return Mutant(number, source, tuple(mutations), "".join(lines))


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise Hang


def call(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int | str, str, str]:
    """Run the command in process: its exit status (or what went wrong), stdout, stderr."""
    capsys.readouterr()
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(HANG_SECONDS)
    code: int | str
    try:
        main(argv)
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 1 if done.code else 0
    except Hang:
        code = f"still running after {HANG_SECONDS} s"
    except Exception as error:  # a fuzzer reports whatever escapes, it does not stop at the first
        code = f"{type(error).__name__} escaped main: {error}"[:300]
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def judge(code: int | str, stdout: str, stderr: str, json_out: bool) -> str | None:
    """Why this outcome is not exit 0 or a clean exit 2; ``None`` if it is."""
    if isinstance(code, str):
        return code
    if code not in (0, 2):
        return f"exit {code}"
    if "Traceback" in stdout + stderr or "internal error" in stdout + stderr:
        return "a traceback or internal error"
    if code == 2 and not stderr.strip():
        return "exit 2 without a word on stderr"
    if code == 0 and json_out:
        try:
            json.loads(stdout, parse_constant=_not_json)
        except ValueError as error:
            return f"not strict JSON: {error}"
    return None


def _not_json(constant: str) -> object:
    raise ValueError(f"{constant} is not JSON")


def keep(failures: list[Failure], folder: Path) -> list[str]:
    """Write each failing mutant and what happened beside it; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    kept = []
    for failure in failures:
        path = folder / failure.mutant.file_name
        path.write_bytes(failure.mutant.text.encode("utf-8", "surrogateescape"))
        record = [f"stackbound {' '.join(failure.argv)}", failure.reason, *failure.mutant.mutations, failure.output]
        path.with_suffix(".txt").write_text("\n".join(record), encoding="utf-8", errors="replace")
        kept.append(f"{path}: {failure.reason} ({'; '.join(failure.mutant.mutations)[:200]})")
    return kept


def worth_running(mutant: Mutant, tally: Counter[str]) -> bool:
    """Whether a mutant that passed ``check`` is also run: a new number, or its turn."""
    return any("->" in m for m in mutant.mutations) or tally["check exit 0"] % RUN_EVERY == 1


def try_mutant(mutant: Mutant, capsys: pytest.CaptureFixture[str], tally: Counter[str]) -> list[Failure]:
    """``check`` the mutant (in the working folder), and ``run`` it if it passes and is worth it."""
    Path(mutant.file_name).write_bytes(mutant.text.encode("utf-8", "surrogateescape"))
    failures = []
    argv, json_out = ["check", mutant.file_name], False
    while True:
        code, stdout, stderr = call(argv, capsys)
        tally[f"{argv[0]} exit {code}" if code in (0, 2) else f"{argv[0]} other"] += 1
        reason = judge(code, stdout, stderr, json_out)
        if reason is not None:
            output = f"--- stderr\n{stderr[-2000:]}\n--- stdout\n{stdout[-2000:]}"
            failures.append(Failure(mutant, tuple(argv), reason, output))
        if argv[0] == "run" or code != 0 or not worth_running(mutant, tally):
            break
        argv, json_out = ["run", mutant.file_name, "--samples", "16", "--seed", "1", "--format", "json"], True
    Path(mutant.file_name).unlink()
    return failures


def warm_up(capsys: pytest.CaptureFixture[str]) -> None:
    """Import, build the unit registry and compile the kernels once, outside the hang timer."""
    for argv in (["check", "example"], ["run", "example", "--samples", "16", "--seed", "1", "--format", "json"]):
        with contextlib.suppress(SystemExit):
            main(argv)
    capsys.readouterr()


def test_mutants_exit_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    warm_up(capsys)
    rng = random.Random(SEED)
    parsed: dict[Path, Any] = {}
    tally: Counter[str] = Counter()
    failures: list[Failure] = []
    started = time.perf_counter()
    for number in range(MUTANTS):
        if time.perf_counter() - started > SECONDS:
            break
        mutant = make_mutant(rng, number, parsed)
        failures += try_mutant(mutant, capsys, tally)
    elapsed = time.perf_counter() - started
    tally["mutants"] = sum(count for key, count in tally.items() if key.startswith("check"))
    with capsys.disabled():
        print(
            f"\nmutants {tally['mutants']}, exit 0 {tally['check exit 0']}, exit 2 {tally['check exit 2']}, "
            f"other {tally['check other']}; runs {tally['run exit 0'] + tally['run exit 2'] + tally['run other']} "
            f"(exit 0 {tally['run exit 0']}, exit 2 {tally['run exit 2']}, other {tally['run other']}); "
            f"{len(failures)} failures; seed {SEED}; {elapsed:.0f} s"
        )
    if failures:
        kept = keep(failures, Path(KEEP) if KEEP else tmp_path / "failures")
        pytest.fail(f"{len(failures)} mutants did not exit 0 or cleanly 2:\n" + "\n".join(kept[:50]))


def test_the_same_seed_makes_the_same_mutants() -> None:
    first, second = random.Random(SEED), random.Random(SEED)
    for number in range(20):
        assert make_mutant(first, number, {}) == make_mutant(second, number, {})


def test_the_judge_refuses_what_is_not_a_clean_exit() -> None:
    assert judge(0, "{}", "", json_out=True) is None
    assert judge(2, "", "x.yaml:3:1: name: bad", json_out=False) is None
    assert judge(1, "", "stackbound: internal error: KeyError", json_out=False) is not None
    assert judge(2, "", "Traceback (most recent call last):", json_out=False) is not None
    assert judge(2, "", "", json_out=False) is not None
    assert judge(0, '{"units": NaN}', "", json_out=True) is not None
    assert judge("still running after 10 s", "", "", json_out=False) is not None


def test_a_hang_is_interrupted(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules[__name__], "HANG_SECONDS", 1)
    monkeypatch.setattr(sys.modules[__name__], "main", lambda argv: time.sleep(30))
    started = time.perf_counter()
    code, _, _ = call(["check", "x.yaml"], capsys)
    assert isinstance(code, str)
    assert "still running" in code
    assert time.perf_counter() - started < 5
