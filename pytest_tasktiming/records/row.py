"""``TaskRow``: one line of the file, typed."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from pytest_tasktiming.records.fields import STARTED, RawRow
from pytest_tasktiming.records.formatting import LineFormatter
from pytest_tasktiming.records.times import from_ns, to_ns


@dataclass(frozen=True, slots=True)
class TaskRow:
    """One line of the file, typed: aware UTC datetimes, duration in seconds."""

    timestamp: _dt.datetime
    mode: str
    task_id: str
    start_time: _dt.datetime
    end_time: _dt.datetime | None
    duration: float | None
    task: str
    result: str

    @property
    def is_final(self) -> bool:
        """True for the row that ends a task (anything but ``started``)."""
        return self.result != STARTED

    def to_raw(self) -> RawRow:
        """The row as the writer's raw tuple (times in integer nanoseconds)."""
        return (
            to_ns(self.timestamp),
            self.mode,
            self.task_id,
            to_ns(self.start_time),
            None if self.end_time is None else to_ns(self.end_time),
            None if self.duration is None else round(self.duration * 1e9),
            self.task,
            self.result,
        )

    @classmethod
    def from_raw(cls, raw: RawRow) -> TaskRow:
        """The typed row for a raw one (the row hook's argument)."""
        timestamp, mode, task_id, start, end, duration, task, result = raw
        return cls(
            timestamp=from_ns(timestamp),
            mode=mode,
            task_id=task_id,
            start_time=from_ns(start),
            end_time=None if end is None else from_ns(end),
            duration=None if duration is None else duration / 1e9,
            task=task,
            result=result,
        )


def format_row(row: TaskRow) -> str:
    """The line for ``row``, as the writer would write it."""
    return LineFormatter().line(row.to_raw())
