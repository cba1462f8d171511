"""Lines to rows: parsing and checking fields, streaming a file, and the fold."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import IO

from pytest_tasktiming.exceptions import FormatError
from pytest_tasktiming.records.fields import FIELDS, HEADER, STARTED, unescape
from pytest_tasktiming.records.row import TaskRow
from pytest_tasktiming.records.times import parse_named_time


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
        timestamp=parse_named_time(timestamp, "timestamp"),
        mode=mode,
        task_id=task_id,
        start_time=parse_named_time(start, "start_time"),
        end_time=parse_named_time(end, "end_time") if end else None,
        duration=parsed_duration,
        task=task,
        result=result,
    )


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
            return split_line(data[:-1])
        except ValueError as error:
            self._fail(lineno, str(error))
            return None

    def _fail(self, lineno: int, message: str) -> None:
        """Raise in strict mode, else keep the error for ``errors``."""
        error = FormatError(self.path, lineno, message)
        if self.strict:
            raise error
        self.errors.append(error)


def split_line(line: bytes) -> list[str]:
    """The unescaped fields of one line (without its newline); ValueError if it has not eight
    fields or is not UTF-8."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("line is not valid UTF-8") from None
    fields = text.split("\t")
    if len(fields) != len(FIELDS):
        raise ValueError(f"expected {len(FIELDS)} tab-separated fields, found {len(fields)}")
    if "\\" in text:
        fields = [unescape(field) for field in fields]
    return fields


def parse_line(line: bytes) -> TaskRow:
    """The row of one line (without its newline); ValueError says what is wrong with it."""
    return parse_fields(split_line(line))


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
