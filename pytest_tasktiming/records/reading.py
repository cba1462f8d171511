"""Lines to rows: parsing and checking fields, streaming a file, and the fold."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Iterator
from typing import IO

from pytest_tasktiming.exceptions import FormatError
from pytest_tasktiming.records.fields import (
    FIELDS,
    HEADER,
    MAX_DURATION,
    STARTED,
    is_header,
    unescape,
)
from pytest_tasktiming.records.row import TaskRow
from pytest_tasktiming.records.times import parse_named_time

PROGRESS_EVERY = 1 << 16
"""Lines between two calls of a reader's ``on_progress``."""


def parse_fields(fields: list[str]) -> TaskRow:
    """Build a row from the eight unescaped fields of a line; ValueError names the bad field."""
    timestamp, mode, task_id, start, end, duration, task, result = fields
    if not task_id:
        raise ValueError("task_id is empty")
    return TaskRow(
        timestamp=parse_named_time(timestamp, "timestamp"),
        mode=mode,
        task_id=task_id,
        start_time=parse_named_time(start, "start_time"),
        end_time=parse_named_time(end, "end_time") if end else None,
        duration=parse_duration(duration) if duration else None,
        task=task,
        result=result,
    )


def parse_duration(text: str) -> float:
    """The seconds of a duration field; ValueError unless it is a number from 0 to
    ``MAX_DURATION`` (so ``nan``, ``inf`` and ``1e308`` never reach a sum, a JSON page or an
    integer of nanoseconds)."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if 0 <= seconds <= MAX_DURATION:
        return seconds
    if not math.isfinite(seconds):
        raise ValueError(f"duration {text!r} is not a number of seconds")
    if seconds < 0:
        raise ValueError(f"duration {text!r} is negative")
    raise ValueError(
        f"duration {text!r} is longer than any task runs (at most {MAX_DURATION:.0f} s)"
    )


class RowReader:
    """Streams the rows of a file (plain or ``.gz``) in constant memory.

    A last line without its newline is a torn write (a writer killed mid-line): it is not
    yielded, and its line number is kept in ``torn_line``. Any other bad line raises
    ``FormatError`` with its line number, or with ``strict=False`` is skipped and kept in
    ``errors`` (what ``tasktiming validate`` lists). ``on_progress`` is called with the line
    number every ``PROGRESS_EVERY`` lines (a progress bar), at no cost when None.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        strict: bool = True,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        self.path = os.fspath(path)
        self.strict = strict
        self.on_progress = on_progress
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
        per field. A damaged ``.gz`` is a ``FormatError`` too, at the line it was noticed.
        """
        lineno = 1
        try:
            with open_binary(self.path) as stream:
                first = stream.readline()
                if not first:
                    raise FormatError(self.path, 1, "file is empty: expected the header line")
                if not is_header(first[:-1] if first.endswith(b"\n") else first):
                    raise FormatError(self.path, 1, f"expected the header {HEADER.rstrip()!r}")
                lines: Iterator[tuple[int, bytes]] = enumerate(stream, 2)
                if self.on_progress is not None:
                    lines = _reporting(lines, self.on_progress)
                for lineno, data in lines:
                    if not data.endswith(b"\n"):
                        self.torn_line = lineno
                        return
                    fields = self._split(lineno, data)
                    if fields is not None:
                        yield lineno, fields
        except _damaged(self.path) as error:
            raise FormatError(self.path, lineno, f"compressed file is damaged: {error}") from None

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


def _reporting(
    lines: Iterator[tuple[int, bytes]], on_progress: Callable[[int], None]
) -> Iterator[tuple[int, bytes]]:
    for item in lines:
        if item[0] % PROGRESS_EVERY == 0:
            on_progress(item[0])
        yield item


def split_line(line: bytes) -> list[str]:
    """The unescaped fields of one line (without its newline); ValueError if it has not eight
    fields or is not UTF-8.

    A ``\\r`` at the end is the rest of a CRLF line end (a file checked out or saved on
    Windows): writers escape every carriage return in a field, so none can end one.
    """
    if line and line[-1] == 13:  # b"\r", read without making a bytes object
        line = line[:-1]
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


def open_binary(path: str) -> IO[bytes]:
    """The file's bytes, decompressed when its name ends in ``.gz``."""
    if path.endswith(".gz"):
        import gzip

        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _damaged(path: str) -> tuple[type[Exception], ...]:
    """What reading a damaged ``.gz`` raises; nothing for a plain file (``except ()``)."""
    if not path.endswith(".gz"):
        return ()
    import gzip
    import zlib

    return (EOFError, zlib.error, gzip.BadGzipFile)


def read_rows(
    path: str | os.PathLike[str],
    *,
    strict: bool = True,
    on_progress: Callable[[int], None] | None = None,
) -> RowReader:
    """Iterate the rows of ``path`` as ``TaskRow``s; see ``RowReader`` for torn lines and errors."""
    return RowReader(path, strict=strict, on_progress=on_progress)


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
