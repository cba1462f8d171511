"""What is running now: tasks with a ``started`` row and no final row, for how long, and
against which limit.

Each task is measured against its own limit when the companion file has it (``tasktiming
start --timeout``, a test's marker, the session's timeout), else against ``timeout`` (3600 s
unless told). A task far past its limit most likely died without its final row (``tasktiming
validate`` lists those as interrupted); the status says so rather than guess.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pytest_tasktiming._timing import clock
from pytest_tasktiming.companion import Notes, read_notes
from pytest_tasktiming.exceptions import FormatError
from pytest_tasktiming.records import (
    MODE,
    RESULT,
    START_TIME,
    STARTED,
    TASK,
    TASK_ID,
    RowReader,
    parse_named_time,
)
from pytest_tasktiming.reports.tabular import Column, Value

COLUMNS = [
    Column("task", "task"),
    Column("elapsed", "running for", "seconds"),
    Column("limit", "limit", "seconds"),
    Column("used", "used"),
    Column("mode", "mode"),
    Column("start_time", "started"),
    Column("task_id", "task_id"),
]


@dataclass(frozen=True, slots=True)
class Running:
    """A task under way: ``elapsed`` seconds since its start, ``limit`` None for none."""

    task: str
    mode: str
    task_id: str
    start_time: str
    elapsed: float
    limit: float | None

    @property
    def over(self) -> bool:
        """True once it has run past its limit: killed, or about to be."""
        return self.limit is not None and self.elapsed > self.limit

    def as_record(self) -> dict[str, Value]:
        """The task as a record for ``tabular.render``; ``used`` is the share of its limit."""
        used = "-" if self.limit is None else f"{self.elapsed / self.limit:.0%}"
        return {
            "task": self.task,
            "elapsed": self.elapsed,
            "limit": self.limit,
            "used": used,
            "mode": self.mode,
            "start_time": self.start_time,
            "task_id": self.task_id,
        }


def open_rows(
    path: str, *, strict: bool = True, on_progress: Callable[[int], None] | None = None
) -> dict[str, tuple[int, list[str]]]:
    """``(line, fields)`` of each ``started`` row with no final row, by task id, in file order.

    :raises FormatError: for a bad line, unless ``strict`` is False (then it is skipped).
    """
    found: dict[str, tuple[int, list[str]]] = {}
    for lineno, fields in RowReader(path, strict=strict, on_progress=on_progress).iter_fields():
        if fields[RESULT] == STARTED:
            found[fields[TASK_ID]] = (lineno, fields)
        else:
            found.pop(fields[TASK_ID], None)
    return found


def running_tasks(
    path: str,
    *,
    timeout: float | None,
    now_ns: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> list[Running]:
    """The tasks of ``path`` that started and have no final row, the longest running first.

    :param timeout: the limit of a task without one on file, in seconds; None for none.
    :raises FormatError: for a bad line.
    """
    now = (clock.wall_ns() if now_ns is None else now_ns) / 1e9
    found = []
    still_open = open_rows(path, on_progress=on_progress)
    notes = read_notes(path) if still_open else Notes()
    for lineno, fields in still_open.values():
        try:
            start = parse_named_time(fields[START_TIME], "start_time").timestamp()
        except ValueError as error:
            raise FormatError(path, lineno, str(error)) from None
        found.append(
            Running(
                task=fields[TASK],
                mode=fields[MODE],
                task_id=fields[TASK_ID],
                start_time=fields[START_TIME],
                elapsed=max(0.0, now - start),
                limit=limit_of(notes, fields, timeout),
            )
        )
    return sorted(found, key=lambda task: -task.elapsed)


def limit_of(notes: Notes, fields: list[str], default: float | None) -> float | None:
    """The task's own limit on file (None when it had none), else ``default``."""
    limit = notes.of(fields[TASK_ID], fields[TASK], fields[MODE]).limit
    return default if limit is None else limit or None
