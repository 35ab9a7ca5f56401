"""Output safety: nothing written outside ``--out``, only our own folders replaced, stale
work directories recovered, user text kept literal in every format, strict JSON."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook

from stackbound.cli import app as cli_app
from stackbound.cli import report as cli_report
from stackbound.cli import simulate as cli_simulate
from stackbound.engine.results import RunResult
from stackbound.engine.run import run
from stackbound.errors import OutputError
from stackbound.report import atomic
from stackbound.report.atomic import MARKER, check_output_target, recover, written_files
from stackbound.report.document import Link, Section, Table
from stackbound.report.excel import write_workbook
from stackbound.report.export import folder_name, write_run
from stackbound.report.figures import Figure, Series
from stackbound.report.gather import ReportSettings, gather
from stackbound.report.html import html_page
from stackbound.report.interactive import fragment
from stackbound.report.jsondoc import finite_document, json_text
from stackbound.report.markdown import markdown_page
from stackbound.report.write import write_report
from stackbound.scenario.loader import LoadedScenario, load_scenario

EVIL = '<img src=x onerror="alert(1)"> [click](javascript:alert(2)) | *b* $x$ and $y$'


@pytest.fixture(scope="module")
def example() -> tuple[LoadedScenario, RunResult]:
    loaded = load_scenario("example")
    return loaded, run(loaded, samples=64, seed=1)


def renamed(pair: tuple[LoadedScenario, RunResult], name: str) -> tuple[LoadedScenario, RunResult]:
    return pair[0], dataclasses.replace(pair[1], scenario=name)


def manifest(folder: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return document


def everything(root: Path) -> set[Path]:
    return {p.resolve() for p in root.rglob("*")}


# ------------------------------------------------------------------ names become folders


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../escaped", "escaped"),
        ("/etc/passwd", "etc-passwd"),
        ("..", "scenario-3"),
        ("", "scenario-3"),
        (".hidden", "hidden"),
        ("a b\x00c\nd", "a-b-c-d"),
        ("C:\\Windows", "C-Windows"),
        ("x" * 300, "x" * 64),
        ("china", "china"),
    ],
)
def test_folder_names_are_slugs(name: str, expected: str) -> None:
    assert folder_name(name, 3, set()) == expected


def test_folder_names_are_unique_and_never_the_manifest() -> None:
    used = {"manifest.json"}
    names = [folder_name(n, i, used) for i, n in enumerate(["a", "A", "a", "manifest.json", "../a"], start=1)]
    assert names == ["a", "A-2", "a-3", "manifest.json-4", "a-5"]


def test_a_run_writes_nothing_outside_out(example: tuple[LoadedScenario, RunResult], tmp_path: Path) -> None:
    """Issue 9.1: names like ``../../escaped`` or an absolute path wrote outside ``--out``."""
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    names = ["../../escaped", str(tmp_path / "absolute"), "../../escaped", "manifest.json"]
    runs = [renamed(example, n) for n in names]
    before = everything(tmp_path)
    out = write_run(work / "res", runs, {})
    assert everything(tmp_path) - before == everything(out) | {out.resolve()}
    folders = [r["folder"] for r in manifest(out)["runs"]]
    assert sorted(folders) == sorted(p.name for p in out.iterdir() if p.is_dir())
    assert [folders[0], *folders[2:]] == ["escaped", "escaped-3", "manifest.json-4"]
    assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", f) for f in folders)
    assert (out / "manifest.json").is_file()


# ------------------------------------------------------------------ which folders may be replaced


def test_manifest_lists_every_file_so_a_run_can_replace_its_own_output(
    example: tuple[LoadedScenario, RunResult], tmp_path: Path
) -> None:
    out = tmp_path / "res"
    runs = [example, renamed(example, "other")]
    write_run(out, runs, {}, [("units.png", lambda path: path.write_bytes(b"png"))])
    listed = manifest(out)["files"]
    assert listed == written_files(out)
    assert {"example/annual.csv", "other/summary.json", "units.png"} <= set(listed)
    check_output_target(out)
    write_run(out, [example], {})
    assert manifest(out)["files"] == written_files(out)
    assert not (out / "other").exists()


@pytest.mark.parametrize(
    "files",
    [
        {"manifest.json": "{}", "index.html": "<html>"},  # a web app's manifest
        {"manifest.json": '{"stackbound": "0.1.0", "files": ["a.csv"]}', "a.csv": "", "notes.txt": "mine"},
        {"manifest.json": "not json", "a.csv": ""},
        {"notes.txt": "mine"},
    ],
    ids=["web-app", "unlisted-file", "bad-manifest", "no-manifest"],
)
def test_a_foreign_folder_is_refused_and_kept(files: dict[str, str], tmp_path: Path) -> None:
    """Issue 9.2: any folder with a ``manifest.json`` was deleted whole."""
    target = tmp_path / "site"
    target.mkdir()
    for name, content in files.items():
        (target / name).write_text(content, encoding="utf-8")
    with pytest.raises(OutputError, match="not a stackbound output"):
        check_output_target(target)
    assert {p.name: p.read_text(encoding="utf-8") for p in target.iterdir()} == files


def test_a_symlink_inside_makes_a_folder_foreign(tmp_path: Path) -> None:
    target = tmp_path / "res"
    target.mkdir()
    (target / "manifest.json").write_text('{"stackbound": "0.1.0", "files": ["a.csv"]}', encoding="utf-8")
    (target / "a.csv").symlink_to(tmp_path / "elsewhere.csv")
    with pytest.raises(OutputError):
        check_output_target(target)


def test_absent_and_empty_targets_are_fine_and_a_file_is_not(tmp_path: Path) -> None:
    assert check_output_target(tmp_path / "new") == (tmp_path / "new").resolve()
    (tmp_path / "empty").mkdir()
    check_output_target(tmp_path / "empty")
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(OutputError):
        check_output_target(tmp_path / "file")


def simulation_must_not_start(*args: object, **kwargs: object) -> None:
    raise AssertionError("the simulation ran before --out was checked")


@pytest.mark.parametrize("command", ["run", "report"])
def test_out_is_checked_before_simulating(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "manifest.json").write_text("{}", encoding="utf-8")
    (tmp_path / "index.html").write_text("<html>", encoding="utf-8")
    monkeypatch.setattr(cli_simulate, "run", simulation_must_not_start)
    monkeypatch.setattr(cli_report, "gather", simulation_must_not_start)
    with pytest.raises(SystemExit) as done:
        cli_app.main([command, "example", "--samples", "64", "--out", str(tmp_path)])
    assert done.value.code == 2
    assert "not a stackbound output" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.html", "manifest.json"]


# ------------------------------------------------------------------ stale work directories


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def work_dir(target: Path, pid: int, host: str | None = None, token: str = "0badc0de") -> Path:
    work = target.parent / f".{target.name}.stackbound-{pid}-{token}"
    (work / "new").mkdir(parents=True)
    (work / "new" / "half.csv").write_text("1,2", encoding="utf-8")
    if host is not None:
        (work / MARKER).write_text(host, encoding="utf-8")
    return work


def test_recover_removes_only_provably_stale_work(tmp_path: Path) -> None:
    target, dead = tmp_path / "res", dead_pid()
    stale = work_dir(target, dead, socket.gethostname())
    mine = work_dir(target, os.getpid(), socket.gethostname())
    unmarked = work_dir(target, dead, token="0a")
    elsewhere = work_dir(target, dead, "another-host", token="0b")
    other_target = work_dir(tmp_path / "other", dead, socket.gethostname())
    empty = tmp_path / f".res.stackbound-{dead}-00000001"
    empty.mkdir()
    recover(target)
    assert [p.exists() for p in (stale, empty)] == [False, False]
    assert [p.exists() for p in (mine, unmarked, elsewhere, other_target)] == [True, True, True, True]


def test_recover_puts_the_old_results_back(tmp_path: Path) -> None:
    target = tmp_path / "res"
    work = work_dir(target, dead_pid(), socket.gethostname())
    (work / "old").mkdir()
    (work / "old" / "manifest.json").write_text('{"stackbound": "0.1.0", "files": []}', encoding="utf-8")
    check_output_target(target)
    assert (target / "manifest.json").is_file()
    assert not work.exists()


def test_recover_puts_back_what_an_older_version_hid(tmp_path: Path) -> None:
    """Issue 9.3: a kill between the old code's two renames left the results in ``.res.old-PID``."""
    target, dead = tmp_path / "res", dead_pid()
    hidden = tmp_path / f".res.old-{dead}"
    hidden.mkdir()
    (hidden / "manifest.json").write_text('{"stackbound": "0.1.0", "outputs": ["a.csv"]}', encoding="utf-8")
    (hidden / "a.csv").write_text("1", encoding="utf-8")
    foreign = tmp_path / f".other.old-{dead}"
    foreign.mkdir()
    recover(target)
    assert (target / "a.csv").read_text(encoding="utf-8") == "1"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [foreign.name]


@pytest.mark.skipif(atomic._renameat2() is None, reason="no renameat2 here (the fallback is tested instead)")
def test_exchange_swaps_two_folders_in_one_step(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "from-a").touch()
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "from-b").touch()
    assert atomic._exchange(tmp_path / "a", tmp_path / "b")
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["from-b"]
    assert [p.name for p in (tmp_path / "b").iterdir()] == ["from-a"]


# ------------------------------------------------------------------ the report directory


@pytest.fixture(scope="module")
def report_data() -> Any:
    settings = ReportSettings(samples=64, seed=1, sensitivity=False, discovery=False)
    return gather([load_scenario("example")], settings)


def test_report_manifest_lists_every_file_and_can_be_replaced(report_data: Any, tmp_path: Path) -> None:
    out = write_report(tmp_path / "report", report_data)
    listed = manifest(out)["files"]
    assert listed == written_files(out)
    assert {"report.html", "report.md", "stackbound.xlsx", "charts/units.png", "data/summary.csv"} <= set(listed)
    write_report(out, report_data)
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


# ------------------------------------------------------------------ user text stays literal


def sections() -> list[Section]:
    table = Table(("name", "source"), ((EVIL, (Link(EVIL, "https://a.b/c(d)<e>"), EVIL)),))
    return [Section("s", EVIL, paragraphs=(EVIL,), bullets=(EVIL,), charts=("units",), table=table)]


def figure() -> Figure:
    series = Series(EVIL, ("2025", EVIL), (1.0, 2.0), (0.5, 1.5), (1.5, 2.5))
    return Figure("units", "fan", EVIL, EVIL, EVIL, (series,), EVIL)


def test_markdown_escapes_user_text() -> None:
    page = markdown_page(EVIL, sections(), [figure()])
    assert "<img" not in page
    assert not re.search(r"(?<!\\)\]\(javascript", page), "no link"
    assert "\\[click\\]" in page
    row = next(line for line in page.splitlines() if line.startswith("| ") and "onerror" in line)
    assert len(re.findall(r"(?<!\\)\|", row)) == 3, "one row of two cells"
    assert "(https://a.b/c%28d%29%3Ce%3E)" in page


def test_html_and_interactive_charts_escape_user_text() -> None:
    page = html_page(EVIL, "en", sections(), [figure()])
    assert "<img" not in page
    assert "\\u003cimg" not in page, "plotly would read the name as HTML"
    assert "onerror" in fragment(figure())


def test_static_charts_take_dollars_literally(tmp_path: Path) -> None:
    from stackbound.report.charts import save

    bad = Figure("units", "fan", "$\\frac{$", "$", "$x$", (Series("a$b$\\c", ("2025",), (1.0,)),), "$")
    assert [p.name for p in save(bad, tmp_path)] == ["units.png", "units.svg"]


def test_workbook_cells_with_control_characters_and_formulas(tmp_path: Path) -> None:
    """Issue 9.12: a control character in a vendor crashed the workbook (exit 1)."""
    table = pd.DataFrame({"vendor\x07": ["Vendor\x01A", '=HYPERLINK("http://x","y")'], "units": [1.0, 2.0]})
    write_workbook(tmp_path / "book.xlsx", {"t": table})
    sheet = load_workbook(tmp_path / "book.xlsx")["t"]
    assert [c.value for c in sheet[1]] == ["vendor\ufffd", "units"]
    assert sheet["A2"].value == "Vendor\ufffdA"
    assert sheet["A3"].value == '=HYPERLINK("http://x","y")'
    assert sheet["A3"].data_type == "s"


def test_check_prints_names_without_markup(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = tmp_path / "[bold]s.yaml"
    scenario.write_text("stackbound: 1\nextends: example\nname: '[red]x[red] :fire:'\n", encoding="utf-8")
    cli_app.main(["check", str(scenario)])
    printed = capsys.readouterr().out
    assert "[red]x[red] :fire:" in printed
    assert "[bold]s.yaml" in printed


# ------------------------------------------------------------------ strict JSON


def test_finite_document_names_what_it_replaced() -> None:
    document, found = finite_document(
        {
            "annual": [
                {
                    "year": 2025,
                    "metric": "units",
                    "group": "total",
                    "p5": 1.0,
                    "p95": float("inf"),
                    "mean": float("nan"),
                }
            ]
        }
    )
    assert document["annual"][0] == {
        "year": 2025,
        "metric": "units",
        "group": "total",
        "p5": 1.0,
        "p95": None,
        "mean": None,
    }
    assert [(f["field"], f["value"], f["metric"], f["path"]) for f in found] == [
        ("p95", "inf", "units", "/annual/0/p95"),
        ("mean", "nan", "units", "/annual/0/mean"),
    ]
    with pytest.raises(ValueError, match="not JSON compliant"):
        json_text({"x": float("nan")})


def stackbound(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "stackbound", *args], capture_output=True, text=True, timeout=300)


def strict(text: str) -> Any:
    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


HUGE = """stackbound: 1
extends: example
name: huge
overrides:
  sources.fab.dies.0.die_area: {value: 1e-300 mm^2, assumption: test}
  sources.fab.wafer_starts: {value: 1e15 wafer/month, assumption: test}
  sources.die_bank.initial: {value: 1e15 die, assumption: test}
  sources.hbm_stockpile.initial: {value: 1e15 stack, assumption: test}
  products.accel_a.demand_cap: {value: 1e15 unit/month, assumption: test}
  market_demand.units: {value: 1e15 unit/month, assumption: test}
  imports.licensed.units: {value: 1e15 unit/month, assumption: test}
remove:
  - correlations
"""
# Legal extremes (every magnitude within ±1e15; a die area only > 0): a 1e-300 mm² die
# makes more dies per wafer than a float holds.


def test_values_beyond_any_magnitude_are_refused_at_load(tmp_path: Path) -> None:
    """Issue 9.13, the other half: ``1e308`` and a huge sigma are refused with their line."""
    scenario = tmp_path / "beyond.yaml"
    scenario.write_text(
        HUGE.replace("1e15 die,", "1e308 die,").replace(
            "  market_demand.units: {value: 1e15 unit/month, assumption: test}",
            "  market_demand.units:\n    value: {lognormal: {median: 5k, sigma: 1000}, unit: unit/month}\n"
            "    assumption: test",
        ),
        encoding="utf-8",
    )
    done = stackbound("check", str(scenario))
    assert done.returncode == 2
    assert f"{scenario}:7:29: sources.die_bank.initial: a count must lie within ±1e+15, got 1e+308" in done.stderr
    assert "market_demand.units: the 99.99% quantile of a rate must be <= 1e+15" in done.stderr
    assert "Traceback" not in done.stderr


def test_extreme_values_give_valid_json_and_one_warning(tmp_path: Path) -> None:
    """Issue 9.13: ``1e308`` gave ``Infinity``/``NaN`` in the JSON and numpy warnings."""
    scenario = tmp_path / "huge.yaml"
    scenario.write_text(HUGE, encoding="utf-8")
    out = tmp_path / "out"
    done = stackbound("run", str(scenario), "--samples", "64", "--seed", "1", "--format", "json", "--out", str(out))
    assert done.returncode == 0, done.stderr
    printed = strict(done.stdout)
    assert printed["non_finite"], "the overflow is reported in the document"
    assert {f["field"] for f in printed["non_finite"]} <= {
        "mean",
        "p5",
        "p50",
        "p95",
        "probability",
        "starved_by_priority",
    }
    row = next(r for r in printed["annual"] if r["p95"] is None)
    assert any(f["metric"] == row["metric"] and f["group"] == row["group"] for f in printed["non_finite"])
    assert strict((out / "summary.json").read_text(encoding="utf-8"))["non_finite"]
    strict((out / "manifest.json").read_text(encoding="utf-8"))
    for stderr in (done.stderr, stackbound("run", str(scenario), "--samples", "64", "--seed", "1").stderr):
        assert len([line for line in stderr.splitlines() if "not finite" in line]) == 1
        assert "RuntimeWarning" not in stderr


def test_outputs_follow_the_users_umask(tmp_path: Path) -> None:
    """Issue 11 §4: results were readable by their owner only (mkstemp/mkdtemp modes); with
    umask 022 a chart is 0644 and an output folder 0755, like any file the user makes."""
    chart, out = tmp_path / "units.png", tmp_path / "out"
    for args in (["--plot", str(chart)], ["--out", str(out)]):
        done = subprocess.run(
            [sys.executable, "-m", "stackbound", "run", "example", "--samples", "64", *args],
            capture_output=True,
            text=True,
            timeout=300,
            preexec_fn=lambda: os.umask(0o022),
        )
        assert done.returncode == 0, done.stderr
    assert chart.stat().st_mode & 0o777 == 0o644
    assert out.stat().st_mode & 0o777 == 0o755
    assert (out / "manifest.json").stat().st_mode & 0o777 == 0o644
