"""Every command and example in README.md and docs/ runs as written, with fewer samples.

The commands are the lines of the ``bash`` blocks that start with ``.venv/bin/stackbound``
or ``scripts/``; each runs in a fresh folder that holds the files the docs call
``my.yaml``, ``other.yaml`` and ``my-scenario.yaml`` (the minimal scenario and the overlay of
docs/scenario-format.md). ``yaml`` blocks are complete scenarios, overlays or validation
files and must load, unless their first line is ``# fragment``; ``python`` blocks run.
The scripts that install the project or run this suite are only checked to exist.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import run_main

ROOT = Path(__file__).resolve().parents[1]
DOCS = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
STACKBOUND = ".venv/bin/stackbound"
NOT_RUN = ("scripts/quickstart", "scripts/test", "scripts/setup")
"""They set up the project, or run this very suite: checked to exist, not run."""
FRAGMENT = "# fragment"

SAMPLES = "256"
"""Every simulating command's sample count here (and Sobol's base size: a power of two)."""
FEWER = {
    "marginal": ("--samples", "64"),
    "bottlenecks": ("--samples", SAMPLES, "--lifted-samples", "64"),
    "report": ("--samples", SAMPLES, "--no-sensitivity", "--no-discovery"),  # each tested in its own command
    "foresight": ("--samples", "16", "--workers", "1"),  # one LP per sample and year-end
}
SIMULATES = {
    "run",
    "validate",
    "compare",
    "discover",
    "report",
    "bottlenecks",
    "marginal",
    "sensitivity",
    "ledger",
    "foresight",
    "sweep",
}


@dataclass(frozen=True)
class Block:
    """One fenced block of a document: its language, text and first line's number."""

    doc: str
    line: int
    language: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"


def blocks(language: str) -> list[Block]:
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            if match.group(1) == language:
                line = text.count("\n", 0, match.start(2)) + 1
                found.append(Block(str(doc.relative_to(ROOT)), line, language, match.group(2)))
    return found


def command_lines() -> list[tuple[str, str]]:
    """(where, command) of every command line of the bash blocks, comments cut off."""
    lines = []
    for block in blocks("bash"):
        for offset, line in enumerate(block.text.splitlines()):
            command = line.split(" #", 1)[0].strip()
            if command and not command.startswith("#"):
                lines.append((f"{block.doc}:{block.line + offset}", command))
    return lines


def runnable() -> list[pytest.ParameterSet]:
    return [
        pytest.param(command, id=f"{where} {command}")
        for where, command in command_lines()
        if command.startswith(STACKBOUND) and " --watch" not in command
    ]


def format_example(holding: str) -> str:
    """The yaml block of docs/scenario-format.md that holds the line ``holding``."""
    return next(b.text for b in blocks("yaml") if b.doc.endswith("scenario-format.md") and holding in b.text)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder holding the scenario files the docs' examples name."""
    minimal = format_example("name: minimal")
    (tmp_path / "my.yaml").write_text(minimal, encoding="utf-8")
    (tmp_path / "my-scenario.yaml").write_text(minimal, encoding="utf-8")
    (tmp_path / "other.yaml").write_text(format_example("extends: example"), encoding="utf-8")
    sweeps = Path("src/stackbound/scenario/builtin/sweeps")  # the docs name the example by its path in the repo
    (tmp_path / sweeps).mkdir(parents=True)
    for sweep in (ROOT / sweeps).glob("*.yaml"):
        (tmp_path / sweeps / sweep.name).write_bytes(sweep.read_bytes())
    monkeypatch.chdir(tmp_path)
    return tmp_path


def shortened(args: list[str]) -> list[str]:
    """``args`` with a small sample count in place of the docs' own (or the default)."""
    kept, skip = [], False
    for arg in args:
        if skip or arg == "--samples":
            skip = not skip
            continue
        kept.append(arg)
    if "--run" in kept:  # check --watch --run N
        kept[kept.index("--run") + 1] = "64"
    command = kept[0]
    if command == "sensitivity":
        method = kept[kept.index("--method") + 1] if "--method" in kept else "tornado"
        return kept + ([] if method == "tornado" else ["--samples", "64" if method == "sobol" else SAMPLES])
    if command in SIMULATES:
        return kept + list(FEWER.get(command, ("--samples", SAMPLES)))
    return kept


def test_the_docs_have_commands_and_name_no_bare_stackbound() -> None:
    """After scripts/quickstart, .venv/bin/stackbound is what exists: no doc says bare stackbound."""
    lines = command_lines()
    assert len(runnable()) >= 20
    bare = [f"{where}: {command}" for where, command in lines if command.split()[0] == "stackbound"]
    assert bare == []
    assert all(command.startswith((STACKBOUND, "scripts/")) for _, command in lines), lines


@pytest.mark.parametrize("script", NOT_RUN)
def test_the_setup_scripts_exist_and_are_executable(script: str) -> None:
    path = ROOT / script
    assert path.is_file()
    assert os.access(path, os.X_OK)


def test_every_script_the_docs_name_exists() -> None:
    for where, command in command_lines():
        if command.startswith("scripts/"):
            assert (ROOT / command.split()[0]).is_file(), where


@pytest.mark.parametrize("command", runnable())
def test_the_docs_command_runs(command: str, folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = shortened(shlex.split(command)[1:])
    code, out, err = run_main(capsys, *args)
    assert code == 0, f"{args}: {err}"
    assert "Traceback" not in out + err
    assert out or err


def test_check_watch_runs_until_interrupted(folder: Path) -> None:
    """The docs' ``check --watch`` line: it checks, runs, and ends with 130 on SIGTERM."""
    watching = [c for _, c in command_lines() if c.startswith(STACKBOUND) and " --watch" in c]
    assert watching
    for command in watching:
        args = shortened(shlex.split(command)[1:])
        with (folder / "out.txt").open("w") as out, (folder / "err.txt").open("w") as err:
            process = subprocess.Popen([sys.executable, "-m", "stackbound", *args], stdout=out, stderr=err)
            try:
                deadline = time.monotonic() + 120
                while "samples: units" not in (folder / "out.txt").read_text() and time.monotonic() < deadline:
                    assert process.poll() is None, (folder / "err.txt").read_text()
                    time.sleep(0.2)
                process.send_signal(signal.SIGTERM)
                code = process.wait(timeout=30)
            finally:
                process.kill()
        errors = (folder / "err.txt").read_text()
        assert "samples: units" in (folder / "out.txt").read_text(), errors
        assert code == 130, errors
        assert "Traceback" not in errors


def loadable() -> list[pytest.ParameterSet]:
    return [pytest.param(b, id=b.where) for b in blocks("yaml") if not b.text.startswith(FRAGMENT)]


def test_every_yaml_example_is_complete_or_marked_a_fragment() -> None:
    complete = [b.text.splitlines()[0] for b in blocks("yaml") if not b.text.startswith(FRAGMENT)]
    assert len(complete) >= 3  # the minimal scenario, the overlay, the validation file
    assert all(line.startswith(("stackbound", "extends")) for line in complete), complete


@pytest.mark.parametrize("example", loadable())
def test_the_yaml_example_loads(example: Block, folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = folder / "example.yaml"
    path.write_text(example.text, encoding="utf-8")
    if example.text.startswith("stackbound_validation:"):
        args = ["validate", "china", "--cases", str(path), "--samples", SAMPLES]
    else:
        args = ["check", str(path)]
    code, out, err = run_main(capsys, *args)
    assert code == 0, err
    assert "Traceback" not in out + err


@pytest.mark.parametrize("example", [pytest.param(b, id=b.where) for b in blocks("python")])
def test_the_python_example_runs(example: Block, folder: Path) -> None:
    code = example.text.replace("samples=20_000", f"samples={SAMPLES}")
    exec(compile(code, example.where, "exec"), {"__name__": "docs_example"})  # the docs' own examples
