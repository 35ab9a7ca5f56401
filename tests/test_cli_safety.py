"""What the user wrote is printed as written: no rich markup, no emoji codes, no
highlighting, warnings on stderr only; runs that cannot fit in memory are refused up front;
extreme but legal inputs give no raw numpy warnings."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from stackbound.engine import budget
from stackbound.engine import run as run_module
from stackbound.engine.budget import Budget, check_fits
from stackbound.engine.plan import build_plan
from stackbound.engine.run import run
from stackbound.errors import ScenarioError, SimulationError
from stackbound.scenario.loader import load_scenario
from stackbound.scenario.overlay import builtin_dir
from support import run_main as cli

EXAMPLE = (builtin_dir() / "example.yaml").read_text()
MARKUP = "[red]x[bold]"
"""Names may not hold a slash, so no closing tag: unescaped, it would print as a red x."""
EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")


def marked_up(tmp_path: Path, repaired: bool = False) -> Path:
    """The example with markup in its name, description, vendor and an assumption; with
    ``repaired``, inconsistent correlations, so that loading it warns."""
    text = (
        EXAMPLE.replace("name: example", f"name: '{MARKUP}'")
        .replace("description: >", "description: >\n  [/red] :fire: [bold]not bold[/bold]")
        .replace("vendor: VendorA", "vendor: '[/red]'")
        .replace('"illustrative example value"', '"[/]:100:"')
    )
    if repaired:
        text = text.replace(
            "correlations:\n  - between: [sources.fab.wafer_starts, packaging.cowos_like.capacity]\n    rank: 0.5",
            "correlations:\n"
            "  - {between: [sources.fab.wafer_starts, packaging.cowos_like.capacity], rank: 0.9}\n"
            "  - {between: [sources.fab.wafer_starts, sources.hbm_smuggled.rate], rank: 0.9}\n"
            "  - {between: [packaging.cowos_like.capacity, sources.hbm_smuggled.rate], rank: -0.9}",
        )
    path = tmp_path / "marked.yaml"
    path.write_text(text)
    return path


RUN = ("--samples", "64", "--seed", "1")
TABLE_COMMANDS = [
    ("run", *RUN),
    ("show",),
    ("bottlenecks", *RUN),
    ("marginal", "--samples", "64"),
    ("sensitivity", "--output", "units", "--year", "2026"),
    ("discover", "--output", "units", "--year", "2026", "--below", "100k", *RUN),
]


@pytest.mark.parametrize("command", TABLE_COMMANDS, ids=lambda c: c[0])
def test_markup_in_names_is_printed_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: tuple[str, ...]
) -> None:
    code, out, err = cli(capsys, command[0], str(marked_up(tmp_path)), *command[1:])
    assert code == 0, err
    assert "Traceback" not in err
    assert MARKUP in out
    if command[0] == "show":
        assert "[/red] :fire: [bold]not bold[/bold]" in out
        assert "[/]:100:" in out
    assert not EMOJI.search(out + err)


def test_markup_in_names_in_compare_is_printed_as_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "compare", "example", str(marked_up(tmp_path)), *RUN)
    assert code == 0, err
    assert MARKUP in out


def test_a_load_warning_goes_to_stderr_as_text_and_json_stays_valid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, "run", str(marked_up(tmp_path, repaired=True)), *RUN, "--format", "json")
    assert code == 0, err
    assert json.loads(out)["scenario"] == MARKUP
    assert err == (
        f"warning {MARKUP}: the rank correlations were inconsistent and were replaced by the nearest valid matrix\n"
    )


def test_the_progress_label_is_not_markup(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from stackbound.cli.common import LazyProgress

    assert LazyProgress("[/]").label == "\\[/]"


def scenario_with_error_at(directory: Path, line: int) -> Path:
    """A scenario file whose unknown key sits at ``line``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"line{line}.yaml"
    path.write_text("# padding\n" * (line - 3) + "stackbound: 1\nname: x\nbogus_key: 1\n")
    return path


@pytest.mark.parametrize(("folder", "line"), [("plain", 100), ("plain", 1234), (":fire:", 100), (":100:", 7)])
def test_error_lines_are_printed_byte_for_byte(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], folder: str, line: int
) -> None:
    path = scenario_with_error_at(tmp_path / folder, line)
    with pytest.raises(ScenarioError) as raised:
        load_scenario(str(path))
    code, out, err = cli(capsys, "run", str(path), *RUN)
    assert code == 2
    assert out == ""
    assert err == str(raised.value) + "\n"
    assert f"{path}:{line}:12: bogus_key: unknown field" in err.splitlines()


# ------------------------------------------------------------------ memory


def test_a_run_too_big_for_memory_is_refused_before_it_starts() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "stackbound", "run", "example", "--samples", "1000000000", "--seed", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("1,000,000,000 samples need about ")
    assert "is available; run at most about " in lines[0]
    assert "split the run into several runs with different seeds" in lines[0]


def test_the_suggested_sample_count_fits(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = load_scenario("example")
    plan = build_plan(loaded)
    need = budget.budget(plan, 1_000_000, 1_024, 1, keep_paths=False)
    available = need.working + 50_000 * need.per_sample
    monkeypatch.setattr(run_module, "available_memory", lambda: available)
    with pytest.raises(SimulationError, match=r"run at most about ([\d,]+) samples") as raised:
        run(loaded, samples=1_000_000, seed=1, workers=1)
    suggested = int(re.search(r"at most about ([\d,]+)", str(raised.value)).group(1).replace(",", ""))  # type: ignore[union-attr]
    assert 0 < suggested <= 50_000
    assert need.per_sample * suggested + need.working <= available
    assert run(loaded, samples=1_000, seed=1, workers=1).samples == 1_000  # what fits still runs


def test_keep_paths_counts_every_monthly_series() -> None:
    plan = build_plan(load_scenario("example"))
    without = budget.budget(plan, 64, 1_024, 1, keep_paths=False)
    result = run(load_scenario("example"), samples=64, seed=1, keep_paths=True)
    assert result.paths is not None
    kept = sum(a.nbytes for a in result.annual.values()) + sum(a.nbytes for a in result.quarterly.values())
    assert without.per_sample * 64 == kept + result.runout.nbytes
    with_paths = budget.budget(plan, 64, 1_024, 1, keep_paths=True)
    assert with_paths.per_sample * 64 - without.per_sample * 64 == sum(a.nbytes for a in result.paths.values())


def test_unknown_available_memory_never_refuses() -> None:
    check_fits(Budget(per_sample=10**12, working=0), 10**9, False, None)


def test_available_memory_reads_meminfo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       32000000 kB\nMemAvailable:   1000 kB\n")
    monkeypatch.setattr(budget, "MEMINFO", meminfo)
    assert budget.available_memory() == 1000 * 1024


# ------------------------------------------------------------------ extreme inputs

EXTREMES = {
    # The largest values the loader accepts (every magnitude within ±1e15, a die area only > 0):
    # a 1e-300 mm² die makes more dies per wafer than a float holds.
    "tiny-die": "  sources.fab.dies.0.die_area: {value: 1e-300 mm^2, assumption: x}\n"
    "  sources.fab.dies.0.defect_density: {value: 1e15 /cm^2, assumption: x}\n",
    "huge-wafers": "  sources.fab.wafer_starts: {value: 1e15 wafer/month, assumption: x}\n"
    "  sources.die_bank.initial: {value: 1e15 die, assumption: x}\n",
    "huge-sigma": "  sources.fab.wafer_starts:\n"
    "    value: {lognormal: {median: 10, sigma: 8}, unit: wafer/month}\n"
    "    assumption: x\n",
}


@pytest.mark.parametrize("extreme", list(EXTREMES))
@pytest.mark.parametrize("mode", ["plain", "exact", "paths"])
def test_extreme_inputs_give_no_numpy_warnings(tmp_path: Path, extreme: str, mode: str) -> None:
    (tmp_path / "example.yaml").write_text(EXAMPLE)
    overlay = tmp_path / f"{extreme}.yaml"
    overlay.write_text(
        f"stackbound: 1\nextends: example.yaml\nname: {extreme}\ndescription: extreme\n"
        f"overrides:\n{EXTREMES[extreme]}remove:\n  - correlations\n"
    )
    loaded = load_scenario(str(overlay))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = run(loaded, samples=16, seed=1, exact=mode == "exact", keep_paths=mode == "paths", workers=2)
    assert result.samples == 16


# ------------------------------------------------------------------ --allow-outside

ANALYSES = [
    ("bottlenecks", "o.yaml", *RUN),
    ("compare", "example", "o.yaml", *RUN),
    ("marginal", "o.yaml", "--samples", "64"),
    ("sensitivity", "o.yaml", "--output", "units", "--year", "2026"),
    ("discover", "o.yaml", "--output", "units", "--year", "2026", "--below", "1k", *RUN),
]


@pytest.mark.parametrize("command", ANALYSES, ids=lambda c: c[0])
def test_analysis_commands_read_outside_extends_only_when_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: tuple[str, ...]
) -> None:
    (tmp_path / "base.yaml").write_text(EXAMPLE)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "o.yaml").write_text("stackbound: 1\nextends: ../base.yaml\nname: o\ndescription: d\n")
    monkeypatch.chdir(tmp_path / "sub")
    code, out, err = cli(capsys, *command)
    assert code == 2
    assert out == ""
    assert "pass --allow-outside to read it" in err
    code, out, err = cli(capsys, *command, "--allow-outside")
    assert code == 0, err
    assert "Traceback" not in err


def test_a_validation_file_is_printed_as_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "stackbound_validation: 1\nscenario: example\ncases:\n"
        "  - id: V1\n"
        '    claim: "[/red] :fire: [bold]claimed[/bold]"\n'
        "    estimate: {value: 400k}\n"
        '    unit: "[/]"\n'
        '    definition: "units of :100: [/dim]"\n'
        "    model: {metric: units, groups: [accel_a], years: [2025]}\n"
        "    source: https://example.org/x\n"
        "    date: 2025-01-01\n"
        "    grade: A\n"
    )
    code, out, err = cli(capsys, "validate", "example", "--cases", str(cases), *RUN)
    assert code == 0, err
    for text in ("[/red] :fire: [bold]claimed[/bold]", "400k [/]", "units of :100: [/dim]"):
        assert text in out
