"""``stackbound check``: provenance warnings (issue 11 §1), a light import (§6) and
``--watch`` (§6), driven as a user drives them."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import click
import pytest

from stackbound.cli.app import COMMANDS, app
from stackbound.report.register import missing_provenance, register_markdown
from stackbound.scenario.loader import load_scenario
from support import run_main as cli

SOURCED = """\
stackbound: 1
name: tiny
horizon: {start: 2025-01, end: 2026-12}
components:
  logic_die: {kind: logic_die}
sources:
  fab:
    kind: fab_line
    wafer_starts: {value: 10k wafer/month, source: https://example.org/fab, grade: B}
    dies:
      - component: logic_die
        share: {value: 50 %, assumption: half the line}
        die_area: {value: 600 mm^2, source: https://example.org/die}
        yield: {value: {to: [70 %, 90 %]}, assumption: a mature node}
products:
  accel:
    vendor: VendorA
    origin: domestic
    variants:
      main: {priority: 1, bill: {logic_die: {value: 1, source: https://example.org/teardown}}}
"""
"""Every value sourced or assumed; wafer_diameter, cycle_time and reference are defaults."""
BARE_AREA = ("die_area: {value: 600 mm^2, source: https://example.org/die}", "die_area: 600 mm^2")
BARE_BILL = ("{logic_die: {value: 1, source: https://example.org/teardown}}", "{logic_die: 1}")
NO_PROVENANCE = "warning: no source or assumption"
HEAVY = ("stackbound.engine.run", "numba", "pandas", "scipy.stats", "SALib", "stackbound.cli.simulate")
"""Modules a check (or the command list) must not import."""


def scenario(folder: Path, *edits: tuple[str, str], name: str = "x.yaml") -> Path:
    text = SOURCED
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def position(path: Path, needle: str) -> str:
    """``file:line:column`` of the first occurrence of ``needle`` in ``path``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return f"{path}:{number}:{line.index(needle) + 1}"
    raise AssertionError(needle)


# ------------------------------------------------------------------ provenance (§1)


def test_a_fully_sourced_scenario_is_ok_without_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = scenario(tmp_path)
    assert cli(capsys, "check", str(path)) == (
        0,
        f"ok  {path}: tiny (1 uncertain input, 0 values without source or assumption)\n",
        "",
    )
    assert cli(capsys, "check", "--strict", str(path))[0] == 0


def test_each_unsourced_value_is_warned_where_it_stands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = scenario(tmp_path, BARE_AREA, BARE_BILL)
    code, out, err = cli(capsys, "check", str(path))
    assert code == 0
    assert err == (
        f"{position(path, '600 mm^2')}: sources.fab.dies[0].die_area: {NO_PROVENANCE}\n"
        f"{position(path, '1}}')}: products.accel.variants.main.bill.logic_die: {NO_PROVENANCE}\n"
    )
    assert out == f"ok  {path}: tiny (1 uncertain input, 2 values without source or assumption)\n"


def test_strict_fails_on_a_value_without_provenance(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = scenario(tmp_path, BARE_AREA)
    code, out, err = cli(capsys, "check", "--strict", str(path))
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        f"{position(path, '600 mm^2')}: sources.fab.dies[0].die_area: {NO_PROVENANCE}",
        f"{path}: tiny: 1 value without source or assumption (--strict)",
    ]


def test_a_default_needs_no_provenance_but_the_same_value_written_does(tmp_path: Path) -> None:
    assert missing_provenance(load_scenario(scenario(tmp_path))) == []
    written = scenario(tmp_path, ("    dies:\n", "    wafer_diameter: 300 mm\n    dies:\n"), name="w.yaml")
    assert [p.path for p in missing_provenance(load_scenario(written))] == ["sources.fab.wafer_diameter"]


def test_an_overlay_value_is_located_in_the_overlay(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario(tmp_path, name="base.yaml")
    overlay = tmp_path / "more.yaml"
    overlay.write_text(
        "stackbound: 1\nextends: base.yaml\nname: more\noverrides:\n  sources.fab.wafer_starts: 20k wafer/month\n",
        encoding="utf-8",
    )
    code, _, err = cli(capsys, "check", str(overlay))
    assert code == 0
    assert err == f"{position(overlay, '20k')}: sources.fab.wafer_starts: {NO_PROVENANCE}\n"


def test_the_register_counts_and_flags_values_without_provenance(tmp_path: Path) -> None:
    text = register_markdown(load_scenario(scenario(tmp_path, BARE_AREA, BARE_BILL)))
    assert "(1 uncertain inputs); 2 without source or assumption." in text
    rows = {line.split(" | ")[1]: line for line in text.splitlines() if line.startswith("| ") and " | `" in line}
    assert "**no source or assumption**" in rows["`sources.fab.dies[0].die_area`"]  # rows: | label | `field` | ...
    assert "**no source or assumption**" in rows["`products.accel.variants.main.bill.logic_die`"]
    assert "**no source or assumption**" not in rows["`sources.fab.wafer_starts`"]
    assert "default of the format" in rows["`sources.fab.cycle_time`"]
    assert "default of the format" not in rows["`reference.dense_bf16`"]  # the default has its own source


def test_run_does_not_warn_about_provenance(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = scenario(tmp_path, BARE_AREA)
    code, _, err = cli(capsys, "run", str(path), "--samples", "16", "--seed", "1", "--format", "json")
    assert code == 0
    assert "source" not in err


def test_run_option_needs_watch(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "check", "example", "--run", "10")
    assert code == 2
    assert "--run needs --watch" in err


# ------------------------------------------------------------------ lazy commands (§6)


def imported_by(argv: list[str], modules: tuple[str, ...] = HEAVY) -> list[str]:
    """Those of ``modules`` that running the command ``argv`` in a fresh process imports."""
    code = (
        "import json, sys\nfrom stackbound.cli.app import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        f"print('IMPORTED', json.dumps([m for m in {modules!r} if m in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout.rsplit("IMPORTED ", 1)[1]))


def test_check_imports_neither_the_engine_nor_pandas_and_help_not_even_the_schema() -> None:
    assert imported_by(["check", "china"]) == []
    assert imported_by(["--help"], (*HEAVY, "stackbound.scenario.schema", "scipy")) == []


def test_every_command_is_found_and_its_stored_short_help_is_its_own() -> None:
    context = click.Context(app)
    for name, (_, summary) in COMMANDS.items():
        command = app.get_command(context, name)
        assert command is not None
        assert command.name == name
        actual = command.get_short_help_str(limit=10_000)
        assert actual == summary, f"COMMANDS[{name!r}] in cli/app.py should read {actual!r}"
    assert app.get_command(context, "frobnicate") is None


def test_the_command_list_reads_as_click_would_print_it() -> None:
    context = click.Context(app)
    commands = [app.get_command(context, name) for name in app.list_commands(context)]
    eager = click.Group("stackbound", commands=[c for c in commands if c is not None])
    lazy_text, eager_text = click.HelpFormatter(width=80), click.HelpFormatter(width=80)
    app.format_commands(context, lazy_text)
    eager.format_commands(click.Context(eager), eager_text)
    assert lazy_text.getvalue() == eager_text.getvalue()
    assert "  scenarios    List the built-in scenarios, each with its story." in lazy_text.getvalue()


# ------------------------------------------------------------------ --watch (§6)


class Watch:
    """``stackbound check --watch`` in a process; its output, stdout and stderr merged, line by line."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "stackbound", "check", "--watch", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "COLUMNS": "200"},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def until(self, text: str, seconds: float = 60) -> list[str]:
        """Lines up to and including the first that holds ``text``."""
        seen, deadline = [], time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                seen.append(self.lines.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                break
            if text in seen[-1]:
                return seen
        raise AssertionError(f"no {text!r} within {seconds} s; saw {seen}")

    def stop(self) -> int:
        """Ctrl-C; the exit status (the output read to its end stays in ``lines``)."""
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=30)
        finally:
            self.process.kill()
            self.process.wait(timeout=30)
            self.reader.join(timeout=30)
            assert self.process.stdout is not None
            self.process.stdout.close()


def test_watch_checks_again_on_every_save_until_ctrl_c(tmp_path: Path) -> None:
    path = scenario(tmp_path)
    watch = Watch(str(path))
    try:
        first = watch.until("ok  ")
        assert first[-1].endswith(f"] ok  {path}: tiny (1 uncertain input, 0 values without source or assumption)")
        assert re.match(r"\[\d\d:\d\d:\d\d\] ok  ", first[-1]), first[-1]
        path.write_text(SOURCED.replace("share: {value: 50 %", "share: {value: 150 %"), encoding="utf-8")
        broken = watch.until("not ok")
        assert any(f"{position(path, '{value: 150 %')}: sources.fab.dies[0].share: " in line for line in broken), broken
        scenario(tmp_path, BARE_AREA)
        fixed = watch.until("ok  ")
        assert f"{position(path, '600 mm^2')}: sources.fab.dies[0].die_area: {NO_PROVENANCE}" in fixed
        assert fixed[-1].endswith("(1 uncertain input, 1 value without source or assumption)")
    finally:
        code = watch.stop()
    assert code == 130
    assert "Traceback" not in "\n".join(watch.until("interrupted", seconds=5))


def test_watch_run_prints_the_headline_after_each_good_check(tmp_path: Path) -> None:
    watch = Watch(str(scenario(tmp_path)), "--run", "16")
    try:
        watch.until("ok  ")
        headline = watch.until("samples: units")[-1]
        assert headline.startswith("    tiny, 16 samples: units 2025 ")
        assert " 2026 " in headline
    finally:
        assert watch.stop() == 130


def test_watch_also_checks_again_when_an_extended_file_is_saved(tmp_path: Path) -> None:
    base = scenario(tmp_path, name="base.yaml")
    overlay = tmp_path / "more.yaml"
    overlay.write_text("stackbound: 1\nextends: base.yaml\nname: more\n", encoding="utf-8")
    watch = Watch(str(overlay))
    try:
        assert watch.until("ok  ")[-1].endswith("(1 uncertain input, 0 values without source or assumption)")
        scenario(tmp_path, BARE_AREA, name="base.yaml")
        again = watch.until("ok  ")
        assert f"{position(base, '600 mm^2')}: sources.fab.dies[0].die_area: {NO_PROVENANCE}" in again
        assert again[-1].endswith("(1 uncertain input, 1 value without source or assumption)")
    finally:
        assert watch.stop() == 130
