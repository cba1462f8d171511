"""The CI gate over a task-timing file: tasks that timed out, ran past a limit, or got slower.

The limit is ``--max`` for every task and, where the companion file gives one, the task's
own: a task that ran past its own timeout without being stopped (``enforce=False``, or the
limit passed outside its code) fails the gate too.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from dataclasses import asdict, dataclass

from pytest_tasktiming._timing import clock
from pytest_tasktiming.companion import Notes, read_notes
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
from pytest_tasktiming.reports.status import limit_of
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
    Column("limit", "limit", "seconds"),
    Column("start_time", "start_time"),
    Column("task_id", "task_id"),
    Column("line", "line", "int"),
]


@dataclass(frozen=True, slots=True)
class Overrun:
    """A task over the limit; ``duration`` is the time so far for an interrupted one, and
    ``limit`` the one it ran past (None: a timeout before any limit on file, as one stopped
    by the session's limit, or whose limit is not on file)."""

    task: str
    result: str
    duration: float
    limit: float | None
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
    """Tasks whose final row says ``timeout``, or whose duration exceeds ``limit`` seconds or
    their own limit (from the companion file).

    Rows fold by task id as everywhere (the last final row wins), and a task that started but
    has no final row counts as ``interrupted`` once it started more than its limit ago. With
    ``limit`` None only timeouts and own limits count. In the file's order.

    :raises FormatError: for the first bad line.
    """
    notes = read_notes(path)
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
        own = _own_limit(notes, fields)
        passed = _passed_limit(own, limit, duration)
        if fields[RESULT] == TIMEOUT or passed is not None:
            if passed is None and own is not None and duration >= own:
                passed = own  # stopped at its own limit (not before it, by the session's)
            found[task_id] = _overrun(fields, fields[RESULT], duration, passed, lineno)
    if unfinished and (limit is not None or notes):
        now = (clock.wall_ns() if now_ns is None else now_ns) / 1e9
        for lineno, fields, start in unfinished.values():
            elapsed = now - start
            passed = _passed_limit(_own_limit(notes, fields), limit, elapsed)
            if passed is not None:
                found[fields[TASK_ID]] = _overrun(fields, INTERRUPTED, elapsed, passed, lineno)
    return sorted(found.values(), key=lambda overrun: overrun.line)


def _duration(path: str, lineno: int, fields: list[str]) -> float:
    """The line's duration, or ``FormatError`` naming the line."""
    try:
        return parse_duration(fields[DURATION])
    except ValueError as error:
        raise FormatError(path, lineno, str(error)) from None


def _own_limit(notes: Notes, fields: list[str]) -> float | None:
    """The task's own limit from the companion file (none read per row without one)."""
    return limit_of(notes, fields, None) if notes else None


def _passed_limit(own: float | None, limit: float | None, seconds: float) -> float | None:
    """The smallest limit ``seconds`` went past: the task's own, or ``limit``; else None."""
    passed = [value for value in (own, limit) if value is not None and seconds > value]
    return min(passed, default=None)


def _overrun(
    fields: list[str], result: str, duration: float, limit: float | None, lineno: int
) -> Overrun:
    return Overrun(
        task=fields[TASK],
        result=result,
        duration=duration,
        limit=limit,
        start_time=fields[START_TIME],
        task_id=fields[TASK_ID],
        line=lineno,
    )


SLOWER_COLUMNS = [
    *COLUMNS[:3],
    Column("median", "median", "seconds"),
    Column("runs", "runs", "int"),
    *COLUMNS[4:],
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
