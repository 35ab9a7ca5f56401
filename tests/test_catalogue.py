"""The catalogue: every bad (or strange but legal) input, typed as a user types it.

Each case of :mod:`catalogue` runs the command line (in process through
``stackbound.cli.app.main``, or as a separate process with a timeout when the input could
hang) in a fresh folder and asserts: the exit status; on exit 2, that stderr names the
file, the ``:line:`` and the field where there is one; that no traceback, internal error
or raw Python warning is printed; that no secret is echoed; and that nothing is written
outside ``--out``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from catalogue import Case
from catalogue.inputs import INPUT_CASES
from catalogue.options import OPTION_CASES
from catalogue.reading import READING_CASES
from support import run_main

CASES = [*INPUT_CASES, *READING_CASES, *OPTION_CASES]
FAMILIES = {
    "yaml": 8,
    "types": 8,
    "units": 5,
    "ranges": 5,
    "values": 5,
    "references": 5,
    "overlays": 5,
    "names": 5,
    "sizes": 5,
    "notfiles": 5,
    "extreme": 5,
    "cli": 20,
    "out": 8,
}
"""Each family of the catalogue, with the fewest cases it may hold."""

RAW_WARNING = re.compile(r"\b[A-Z]\w*Warning\b")
Snapshot = dict[str, tuple[str, int, int]]


def snapshot(root: Path) -> Snapshot:
    """Every entry under ``root``: kind, size and modification time, keyed by relative path."""
    entries: Snapshot = {}
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(folder, name)
            info = path.lstat()
            kind = "link" if path.is_symlink() else "dir" if path.is_dir() else "file"
            # a folder's own size and time change with its entries, which are listed anyway
            size, time = (0, 0) if kind == "dir" else (info.st_size, info.st_mtime_ns)
            entries[path.relative_to(root).as_posix()] = (kind, size, time)
    return entries


def changed(before: Snapshot, after: Snapshot) -> set[str]:
    return {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}


def inside(path: str, target: str | None) -> bool:
    """Whether ``path`` is ``target``, inside it, or one of the folders made to hold it."""
    return target is not None and (
        path == target or f"{target}/".startswith(f"{path}/") or path.startswith(f"{target}/")
    )


def prepare(case: Case, tmp: Path) -> Path:
    """The folder the command runs in, ``tmp/work``, holding the case's files."""
    work = tmp / "work"
    work.mkdir()
    for name, content in case.files.items():
        path = work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content.replace("{tmp}", str(tmp)), encoding="utf-8")
    if case.setup is not None:
        case.setup(work)
    return work


def in_subprocess(argv: list[str], work: Path, timeout: float) -> tuple[int, str, str]:
    env = {**os.environ, "COLUMNS": "200"}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "stackbound", *argv],
            capture_output=True,
            text=True,
            errors="replace",
            cwd=work,
            env=env,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running after {timeout:.0f} s: stackbound {' '.join(argv)[:200]}")
    return done.returncode, done.stdout, done.stderr


def strict_json(text: str) -> object:
    def refuse(constant: str) -> object:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def check_outcome(case: Case, code: int, stdout: str, stderr: str) -> None:
    shown = f"exit {code}\n--- stderr\n{stderr[-3000:]}\n--- stdout\n{stdout[-3000:]}"
    assert code in case.exits, shown
    for bad in ("Traceback", "internal error"):
        assert bad not in stdout + stderr, shown
    assert not RAW_WARNING.search(stderr), shown
    for secret in case.secret:
        assert secret not in stdout + stderr, f"{secret!r} echoed\n{shown}"
    if code == 2:
        assert stderr.strip(), "exit 2 without a word on stderr"
        for mention in case.mentions:
            assert mention in stderr, f"stderr does not name {mention!r}\n{shown}"
        if case.refused_first:
            assert not stdout.strip(), f"refused only after printing results\n{shown}"
        if case.max_stderr_lines is not None:
            assert len(stderr.splitlines()) <= case.max_stderr_lines, shown
    if code == 0:
        for text in case.literal:
            assert text in stdout + stderr, f"{text!r} not printed literally\n{shown}"
        if case.json_out:
            strict_json(stdout)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_case(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    work = prepare(case, tmp_path)
    monkeypatch.chdir(work)
    argv = [arg.replace("{tmp}", str(tmp_path)) for arg in case.argv]
    before = snapshot(tmp_path)
    if case.process:
        code, stdout, stderr = in_subprocess(argv, work, case.timeout)
    else:
        code, stdout, stderr = run_main(capsys, *argv)
    check_outcome(case, code, stdout, stderr)
    target = case.out_target()
    target = None if target is None or case.out_untouched else f"work/{target}"
    stray = sorted(path for path in changed(before, snapshot(tmp_path)) if not inside(path, target))
    assert not stray, f"written outside --out: {stray[:20]}"


def test_case_names_are_unique() -> None:
    names = Counter(case.name for case in CASES)
    assert not [name for name, count in names.items() if count > 1]


def test_every_family_is_covered(capsys: pytest.CaptureFixture[str]) -> None:
    counts = Counter(case.family for case in CASES)
    with capsys.disabled():
        print(f"\ncatalogue: {len(CASES)} cases: " + ", ".join(f"{f} {n}" for f, n in sorted(counts.items())))
    assert set(counts) == set(FAMILIES), counts
    assert all(counts[family] >= least for family, least in FAMILIES.items()), counts
    assert len(CASES) >= 120
