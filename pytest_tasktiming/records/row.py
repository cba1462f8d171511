"""``TaskRow``, one typed line, and the task ids that tie a ``started`` row to its final row."""

from __future__ import annotations

import datetime as _dt
import itertools
import os
from dataclasses import dataclass

from pytest_tasktiming.records.fields import STARTED

UTC = _dt.timezone.utc
EPOCH = _dt.datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = _dt.timedelta(microseconds=1)

RawRow = tuple[int, str, str, int, "int | None", "int | None", str, str]
"""(timestamp_ns, mode, task_id, start_ns, end_ns, duration_ns, task, result); times in ns,
in the order of ``fields.FIELDS``."""


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


def to_ns(moment: _dt.datetime) -> int:
    """Nanoseconds since the epoch of an aware datetime (to the microsecond)."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: timestamps must be timezone-aware")
    return (moment - EPOCH) // _ONE_US * 1000


def from_ns(ns: int) -> _dt.datetime:
    """The aware UTC datetime of nanoseconds since the epoch (to the microsecond)."""
    return EPOCH + _dt.timedelta(microseconds=ns // 1000)


# --- task ids ------------------------------------------------------------------------------
# A random per-process prefix and a counter: unique across processes, threads (next() on a
# count is atomic under the GIL) and runs, and cheap. A forked child draws a new prefix.

_id_prefix = os.urandom(6).hex()
_id_counter = itertools.count(1)


def new_task_id() -> str:
    """Return an id no other task occurrence, in any process or run, will have."""
    return f"{_id_prefix}-{next(_id_counter)}"


def _reseed_task_ids() -> None:
    global _id_prefix, _id_counter
    _id_prefix = os.urandom(6).hex()
    _id_counter = itertools.count(1)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reseed_task_ids)
