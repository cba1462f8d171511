"""The TSV format, and its only owner: fields, escaping, the header, task ids, formatting,
parsing and the fold.

Nothing else in the package writes or parses a line, or knows where a field sits in one.
Rows travel to the writer as raw tuples of integers and strings (``RawRow``) so the caller
pays for no datetime objects; the writer's ``LineFormatter`` turns them into text in its own
thread. ``fields.py`` names the columns, ``row.py`` is the typed row and the task ids,
``formatting.py`` writes lines and ``reading.py`` reads them.
"""

from __future__ import annotations

from pytest_tasktiming.records.fields import (
    COMPLETED,
    DURATION,
    END_TIME,
    ERROR,
    FAILED,
    FAILING,
    FIELDS,
    HEADER,
    MAX_DURATION,
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
    escape,
    is_header,
    unescape,
)
from pytest_tasktiming.records.formatting import LineFormatter, format_duration, format_row
from pytest_tasktiming.records.reading import (
    RowReader,
    fold,
    parse_duration,
    parse_fields,
    parse_line,
    parse_named_time,
    parse_time,
    read_rows,
    split_line,
)
from pytest_tasktiming.records.row import (
    EPOCH,
    UTC,
    RawRow,
    TaskRow,
    from_ns,
    new_task_id,
    to_ns,
)

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
    "MAX_DURATION",
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
    "is_header",
    "new_task_id",
    "parse_duration",
    "parse_fields",
    "parse_line",
    "parse_named_time",
    "parse_time",
    "read_rows",
    "split_line",
    "to_ns",
    "unescape",
]
