"""The TSV format: fields, escaping, the header, task ids, formatting, parsing and the fold.

Nothing else in the package writes or parses a line. Rows travel to the writer as raw tuples
of integers and strings (``RawRow``) so the caller pays for no datetime objects; the writer's
``LineFormatter`` turns them into text in its own thread.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO

from pytest_tasktiming.exceptions import FormatError

FIELDS = (
    "timestamp", "mode", "task_id", "start_time", "end_time", "duration", "task", "result",
)  # fmt: skip
HEADER = "\t".join(FIELDS) + "\n"

STARTED = "started"
COMPLETED = "completed"
FAILED = "failed"
TIMEOUT = "timeout"
RECOVERED = "recovered"
FAILING = frozenset({FAILED, TIMEOUT, "error"})
"""Final results that are failures (``error``: a test's setup or teardown failed)."""

UTC = _dt.timezone.utc
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = _dt.timedelta(microseconds=1)

RawRow = tuple[int, str, str, int, "int | None", "int | None", str, str]
"""(timestamp_ns, mode, task_id, start_ns, end_ns, duration_ns, task, result); times in ns."""


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
            _to_ns(self.timestamp),
            self.mode,
            self.task_id,
            _to_ns(self.start_time),
            None if self.end_time is None else _to_ns(self.end_time),
            None if self.duration is None else round(self.duration * 1e9),
            self.task,
            self.result,
        )


def _to_ns(moment: _dt.datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: timestamps must be timezone-aware")
    return (moment - _EPOCH) // _ONE_US * 1000


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


# --- escaping ------------------------------------------------------------------------------

_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_UNESCAPES = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}


def escape(text: str) -> str:
    """Escape backslash, tab, newline and carriage return so ``text`` fits in one field."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return "".join(_ESCAPES.get(char, char) for char in text)
    return text


def unescape(field: str) -> str:
    """Invert ``escape``; an unknown escape keeps its backslash."""
    if "\\" not in field:
        return field
    out: list[str] = []
    chars = iter(field)
    for char in chars:
        if char == "\\":
            following = next(chars, "")
            out.append(_UNESCAPES.get(following, "\\" + following))
        else:
            out.append(char)
    return "".join(out)


# --- formatting ----------------------------------------------------------------------------


class LineFormatter:
    """Formats raw rows into lines: the writer's hot loop.

    ``datetime.isoformat`` costs about a microsecond and padded integer formatting is slow
    too, so a time is cut from one ``str(ns)``: nearly every row of a batch falls in the same
    second, whose date-and-time prefix is built once. A row's timestamp is its start
    (``started``) or end (final row) time, so that text is reused. A final row usually
    follows its ``started`` row, and the two share their mode, task id and start time: that
    middle of the line is built once for both. Names (modes, tasks, results) are escaped once
    and remembered.
    """

    __slots__ = ("_escaped", "_from", "_prefix", "_until")

    def __init__(self) -> None:
        self._from = self._until = 0  # the cached second, [from, until) in nanoseconds
        self._prefix = ""
        self._escaped: dict[str, str] = {}

    def iso(self, ns: int) -> str:
        """ISO 8601 UTC with microseconds, e.g. ``2026-11-24T21:02:56.123456+00:00``."""
        if not self._from <= ns < self._until:
            second, rest = divmod(ns, 1_000_000_000)
            if second < 1:  # 1970's first second: too few digits to cut; never cached
                return f"{_second_prefix(second)}{rest // 1000:06d}+00:00"
            self._from, self._until = second * 1_000_000_000, (second + 1) * 1_000_000_000
            self._prefix = _second_prefix(second)
        return self._prefix + str(ns)[-9:-3] + "+00:00"

    def line(self, raw: RawRow) -> str:
        """One complete line, fields escaped, ending in ``\\n``."""
        return self.lines((raw,))[0]

    def lines(self, rows: Iterable[RawRow]) -> list[str]:
        """The lines of ``rows``; ``iso``'s fast path, ``escape`` and ``format_duration``
        are inlined."""
        out: list[str] = []
        append = out.append
        iso = self.iso
        names = self._escaped
        if len(names) > _MAX_REMEMBERED_NAMES:
            names.clear()
        low, high, prefix = self._from, self._until, self._prefix
        # The last row's task id, mode and start, and the text they make: "\tmode\tid\tstart\t".
        last_id, last_mode, last_start, started, middle = None, "", -1, "", ""
        for timestamp, mode, task_id, start, end, duration, task, result in rows:
            if task_id is not last_id or start != last_start or mode is not last_mode:
                if low <= start < high:
                    started = prefix + str(start)[-9:-3] + "+00:00"
                else:
                    started = iso(start)
                    low, high, prefix = self._from, self._until, self._prefix
                safe_mode = names.get(mode)
                if safe_mode is None:
                    safe_mode = names[mode] = escape(mode)
                if task_id.isprintable() and "\\" not in task_id:
                    safe_id = task_id
                else:
                    safe_id = escape(task_id)
                last_id, last_mode, last_start = task_id, mode, start
                middle = "\t" + safe_mode + "\t" + safe_id + "\t" + started + "\t"
            if end is None:
                ended = ""
                stamp = started if timestamp == start else iso(timestamp)
            else:
                if low <= end < high:
                    ended = prefix + str(end)[-9:-3] + "+00:00"
                else:
                    ended = iso(end)
                    low, high, prefix = self._from, self._until, self._prefix
                stamp = ended if timestamp == end else iso(timestamp)
            if duration is None:
                seconds = ""
            else:
                digits = str((duration + 500) // 1000)
                seconds = (
                    digits[:-6] + "." + digits[-6:]
                    if len(digits) > 6
                    else "0." + digits.rjust(6, "0")
                )
            safe_task = names.get(task)
            if safe_task is None:
                safe_task = names[task] = escape(task)
            safe_result = names.get(result)
            if safe_result is None:
                safe_result = names[result] = escape(result)
            append(f"{stamp}{middle}{ended}\t{seconds}\t{safe_task}\t{safe_result}\n")
        return out


_MAX_REMEMBERED_NAMES = 10_000
"""Escaped names a formatter keeps; past it they are forgotten, so memory stays bounded."""


def _second_prefix(second: int) -> str:
    return _dt.datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S.")


def format_duration(ns: int) -> str:
    """Seconds with exactly 6 fractional digits, rounded to the microsecond."""
    digits = str((ns + 500) // 1000)
    if len(digits) > 6:
        return digits[:-6] + "." + digits[-6:]
    return "0." + digits.rjust(6, "0")


def format_row(row: TaskRow) -> str:
    """The line for ``row``, as the writer would write it."""
    return LineFormatter().line(row.to_raw())


# --- parsing -------------------------------------------------------------------------------


def parse_time(text: str) -> _dt.datetime:
    """Parse an ISO 8601 timestamp that must carry a UTC offset of zero."""
    moment = _dt.datetime.fromisoformat(text)
    if moment.utcoffset() != _dt.timedelta(0):
        raise ValueError(f"timestamp {text!r} is not UTC (+00:00)")
    return moment


def parse_fields(fields: list[str]) -> TaskRow:
    """Build a row from the eight unescaped fields of a line; ValueError names the bad field."""
    timestamp, mode, task_id, start, end, duration, task, result = fields
    try:
        parsed_duration = float(duration) if duration else None
    except ValueError:
        raise ValueError(f"duration {duration!r} is not a number of seconds") from None
    if parsed_duration is not None and parsed_duration < 0:
        raise ValueError(f"duration {duration!r} is negative")
    if not task_id:
        raise ValueError("task_id is empty")
    return TaskRow(
        timestamp=_parse_named(timestamp, "timestamp"),
        mode=mode,
        task_id=task_id,
        start_time=_parse_named(start, "start_time"),
        end_time=_parse_named(end, "end_time") if end else None,
        duration=parsed_duration,
        task=task,
        result=result,
    )


def _parse_named(text: str, name: str) -> _dt.datetime:
    try:
        return parse_time(text)
    except ValueError:
        raise ValueError(f"{name} {text!r} is not an ISO 8601 UTC timestamp") from None


class RowReader:
    """Streams the rows of a file (plain or ``.gz``) in constant memory.

    A last line without its newline is a torn write (a writer killed mid-line): it is not
    yielded, and its line number is kept in ``torn_line``. Any other bad line raises
    ``FormatError`` with its line number, or with ``strict=False`` is skipped and kept in
    ``errors`` (what ``tasktiming validate`` lists).
    """

    def __init__(self, path: str | os.PathLike[str], *, strict: bool = True) -> None:
        self.path = os.fspath(path)
        self.strict = strict
        self.torn_line: int | None = None
        self.errors: list[FormatError] = []

    def __iter__(self) -> Iterator[TaskRow]:
        for lineno, fields in self.iter_fields():
            try:
                yield parse_fields(fields)
            except ValueError as error:
                self._fail(lineno, str(error))

    def iter_fields(self) -> Iterator[tuple[int, list[str]]]:
        """Yield ``(line number, unescaped fields)`` of each row without parsing the values.

        For readers that need only a few columns (the report) and cannot afford a datetime
        per field.
        """
        with _open_binary(self.path) as stream:
            first = stream.readline()
            if not first:
                raise FormatError(self.path, 1, "file is empty: expected the header line")
            if first.rstrip(b"\r\n").decode("utf-8", "replace") != HEADER.rstrip("\n"):
                raise FormatError(self.path, 1, f"expected the header {HEADER.rstrip()!r}")
            for lineno, data in enumerate(stream, 2):
                if not data.endswith(b"\n"):
                    self.torn_line = lineno
                    return
                fields = self._split(lineno, data)
                if fields is not None:
                    yield lineno, fields

    def _split(self, lineno: int, data: bytes) -> list[str] | None:
        try:
            text = data[:-1].decode("utf-8")
        except UnicodeDecodeError:
            self._fail(lineno, "line is not valid UTF-8")
            return None
        fields = text.split("\t")
        if len(fields) != len(FIELDS):
            self._fail(lineno, f"expected {len(FIELDS)} tab-separated fields, found {len(fields)}")
            return None
        if "\\" in text:
            fields = [unescape(field) for field in fields]
        return fields

    def _fail(self, lineno: int, message: str) -> None:
        """Raise in strict mode, else keep the error for ``errors``."""
        error = FormatError(self.path, lineno, message)
        if self.strict:
            raise error
        self.errors.append(error)


def _open_binary(path: str) -> IO[bytes]:
    if path.endswith(".gz"):
        import gzip

        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def read_rows(path: str | os.PathLike[str], *, strict: bool = True) -> RowReader:
    """Iterate the rows of ``path`` as ``TaskRow``s; see ``RowReader`` for torn lines and errors."""
    return RowReader(path, strict=strict)


def fold(rows: Iterable[TaskRow]) -> dict[str, TaskRow]:
    """Fold rows into one per task id: a final row wins over ``started``, the last final wins.

    A ``started`` row after its task's final row (possible when rows from several writers
    interleave) does not undo the final row.
    """
    tasks: dict[str, TaskRow] = {}
    for row in rows:
        if row.result == STARTED and row.task_id in tasks:
            continue
        tasks[row.task_id] = row
    return tasks
