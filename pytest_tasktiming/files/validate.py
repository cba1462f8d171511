"""Check a task-timing file line by line, and repair the one thing that is safe to repair.

Problems are what a reader would trip over or what cannot be true: bad columns or values, a
final row without its end, durations that disagree with their own timestamps, a task that
ended twice, a torn last line. Interrupted tasks (started, never finished) are facts about
the runs, not damage to the file: they are listed, with how long ago they started.
"""

from __future__ import annotations

import datetime as _dt
import logging
import os
from dataclasses import dataclass, field

from pytest_tasktiming._timing import clock
from pytest_tasktiming.appending import cut_torn_tail, lock_for, log
from pytest_tasktiming.paths import resolve_path
from pytest_tasktiming.records import STARTED, UTC, RowReader, TaskRow, parse_fields

WALL_TOLERANCE = 1.0
"""Seconds (or 1 %, if larger) a monotonic duration may differ from end_time - start_time:
the wall clock may be stepped or slewed while a task runs."""


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong on one line of the file."""

    line: int
    message: str


@dataclass(frozen=True, slots=True)
class Interrupted:
    """A task with a ``started`` row and no final row; ``age`` in seconds since it started."""

    line: int
    task: str
    task_id: str
    start_time: _dt.datetime
    age: float


@dataclass(slots=True)
class Validation:
    """What ``validate`` found."""

    path: str
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    interrupted: list[Interrupted] = field(default_factory=list)


def validate(path: str, *, now_ns: int | None = None) -> Validation:
    """Read every line of ``path`` and report its problems and interrupted tasks.

    :raises FormatError: when the file is not a task-timing file at all (empty, wrong header).
    :raises OSError: when it cannot be read.
    """
    reader = RowReader(path, strict=False)
    report = Validation(path)
    finals: dict[str, int] = {}
    started: dict[str, tuple[int, TaskRow]] = {}
    for lineno, fields in reader.iter_fields():
        report.rows += 1
        try:
            row = parse_fields(fields)
        except ValueError as error:
            report.problems.append(Problem(lineno, str(error)))
            continue
        report.problems += [Problem(lineno, message) for message in _row_problems(row)]
        if row.result == STARTED:
            if row.task_id not in finals:
                started[row.task_id] = (lineno, row)
            continue
        started.pop(row.task_id, None)
        first = finals.setdefault(row.task_id, lineno)
        if first != lineno:
            report.problems.append(
                Problem(lineno, f"task_id {row.task_id!r} already ended on line {first}")
            )
    report.rows += len(reader.errors)
    report.problems += [Problem(error.line, error.message) for error in reader.errors]
    if reader.torn_line is not None:
        report.problems.append(
            Problem(
                reader.torn_line,
                "torn last line (a writer was killed mid-write); `--repair` removes it",
            )
        )
    report.problems.sort(key=lambda problem: problem.line)
    now = _dt.datetime.fromtimestamp((clock.wall_ns() if now_ns is None else now_ns) / 1e9, UTC)
    report.interrupted = [
        Interrupted(
            lineno, row.task, row.task_id, row.start_time, (now - row.start_time).total_seconds()
        )
        for lineno, row in started.values()
    ]
    return report


def _row_problems(row: TaskRow) -> list[str]:
    if row.result == STARTED:
        if row.end_time is not None or row.duration is not None:
            return ["a started row must leave end_time and duration empty"]
        return []
    if row.end_time is None or row.duration is None:
        return ["a final row needs both end_time and duration"]
    wall = (row.end_time - row.start_time).total_seconds()
    if wall < 0:
        return ["end_time is before start_time"]
    if abs(row.duration - wall) > max(WALL_TOLERANCE, 0.01 * row.duration):
        return [
            f"duration {row.duration:.6f} s disagrees with end_time - start_time = {wall:.6f} s"
        ]
    return []


def repair(path: str) -> int:
    """Remove a torn last line, under the writers' lock; return the bytes removed (0: none).

    The cut is one ``ftruncate`` of the partial line only, done while no writer can be
    appending, so it is atomic for every reader and writer and touches nothing else.
    """
    if path.endswith(".gz"):
        raise ValueError(f"{path}: cannot repair a compressed file; decompress it first")
    quiet = _Quiet()  # the caller reports the cut; the writer's own log line would repeat it
    log.addFilter(quiet)
    try:
        with lock_for(resolve_path(path)):
            fd = os.open(path, os.O_RDWR)
            try:
                size = os.fstat(fd).st_size
                return size - cut_torn_tail(fd, path, size) if size else 0
            finally:
                os.close(fd)
    finally:
        log.removeFilter(quiet)


class _Quiet(logging.Filter):
    """Drops the writer's report of a torn line it cut, and nothing else."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.funcName != cut_torn_tail.__name__
