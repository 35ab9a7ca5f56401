"""The HTTP API against a live server on loopback: every endpoint, the id and cache rule,
formats, levers and overrides, and errors as JSON. Limits and security are in
test_api_limits.py, the load test and the OpenAPI snapshot in test_api_load.py."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from stackbound.scenario.overlay import builtin_dir, builtin_names
from test_api_support import Live, live_server

SAMPLES = 2_048
EXAMPLE = {"scenario": "example", "samples": SAMPLES, "seed": 3}


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    with live_server(max_samples=50_000, workers=2, queue_size=16) as server:
        yield server


@pytest.fixture(scope="module")
def example_run(live: Live) -> str:
    """The location of a finished run of the example scenario."""
    answer = live.client.post("/v1/runs", json=EXAMPLE)
    assert answer.status_code in (202, 303)
    location = answer.headers["location"]
    assert live.wait(location)["status"] == "done"
    return location


def submit(live: Live, body: dict[str, Any], path: str = "/v1/runs") -> tuple[int, str]:
    answer = live.client.post(path, json=body)
    assert answer.status_code in (202, 303), answer.text
    return answer.status_code, answer.headers["location"]


# ------------------------------------------------------------------ scenarios and check


def test_scenarios_lists_every_builtin_with_its_story(live: Live) -> None:
    listed = live.client.get("/v1/scenarios").json()
    assert [s["name"] for s in listed] == builtin_names()
    china = next(s for s in listed if s["name"] == "china")
    assert china["extends"] is None
    assert china["story"].startswith("China")
    assert all(s["extends"] == "china" for s in listed if s["name"] not in ("china", "example"))


def test_a_scenario_shows_every_input_with_label_unit_distribution_and_source(live: Live) -> None:
    view = live.client.get("/v1/scenarios/example").json()
    assert view["name"] == "example"
    assert view["horizon"] == {"start": "2025-01", "end": "2027-12"}
    assert view["files"] == ["example (built-in)"]
    assert view["uncertain_inputs"] == 13
    rows = {row["field"]: row for row in view["inputs"]}
    starts = rows["sources.fab.wafer_starts"]
    assert "8k to 15k (90%)" in starts["value"]
    assert starts["unit"] == "wafer/month"
    assert starts["assumption"] == "illustrative example value"
    assert starts["label"]
    assert {lever["name"] for lever in view["levers"]} == {"smuggling_enforcement", "import_licence"}
    china = live.client.get("/v1/scenarios/china").json()
    graded = [row for row in china["inputs"] if row["grade"]]
    assert graded
    assert all(row["source"] for row in graded)


def test_an_unknown_scenario_is_404_json_naming_the_builtins(live: Live) -> None:
    for name in ("no-such-scenario", "china.yaml", "..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd"):
        answer = live.client.get(f"/v1/scenarios/{name}")
        assert answer.status_code == 404
        assert answer.json()["error"] == "not_found"
    assert "built-in: china" in live.client.get("/v1/scenarios/china.yaml").json()["message"]


def test_check_of_a_good_text_says_ok_and_resolves_it(live: Live) -> None:
    text = (builtin_dir() / "example.yaml").read_text(encoding="utf-8")
    checked = live.client.post("/v1/check", json={"yaml": text}).json()
    assert checked["ok"] is True
    assert checked["problems"] == []
    assert checked["scenario"]["name"] == "example"
    assert checked["scenario"]["files"] == ["<upload>"]


def test_check_of_an_overlay_reports_values_without_provenance(live: Live) -> None:
    overlay = "stackbound: 1\nextends: example\noverrides:\n  sources.fab.cycle_time: 4 month\n"
    checked = live.client.post("/v1/check", json={"yaml": overlay}).json()
    assert checked["ok"] is True
    assert checked["scenario"]["files"] == ["example (built-in)", "<upload>"]


def test_check_of_bad_yaml_gives_structured_problems_at_their_lines(live: Live) -> None:
    text = (builtin_dir() / "example.yaml").read_text(encoding="utf-8")
    broken = text.replace("cycle_time: {value: 3 month", "cycle_time: {value: -3 month", 1)
    broken = broken.replace("yield_model: murphy", "yield_model: murphy\n        colour: red", 1)
    checked = live.client.post("/v1/check", json={"yaml": broken}).json()
    assert checked["ok"] is False
    assert checked["scenario"] is None
    problems = checked["problems"]
    assert len(problems) == 2
    lines = text.splitlines()
    cycle = next(p for p in problems if p["path"] == "sources.fab.cycle_time")
    assert "cycle_time" in lines[cycle["line"] - 1]
    assert cycle["file"] == "<upload>"
    assert cycle["column"] > 0
    colour = next(p for p in problems if p["path"].endswith("colour"))
    assert colour["message"] == "unknown field"


def test_check_of_broken_syntax_gives_its_line(live: Live) -> None:
    checked = live.client.post("/v1/check", json={"yaml": "stackbound: 1\nname: [unclosed\nhorizon: 1\n"}).json()
    assert checked["ok"] is False
    assert checked["problems"][0]["line"] >= 2
    assert "YAML" in checked["problems"][0]["message"]


@pytest.mark.parametrize("base", ["../builtin/china.yaml", "/etc/passwd", "china.yaml", "~/.ssh/id_rsa"])
def test_extends_may_name_builtins_only_never_a_path(live: Live, base: str) -> None:
    text = f"stackbound: 1\nextends: {base!r}\n"
    checked = live.client.post("/v1/check", json={"yaml": text}).json()
    assert checked["ok"] is False
    assert "may extend only a built-in scenario" in checked["problems"][0]["message"]
    answer = live.client.post("/v1/runs", json={"yaml": text, "samples": 16})
    assert answer.status_code == 422
    assert answer.json()["error"] == "invalid_scenario"
    assert answer.json()["problems"][0]["path"] == "extends"


# ------------------------------------------------------------------ runs


def test_a_run_is_202_with_its_location_then_done_with_its_summary(live: Live) -> None:
    body = {"scenario": "example", "samples": SAMPLES, "seed": 11}
    answer = live.client.post("/v1/runs", json=body)
    assert answer.status_code == 202
    location = answer.headers["location"]
    assert location == f"/v1/runs/{answer.json()['id']}"
    assert answer.json()["status"] in ("queued", "running")
    status = live.wait(location)
    assert status["status"] == "done"
    assert status["progress"] == {"done": SAMPLES, "total": SAMPLES, "fraction": 1.0}
    summary = live.client.get(f"{location}/results").json()
    assert summary["seed"] == 11
    assert summary["samples"] == SAMPLES
    assert summary["findings"]["answer"].startswith("In 2027, example produces")
    assert len(summary["findings"]["years"]) == 2
    units = [r for r in summary["annual"] if r["metric"] == "units" and r["group"] == "total"]
    assert [r["year"] for r in units] == [2025, 2026, 2027]
    assert all(r["p5"] <= r["p50"] <= r["p95"] for r in units)
    assert {r["variant"] for r in summary["binding"]} == {"accel_a/hbm2e", "accel_a/hbm3", "accel_b/hbm2e"}
    assert summary["timeline"][0]["segments"]
    assert {r["name"] for r in summary["runway"]} >= {"hbm_stockpile"}
    assert {r["stockpile"] for r in summary["runout"]} >= {"hbm_stockpile", "die_bank"}
    assert len(summary["findings"]["runout"]) == len(summary["runout"])  # one sentence per stockpile, as the report
    assert any("HBM stockpile" in line or "stockpile" in line.lower() for line in summary["findings"]["runout"])


def test_a_summary_asked_again_is_the_same(live: Live, example_run: str) -> None:
    """The second answer comes from the run's kept answers (computed once per language and
    metrics); it must not differ from the first, in either language."""
    for lang in ("en", "nl"):
        first = live.client.get(f"{example_run}/results", params={"lang": lang})
        again = live.client.get(f"{example_run}/results", params={"lang": lang})
        assert first.status_code == again.status_code == 200
        assert first.content == again.content
    english = live.client.get(f"{example_run}/results").json()["findings"]["answer"]
    dutch = live.client.get(f"{example_run}/results", params={"lang": "nl"}).json()["findings"]["answer"]
    assert english != dutch


def test_the_summary_numbers_are_the_librarys(live: Live, example_run: str) -> None:
    from stackbound.engine.run import run
    from stackbound.scenario.loader import load_scenario_text

    loaded = load_scenario_text("stackbound: 1\nextends: example\n")
    result = run(loaded, samples=SAMPLES, seed=3)
    table = result.annual_table()
    expected = table[(table["metric"] == "units") & (table["group"] == "total")]["p50"].round(6).tolist()
    summary = live.client.get(f"{example_run}/results").json()
    served = [r["p50"] for r in summary["annual"] if r["metric"] == "units" and r["group"] == "total"]
    assert served == pytest.approx(expected)
    assert summary["digest"] == loaded.digest


def test_the_same_request_is_served_from_the_cache(live: Live, example_run: str) -> None:
    again = live.client.post("/v1/runs", json=EXAMPLE)
    assert again.status_code == 303
    assert again.headers["location"] == example_run
    assert again.json()["status"] == "done"
    text = "stackbound: 1\nextends: example\n"
    uploaded = live.client.post("/v1/runs", json={"yaml": text, "samples": SAMPLES, "seed": 3})
    assert (uploaded.status_code, uploaded.headers["location"]) == (303, example_run)


def test_another_seed_or_sample_count_is_another_run(live: Live, example_run: str) -> None:
    ids = {
        live.client.post("/v1/runs", json={**EXAMPLE, **change}).headers["location"]
        for change in ({"seed": 4}, {"samples": SAMPLES + 1})
    }
    assert example_run not in ids
    assert len(ids) == 2


def test_levers_and_overrides_change_the_scenario_and_its_id(live: Live, example_run: str) -> None:
    _, lever = submit(live, {**EXAMPLE, "levers": {"import_licence": 0}})
    _, override = submit(live, {**EXAMPLE, "overrides": {"levers.import_licence.value": 0}})
    assert lever == override != example_run
    assert live.wait(lever)["status"] == "done"
    summary = live.client.get(f"{lever}/results").json()
    assert summary["levers"]["import_licence"] == "0"
    base = live.client.get(f"{example_run}/results").json()
    assert summary["digest"] != base["digest"]


def test_a_bad_override_is_422_with_its_problem(live: Live) -> None:
    answer = live.client.post("/v1/runs", json={**EXAMPLE, "levers": {"no_such_lever": 1}})
    assert answer.status_code == 422
    problem = answer.json()["problems"][0]
    assert problem["file"] == "<overrides>"
    assert problem["path"] == "overrides.levers.no_such_lever.value"
    assert "does not exist" in problem["message"]


def test_a_request_needs_exactly_one_scenario_source(live: Live) -> None:
    for body in ({"samples": 16}, {"scenario": "example", "yaml": "stackbound: 1\n"}):
        answer = live.client.post("/v1/runs", json=body)
        assert answer.status_code == 422
        assert answer.json()["error"] == "invalid_request"
        assert "exactly one of scenario" in answer.json()["message"]


@pytest.mark.parametrize(
    ("query", "headers", "media"),
    [
        ("?format=csv&table=annual", {}, "text/csv"),
        ("?format=parquet&table=binding", {}, "application/vnd.apache.parquet"),
        ("?format=arrow&table=monthly", {}, "application/vnd.apache.arrow.file"),
        ("?table=inputs", {"accept": "text/csv"}, "text/csv"),
        ("?table=runway", {"accept": "application/vnd.apache.arrow.file"}, "application/vnd.apache.arrow.file"),
    ],
)
def test_tables_come_as_csv_parquet_or_arrow(
    live: Live, example_run: str, query: str, headers: dict[str, str], media: str
) -> None:
    answer = live.client.get(f"{example_run}/results{query}", headers=headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(media)
    if media == "text/csv":
        frame = pd.read_csv(io.BytesIO(answer.content))
    elif media.endswith("parquet"):
        frame = pd.read_parquet(io.BytesIO(answer.content))
    else:
        frame = pa.ipc.open_file(io.BytesIO(answer.content)).read_all().to_pandas()
    assert len(frame) > 0
    if "table=annual" in query:
        assert {"year", "metric", "group", "p5", "p50", "p95"} <= set(frame.columns)
    if "table=monthly" in query:
        assert frame["month"].iloc[0] == "2025-01"


def test_an_unknown_table_is_422(live: Live, example_run: str) -> None:
    answer = live.client.get(f"{example_run}/results?format=csv&table=../../etc")
    assert answer.status_code == 422
    assert "table must be one of" in answer.json()["message"]


def test_every_metric_on_request(live: Live, example_run: str) -> None:
    some = live.client.get(f"{example_run}/results?metrics=units").json()
    every = live.client.get(f"{example_run}/results?metrics=all").json()
    assert {r["metric"] for r in some["annual"]} == {"units"}
    assert len(every["annual"]) > len(some["annual"])


def test_the_answer_in_dutch(live: Live, example_run: str) -> None:
    summary = live.client.get(f"{example_run}/results?lang=nl").json()
    assert summary["findings"]["answer"].startswith("In 2027")
    assert summary["findings"]["answer"] != live.client.get(f"{example_run}/results").json()["findings"]["answer"]


def test_an_unknown_run_is_404_json(live: Live) -> None:
    for path in ("/v1/runs/0123", "/v1/runs/0123/results", "/v1/runs/0123/bottlenecks"):
        answer = live.client.get(path)
        assert answer.status_code == 404
        assert answer.json()["error"] == "not_found"


def test_concurrent_runs_all_finish(live: Live) -> None:
    locations = [submit(live, {"scenario": "example", "samples": 1_024, "seed": 100 + i})[1] for i in range(4)]
    assert len(set(locations)) == 4
    assert [live.wait(location)["status"] for location in locations] == ["done"] * 4


# ------------------------------------------------------------------ on a run


def test_bottlenecks_by_year_and_month(live: Live, example_run: str) -> None:
    yearly = live.client.get(f"{example_run}/bottlenecks").json()
    monthly = live.client.get(f"{example_run}/bottlenecks?by=month").json()
    assert yearly["by"] == "year"
    assert monthly["by"] == "month"
    assert {r["period"] for r in yearly["binding"]} == {"2025", "2026", "2027"}
    assert len({r["period"] for r in monthly["binding"]}) == 36
    assert live.client.get(f"{example_run}/bottlenecks?by=week").status_code == 422


def test_compare_with_another_run_gives_paired_differences(live: Live, example_run: str) -> None:
    status, other = submit(live, {"scenario": "example", "levers": {"import_licence": 0}}, f"{example_run}/compare")
    assert status in (202, 303)
    assert live.wait(other)["seed"] == 3
    other_id = other.rsplit("/", 1)[1]
    compared = live.client.get(f"{example_run}/compare", params={"with": other_id}).json()
    assert compared["samples"] == SAMPLES
    imported = [d for d in compared["differences"] if d["metric"] == "units" and d["group"] == "imported"]
    assert imported
    assert all(d["p50"] <= 0 for d in imported)
    assert "on the same random numbers" in compared["findings"]
    # One scenario against itself with a lever moved: the changed run is named by the lever.
    assert compared["scenarios"] == ["example with import_licence=0"]
    assert "change by: example with import_licence=0 " in compared["findings"]


def test_compare_needs_one_seed_and_sample_count(live: Live, example_run: str) -> None:
    _, other = submit(live, {**EXAMPLE, "seed": 99})
    live.wait(other)
    answer = live.client.get(f"{example_run}/compare", params={"with": other.rsplit("/", 1)[1]})
    assert answer.status_code == 422
    assert "paired comparison needs one seed" in answer.json()["message"]


@pytest.mark.parametrize(
    ("request_body", "check"),
    [
        ({"method": "tornado"}, lambda d: d["method"] == "tornado" and d["rows"]),
        ({"method": "sobol", "samples": 16}, lambda d: d["method"] == "sobol" and d["base_samples"] == 16),
        ({"method": "delta", "samples": 256}, lambda d: d["method"] == "delta" and d["rows"]),
        ({"method": "marginal", "samples": 1_024}, lambda d: d["target"]["year"] == 2027 and d["values"]),
        ({"method": "discover", "year": 2026}, lambda d: d["outcome"]["year"] == 2026),
    ],
)
def test_analyses_run_as_jobs_with_progress(
    live: Live, example_run: str, request_body: dict[str, Any], check: Any
) -> None:
    answer = live.client.post(f"{example_run}/analyses", json=request_body)
    assert answer.status_code == 202
    location = answer.headers["location"]
    assert location.startswith("/v1/analyses/")
    status = live.wait(location, timeout=120)
    assert status["status"] == "done", status["error"]
    assert status["run"] == example_run.rsplit("/", 1)[1]
    assert status["progress"]["fraction"] == 1.0
    document = live.client.get(f"{location}/results").json()
    assert check(document)
    assert live.client.post(f"{example_run}/analyses", json=request_body).status_code == 303


def test_the_report_is_a_zip_of_the_report_directory(live: Live, example_run: str) -> None:
    _, location = submit(live, {"method": "report"}, f"{example_run}/analyses")
    assert live.wait(location, timeout=120)["status"] == "done"
    answer = live.client.get(f"{location}/results")
    assert answer.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(answer.content)).namelist()
    assert "report.html" in names
    assert "stackbound.xlsx" in names


def test_an_analysis_of_an_unknown_output_fails_with_the_reason(live: Live, example_run: str) -> None:
    _, location = submit(live, {"method": "tornado", "metric": "no_such_metric"}, f"{example_run}/analyses")
    status = live.wait(location)
    assert status["status"] == "failed"
    assert "no_such_metric" in status["error"]
    answer = live.client.get(f"{location}/results")
    assert answer.status_code == 409
    assert "failed" in answer.json()["message"]


def test_an_analysis_needs_a_finished_run(live: Live) -> None:
    assert live.client.post("/v1/runs/0123/analyses", json={"method": "tornado"}).status_code == 404
    answer = live.client.post("/v1/runs/0123/analyses", json={"method": "no_such_method"})
    assert answer.status_code == 422


def test_a_finished_analysis_is_forgotten_on_delete(live: Live, example_run: str) -> None:
    _, location = submit(live, {"method": "tornado", "factors": "input"}, f"{example_run}/analyses")
    live.wait(location)
    assert live.client.delete(location).status_code == 200
    assert live.client.get(location).status_code == 404


# ------------------------------------------------------------------ errors


def test_errors_are_json_and_never_a_traceback(live: Live) -> None:
    answers = [
        live.client.get("/v1/no/such/route"),
        live.client.post("/v1/runs", content=b"{not json", headers={"content-type": "application/json"}),
        live.client.post("/v1/runs", json={"scenario": "example", "samples": "many"}),
        live.client.put("/v1/runs"),
    ]
    for answer in answers:
        assert answer.headers["content-type"].startswith("application/json"), answer.text
        assert "Traceback" not in answer.text
        assert answer.json()["message"]
    assert [a.status_code for a in answers] == [404, 422, 422, 405]
    binary = live.client.post("/v1/check", json={"yaml": "\x00\x01"}).json()
    assert binary["ok"] is False
    assert binary["problems"][0]["message"]


def test_a_bug_is_a_generic_500_json_and_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    from stackbound.serve import ServeConfig, create_app
    from test_api_support import free_port

    port = free_port()
    app = create_app(ServeConfig(port=port))

    def broken() -> None:
        raise RuntimeError("secret detail of a bug")

    app.add_api_route("/v1/broken", broken)
    with live_server(app, port=port) as server:
        answer = server.client.get("/v1/broken")
    assert answer.status_code == 500
    assert answer.json() == {
        "error": "internal_error",
        "message": "internal error: the server's log has the details",
        "problems": [],
    }
    assert "secret detail" not in answer.text
    assert any("secret detail" in str(r.exc_info) for r in caplog.records if r.exc_info)
