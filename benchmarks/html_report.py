"""The HTML report and the dashboard's polls, measured; pytest-html alongside, in the same run.

1. A 100,000-task file (two rows per task, four workers): time to write the report, its size,
   and in headless Chromium the time from opening it to the page being drawn and to a filter
   answered, and to a sort of the whole table.
2. The same suite of tests run under ``pytest --task-timing`` then ``tasktiming html``, and
   under ``pytest --html --self-contained-html`` (pytest-html, what a user would otherwise
   pick for a page of a run): time to open each page in the same browser.
3. The live dashboard's poll near the end of the big file (``read_since`` from the last
   offset, 100 new rows) against re-reading the whole file, the naive way to tail it.

Run: ``pip install -e ".[test,bench]" && python benchmarks/html_report.py`` (``--tasks``,
``--tests``). Needs Chromium at /usr/bin/chromium (``apt-get install chromium``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pytest_tasktiming.records import HEADER, LineFormatter, read_rows
from pytest_tasktiming.reports.dashboard import read_since
from pytest_tasktiming.reports.html import write_html_report

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
SUITE = """
import pytest

@pytest.mark.parametrize("i", range({tests}))
def test_case(i):
    assert i % 97 != 13
"""


def write_many_tasks(path: Path, count: int, *, start_task: int = 0) -> None:
    """Append ``count`` tasks over 4 workers (the header first if the file is new)."""
    formatter = LineFormatter()
    base = 1_795_000_000_000_000_000
    results = ["passed"] * 17 + ["failed", "skipped", "error"]
    lines = [] if path.exists() else [HEADER]
    for i in range(start_task, start_task + count):
        start = base + (i // 4) * 10_000_000 + (i % 4) * 1000
        duration = (1 + i % 9) * 1_000_000
        name = f"tests/test_mod{i % 50}.py::test_case_{i % 2000}"
        task_id = f"0123456789ab-{i}"
        end = start + duration
        lines.append(formatter.line((start, "pytest", task_id, start, None, None, name, "started")))
        lines.append(
            formatter.line((end, "pytest", task_id, start, end, duration, name, results[i % 20]))
        )
    with path.open("a", encoding="utf-8") as stream:
        stream.write("".join(lines))


def best(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return min(times)


def open_page(browser: object, url: str, ready: str, rows: str) -> dict[str, float]:
    """Seconds from navigation to ``ready`` drawn and to ``rows`` visible."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    began = time.perf_counter()
    page.goto(url)
    page.locator(ready).first.wait_for(timeout=120_000)
    drawn = time.perf_counter() - began
    page.locator(rows).first.wait_for(timeout=120_000)
    shown = time.perf_counter() - began
    page.close()
    return {"drawn": drawn, "rows": shown}


def measure_report(browser: object, work: Path, tasks: int) -> None:
    from playwright.sync_api import expect

    tsv = work / "big.tsv"
    write_many_tasks(tsv, tasks)
    out = work / "big.html"
    write_s = best(2, lambda: write_html_report(tsv, out))
    read_s = best(2, lambda: sum(1 for _ in read_rows(tsv)))
    print(f"report of {tasks:,} tasks ({tsv.stat().st_size / 1e6:.1f} MB of TSV):")
    print(f"  write_html_report  {write_s:6.2f} s   (reading the rows alone: {read_s:.2f} s, "
          f"{write_s / read_s:.2f}x)  page {out.stat().st_size / 1e6:.1f} MB")  # fmt: skip
    opened, filtered, sorted_ = [], [], []
    for _ in range(3):
        page = browser.new_page(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
        began = time.perf_counter()
        page.goto(out.as_uri())
        page.locator("html[data-ready=true]").wait_for(timeout=60_000)
        opened.append(time.perf_counter() - began)
        page.fill("#filter", "test_case_1999")
        expect(page.locator("#table-count")).to_have_text(
            f"showing {tasks // 2000} of {tasks} tasks"
        )
        filtered.append(time.perf_counter() - began)
        page.fill("#filter", "")
        expect(page.locator("#table-count")).to_have_text(f"showing {tasks} of {tasks} tasks")
        # The click handler sorts and redraws synchronously: time it inside the page.
        sorted_.append(
            page.evaluate(
                """() => { const began = performance.now();
                    document.querySelector("#tasks-table th[data-key=dur] button").click();
                    return (performance.now() - began) / 1000; }"""
            )
        )
        page.close()
    print(f"  open to drawn      {statistics.median(opened):6.2f} s   (median of 3, headless)")
    print(f"  open to filtered   {statistics.median(filtered):6.2f} s   (the test's limit: 3 s)")
    print(f"  sort {tasks:,} rows  {statistics.median(sorted_):6.2f} s")


def measure_against_pytest_html(browser: object, work: Path, tests: int) -> None:
    suite = work / "suite"
    suite.mkdir()
    (suite / "test_suite.py").write_text(SUITE.format(tests=tests), encoding="utf-8")

    def run(*args: str) -> float:
        began = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
            cwd=suite, capture_output=True, check=False,
        )  # fmt: skip
        return time.perf_counter() - began

    ours_run = run("-p", "no:html", "--task-timing")
    began = time.perf_counter()
    write_html_report(suite / "task_timing.tsv", suite / "ours.html")
    ours_run += time.perf_counter() - began
    theirs_run = run("-p", "no:tasktiming", "--html", "theirs.html", "--self-contained-html")
    plain_run = run("-p", "no:html", "-p", "no:tasktiming")
    ours = [open_page(browser, (suite / "ours.html").as_uri(), "html[data-ready=true]",
                      "#tasks-table tbody tr:not(.spacer)") for _ in range(3)]  # fmt: skip
    theirs = [open_page(browser, (suite / "theirs.html").as_uri(), "#results-table",
                        "#results-table tbody.results-table-row") for _ in range(3)]  # fmt: skip
    ours_open = statistics.median(o["rows"] for o in ours)
    theirs_open = statistics.median(t["rows"] for t in theirs)
    print(f"\n{tests:,} tests, page and run (plain pytest run: {plain_run:.2f} s):")
    print(f"  {'':28} {'run + report':>12} {'page':>8} {'open to rows':>13}")
    print(f"  {'pytest-tasktiming':28} {ours_run:11.2f}s "
          f"{(suite / 'ours.html').stat().st_size / 1e6:7.2f}M {ours_open:12.2f}s")  # fmt: skip
    print(f"  {'pytest-html (self-contained)':28} {theirs_run:11.2f}s "
          f"{(suite / 'theirs.html').stat().st_size / 1e6:7.2f}M {theirs_open:12.2f}s")  # fmt: skip
    print(
        f"  ratio pytest-html / ours: open {theirs_open / ours_open:.2f}x, "
        f"run + report {theirs_run / ours_run:.2f}x"
    )


def measure_polls(work: Path, tasks: int) -> None:
    tsv = work / "big.tsv"
    first = read_since(str(tsv), 0, None)
    offset, generation = first["offset"], first["gen"]
    while first["more"]:
        first = read_since(str(tsv), offset, generation)
        offset = first["offset"]
    write_many_tasks(tsv, 50, start_task=tasks)
    poll = best(5, lambda: read_since(str(tsv), offset, generation))
    reread = best(2, lambda: sum(1 for _ in read_rows(tsv)))
    print(f"\nlive poll at the end of a {tsv.stat().st_size / 1e6:.0f} MB file, 100 new rows:")
    print(f"  read_since(offset)  {poll * 1e3:8.2f} ms")
    print(f"  re-read whole file  {reread * 1e3:8.0f} ms   ({reread / poll:,.0f}x the poll)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--tests", type=int, default=5_000)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        print(f"Chromium {browser.version}\n")
        measure_report(browser, Path(tmp), args.tasks)
        measure_polls(Path(tmp), args.tasks)
        measure_against_pytest_html(browser, Path(tmp), args.tests)
        browser.close()


if __name__ == "__main__":
    main()
