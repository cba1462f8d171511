"""Rows as the compact JSON the page reads, shared by the report and the live dashboard.

One row is ``[task_id, mode, task, start, duration, result]``: ``mode``, ``task`` and
``result`` index a string table (a run repeats a few thousand names a hundred thousand
times), ``start`` is milliseconds after the payload's ``t0`` (short numbers: the JSON of
100,000 tasks shrinks by a quarter) and ``duration`` seconds, None while a task runs; the
page draws a task from its start for its duration. The page folds rows by task id exactly as
``records.fold`` does, so a report may send folded rows and the server raw ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from pytest_tasktiming.companion import Notes
from pytest_tasktiming.records import TaskRow

PageData = dict[str, Any]

# Inside <script type="application/json"> only "</script" or "<!--" could end the element;
# escaping every <, > and & (and the JS line separators) rules that out for any input.
_SCRIPT_SAFE = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def encode_rows(rows: Iterable[TaskRow], notes: Notes | None = None) -> PageData:
    """The rows as ``{"strings": [...], "rows": [[...], ...]}`` with a shared string table.

    With ``notes`` (the companion file's), also ``notes``: ``[task_id, limit, threshold,
    message]`` per task, ``named``: ``[task, mode, limit, threshold]`` per task name and
    ``processes``: ``[task id prefix, mode, limit, threshold]`` per process, None where the
    file says nothing; the page lays a task's own over its name's over its process's.
    """
    index: dict[str, int] = {}
    strings: list[str] = []

    def ref(text: str) -> int:
        found = index.get(text)
        if found is None:
            found = index[text] = len(strings)
            strings.append(text)
        return found

    rows = list(rows)
    t0 = min((_ms(row.start_time.timestamp()) for row in rows), default=0.0)
    encoded = [
        [
            row.task_id,
            ref(row.mode),
            ref(row.task),
            round(_ms(row.start_time.timestamp()) - t0, 3),
            _duration(row),
            ref(row.result),
        ]
        for row in rows
    ]
    payload: PageData = {"t0": t0, "strings": strings, "rows": encoded}
    if notes:
        payload["notes"] = [
            [task_id, values.get("limit"), values.get("threshold"), _ref(values, ref)]
            for task_id, values in notes.by_id.items()
            if values.keys() & _SHOWN
        ]
        payload["named"] = [
            [ref(task), ref(mode), values.get("limit"), values.get("threshold")]
            for (task, mode), values in notes.by_name.items()
        ]
        payload["processes"] = [
            [prefix, ref(mode), values.get("limit"), values.get("threshold")]
            for (prefix, mode), values in notes.by_process.items()
        ]
    return payload


_SHOWN = frozenset({"limit", "threshold", "message"})


def _ref(values: dict[str, Any], ref: Callable[[str], int]) -> int | None:
    message = values.get("message")
    return None if message is None else ref(message)


def _duration(row: TaskRow) -> float | None:
    """The row's duration; for a final row without one, its end minus its start."""
    if row.duration is not None or row.end_time is None:
        return row.duration
    return max(0.0, (row.end_time - row.start_time).total_seconds())


def latest_ms(rows: Iterable[TaskRow]) -> float | None:
    """The latest moment the rows mention (a row's timestamp or end): "now" for a static file."""
    latest: float | None = None
    for row in rows:
        moment = row.timestamp if row.end_time is None else max(row.timestamp, row.end_time)
        value = _ms(moment.timestamp())
        if latest is None or value > latest:
            latest = value
    return latest


def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 3)


def script_json(value: object) -> str:
    """JSON safe to place inside ``<script type="application/json">`` whatever the strings hold."""
    return _json(value).translate(_SCRIPT_SAFE)


def json_bytes(value: object) -> bytes:
    """The live dashboard's answers: the same strict JSON, as UTF-8."""
    return _json(value).encode("utf-8")


def _json(value: object) -> str:
    # allow_nan=False: NaN and Infinity are not JSON, and a page given them draws nothing. The
    # file's readers refuse such durations (records.parse_duration); this keeps it so for rows
    # built in code.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
