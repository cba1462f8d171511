"""Crafted task-timing files with numbers known in advance, for the CLI's tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import NamedTuple

from pytest_tasktiming.records import HEADER, TaskRow, format_row

UTC = dt.timezone.utc
BASE = dt.datetime(2026, 11, 20, 10, 0, 0, tzinfo=UTC)


class Run(NamedTuple):
    """One task occurrence: a started row and, unless ``result`` is None, its final row."""

    task: str
    duration: float
    result: str | None
    task_id: str
    start: dt.datetime
    mode: str = "ci"


def rows_of(run: Run) -> list[TaskRow]:
    started = TaskRow(run.start, run.mode, run.task_id, run.start, None, None, run.task, "started")
    if run.result is None:
        return [started]
    end = run.start + dt.timedelta(seconds=run.duration)
    final = TaskRow(end, run.mode, run.task_id, run.start, end, run.duration, run.task, run.result)
    return [started, final]


def write_history(path: Path, runs: list[Run]) -> Path:
    """Write the runs' rows to ``path`` in the order given, after the header."""
    lines = [format_row(row) for run in runs for row in rows_of(run)]
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return path


def at(minutes: float, day: int = 0) -> dt.datetime:
    return BASE + dt.timedelta(days=day, minutes=minutes)


KNOWN = [
    # build, run aaaa: 1, 2, 3, 10 s; the last three failed -> streak 3.
    Run("build", 1.0, "completed", "aaaa-1", at(0)),
    Run("build", 2.0, "failed", "aaaa-2", at(1)),
    Run("deploy", 5.0, "completed", "bbbb-1", at(0, day=2), mode="shell"),
    Run("build", 3.0, "failed", "aaaa-3", at(2)),
    Run("deploy", 7.0, "recovered", "bbbb-2", at(1, day=2), mode="shell"),
    Run("build", 10.0, "failed", "aaaa-4", at(3)),
    Run("lint", 0.0, None, "bbbb-3", at(2, day=2)),  # interrupted: started, never finished
]
"""By hand, per task, percentiles interpolated linearly over the sorted durations:

build:  runs 4, total 16, mean 4, p50 (2+3)/2 = 2.5, p95 at index 3*0.95 = 2.85:
        3 + (10-3)*0.85 = 8.95, min 1, max 10, last failed, streak 3.
deploy: runs 2, total 12, mean 6, p50 6, p95 at index 0.95: 5 + 2*0.95 = 6.9, min 5, max 7,
        last recovered, streak 0.
trend: each of the latest 10 durations against the longest, in 8 heights (round(d / max * 7)):
build 1, 2, 3, 10 -> 1, 1, 2, 7 -> ▂▂▃█; deploy 5, 7 -> 5, 7 -> ▆█. Neither went from pass to
fail and back: not flaky.
"""

BUILD = {
    "runs": 4, "total": 16.0, "mean": 4.0, "p50": 2.5, "p95": 8.95, "min": 1.0, "max": 10.0,
    "last_result": "failed", "streak": 3, "trend": "▂▂▃█", "flaky": "",
}  # fmt: skip
DEPLOY = {
    "runs": 2, "total": 12.0, "mean": 6.0, "p50": 6.0, "p95": 6.9, "min": 5.0, "max": 7.0,
    "last_result": "recovered", "streak": 0, "trend": "▆█", "flaky": "",
}  # fmt: skip


def recorded(
    path: Path, durations: dict[str, float], runs: int = 3, result: str = "passed"
) -> Path:
    """A history in which each task of ``durations`` passed ``runs`` times, taking that long."""
    history = [
        Run(task, seconds, result, f"run{number:08x}-{index}", at(number), mode="pytest")
        for number in range(runs)
        for index, (task, seconds) in enumerate(durations.items())
    ]
    return write_history(path, history)
