"""The TSV format, and its only owner: fields, escaping, the header, task ids, formatting,
parsing and the fold.

Nothing else in the package writes or parses a line, or knows where a field sits in one.
Rows travel to the writer as raw tuples of integers and strings (``RawRow``) so the caller
pays for no datetime objects; the writer's ``LineFormatter`` turns them into text in its own
thread. ``fields.py`` names the columns and makes task ids, ``times.py`` converts moments,
``formatting.py`` writes lines, ``row.py`` is the typed ``TaskRow``, ``reading.py`` reads
lines back and ``runs.py`` reads just the final rows' task, result and duration, fast and from
any offset (for the history).

Names are imported on first use (PEP 562): a recording pytest session formats rows but never
builds a ``TaskRow``, and should not pay for creating its class.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_tasktiming._lazy import names_on_first_use

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
        RawRow,
        escape,
        is_header,
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
        open_binary,
        parse_duration,
        parse_fields,
        parse_line,
        read_rows,
        split_line,
    )
    from pytest_tasktiming.records.row import (
        TaskRow,
        format_row,
    )
    from pytest_tasktiming.records.runs import FinalRuns
    from pytest_tasktiming.records.times import (
        EPOCH,
        UTC,
        from_ns,
        parse_named_time,
        parse_time,
        to_ns,
    )

_HOMES = {
    "COMPLETED": ".fields",
    "DURATION": ".fields",
    "END_TIME": ".fields",
    "ERROR": ".fields",
    "FAILED": ".fields",
    "FAILING": ".fields",
    "FIELDS": ".fields",
    "HEADER": ".fields",
    "MODE": ".fields",
    "RECOVERED": ".fields",
    "RESULT": ".fields",
    "RawRow": ".fields",
    "SKIPPED": ".fields",
    "STARTED": ".fields",
    "START_TIME": ".fields",
    "SUCCEEDED": ".fields",
    "TASK": ".fields",
    "TASK_ID": ".fields",
    "TIMEOUT": ".fields",
    "TIMESTAMP": ".fields",
    "escape": ".fields",
    "unescape": ".fields",
    "LineFormatter": ".formatting",
    "format_duration": ".formatting",
    "new_task_id": ".fields",
    "RowReader": ".reading",
    "FinalRuns": ".runs",
    "fold": ".reading",
    "open_binary": ".reading",
    "parse_duration": ".reading",
    "MAX_DURATION": ".fields",
    "is_header": ".fields",
    "parse_fields": ".reading",
    "parse_line": ".reading",
    "read_rows": ".reading",
    "split_line": ".reading",
    "TaskRow": ".row",
    "format_row": ".row",
    "EPOCH": ".times",
    "UTC": ".times",
    "from_ns": ".times",
    "parse_named_time": ".times",
    "parse_time": ".times",
    "to_ns": ".times",
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
    "FinalRuns",
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
    "open_binary",
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

__getattr__ = names_on_first_use(__name__, _HOMES)
