"""The TSV format, and its only owner: fields, escaping, the header, task ids, formatting,
parsing and the fold.

Nothing else in the package writes or parses a line, or knows where a field sits in one.
Rows travel to the writer as raw tuples of integers and strings (``RawRow``) so the caller
pays for no datetime objects; the writer's ``LineFormatter`` turns them into text in its own
thread. ``fields.py`` names the columns, ``times.py`` converts moments, ``ids.py`` makes task
ids, ``formatting.py`` writes lines, ``row.py`` is the typed ``TaskRow`` and ``reading.py``
reads lines back.

Names are imported on first use (PEP 562): a recording pytest session formats rows but never
builds a ``TaskRow``, and should not pay for creating its class.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_tasktiming.records.fields import (
        COMPLETED,
        DURATION,
        END_TIME,
        ERROR,
        FAILED,
        FAILING,
        FIELDS,
        HEADER,
        MODE,
        RECOVERED,
        RESULT,
        SKIPPED,
        START_TIME,
        STARTED,
        SUCCEEDED,
        TASK,
        TASK_ID,
        TIMEOUT,
        TIMESTAMP,
        RawRow,
        escape,
        new_task_id,
        unescape,
    )
    from pytest_tasktiming.records.formatting import (
        LineFormatter,
        format_duration,
    )
    from pytest_tasktiming.records.reading import (
        RowReader,
        fold,
        parse_fields,
        parse_line,
        read_rows,
        split_line,
    )
    from pytest_tasktiming.records.row import (
        TaskRow,
        format_row,
    )
    from pytest_tasktiming.records.times import (
        EPOCH,
        UTC,
        from_ns,
        parse_named_time,
        parse_time,
        to_ns,
    )

_HOMES = {
    "COMPLETED": "fields",
    "DURATION": "fields",
    "END_TIME": "fields",
    "ERROR": "fields",
    "FAILED": "fields",
    "FAILING": "fields",
    "FIELDS": "fields",
    "HEADER": "fields",
    "MODE": "fields",
    "RECOVERED": "fields",
    "RESULT": "fields",
    "RawRow": "fields",
    "SKIPPED": "fields",
    "STARTED": "fields",
    "START_TIME": "fields",
    "SUCCEEDED": "fields",
    "TASK": "fields",
    "TASK_ID": "fields",
    "TIMEOUT": "fields",
    "TIMESTAMP": "fields",
    "escape": "fields",
    "unescape": "fields",
    "LineFormatter": "formatting",
    "format_duration": "formatting",
    "new_task_id": "fields",
    "RowReader": "reading",
    "fold": "reading",
    "parse_fields": "reading",
    "parse_line": "reading",
    "read_rows": "reading",
    "split_line": "reading",
    "TaskRow": "row",
    "format_row": "row",
    "EPOCH": "times",
    "UTC": "times",
    "from_ns": "times",
    "parse_named_time": "times",
    "parse_time": "times",
    "to_ns": "times",
}

__all__ = [
    "COMPLETED",
    "DURATION",
    "END_TIME",
    "EPOCH",
    "ERROR",
    "FAILED",
    "FAILING",
    "FIELDS",
    "HEADER",
    "MODE",
    "RECOVERED",
    "RESULT",
    "SKIPPED",
    "STARTED",
    "START_TIME",
    "SUCCEEDED",
    "TASK",
    "TASK_ID",
    "TIMEOUT",
    "TIMESTAMP",
    "UTC",
    "LineFormatter",
    "RawRow",
    "RowReader",
    "TaskRow",
    "escape",
    "fold",
    "format_duration",
    "format_row",
    "from_ns",
    "new_task_id",
    "parse_fields",
    "parse_line",
    "parse_named_time",
    "parse_time",
    "read_rows",
    "split_line",
    "to_ns",
    "unescape",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
