"""The routes the workbench page draws from, against a live server on loopback, as any
client would use them: the server's version and limits, a run's charts, fans, the paired
comparison chart, the inputs' histograms, the model graph, the overlay file, a report's
files one by one, and the page itself (its files, its security policy, the Host guard).

Every number a chart shows is checked against the library on a run made in this process
with the same scenario, seed and samples."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl  # type: ignore[import-untyped]
import pandas as pd
import plotly  # type: ignore[import-untyped]
import pytest
import yaml

from stackbound.engine.histogram import sample_percentiles
from stackbound.engine.results import PERCENTILES, RunResult
from stackbound.engine.run import run
from stackbound.report.figures import units_fan
from stackbound.report.i18n import text
from stackbound.scenario.loader import LoadedScenario, load_scenario, load_scenario_text
from stackbound.scenario.months import format_month
from stackbound.scenario.overlay import builtin_dir
from stackbound.serve.scenarios import load_source
from stackbound.serve.schemas import ScenarioSource
from test_api_support import Live, live_server

SAMPLES = 2_048
SEED = 3
EXAMPLE = {"scenario": "example", "samples": SAMPLES, "seed": SEED}
NO_LICENCE = {**EXAMPLE, "levers": {"import_licence": 0}}
MAX_SAMPLES = 20_000
MAX_BODY = 600_000
CHART_KEYS = ["units", "compute", "production", "runway", "binding", "stranded", "owned"]
OVERLAY = "stackbound: 1\nextends: example\noverrides:\n  sources.fab.cycle_time: 4 month\n"


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    with live_server(max_samples=MAX_SAMPLES, max_body_bytes=MAX_BODY, workers=2, queue_size=16) as server:
        yield server


def finished(live: Live, body: dict[str, Any]) -> str:
    """The id of a finished run of ``body``."""
    answer = live.client.post("/v1/runs", json=body)
    assert answer.status_code in (202, 303), answer.text
    location = answer.headers["location"]
    assert live.wait(location)["status"] == "done"
    return str(location.rsplit("/", 1)[1])


@pytest.fixture(scope="module")
def base(live: Live) -> str:
    """The example scenario, run by the server."""
    return finished(live, EXAMPLE)


@pytest.fixture(scope="module")
def no_licence(live: Live) -> str:
    """The example without licensed imports, paired with ``base`` (same seed and samples)."""
    return finished(live, NO_LICENCE)


@pytest.fixture(scope="module")
def example() -> LoadedScenario:
    return load_scenario("example")


@pytest.fixture(scope="module")
def local(example: LoadedScenario) -> RunResult:
    """The same run as ``base``, made in this process."""
    return run(example, samples=SAMPLES, seed=SEED)


def get(live: Live, path: str, **params: Any) -> dict[str, Any]:
    answer = live.client.get(path, params=params)
    assert answer.status_code == 200, answer.text
    document: dict[str, Any] = answer.json()
    return document


def traces(chart: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A fan chart's traces by name (``example``: the P50; ``example P5``, ``example P95``: the band)."""
    return {trace["name"]: trace for trace in chart["data"]}


def band(values: Any) -> dict[str, list[float]]:
    """The P5, P50 and P95 of per-sample values (samples × periods), as the report takes them."""
    p5, p50, p95 = sample_percentiles(np.asarray(values), PERCENTILES)
    return {"example P5": list(p5), "example": list(p50), "example P95": list(p95)}


def drawn_band(chart: dict[str, Any]) -> dict[str, list[float]]:
    shown = traces(chart)
    return {name: shown[name]["y"] for name in ("example P5", "example", "example P95")}


def assert_same_band(shown: dict[str, list[float]], expected: dict[str, list[float]], rtol: float = 1e-12) -> None:
    assert shown.keys() == expected.keys()
    for name, values in expected.items():
        np.testing.assert_allclose(shown[name], values, rtol=rtol, err_msg=name)


# ------------------------------------------------------------------ about


def test_about_gives_the_package_version_and_this_servers_limits(live: Live) -> None:
    assert get(live, "/v1/about") == {
        "version": version("stackbound"),
        "max_samples": MAX_SAMPLES,
        "max_body_bytes": MAX_BODY,
    }


# ------------------------------------------------------------------ charts and fans


def test_charts_are_the_reports_charts_of_the_run_as_plotly_json(live: Live, base: str) -> None:
    charts = get(live, f"/v1/runs/{base}/charts")["charts"]
    assert [c["key"] for c in charts] == CHART_KEYS
    for chart in charts:
        assert set(chart) == {"key", "title", "data", "layout", "config"}
        assert chart["data"], chart["key"]
        assert chart["title"]
        assert chart["config"]["displaylogo"] is False
    assert charts[0]["title"] == text("en", "units_title")
    dutch = get(live, f"/v1/runs/{base}/charts", lang="nl")["charts"]
    assert dutch[0]["title"] == text("nl", "units_title") != charts[0]["title"]


def test_the_charts_numbers_are_the_librarys(live: Live, base: str, local: RunResult) -> None:
    charts = {c["key"]: c for c in get(live, f"/v1/runs/{base}/charts")["charts"]}
    units = drawn_band(charts["units"])
    assert_same_band(units, band(local.annual_values("units")))
    [report] = units_fan([local], "en", version("stackbound")).series
    assert units["example"] == pytest.approx(list(report.y), rel=1e-12)
    assert units["example P5"] == pytest.approx(list(report.low or ()), rel=1e-12)
    assert traces(charts["units"])["example"]["x"] == [str(y) for y in local.years]
    compute = drawn_band(charts["compute"])
    assert_same_band(compute, band(local.annual_values("compute_added_h100e")))


def test_charts_list_the_series_a_fan_can_show(live: Live, base: str, local: RunResult) -> None:
    series = get(live, f"/v1/runs/{base}/charts")["series"]
    assert series["units"] == {
        "unit": "units",
        "groups": ["total", "accel_a", "accel_b", "import_gpu"],
        "monthly": ["accel_a", "accel_b", "import_gpu"],
    }
    assert series["compute_added_h100e"]["unit"] == "H100e"
    assert set(series) <= set(local.metrics())
    for metric, shown in series.items():
        assert shown["groups"][0] == "total", metric
        assert set(shown["monthly"]) <= set(shown["groups"]), metric
        assert {(metric, g) for g in shown["monthly"]} <= set(local.monthly_keys), metric


@pytest.mark.parametrize(("metric", "group"), [("units", "total"), ("units", "accel_b"), ("hbm_stacks_made", "hbm3")])
def test_a_fan_by_year_is_the_runs_percentiles(
    live: Live, base: str, local: RunResult, metric: str, group: str
) -> None:
    chart = get(live, f"/v1/runs/{base}/fan", metric=metric, group=group)
    assert chart["key"] == f"fan-{metric}-{group}"
    assert_same_band(drawn_band(chart), band(local.annual_values(metric, group)))
    assert traces(chart)["example"]["x"] == ["2025", "2026", "2027"]


def test_a_fan_by_month_is_the_runs_monthly_percentiles(live: Live, base: str, local: RunResult) -> None:
    chart = get(live, f"/v1/runs/{base}/fan", metric="units", group="accel_a", by="month")
    shown = drawn_band(chart)
    for name, q in (("example P5", 5), ("example", 50), ("example P95", 95)):
        assert shown[name] == pytest.approx(list(local.monthly_percentile("units", "accel_a", q)), rel=1e-12)
    months = traces(chart)["example"]["x"]
    assert months == [format_month(m) for m in local.months]
    assert (months[0], months[-1], len(months)) == ("2025-01", "2027-12", 36)
    assert chart["layout"]["xaxis"]["title"]["text"] == "month"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"metric": "no_such_metric"}, "no series 'no_such_metric'"),
        ({"metric": "units", "group": "no_such_group"}, "no series 'units' of 'no_such_group'"),
        ({"metric": "units", "group": "total", "by": "month"}, "kept per year only"),
        ({"metric": "dies_made", "group": "logic_die", "by": "month"}, "kept per year only"),
        ({"metric": "units", "by": "week"}, ""),
    ],
    ids=["unknown metric", "unknown group", "units total by month", "dies by month", "by week"],
)
def test_a_fan_of_an_unknown_series_or_by_month_of_a_yearly_one_is_422(
    live: Live, base: str, params: dict[str, str], message: str
) -> None:
    answer = live.client.get(f"/v1/runs/{base}/fan", params=params)
    assert answer.status_code == 422
    assert message in answer.json()["message"]


@pytest.mark.parametrize(("group", "by"), [("total", "year"), ("accel_a", "month")])
def test_a_fan_with_another_run_adds_its_p50_as_a_line(
    live: Live, base: str, no_licence: str, group: str, by: str
) -> None:
    alone = get(live, f"/v1/runs/{base}/fan", metric="units", group=group, by=by)
    beside = get(live, f"/v1/runs/{base}/fan", **{"metric": "units", "group": group, "by": by, "with": no_licence})
    assert len(beside["data"]) == len(alone["data"]) + 1
    assert drawn_band(beside) == drawn_band(alone)  # the band is still this run's
    other = get(live, f"/v1/runs/{no_licence}/fan", metric="units", group=group, by=by)
    [line] = [t for t in beside["data"] if t["name"] not in traces(alone)]
    assert line["y"] == traces(other)["example"]["y"]
    assert line.get("fill") is None  # a line, not a second band
    if group == "total":  # no licensed imports: fewer units in every year
        assert all(a < b for a, b in zip(line["y"], traces(alone)["example"]["y"], strict=True))


def test_a_fan_with_an_unknown_run_is_404(live: Live, base: str) -> None:
    answer = live.client.get(f"/v1/runs/{base}/fan", params={"with": "0123"})
    assert answer.status_code == 404
    assert answer.json()["error"] == "not_found"
    assert live.client.get("/v1/runs/0123/fan").status_code == 404


# ------------------------------------------------------------------ paired comparison


@pytest.mark.parametrize("group", ["total", "imported"])
def test_the_comparison_chart_is_the_paired_differences_of_compare(
    live: Live, base: str, no_licence: str, group: str
) -> None:
    chart = get(live, f"/v1/runs/{base}/compare/chart", **{"with": no_licence, "metric": "units", "group": group})
    compared = get(live, f"/v1/runs/{base}/compare", **{"with": no_licence})
    rows = sorted(
        (d for d in compared["differences"] if d["metric"] == "units" and d["group"] == group),
        key=lambda d: d["year"],
    )
    assert [r["year"] for r in rows] == [2025, 2026, 2027]
    changed = "example with import_licence=0"  # the example against itself, a lever moved
    shown = traces(chart)
    assert shown[changed]["y"] == pytest.approx([r["p50"] for r in rows], rel=1e-6)
    assert shown[f"{changed} P5"]["y"] == pytest.approx([r["p5"] for r in rows], rel=1e-6)
    assert shown[f"{changed} P95"]["y"] == pytest.approx([r["p95"] for r in rows], rel=1e-6)
    assert shown[changed]["x"] == ["2025", "2026", "2027"]
    assert all(p50 < 0 for p50 in shown[changed]["y"])  # no imports: fewer units


def test_a_comparison_chart_needs_a_paired_known_run(live: Live, base: str) -> None:
    other_seed = finished(live, {**EXAMPLE, "seed": SEED + 1})
    answer = live.client.get(f"/v1/runs/{base}/compare/chart", params={"with": other_seed})
    assert answer.status_code == 422
    assert "paired comparison needs one seed" in answer.json()["message"]
    assert live.client.get(f"/v1/runs/{base}/compare/chart", params={"with": "0123"}).status_code == 404
    assert live.client.get(f"/v1/runs/{base}/compare/chart").status_code == 422  # with= is required


def test_a_comparison_chart_of_an_unknown_metric_or_group_is_422(live: Live, base: str, no_licence: str) -> None:
    answer = live.client.get(f"/v1/runs/{base}/compare/chart", params={"with": no_licence, "metric": "no_such_metric"})
    assert answer.status_code == 422
    answer = live.client.get(f"/v1/runs/{base}/compare/chart", params={"with": no_licence, "group": "accel_a"})
    assert answer.status_code == 422
    assert "groups compared" in answer.json()["message"]


# ------------------------------------------------------------------ inputs


def test_inputs_give_one_histogram_per_uncertain_input_of_every_sample(
    live: Live, base: str, example: LoadedScenario, local: RunResult
) -> None:
    inputs = get(live, f"/v1/runs/{base}/inputs")["inputs"]
    assert [i["name"] for i in inputs] == [given.name for given in example.inputs]
    assert len(inputs) == get(live, "/v1/scenarios/example")["uncertain_inputs"] == 13
    draws = local.input_draws(example)
    for histogram in inputs:
        assert len(histogram["counts"]) == 24
        assert len(histogram["edges"]) == 25
        assert sum(histogram["counts"]) == SAMPLES
        assert np.all(np.diff(histogram["edges"]) > 0)
        assert histogram["p5"] <= histogram["p50"] <= histogram["p95"]
        assert histogram["edges"][0] <= histogram["p5"]
        assert histogram["p95"] <= histogram["edges"][-1]
        values = draws[histogram["name"]].to_numpy()
        assert histogram["p50"] == pytest.approx(float(np.median(values)), rel=1e-9)
        assert histogram["mean"] == pytest.approx(float(values.mean()), rel=1e-9)
    starts = next(i for i in inputs if i["name"] == "sources.fab.wafer_starts@2026-12")
    assert starts["field"] == "sources.fab.wafer_starts"
    assert 7_000 < starts["p5"] < starts["p95"] < 16_500  # "8k to 15k (90%)", as drawn


@pytest.mark.parametrize(("bins", "status"), [(4, 200), (100, 200), (3, 422), (101, 422), (0, 422)])
def test_inputs_bins_are_4_to_100(live: Live, base: str, bins: int, status: int) -> None:
    answer = live.client.get(f"/v1/runs/{base}/inputs", params={"bins": bins})
    assert answer.status_code == status
    if status == 200:
        for histogram in answer.json()["inputs"]:
            assert len(histogram["counts"]) == bins
            assert sum(histogram["counts"]) == SAMPLES


# ------------------------------------------------------------------ model graph


def check_graph(graph: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The graph's invariants; its nodes by id."""
    ids = [n["id"] for n in graph["nodes"]]
    assert len(ids) == len(set(ids))
    assert all(e["source"] in ids and e["target"] in ids for e in graph["edges"])
    assert all(n["binds"] is None or 0.0 <= n["binds"] <= 1.0 for n in graph["nodes"])
    kinds = [n["kind"] for n in graph["nodes"]]
    assert kinds == sorted(kinds, key=["source", "component", "variant", "packaging"].index)
    [sankey] = graph["figure"]["data"]
    assert len(sankey["node"]["label"]) == len(ids)
    assert len(sankey["link"]["source"]) == len(graph["edges"])
    return {n["id"]: n for n in graph["nodes"]}


def test_the_graph_binds_are_the_runs_binding_counts(live: Live, base: str, local: RunResult) -> None:
    nodes = check_graph(get(live, f"/v1/runs/{base}/graph"))
    counts = local.binding_counts.astype(np.float64)
    users = [local.variants.index(v) for v in ("accel_a/hbm2e", "accel_b/hbm2e")]
    inactive, hbm2e = local.constraint_names.index("inactive"), local.constraint_names.index("hbm2e")
    active = SAMPLES * len(users) * len(local.months) - counts[users, inactive].sum()
    share = counts[users, hbm2e].sum() / active
    assert 0.05 < share < 0.95
    assert nodes["component:hbm2e"]["binds"] == pytest.approx(share, rel=1e-12)
    packaging = local.constraint_names.index("packaging")
    everyone = SAMPLES * len(local.variants) * len(local.months) - counts[:, inactive].sum()
    assert nodes["packaging:cowos_like"]["binds"] == pytest.approx(counts[:, packaging].sum() / everyone, rel=1e-12)
    assert nodes["source:fab"]["binds"] is None
    assert "sources.fab.wafer_starts" in nodes["source:fab"]["fields"]
    assert {e["label"] for e in get(live, f"/v1/runs/{base}/graph")["edges"]} >= {"6 per unit", "8 per unit"}


def test_the_graph_of_the_china_scenario_is_well_formed(live: Live) -> None:
    china = finished(live, {"scenario": "china", "samples": 1_000, "seed": SEED})
    nodes = check_graph(get(live, f"/v1/runs/{china}/graph"))
    assert sum(n["kind"] == "variant" for n in nodes.values()) > 10
    assert any(n["binds"] for n in nodes.values() if n["kind"] == "component")


# ------------------------------------------------------------------ overlay


def overlay(live: Live, body: dict[str, Any]) -> str:
    answer = live.client.post("/v1/overlay", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/yaml")
    assert answer.headers["content-disposition"].startswith("attachment; filename=")
    return answer.text


def test_an_overlay_of_a_builtin_holds_only_the_changes_and_loads_to_the_run(live: Live, no_licence: str) -> None:
    answer = live.client.post("/v1/overlay", json={"scenario": "example", "levers": {"import_licence": 0}})
    assert answer.headers["content-disposition"] == 'attachment; filename="example-overlay.yaml"'
    assert yaml.safe_load(answer.text) == {
        "stackbound": 1,
        "extends": "example",
        "overrides": {"levers.import_licence.value": 0},
    }
    digest = get(live, f"/v1/runs/{no_licence}")["digest"]
    assert load_scenario_text(answer.text, "x").digest == digest
    plain = overlay(live, {"scenario": "example"})
    assert yaml.safe_load(plain) == {"stackbound": 1, "extends": "example"}
    assert load_scenario_text(plain, "x").digest == load_scenario("example").digest != digest


def test_an_uploaded_overlay_gets_the_levers_and_overrides_merged_into_its_own(live: Live) -> None:
    body: dict[str, Any] = {
        "yaml": OVERLAY,
        "levers": {"import_licence": 0},
        "overrides": {"packaging.cowos_like.lag": "2 month"},
    }
    text = overlay(live, body)
    assert yaml.safe_load(text)["overrides"] == {
        "sources.fab.cycle_time": "4 month",
        "packaging.cowos_like.lag": "2 month",
        "levers.import_licence.value": 0,
    }
    assert load_scenario_text(text, "x").digest == load_source(ScenarioSource(**body)).digest
    assert load_scenario_text(text, "x").digest != load_scenario_text(OVERLAY, "x").digest
    assert overlay(live, {"yaml": OVERLAY}) == OVERLAY  # no changes: the text as uploaded


def test_an_uploaded_whole_scenario_gets_the_changes_applied(live: Live) -> None:
    whole = (builtin_dir() / "example.yaml").read_text(encoding="utf-8")
    body: dict[str, Any] = {"yaml": whole, "levers": {"import_licence": 0}}
    text = overlay(live, body)
    loaded = load_scenario_text(text, "x")
    assert loaded.digest == load_source(ScenarioSource(**body)).digest
    assert loaded.digest == load_source(ScenarioSource(scenario="example", levers={"import_licence": 0})).digest


def test_an_overlay_that_does_not_load_is_422_with_its_problems(live: Live) -> None:
    answer = live.client.post("/v1/overlay", json={"scenario": "example", "levers": {"no_such_lever": 1}})
    assert answer.status_code == 422
    [problem] = answer.json()["problems"]
    assert problem["path"] == "overrides.levers.no_such_lever.value"
    assert "does not exist" in problem["message"]
    broken = live.client.post("/v1/overlay", json={"yaml": OVERLAY + "  no.such.path: 1\n"})
    assert broken.status_code == 422
    assert broken.json()["problems"][0]["line"] == 5
    assert live.client.post("/v1/overlay", json={"scenario": "no-such-scenario"}).status_code == 404
    foreign = live.client.post("/v1/overlay", json={"scenario": "example"}, headers={"origin": "http://evil.example"})
    assert foreign.status_code == 403


# ------------------------------------------------------------------ a report's files


@pytest.fixture(scope="module")
def report(live: Live, base: str) -> str:
    """The location of a finished report analysis of ``base`` (a few seconds: its run is reused)."""
    answer = live.client.post(f"/v1/runs/{base}/analyses", json={"method": "report"})
    assert answer.status_code in (202, 303)
    location = answer.headers["location"]
    assert live.wait(location, timeout=60)["status"] == "done"
    return str(location)


def test_a_report_gives_its_html_and_workbook_one_by_one(live: Live, report: str) -> None:
    page = live.client.get(f"{report}/results", params={"file": "report.html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.text.lstrip().lower().startswith("<!doctype html")
    assert "example" in page.text
    workbook = live.client.get(f"{report}/results", params={"file": "stackbound.xlsx"})
    assert workbook.status_code == 200
    assert workbook.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert workbook.content.startswith(b"PK")
    assert openpyxl.load_workbook(io.BytesIO(workbook.content), read_only=True).sheetnames
    assert ".xlsx" in workbook.headers["content-disposition"]


def test_a_reports_annual_table_is_the_runs(live: Live, base: str, report: str) -> None:
    answer = live.client.get(f"{report}/results", params={"file": "data/annual.csv"})
    assert answer.status_code == 200
    table = pd.read_csv(io.BytesIO(answer.content))
    units = table[(table["metric"] == "units") & (table["group"] == "total")].sort_values("year")
    served = [
        r["p50"]
        for r in get(live, f"/v1/runs/{base}/results")["annual"]
        if r["metric"] == "units" and r["group"] == "total"
    ]
    assert units["p50"].tolist() == pytest.approx(served, rel=1e-6)
    markdown = live.client.get(f"{report}/results", params={"file": "report.md"})
    assert markdown.text.startswith("# stackbound report: example")


def test_a_report_file_must_be_one_of_its_four(live: Live, report: str, base: str) -> None:
    for name in ("report.pdf", "../report.html", "data/monthly.csv"):
        assert live.client.get(f"{report}/results", params={"file": name}).status_code == 422
    answer = live.client.post(f"/v1/runs/{base}/analyses", json={"method": "tornado"})
    location = answer.headers["location"]
    assert live.wait(location)["status"] == "done"
    refused = live.client.get(f"{location}/results", params={"file": "report.html"})
    assert refused.status_code == 422
    assert "report" in refused.json()["message"]
    assert live.client.get(f"{location}/results").status_code == 200


# ------------------------------------------------------------------ the page


def assert_policy(answer: Any) -> None:
    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self'" in policy
    assert "connect-src 'self'" in policy


def test_the_page_is_html_with_a_security_policy_and_loads_only_this_servers_files(live: Live) -> None:
    page = live.client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert_policy(page)
    assert page.text.lstrip().lower().startswith("<!doctype html")
    loaded = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', page.text)
    assert "/static/plotly.min.js" in loaded
    assert "/static/app.js" in loaded
    for path in loaded:
        if path.startswith("data:"):
            continue
        assert path.startswith("/static/"), path
        answer = live.client.get(path)
        assert answer.status_code == 200, path
        assert_policy(answer)


def test_plotly_is_the_installed_packages_file(live: Live) -> None:
    answer = live.client.get("/static/plotly.min.js")
    assert answer.headers["content-type"].startswith("text/javascript")
    installed = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    assert answer.content == installed.read_bytes()
    assert live.client.get("/static/app.css").headers["content-type"].startswith("text/css")


@pytest.mark.parametrize(
    "target",
    [
        b"/static/../x",
        b"/static/..",
        b"/static/%2e%2e",
        b"/static/..%2Fpage.py",
        b"/static/other.js",
        b"/static/index.html",
    ],
)
def test_no_other_file_is_served(live: Live, target: bytes) -> None:
    """Each target is sent as written (httpx would resolve the dots before sending)."""
    sent_as_written = live.client.get("/", extensions={"target": b"/static/app.css"})
    assert sent_as_written.content == live.client.get("/static/app.css").content
    answer = live.client.get("/", extensions={"target": target})
    assert answer.status_code == 404
    assert answer.json()["error"] == "not_found"


@pytest.mark.parametrize(
    ("host", "status"), [("evil.example", 403), ("127.0.0.1.evil.example:{port}", 403), ("localhost:{port}", 200)]
)
def test_the_host_guard_applies_to_the_page(live: Live, host: str, status: int) -> None:
    answer = live.client.get("/", headers={"host": host.format(port=live.port)})
    assert answer.status_code == status
    if status == 403:
        assert answer.json()["error"] == "forbidden_host"
