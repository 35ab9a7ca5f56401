"""The workbench page in a real headless browser (conftest's Chromium), against a live
server on loopback, driven as an analyst drives it: it opens on the China default, a lever
change reruns and the charts show the numbers the API gives for that run, a pinned baseline
gives paired differences, broken YAML shows its error at its line, a shared link reopens
the same run, the model graph shows a node's inputs on click — with no console error and
no request outside the server."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stackbound.engine.run import DEFAULT_SAMPLES
from test_api_support import Live, live_server

READY = 120_000
"""Milliseconds a page may take to show a run (the first compiles nothing: setup did)."""


@pytest.fixture(scope="module")
def live() -> Iterator[Live]:
    with live_server(workers=1, queue_size=16) as server:
        yield server


class Watched:
    """A page with every console error and every request it made."""

    def __init__(self, page: Any, origin: str) -> None:
        self.page = page
        self.errors: list[str] = []
        self.outside: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: None if r.url.startswith(origin) else self.outside.append(r.url))

    def ready_after(self, previous: str | None = None) -> str:
        """Wait until the page shows a finished run other than ``previous``; its id."""
        self.page.wait_for_function(
            "previous => document.body.dataset.ready && document.body.dataset.ready !== previous",
            arg=previous or "",
            timeout=READY,
        )
        return str(self.page.evaluate("document.body.dataset.ready"))


def _opened(browser: Any, live: Live, path: str) -> Iterator[Watched]:
    """The page at ``path`` of the server, 1,280 px wide, once it shows its first run."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    watched = Watched(page, live.url)
    page.goto(live.url + path)
    watched.ready_after()
    yield watched
    assert watched.errors == []
    assert watched.outside == []
    page.close()


@pytest.fixture(scope="module")
def opened(browser: Any, live: Live) -> Iterator[Watched]:
    """The page as a new user opens it: on the China default."""
    yield from _opened(browser, live, "/")


def _run_id(live: Live, body: dict[str, Any]) -> str:
    answer = live.client.post("/v1/runs", json=body)
    assert answer.status_code in (202, 303), answer.text
    status = live.wait(answer.headers["location"])
    assert status["status"] == "done"
    return str(status["id"])


def _annual_p50(live: Live, run: str, metric: str = "units", group: str = "total") -> list[float]:
    rows = live.client.get(f"/v1/runs/{run}/results", params={"metrics": metric}).json()["annual"]
    return [r["p50"] for r in sorted(rows, key=lambda r: r["year"]) if r["group"] == group]


P50_LINES = "id => document.getElementById(id).data.filter(t => !/ P(5|95)$/.test(t.name))"
"""The P50 lines a fan chart draws (its band's edges are named '... P5' and '... P95')."""


def _fan_p50(page: Any, chart: str = "fan") -> list[float]:
    """The first P50 line a fan chart draws."""
    values: list[float] = page.evaluate(f"({P50_LINES})('{chart}')[0].y")
    return values


def test_the_page_opens_on_the_china_default(opened: Watched, live: Live) -> None:
    run = opened.page.evaluate("document.body.dataset.ready")
    assert run == _run_id(live, {"scenario": "china", "samples": DEFAULT_SAMPLES, "seed": 0})
    summary = live.client.get(f"/v1/runs/{run}/results").json()
    assert opened.page.inner_text("#answer") == summary["findings"]["answer"]
    assert _fan_p50(opened.page) == pytest.approx(_annual_p50(live, run), rel=1e-6)
    for chart in ("chart-units", "chart-binding", "chart-runway", "chart-stranded", "graph"):
        assert opened.page.evaluate(f"document.getElementById('{chart}').data.length") > 0, chart
    register_rows = opened.page.locator("#register tbody tr").count()
    assert register_rows > 0
    assert opened.page.locator("#levers .lever").count() == len(summary["levers"])


def test_a_lever_change_reruns_and_the_charts_follow(opened: Watched, live: Live) -> None:
    page = opened.page
    before = page.evaluate("document.body.dataset.ready")
    page.fill("#lever-hbm_controls", "0.25")
    page.dispatch_event("#lever-hbm_controls", "change")
    after = opened.ready_after(before)
    expected = _run_id(
        live, {"scenario": "china", "samples": DEFAULT_SAMPLES, "seed": 0, "levers": {"hbm_controls": 0.25}}
    )
    assert after == expected
    assert _fan_p50(page) == pytest.approx(_annual_p50(live, after), rel=1e-6)
    assert _fan_p50(page) != pytest.approx(_annual_p50(live, before), rel=1e-6)
    assert "hbm_controls" in page.evaluate("decodeURIComponent(location.hash)")


def test_pin_then_change_shows_paired_differences(opened: Watched, live: Live) -> None:
    page = opened.page
    page.click("#pin")
    baseline = page.evaluate("document.body.dataset.ready")
    page.fill("#lever-tool_controls", "0.5")
    page.dispatch_event("#lever-tool_controls", "change")
    current = opened.ready_after(baseline)
    page.wait_for_selector("#ab-table tbody tr")
    document = live.client.get(f"/v1/runs/{baseline}/compare", params={"with": current}).json()
    expected = [
        r["p50"]
        for r in sorted(document["differences"], key=lambda r: r["year"])
        if r["metric"] == "units" and r["group"] == "total"
    ]
    assert _fan_p50(page, "ab-chart") == pytest.approx(expected, rel=1e-6)
    assert page.inner_text("#ab-sentence").endswith(document["findings"])
    assert "tool_controls=0.5" in page.inner_text("#ab-sentence")
    assert page.evaluate(f"({P50_LINES})('fan').length") == 2  # the current run's and the baseline's
    page.click("#unpin")


def test_a_baseline_the_server_let_go_is_run_again(opened: Watched, live: Live) -> None:
    page = opened.page
    page.click("#pin")
    baseline = page.evaluate("document.body.dataset.ready")
    assert live.client.delete(f"/v1/runs/{baseline}").status_code == 200  # as the memory bound would
    page.fill("#lever-tool_controls", "0.75")
    page.dispatch_event("#lever-tool_controls", "change")
    current = opened.ready_after(baseline)
    page.wait_for_selector("#ab-table tbody tr")
    assert live.client.get(f"/v1/runs/{baseline}").json()["status"] == "done"  # the same id, made again
    document = live.client.get(f"/v1/runs/{baseline}/compare", params={"with": current}).json()
    assert page.inner_text("#ab-sentence").endswith(document["findings"])
    legend = page.evaluate(f"({P50_LINES})('fan').map(t => t.name)")
    assert legend == ["now", "baseline"]
    page.click("#unpin")


def test_broken_yaml_shows_its_error_at_its_line(opened: Watched) -> None:
    page = opened.page
    page.click("#yaml-box summary")
    page.fill("#yaml", "stackbound: 1\nextends: china\noverrides:\n  levers.hbm_controls.value: -3\n")
    page.click("#check")
    page.wait_for_selector("#problems li")
    assert page.locator("#gutter span.bad").count() >= 1
    bad = page.locator("#gutter span.bad").first.get_attribute("data-line")
    assert bad is not None
    assert int(bad) >= 3
    assert "line" in page.inner_text("#problems")
    page.fill("#yaml", "stackbound: 1\nextends: china\n  bad indent: [\n")
    page.click("#check")
    page.wait_for_function("() => document.querySelector('#problems li') && document.querySelector('#gutter span.bad')")


def test_a_shared_link_reopens_the_same_run(opened: Watched, browser: Any, live: Live) -> None:
    link = opened.page.evaluate("location.href")
    run = opened.page.evaluate("document.body.dataset.ready")
    other = browser.new_page(viewport={"width": 1400, "height": 900})
    watched = Watched(other, live.url)
    other.goto(link)
    assert watched.ready_after() == run
    assert other.inner_text("#answer") == opened.page.inner_text("#answer")
    assert watched.errors == []
    assert watched.outside == []
    other.close()


def test_a_link_from_another_version_warns(browser: Any, live: Live) -> None:
    page = browser.new_page()
    page.goto(live.url + "/#s=example&seed=1&n=500&v=0.0.0-other")
    Watched(page, live.url).ready_after()
    assert "0.0.0-other" in page.inner_text("#version-warning")
    page.close()


def test_pasted_yaml_travels_in_the_link(browser: Any, live: Live) -> None:
    page = browser.new_page()
    watched = Watched(page, live.url)
    page.goto(live.url + "/#s=example&seed=2&n=500")
    first = watched.ready_after()
    page.click("#yaml-box summary")
    page.fill("#yaml", "stackbound: 1\nextends: example\noverrides:\n  levers.import_licence.value: 0\n")
    page.click("#use-yaml")
    pasted = watched.ready_after(first)
    link = page.evaluate("location.href")
    assert "y=" in link
    again = browser.new_page()
    reopened = Watched(again, live.url)
    again.goto(link)
    assert reopened.ready_after() == pasted
    assert again.input_value("#yaml").startswith("stackbound: 1\nextends: example")
    again.close()
    page.close()


def test_clicking_a_graph_node_shows_its_inputs(opened: Watched) -> None:
    page = opened.page
    page.locator("#sec-graph").scroll_into_view_if_needed()
    node = page.locator("#graph .sankey-node").first
    node.click()
    page.wait_for_selector("#node:not([hidden])")
    assert page.locator("#node table tr").count() > 0
    assert "source" in page.inner_text("#node h3")


def test_a_node_can_be_chosen_without_a_mouse(opened: Watched, live: Live) -> None:
    page = opened.page
    run = page.evaluate("document.body.dataset.ready")
    nodes = live.client.get(f"/v1/runs/{run}/graph").json()["nodes"]
    k = next(i for i, n in enumerate(nodes) if n["kind"] == "packaging")
    page.select_option("#node-pick", str(k))
    assert nodes[k]["label"] in page.inner_text("#node h3")
    shown = math.floor(100 * nodes[k]["binds"] + 0.5)  # as Math.round rounds
    assert f"binds {shown}%" in page.inner_text("#node h3")


def test_controls_are_reachable_by_keyboard(opened: Watched) -> None:
    page = opened.page
    page.evaluate("const h = document.querySelector('header h1'); h.tabIndex = -1; h.focus()")  # start at the top
    reached = []
    for _ in range(6):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.id"))
    assert {"scenario", "samples", "seed", "run"} <= set(reached)


WIDEST = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
    .map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 5)"""
"""The first elements that reach past the window's right edge."""


def test_fits_1280_pixels_without_sideways_scrolling(opened: Watched) -> None:
    assert opened.page.evaluate("document.documentElement.scrollWidth") <= 1280, opened.page.evaluate(WIDEST)


def test_no_console_error_and_no_request_outside_the_server(opened: Watched) -> None:
    assert opened.errors == []
    assert opened.outside == []


@pytest.fixture(scope="module")
def small(browser: Any, live: Live) -> Iterator[Watched]:
    """The page on the small example scenario, for the slower things a user asks for."""
    yield from _opened(browser, live, "/#s=example&seed=1&n=1000")


def test_each_uncertain_input_shows_a_histogram_of_its_draws(small: Watched, live: Live) -> None:
    run = small.page.evaluate("document.body.dataset.ready")
    histograms = live.client.get(f"/v1/runs/{run}/inputs").json()["inputs"]
    drawn = small.page.locator("#inputs svg").count()
    fields = {h["field"] for h in histograms}
    assert drawn >= len(fields) > 0
    heights = small.page.evaluate("[...document.querySelectorAll('#inputs svg')][0].querySelectorAll('rect').length")
    assert heights == len(histograms[0]["counts"])


def test_run_shows_progress_and_cancel_stops_it(small: Watched, live: Live) -> None:
    page = small.page
    before = page.evaluate("document.body.dataset.ready")
    page.fill("#samples", "100000")
    page.click("#run")
    page.wait_for_selector("#cancel:not([hidden])")
    run = page.evaluate("window.stackbound.app.run.id")
    page.click("#cancel")
    assert live.wait(f"/v1/runs/{run}")["status"] in ("cancelled", "gone")
    assert page.evaluate("document.body.dataset.ready") == before
    page.wait_for_selector("#progress", state="hidden")
    page.fill("#samples", "1000")
    page.dispatch_event("#samples", "change")
    page.click("#run")
    assert small.ready_after() == before  # the same request: served from the cache


def test_the_overlay_download_holds_only_the_changes(small: Watched) -> None:
    page = small.page
    page.fill("#lever-import_licence", "0")
    page.dispatch_event("#lever-import_licence", "change")
    small.ready_after(page.evaluate("document.body.dataset.ready"))
    page.click("#downloads summary")
    with page.expect_download() as download:
        page.click("#download-overlay")
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text == "stackbound: 1\nextends: example\noverrides:\n  levers.import_licence.value: 0\n"
    page.click("#downloads summary")


def test_an_uploaded_file_is_checked_at_its_lines(small: Watched, tmp_path: Path) -> None:
    page = small.page
    broken = tmp_path / "mine.yaml"
    broken.write_text("stackbound: 1\nextends: example\noverrides:\n  sources.nowhere.rate: 3\n", encoding="utf-8")
    page.set_input_files("#upload", str(broken))
    page.wait_for_selector("#problems li")
    assert "nowhere" in page.inner_text("#problems")
    assert page.locator("#gutter span.bad").count() == 1


def test_tornado_and_marginal_values_beside_the_result(small: Watched, live: Live) -> None:
    page = small.page
    page.click("#run-tornado")
    page.wait_for_function("() => document.getElementById('tornado').data", timeout=READY)
    drawn = page.evaluate("document.getElementById('tornado').data[1].base")
    run = page.evaluate("document.body.dataset.ready")
    year = int(page.input_value("#sens-year"))
    answer = live.client.post(f"/v1/runs/{run}/analyses", json={"method": "tornado", "year": year})
    assert answer.status_code == 303  # the page's request, kept
    document = live.client.get(answer.headers["location"] + "/results").json()
    assert drawn == pytest.approx(document["base"])
    page.click("#run-marginal")
    page.wait_for_selector("#marginal-table tbody tr", timeout=READY)
    assert page.locator("#marginal-table tbody tr").count() > 0


def test_the_report_of_the_current_run_downloads(small: Watched) -> None:
    page = small.page
    page.click("#downloads summary")
    page.click("#make-report")
    page.wait_for_selector("#report-links a", timeout=READY)
    with page.expect_download() as download:
        page.click("#report-links a >> text=report.html")
    assert "<html" in Path(download.value.path()).read_text(encoding="utf-8")[:2000].lower()
    page.click("#downloads summary")


def test_numbers_are_shown_in_three_digits_with_their_scale(small: Watched) -> None:
    shown = small.page.evaluate("[999600, 999400, 2.5e9, -999700, 12345, 456.7, 0.012345, null].map(fmt)")
    assert shown == ["1M", "999k", "2.5B", "-1M", "12.3k", "457", "0.0123", "–"]
