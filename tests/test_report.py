"""The report: statistics, filters and groupings, on files whose numbers were worked out by hand."""

from __future__ import annotations

import dataclasses
import gzip
import io
import random
import statistics
import sys
from pathlib import Path

import pytest
from history_files import BUILD, DEPLOY, KNOWN, Run, at, write_history

from pytest_tasktiming.cli import main
from pytest_tasktiming.exceptions import FormatError
from pytest_tasktiming.records import HEADER, reading
from pytest_tasktiming.reports import progress, report
from pytest_tasktiming.reports.report import Filters, parse_moment, percentile, summarize


def numbers(stats: report.Stats) -> dict[str, object]:
    values = dataclasses.asdict(stats)
    del values["key"]
    return values


@pytest.fixture
def known(tmp_path: Path) -> str:
    return str(write_history(tmp_path / "history.tsv", KNOWN))


def test_each_task_gets_the_statistics_computed_by_hand(known: str) -> None:
    summary = summarize(known)
    assert [s.key for s in summary.stats] == ["build", "deploy"]
    assert numbers(summary.stats[0]) == pytest.approx(BUILD)
    assert numbers(summary.stats[1]) == pytest.approx(DEPLOY)


def test_started_rows_and_interrupted_tasks_are_not_runs(known: str) -> None:
    keys = [s.key for s in summarize(known).stats]
    assert "lint" not in keys


def test_grouping_by_mode_puts_each_mode_in_one_line(known: str) -> None:
    stats = {s.key: s for s in summarize(known, by="mode").stats}
    assert set(stats) == {"ci", "shell"}
    assert numbers(stats["ci"]) == pytest.approx(BUILD)
    assert numbers(stats["shell"]) == pytest.approx(DEPLOY)


def test_grouping_by_run_uses_the_writing_process_of_the_task_id(known: str) -> None:
    stats = {s.key: s for s in summarize(known, by="run").stats}
    assert stats["aaaa"].runs == 4
    assert stats["bbbb"].runs == 2


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        pytest.param(Filters(mode="shell"), {"deploy": 2}, id="mode"),
        pytest.param(Filters(result="failed"), {"build": 3}, id="result"),
        pytest.param(Filters(since=parse_moment("2026-11-22")), {"deploy": 2}, id="since"),
        pytest.param(Filters(until=parse_moment("2026-11-20T10:02Z")), {"build": 2}, id="until"),
        pytest.param(
            Filters(since=parse_moment("2026-11-20T10:01"), until=parse_moment("2026-11-22")),
            {"build": 3},
            id="since-and-until",
        ),
    ],
)
def test_filters_keep_only_matching_final_rows(
    known: str, filters: Filters, expected: dict[str, int]
) -> None:
    assert {s.key: s.runs for s in summarize(known, filters=filters).stats} == expected


def test_the_streak_counts_failures_since_the_last_success(tmp_path: Path) -> None:
    results = ["failed", "completed", "failed", "timeout", "error"]
    runs = [Run("t", 1.0, r, f"r-{i}", at(i)) for i, r in enumerate(results)]
    stats = summarize(str(write_history(tmp_path / "f.tsv", runs))).stats[0]
    assert (stats.streak, stats.last_result) == (3, "error")


def test_a_skipped_run_neither_extends_nor_ends_a_streak(tmp_path: Path) -> None:
    results = ["completed", "failed", "skipped", "failed", "skipped"]
    runs = [Run("t", 1.0, r, f"r-{i}", at(i)) for i, r in enumerate(results)]
    stats = summarize(str(write_history(tmp_path / "f.tsv", runs))).stats[0]
    assert (stats.streak, stats.last_result) == (2, "skipped")


def test_percentiles_agree_with_the_statistics_module() -> None:
    values = sorted(random.Random(1).uniform(0, 100) for _ in range(101))
    assert percentile(values, 0.5) == statistics.median(values)
    assert percentile(values, 0.95) == pytest.approx(
        statistics.quantiles(values, n=20, method="inclusive")[-1]
    )
    assert percentile([4.0], 0.95) == 4.0


def test_memory_stays_flat_because_durations_spill_to_disk_with_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(3)
    runs = [
        Run(f"task-{i % 7}", round(rng.uniform(0, 50), 6), "completed", f"s-{i}", at(i / 60))
        for i in range(500)
    ]
    path = str(write_history(tmp_path / "many.tsv", runs))
    in_memory = summarize(path).stats
    monkeypatch.setattr(report, "SPILL_AT", 16)
    assert summarize(path).stats == in_memory


def test_a_gzipped_file_gives_the_same_report(known: str, tmp_path: Path) -> None:
    packed = tmp_path / "history.tsv.gz"
    packed.write_bytes(gzip.compress(Path(known).read_bytes()))
    assert summarize(str(packed)) == summarize(known)


def test_a_torn_last_line_is_skipped_and_reported(known: str) -> None:
    with open(known, "a", encoding="utf-8") as stream:
        stream.write("2026-11-20T10:00:00.000000+00:00\tci\tx-1\t2026-11")
    summary = summarize(known)
    assert summary.torn_line == 15  # header, 13 rows, then the torn one
    assert [s.runs for s in summary.stats] == [4, 2]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        pytest.param("a\tb\tc\n", "expected 8 tab-separated fields, found 3", id="columns"),
        pytest.param(
            "2026-11-20T10:00:00.000000+00:00\tci\tx-1\tyesterday\t\t1.0\tt\tcompleted\n",
            "start_time 'yesterday' is not an ISO 8601 UTC timestamp",
            id="start-time",
        ),
        pytest.param(
            "2026-11-20T10:00:00.000000+00:00\tci\tx-1\t2026-11-20T10:00:00.000000+02:00"
            "\t\t1.0\tt\tcompleted\n",
            "is not an ISO 8601 UTC timestamp",
            id="not-utc",
        ),
        pytest.param(
            "2026-11-20T10:00:00.000000+00:00\tci\tx-1\t2026-11-20T10:00:00.000000+00:00"
            "\t\tlong\tt\tcompleted\n",
            "duration 'long' is not a number of seconds",
            id="duration",
        ),
        pytest.param(
            "2026-11-20T10:00:00.000000+00:00\tci\tx-1\t2026-11-20T10:00:00.000000+00:00"
            "\t\t-1.0\tt\tcompleted\n",
            "duration '-1.0' is negative",
            id="negative",
        ),
    ],
)
def test_a_bad_line_is_an_error_naming_its_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text(HEADER + line, encoding="utf-8")
    with pytest.raises(FormatError, match=message) as caught:
        summarize(str(path))
    assert caught.value.line == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("2026-11-24", "2026-11-24T00:00:00.000000+00:00", id="date"),
        pytest.param("2026-11-24T10:30Z", "2026-11-24T10:30:00.000000+00:00", id="zulu"),
        pytest.param("2026-11-24T12:30+02:00", "2026-11-24T10:30:00.000000+00:00", id="offset"),
        pytest.param("36h", "2026-11-23T10:00:00.000000+00:00", id="age"),
    ],
)
def test_times_for_since_and_until_become_the_files_utc_format(text: str, expected: str) -> None:
    now_ns = 1_795_557_600 * 10**9  # 2026-11-24T22:00:00Z
    assert parse_moment(text, now_ns=now_ns) == expected


def test_a_time_that_is_neither_a_date_nor_an_age_is_refused() -> None:
    with pytest.raises(ValueError, match="invalid time 'yesterday'"):
        parse_moment("yesterday")


class Terminal(io.StringIO):
    """stderr as a terminal would be."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("command", "out_start"),
    [
        pytest.param(["report", "{file}", "--format", "csv"], "task,runs,", id="report"),
        pytest.param(["html", "{file}", "-o", "{dir}/page.html"], "wrote ", id="html"),
        pytest.param(["merge", "{file}", "{file}", "-o", "{dir}/m.tsv"], "merged ", id="merge"),
        pytest.param(["compact", "{file}", "-o", "{dir}/c.tsv"], "compacted ", id="compact"),
        pytest.param(["validate", "{file}"], "{file}: 200 rows", id="validate"),
        pytest.param(["check", "{file}"], "0 tasks timed out", id="check"),
        pytest.param(["status", "{file}"], "nothing running", id="status"),
        pytest.param(["todo", "{dir}/TODO.md", "--file", "{file}"], "#", id="todo"),
    ],
)
def test_a_large_file_read_at_a_terminal_gets_a_progress_bar_that_is_erased(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    out_start: str,
) -> None:
    runs = [Run("t", 1.0, "completed", f"p-{i}", at(i / 60)) for i in range(100)]
    path = write_history(tmp_path / "big.tsv", runs)
    (tmp_path / "TODO.md").write_text("- [ ] t\n")
    monkeypatch.setattr(progress, "LARGE", 1000)
    monkeypatch.setattr(reading, "PROGRESS_EVERY", 50)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    fill = {"file": str(path), "dir": str(tmp_path)}
    assert main([arg.format(**fill) for arg in command]) == 0
    drawn = terminal.getvalue()
    assert drawn.startswith("\r[")
    assert "% " in drawn and "200 lines" in drawn
    assert drawn.endswith("\r\x1b[K")
    assert capsys.readouterr().out.startswith(out_start.format(**fill))


def test_no_progress_bar_when_stderr_is_not_a_terminal_or_the_file_is_small(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = str(write_history(tmp_path / "small.tsv", KNOWN))
    assert progress.progress_bar(path, io.StringIO()) is None
    assert progress.progress_bar(path, Terminal()) is None
    monkeypatch.setattr(progress, "LARGE", 10)
    bar = progress.progress_bar(path, Terminal())
    assert bar is not None
    assert bar.total_lines == pytest.approx(14, abs=1)


def test_report_by_day_and_week_totals_the_time_in_time_order(
    tsv_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_history(
        tsv_path,
        [
            Run("build", 60.0, "completed", "a-1", at(0)),  # Friday 2026-11-20, week 47
            Run("test", 30.0, "failed", "a-2", at(5)),
            Run("build", 120.0, "completed", "b-1", at(0, day=3)),  # Monday, week 48
            Run("build", 90.0, "completed", "c-1", at(0, day=2)),  # Sunday, week 47
            Run("lint", 0.0, None, "c-2", at(9, day=2)),  # running: no time yet
        ],
    )
    by_day = summarize(str(tsv_path), by="day").stats
    assert [(s.key, s.runs, s.total) for s in by_day] == [
        ("2026-11-20", 2, 90.0),
        ("2026-11-22", 1, 90.0),
        ("2026-11-23", 1, 120.0),
    ]
    by_week = summarize(str(tsv_path), by="week").stats
    assert [(s.key, s.total) for s in by_week] == [("2026-W47", 180.0), ("2026-W48", 120.0)]

    assert main(["report", "--by", "week"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[-1] == "week"
    assert lines[1].split()[:3] == ["3", "3.00", "min"]
