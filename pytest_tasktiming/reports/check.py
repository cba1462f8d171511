"""The CI gate over a task-timing file: tasks that timed out, ran past a limit, or got slower."""

from __future__ import annotations

from array import array
from collections.abc import Callable
from dataclasses import asdict, dataclass

from pytest_tasktiming._timing import clock
from pytest_tasktiming.exceptions import FormatError
from pytest_tasktiming.history.recent import median as middle
from pytest_tasktiming.records import (
    DURATION,
    RESULT,
    START_TIME,
    STARTED,
    SUCCEEDED,
    TASK,
    TASK_ID,
    TIMEOUT,
    RowReader,
    parse_duration,
    parse_named_time,
)
from pytest_tasktiming.reports.tabular import Column, Value

SLOWER = "slower"
"""The result column of a task whose latest successful run took more than FACTOR x its median."""
NOISE_FLOOR = 0.1
"""Seconds: a latest run less than this much above the median is noise, not a regression."""
MIN_RUNS = 5
INTERRUPTED = "interrupted"
"""The status of a task that started, has no final row, and has been running past the limit."""

COLUMNS = [
    Column("task", "task"),
    Column("result", "result"),
    Column("duration", "duration", "seconds"),
    Column("start_time", "start_time"),
    Column("task_id", "task_id"),
    Column("line", "line", "int"),
]


@dataclass(frozen=True, slots=True)
class Overrun:
    """A task over the limit; ``duration`` is the time so far for an interrupted one."""

    task: str
    result: str
    duration: float
    start_time: str
    task_id: str
    line: int

    def as_record(self) -> dict[str, Value]:
        """The overrun as a record for ``tabular.render``."""
        return asdict(self)


def find_overruns(
    path: str,
    *,
    limit: float | None,
    now_ns: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> list[Overrun]:
    """Tasks whose final row says ``timeout`` or whose duration exceeds ``limit`` seconds.

    Rows fold by task id as everywhere (the last final row wins), and a task that started but
    has no final row counts as ``interrupted`` once it started more than ``limit`` ago. With
    ``limit`` None only timeouts count. In the file's order.

    :raises FormatError: for the first bad line.
    """
    found: dict[str, Overrun] = {}
    unfinished: dict[str, tuple[int, list[str], float]] = {}
    for lineno, fields in RowReader(path, on_progress=on_progress).iter_fields():
        task_id = fields[TASK_ID]
        try:
            start = parse_named_time(fields[START_TIME], "start_time").timestamp()
        except ValueError as error:
            raise FormatError(path, lineno, str(error)) from None
        if fields[RESULT] == STARTED:
            unfinished[task_id] = (lineno, fields, start)
            continue
        unfinished.pop(task_id, None)
        found.pop(task_id, None)
        duration = _duration(path, lineno, fields)
        if fields[RESULT] == TIMEOUT or (limit is not None and duration > limit):
            found[task_id] = _overrun(fields, fields[RESULT], duration, lineno)
    if limit is not None and unfinished:
        now = (clock.wall_ns() if now_ns is None else now_ns) / 1e9
        for lineno, fields, start in unfinished.values():
            elapsed = now - start
            if elapsed > limit:
                found[fields[TASK_ID]] = _overrun(fields, INTERRUPTED, elapsed, lineno)
    return sorted(found.values(), key=lambda overrun: overrun.line)


def _duration(path: str, lineno: int, fields: list[str]) -> float:
    """The line's duration, or ``FormatError`` naming the line."""
    try:
        return parse_duration(fields[DURATION])
    except ValueError as error:
        raise FormatError(path, lineno, str(error)) from None


def _overrun(fields: list[str], result: str, duration: float, lineno: int) -> Overrun:
    return Overrun(
        task=fields[TASK],
        result=result,
        duration=duration,
        start_time=fields[START_TIME],
        task_id=fields[TASK_ID],
        line=lineno,
    )


SLOWER_COLUMNS = [
    *COLUMNS[:3],
    Column("median", "median", "seconds"),
    Column("runs", "runs", "int"),
    *COLUMNS[3:],
]
"""With ``--slower``: the median of the earlier runs beside the latest, and how many there were."""


@dataclass(frozen=True, slots=True)
class Regression:
    """A task whose latest successful run (``duration``) took more than FACTOR x ``median``, the
    median of its ``runs`` earlier successful runs."""

    task: str
    duration: float
    median: float
    runs: int
    start_time: str
    task_id: str
    line: int
    result: str = SLOWER

    def as_record(self) -> dict[str, Value]:
        """The regression as a record for ``tabular.render``."""
        return asdict(self)


def find_regressions(path: str, *, factor: float, min_runs: int = MIN_RUNS) -> list[Regression]:
    """Tasks whose latest successful final row took more than ``factor`` x the median of their
    earlier successful final rows (at least ``min_runs`` of them), by more than NOISE_FLOOR.

    :raises FormatError: for the first bad line.
    """
    durations: dict[str, array[float]] = {}
    latest: dict[str, tuple[int, list[str]]] = {}
    for lineno, fields in RowReader(path).iter_fields():
        if fields[RESULT] not in SUCCEEDED:
            continue
        duration = _duration(path, lineno, fields)
        durations.setdefault(fields[TASK], array("d")).append(duration)
        latest[fields[TASK]] = (lineno, fields)
    found = []
    for task, runs in durations.items():
        if len(runs) <= min_runs:
            continue
        *earlier, last = runs
        median = middle(earlier)
        if last > factor * median and last - median >= NOISE_FLOOR:
            lineno, fields = latest[task]
            found.append(
                Regression(
                    task, last, median, len(earlier), fields[START_TIME], fields[TASK_ID], lineno
                )
            )
    return sorted(found, key=lambda regression: regression.line)
