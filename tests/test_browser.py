"""The report and the live dashboard in a real browser: Playwright driving Debian's Chromium."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from benchmarks.html_report import write_many_tasks
from pytest_tasktiming import AsyncBufferedWriter, TaskRow
from pytest_tasktiming.companion import HEADER as COMPANION_HEADER
from pytest_tasktiming.companion import companion_path
from pytest_tasktiming.records import HEADER, format_row, new_task_id
from pytest_tasktiming.reports.dashboard import DashboardServer
from pytest_tasktiming.reports.html import write_html_report

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = "/usr/bin/chromium"  # Debian's; .ci/run installs it
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
UTC = dt.timezone.utc
START = dt.datetime(2026, 11, 24, 21, 0, 0, tzinfo=UTC)


def task_rows(
    name: str, result: str | None, *, at: float, duration: float = 1.0, mode: str = "code"
) -> list[TaskRow]:
    """A task's started row and (unless ``result`` is None) its final row."""
    task_id = new_task_id()
    start = START + dt.timedelta(seconds=at)
    rows = [TaskRow(start, mode, task_id, start, None, None, name, "started")]
    if result is not None:
        end = start + dt.timedelta(seconds=duration)
        rows.append(TaskRow(end, mode, task_id, start, end, duration, name, result))
    return rows


def write_tsv(path: Path, rows: list[TaskRow]) -> Path:
    rows = sorted(rows, key=lambda row: row.timestamp)
    path.write_text(HEADER + "".join(format_row(row) for row in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    reason = _why_no_browser()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _why_no_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    if not shutil.which(CHROMIUM):
        return f"no Chromium at {CHROMIUM}"
    return None


@dataclass
class Viewer:
    """A page and every error it reported: console errors, uncaught exceptions, dialogs."""

    page: Page
    errors: list[str] = field(default_factory=list)

    def open(self, url: str) -> None:
        self.page.goto(url)
        self.page.locator("html[data-ready=true]").wait_for(timeout=10_000)

    def texts(self, selector: str) -> list[str]:
        return [str(text) for text in self.page.locator(selector).all_text_contents()]


def _viewer(browser: Browser, **context: Any) -> Iterator[Viewer]:
    page = browser.new_context(viewport={"width": 1400, "height": 1000}, **context).new_page()
    viewer = Viewer(page)
    page.on("console", lambda m: m.type == "error" and viewer.errors.append(m.text))
    page.on("pageerror", lambda error: viewer.errors.append(str(error)))
    page.on("dialog", lambda dialog: (viewer.errors.append(dialog.message), dialog.dismiss()))
    yield viewer
    page.context.close()
    assert viewer.errors == []


@pytest.fixture
def viewer(browser: Browser) -> Iterator[Viewer]:
    yield from _viewer(browser)


def sample_rows() -> list[TaskRow]:
    rows: list[TaskRow] = []
    for worker in range(2):
        at = worker * 0.25
        for i in range(6):
            result = "failed" if (worker, i) == (1, 2) else "passed"
            rows += task_rows(f"tests/test_w{worker}.py::test_{i}", result, at=at, mode="pytest")
            at += 1.1
    for i, result in enumerate(["failed", "failed", "timeout", "recovered"]):
        rows += task_rows("deploy", result, at=20 * i, duration=2.0)
    rows += task_rows("nightly build", "completed", at=1, duration=3000.0)
    rows += task_rows("stuck", None, at=5)
    return rows


def test_report_renders_every_view_with_no_console_errors(viewer: Viewer, tmp_path: Path) -> None:
    report = write_html_report(write_tsv(tmp_path / "t.tsv", sample_rows()), tmp_path / "r.html")
    viewer.open(report.as_uri())
    page = viewer.page

    assert page.locator(".card[data-name=tasks] .value").text_content() == "18"
    assert page.locator(".card[data-name=unfinished] .value").text_content() == "1"
    assert page.locator("#histogram rect").count() > 0
    assert page.locator("#slowest-table tbody tr").first.locator("td").first.text_content() == (
        "nightly build"
    )
    assert viewer.texts("#timeouts-table tbody td:first-child") == ["deploy"]
    # 3000 s is over 80 % of the default 3600 s; deploy timed out at 2 s, so 2 s runs warn too.
    warned = viewer.texts("#warnings-table tbody td:first-child")
    assert "nightly build" in warned
    assert "deploy" in warned
    assert viewer.texts("#streaks-table tbody td") == [
        "deploy",
        "3",
        "2026-11-24 21:00:00.000",
        "recovered",
    ]
    assert viewer.errors == []


def lane_counts(viewer: Viewer) -> dict[str, int]:
    groups = viewer.page.locator(".lane-group")
    return {
        str(groups.nth(i).get_attribute("data-mode")): int(
            groups.nth(i).get_attribute("data-lanes") or 0
        )
        for i in range(groups.count())
    }


def test_timeline_gives_overlapping_tasks_their_own_lanes_per_mode(
    viewer: Viewer, tmp_path: Path
) -> None:
    rows: list[TaskRow] = []
    for thread in range(3):  # three threads, each running tasks back to back
        for i in range(4):
            rows += task_rows(f"thread-{thread}", "completed", at=thread * 0.3 + i, duration=1.0)
    for i in range(5):  # one after another, with gaps: a single lane
        rows += task_rows("batch", "completed", at=i * 2.0, duration=0.5, mode="nightly")
    report = write_html_report(write_tsv(tmp_path / "t.tsv", rows), tmp_path / "r.html")
    viewer.open(report.as_uri())

    assert lane_counts(viewer) == {"code": 3, "nightly": 1}
    # A thread keeps its lane: every task in a lane has the same name.
    lanes = viewer.page.evaluate(
        """() => Array.from(document.querySelectorAll("#tasks-table tbody tr:not(.spacer)"))
              .map((tr) => [tr.cells[1].textContent, tr.cells[5].textContent])"""
    )
    by_name: dict[str, set[str]] = {}
    for name, lane in lanes:
        by_name.setdefault(name, set()).add(lane)
    assert all(len(lane_set) == 1 for lane_set in by_name.values())


def test_timeline_shows_one_lane_per_worker_of_an_xdist_run(
    viewer: Viewer, pytester: pytest.Pytester
) -> None:
    pytester.makepyfile(
        """
        import time
        import pytest

        @pytest.mark.parametrize("i", range(8))
        def test_work(i):
            time.sleep(0.1)
        """
    )
    result = pytester.runpytest_subprocess(
        "--task-timing", "--task-timing-html", "r.html", "-n", "2", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=8)
    viewer.open((pytester.path / "r.html").as_uri())

    assert lane_counts(viewer) == {"pytest": 2}


def test_dragging_across_the_timeline_zooms_in_and_double_click_zooms_out(
    viewer: Viewer, tmp_path: Path
) -> None:
    names = ["first", "second", "third"]
    rows = [row for i, name in enumerate(names) for row in task_rows(name, "completed", at=i)]
    report = write_html_report(write_tsv(tmp_path / "t.tsv", rows), tmp_path / "r.html")
    viewer.open(report.as_uri())
    page = viewer.page
    box = page.locator("#timeline-canvas").bounding_box()
    assert box is not None
    left, lane_y, width = box["x"] + 3, box["y"] + 22 + 18 + 8, box["width"]

    def task_under_left_edge() -> str:
        page.mouse.move(left, lane_y)
        return (page.text_content("#tooltip") or "").split("\n")[0]

    assert task_under_left_edge() == "first"
    page.mouse.move(box["x"] + width * 0.75, lane_y)
    page.mouse.down()
    page.mouse.move(box["x"] + width * 0.95, lane_y, steps=4)
    page.mouse.up()
    assert task_under_left_edge() == "third"
    assert page.input_value("#filter") == ""  # a drag is not a click on a task
    page.mouse.dblclick(left, lane_y)
    assert task_under_left_edge() == "first"
    page.mouse.click(left, lane_y)
    assert page.input_value("#filter") == "first"  # clicking a task filters the table to it
    assert table_column(viewer, 2) == ["first"]


@pytest.fixture
def table_report(viewer: Viewer, tmp_path: Path) -> Viewer:
    rows: list[TaskRow] = []
    for i, (name, result, duration) in enumerate(
        [("alpha", "passed", 3.0), ("beta", "failed", 1.0), ("gamma", "passed", 7.0),
         ("alphabet", "skipped", 0.5), ("delta", "error", 2.0)]
    ):  # fmt: skip
        rows += task_rows(name, result, at=i * 10, duration=duration, mode="pytest")
    report = write_html_report(write_tsv(tmp_path / "t.tsv", rows), tmp_path / "r.html")
    viewer.open(report.as_uri())
    return viewer


def table_column(viewer: Viewer, index: int) -> list[str]:
    return viewer.texts(f"#tasks-table tbody tr:not(.spacer) td:nth-child({index})")


def test_clicking_a_column_header_sorts_by_it_and_again_reverses(table_report: Viewer) -> None:
    page = table_report.page
    assert table_column(table_report, 2) == ["alpha", "beta", "gamma", "alphabet", "delta"]

    page.click("#tasks-table th[data-key=dur] button")
    assert table_column(table_report, 2) == ["gamma", "alpha", "delta", "beta", "alphabet"]
    assert page.get_attribute("#tasks-table th[data-key=dur]", "aria-sort") == "descending"

    page.click("#tasks-table th[data-key=dur] button")
    assert table_column(table_report, 2) == ["alphabet", "beta", "delta", "alpha", "gamma"]

    page.click("#tasks-table th[data-key=name] button")
    assert table_column(table_report, 2) == ["alpha", "alphabet", "beta", "delta", "gamma"]


def test_filtering_by_text_and_by_result_narrows_the_table(table_report: Viewer) -> None:
    from playwright.sync_api import expect

    page = table_report.page
    page.fill("#filter", "ALPHA")
    expect(page.locator("#table-count")).to_have_text("showing 2 of 5 tasks")
    assert table_column(table_report, 2) == ["alpha", "alphabet"]

    page.select_option("#result-filter", "skipped")
    expect(page.locator("#table-count")).to_have_text("showing 1 of 5 tasks")
    assert table_column(table_report, 2) == ["alphabet"]

    page.fill("#filter", "")
    expect(page.locator("#table-count")).to_have_text("showing 1 of 5 tasks")
    page.select_option("#result-filter", "")
    expect(page.locator("#table-count")).to_have_text("showing 5 of 5 tasks")


HOSTILE = "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\"> 'q'\ttab &amp;"


@pytest.mark.parametrize(
    "csp", [pytest.param(False, id="with-csp"), pytest.param(True, id="csp-bypassed")]
)
def test_hostile_task_name_shows_as_text_and_never_runs(
    browser: Browser, tmp_path: Path, csp: bool
) -> None:
    # With the page's Content-Security-Policy bypassed, escaping alone must hold.
    rows = task_rows(HOSTILE, "failed", at=0, mode=HOSTILE) + task_rows(HOSTILE, "timeout", at=2)
    report = write_html_report(write_tsv(tmp_path / "t.tsv", rows), tmp_path / "r.html")
    for viewer in _viewer(browser, bypass_csp=csp):
        viewer.open(report.as_uri())
        page = viewer.page

        assert page.evaluate("() => window.__pwned") is None
        assert page.locator("img").count() == 0
        assert HOSTILE in table_column(viewer, 2)
        assert HOSTILE in table_column(viewer, 3)
        assert viewer.texts("#timeouts-table tbody td:first-child") == [HOSTILE]
        assert lane_counts(viewer) == {HOSTILE: 1, "code": 1}
        box = page.locator("#timeline-canvas").bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + 5, box["y"] + 22 + 18 + 5)
        assert HOSTILE in (page.text_content("#tooltip") or "")
        assert page.evaluate("() => window.__pwned") is None


# --- the live dashboard ----------------------------------------------------------------


@pytest.fixture
def live(tsv_path: Path, serving: Callable[[DashboardServer], DashboardServer]) -> DashboardServer:
    """A dashboard server; tests take it before ``viewer`` so the page closes first."""
    tsv_path.write_text(HEADER, encoding="utf-8")
    return serving(DashboardServer(str(tsv_path), port=0, timeout=4.0, threshold=0.5, poll_ms=150))


def now_row(task_id: str, name: str, result: str, *, started_ago: float) -> TaskRow:
    now = dt.datetime.now(UTC)
    start = now - dt.timedelta(seconds=started_ago)
    if result == "started":
        return TaskRow(now, "code", task_id, start, None, None, name, result)
    return TaskRow(now, "code", task_id, start, now, started_ago, name, result)


def test_live_page_shows_a_task_appear_run_and_finish(
    live: DashboardServer, viewer: Viewer, tsv_path: Path
) -> None:
    from playwright.sync_api import expect

    page = viewer.page
    viewer.open(live.url)
    expect(page.locator("#running-empty")).to_be_visible()

    with AsyncBufferedWriter(tsv_path) as writer:
        task_id = new_task_id()
        writer.write(now_row(task_id, "compile <assets>", "started", started_ago=0))
        writer.flush()
        expect(page.locator("#running-table tbody td").first).to_have_text("compile <assets>")
        expect(page.locator(".card[data-name=running] .value")).to_have_text("1")

        writer.write(now_row(task_id, "compile <assets>", "completed", started_ago=0.4))
        writer.flush()
        expect(page.locator("#running-empty")).to_be_visible()
        expect(page.locator("#recent-table tbody tr").first.locator("td")).to_have_text(
            ["compile <assets>", "completed", "400 ms", re.compile(r"^\d{4}-")]
        )
    expect(page.locator("#tasks-table tbody tr:not(.spacer)")).to_have_count(1)


def test_live_page_colours_a_running_task_at_its_warning_threshold_and_timeout(
    live: DashboardServer, viewer: Viewer, tsv_path: Path
) -> None:
    from playwright.sync_api import expect

    page = viewer.page
    viewer.open(live.url)
    with AsyncBufferedWriter(tsv_path) as writer:  # timeout 4 s, warning from 2 s
        writer.write(now_row(new_task_id(), "fresh", "started", started_ago=0))
        writer.write(now_row(new_task_id(), "halfway", "started", started_ago=2.5))
        writer.write(now_row(new_task_id(), "overdue", "started", started_ago=30))
    meters = {
        name: page.locator("#running-table tr", has_text=name).locator(".meter")
        for name in ("fresh", "halfway", "overdue")
    }
    expect(meters["overdue"]).to_have_class("meter over")
    expect(meters["halfway"]).to_have_class("meter warning")
    expect(meters["fresh"]).to_have_class("meter")
    # No new row: the fresh task turns to the warning colour by itself 2 s after its start.
    expect(meters["fresh"]).to_have_class("meter warning", timeout=5_000)


def test_live_page_waits_for_the_file_and_starts_over_when_it_is_replaced(
    live: DashboardServer, viewer: Viewer, tsv_path: Path
) -> None:
    from playwright.sync_api import expect

    page = viewer.page
    tsv_path.unlink()
    viewer.open(live.url)
    expect(page.locator("#status")).to_contain_text("waiting for")

    write_tsv(tsv_path, task_rows("first run", "passed", at=0))
    expect(page.locator("#tasks-table tbody tr:not(.spacer) td:nth-child(2)")).to_have_text(
        ["first run"]
    )
    replacement = write_tsv(tsv_path.with_name("new.tsv"), task_rows("second run", "failed", at=0))
    os.replace(replacement, tsv_path)
    expect(page.locator("#tasks-table tbody tr:not(.spacer) td:nth-child(2)")).to_have_text(
        ["second run"]
    )
    expect(page.locator("#status")).to_contain_text("live")


# --- 100,000 tasks ---------------------------------------------------------------------


def test_report_of_100000_tasks_opens_filters_and_draws_its_lanes(
    viewer: Viewer, tmp_path: Path
) -> None:
    # How fast is benchmarks/html_report.py's to say; a busy machine must not fail this.
    from playwright.sync_api import expect

    write_many_tasks(tmp_path / "t.tsv", 100_000)
    report = write_html_report(tmp_path / "t.tsv", tmp_path / "r.html")
    page = viewer.page
    page.goto(report.as_uri())
    page.locator("html[data-ready=true]").wait_for(timeout=60_000)
    page.fill("#filter", "test_case_1999")
    expect(page.locator("#table-count")).to_have_text("showing 50 of 100000 tasks", timeout=60_000)
    assert lane_counts(viewer) == {"pytest": 4}


# --- layout: nothing cut or overflowing, at a laptop's and a phone's width -----------------


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header (its IHDR chunk)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


CUT_CELLS = """() => Array.from(document.querySelectorAll("td, th"))
    .filter((cell) => cell.offsetParent !== null && !cell.classList.contains("name"))
    .filter((cell) => !cell.closest("#tasks-table") || cell.cellIndex !== 1)
    .filter((cell) => cell.scrollWidth > cell.clientWidth)
    .map((cell) => cell.closest("table").id + ": " + cell.textContent)"""
"""Cells whose text is cut short, but for task names (cut with an ellipsis, whole in their
tooltip): dates, results, durations, limits and ids are never cut."""


@pytest.mark.parametrize("width", [pytest.param(1280, id="1280px"), pytest.param(390, id="390px")])
def test_at_1280_and_390_px_nothing_overflows_and_no_date_or_result_is_cut(
    browser: Browser, tmp_path: Path, width: int
) -> None:
    rows = sample_rows() + task_rows("a long " * 20 + "task name", "completed", at=7)
    # A session's 10,000th test: the longest task id a real file has.
    rows += [replace(row, task_id=row.task_id.split("-")[0] + "-10000") for row in rows[-2:]]
    report = write_html_report(write_tsv(tmp_path / "t.tsv", rows), tmp_path / "r.html")
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    try:
        page.goto(report.as_uri())
        page.locator("html[data-ready=true]").wait_for(timeout=10_000)
        shot = page.screenshot(full_page=True)
        (tmp_path / f"report-{width}.png").write_bytes(shot)

        assert png_size(shot)[0] == width  # a full-page shot is as wide as the page
        assert page.evaluate("document.documentElement.scrollWidth") == width
        assert page.evaluate(CUT_CELLS) == []
        results = page.locator("#slowest-table tbody td.result").all_text_contents()
        assert "completed" in results and "recovered" in results  # whole words, not "comple…"
    finally:
        page.context.close()


DURATIONS = [
    0.0, 0.000001, 0.000999, 0.001, 0.009999, 0.099949, 0.099951, 0.99949, 0.999951,
    1.125, 1.135, 9.995, 9.994999, 59.949, 59.951, 59.994, 60.0, 125.0, 3599.9, 3600.0,
    7200.5, 259200.0, 12.3456, 0.0123, 0.00042, 2.5, 45.0, 599.5, 1000.0, 0.5,
]  # fmt: skip
"""Edges of each unit and of three digits, ties that round half up, and plain values."""


def test_the_page_writes_durations_exactly_as_the_terminal_and_the_report_do(
    viewer: Viewer, tmp_path: Path
) -> None:
    from pytest_tasktiming._durations import human_duration

    rows: list[TaskRow] = []
    for i, seconds in enumerate(DURATIONS):
        rows += task_rows(f"task {i:02d}", "completed", at=i, duration=seconds)
    report = write_html_report(write_tsv(tmp_path / "t.tsv", rows), tmp_path / "r.html")
    viewer.open(report.as_uri())

    shown = viewer.page.evaluate(
        """() => Object.fromEntries(Array.from(
              document.querySelectorAll("#tasks-table tbody tr:not(.spacer)"))
              .map((tr) => [tr.cells[1].textContent, tr.cells[4].textContent]))"""
    )
    assert shown == {f"task {i:02d}": human_duration(s) for i, s in enumerate(DURATIONS)}


# --- each task against its own limit (the companion file) --------------------------------------


def write_notes(tsv: Path, *notes: dict[str, object], mode: str = "w") -> None:
    path = Path(companion_path(str(tsv)))
    with path.open(mode, encoding="utf-8") as stream:
        if mode == "w":
            stream.write(COMPANION_HEADER)
        stream.writelines(json.dumps(note) + "\n" for note in notes)


def test_report_judges_each_task_by_its_own_limit_and_shows_failure_messages(
    viewer: Viewer, tmp_path: Path
) -> None:
    quick = task_rows("quick", "passed", at=0, duration=0.6)  # own 1 s, warned from 50 %
    unlimited = task_rows("unlimited", "passed", at=1, duration=3500.0)  # its process's: none
    broken = task_rows("broken", "failed", at=2, duration=0.1)
    tsv = write_tsv(tmp_path / "t.tsv", quick + unlimited + broken)
    process = quick[0].task_id.rsplit("-", 1)[0] + "-"  # this process wrote all three
    write_notes(
        tsv,
        {"task_ids": process, "mode": "code", "limit": 0.0, "threshold": 0.8},
        {"task_id": quick[0].task_id, "limit": 1.0, "threshold": 0.5},
        {"task_id": broken[0].task_id, "message": "AssertionError: assert 1 == 2"},
    )
    viewer.open(write_html_report(tsv, tmp_path / "r.html").as_uri())
    assert viewer.texts("#warnings-table tbody td:first-child") == ["quick"]
    assert viewer.texts("#warnings-table tbody td:nth-child(4)") == ["60% of 1.00 s"]
    assert table_column(viewer, 8) == ["", "", "AssertionError: assert 1 == 2"]


def test_live_page_bars_judge_each_running_task_by_its_own_limit(
    live: DashboardServer, viewer: Viewer, tsv_path: Path
) -> None:
    from playwright.sync_api import expect

    page = viewer.page
    viewer.open(live.url)  # the default: timeout 4 s, warning from 2 s
    short, long = new_task_id(), new_task_id()
    with AsyncBufferedWriter(tsv_path) as writer:
        writer.write(now_row(short, "own 2 s", "started", started_ago=3))
        writer.write(now_row(long, "own 100 s", "started", started_ago=30))
    meters = {
        name: page.locator("#running-table tr", has_text=name).locator(".meter")
        for name in ("own 2 s", "own 100 s")
    }
    expect(meters["own 100 s"]).to_have_class("meter over")  # by the default, before its own
    write_notes(
        tsv_path,
        {"task_id": short, "limit": 2.0, "threshold": 0.8},
        {"task_id": long, "limit": 100.0, "threshold": 0.25},
    )
    expect(meters["own 100 s"]).to_have_class("meter warning")
    expect(meters["own 2 s"]).to_have_class("meter over")
    expect(page.locator("#running-table tr", has_text="own 100 s")).to_contain_text("/ 1.67 min")
