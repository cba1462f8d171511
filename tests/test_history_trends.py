"""Trends: the sparkline and the flaky rule, and the page's Trends panel in a real browser."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_browser import Viewer, browser, task_rows, viewer, write_tsv

from pytest_tasktiming.reports.html import write_html_report
from pytest_tasktiming.reports.report import summarize
from pytest_tasktiming.reports.trends import is_flaky, sparkline

__all__ = ["browser", "viewer"]  # the fixtures, imported for this module's tests


@pytest.mark.parametrize(
    ("durations", "line"),
    [
        pytest.param([1.0, 1.0, 1.0], "███", id="steady"),
        pytest.param([1.0, 2.0, 4.0, 8.0], "▂▃▅█", id="doubling"),
        pytest.param([0.0, 0.0], "▁▁", id="zero"),
        pytest.param([], "", id="none"),
    ],
)
def test_a_sparkline_has_one_bar_per_run_against_the_longest(
    durations: list[float], line: str
) -> None:
    assert sparkline(durations) == line


@pytest.mark.parametrize(
    ("outcomes", "flaky"),
    [
        pytest.param([True, False, True], True, id="pass-fail-pass"),
        pytest.param([False, True, False, True], True, id="fail-pass-fail"),
        pytest.param([True, True, False, False], False, id="broke"),
        pytest.param([False, False, True], False, id="fixed"),
        pytest.param([True] * 5, False, id="steady"),
    ],
)
def test_flaky_is_pass_to_fail_and_back(outcomes: list[bool], flaky: bool) -> None:
    assert is_flaky(outcomes) is flaky


def trend_rows() -> list:
    rows = []
    for n, result in enumerate(["passed", "failed", "skipped", "passed", "passed"]):
        rows += task_rows("test_flaky", result, at=10 * n, duration=1.0 + n, mode="pytest")
    for n in range(12):  # only the latest 10 show
        rows += task_rows("test_steady", "passed", at=10 * n + 1, duration=2.0, mode="pytest")
    rows += task_rows("test_once", "passed", at=3, mode="pytest")
    return rows


def test_the_report_marks_the_flaky_test_and_draws_its_trend(tmp_path: Path) -> None:
    stats = {s.key: s for s in summarize(str(write_tsv(tmp_path / "t.tsv", trend_rows()))).stats}
    assert (stats["test_flaky"].trend, stats["test_flaky"].flaky) == (
        "▂▄▅▇█",
        "flaky",
    )  # 1..5 s: round(d / 5 * 7)
    assert (stats["test_steady"].trend, stats["test_steady"].flaky) == ("█" * 10, "")


def test_the_page_lists_trends_flaky_first_with_one_bar_per_recent_run(
    viewer: Viewer, tmp_path: Path
) -> None:
    report = write_html_report(write_tsv(tmp_path / "t.tsv", trend_rows()), tmp_path / "r.html")
    viewer.open(report.as_uri())
    rows = viewer.page.locator("#trends-table tbody tr")
    assert viewer.texts("#trends-table tbody td:first-child") == ["test_flaky", "test_steady"]
    assert viewer.texts("#trends-table tbody td:nth-child(4)") == ["flaky", ""]
    assert rows.nth(0).locator("rect").count() == 5
    assert rows.nth(1).locator("rect").count() == 10
    # The failed run's bar is red like every failure on the page.
    assert rows.nth(0).locator("rect").nth(1).get_attribute("fill") == "#d1343e"
