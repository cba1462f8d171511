"""Time a task from a shell script or any language: ``tasktiming start`` / ``tasktiming stop``.

``start`` writes the ``started`` row and hands back the task id; ``stop`` finds that row in
the file and writes the final row, timed from the started row's ``start_time`` (two processes
share no monotonic clock, so both ends are wall-clock). With a timeout, ``start`` leaves a
small detached watcher behind: if no final row is in the file by the deadline (the script hung
or died), the watcher writes one with the result ``timeout``; a later ``stop`` reports that
verdict and writes nothing, so the task keeps exactly one final row.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from pytest_tasktiming._timing import clock
from pytest_tasktiming.appending import append_lines
from pytest_tasktiming.exceptions import FormatError
from pytest_tasktiming.locking import locked
from pytest_tasktiming.records import (
    DURATION,
    MAX_DURATION,
    RESULT,
    STARTED,
    TASK_ID,
    TIMEOUT,
    LineFormatter,
    RawRow,
    RowReader,
    TaskRow,
    new_task_id,
    parse_fields,
    split_line,
    to_ns,
)

RESULTS = (
    "completed", "failed", "timeout", "recovered",
    "passed", "skipped", "xfailed", "xpassed", "error",
)  # fmt: skip
"""Final results ``stop`` accepts: the task results and pytest's outcomes."""


class UnknownTaskError(LookupError):
    """``stop`` was given a task id that has no ``started`` row in the file, or already ended."""


@dataclass(frozen=True, slots=True)
class Stopped:
    """The final row ``stop`` wrote."""

    task: str
    task_id: str
    result: str
    duration: float


def start(
    path: str,
    task: str,
    *,
    mode: str = "shell",
    timeout: float | None = None,
    now_ns: int | None = None,
) -> str:
    """Write a ``started`` row for ``task`` and return its new task id.

    :param timeout: seconds; leaves a watcher that records ``timeout`` if ``stop`` is late.
    :param now_ns: when the task started (wall-clock ns); default now. The command line reads
        the clock before anything else, so its own start-up is not part of the task.
    """
    now = clock.wall_ns() if now_ns is None else now_ns
    task_id = new_task_id()
    with locked(path):
        _append(path, (now, mode, task_id, now, None, None, task, STARTED))
    if timeout is not None:
        import subprocess

        note_limit(path, task_id, timeout)
        deadline = str(now + int(timeout * 1e9))
        watcher = [sys.executable, "-c", _WATCHER, path, task_id, deadline]
        # A short-lived shell, in a session of its own, starts the watcher there and exits: the
        # watcher outlives the shell step, nobody is left holding a running child, and the
        # shell costs a millisecond where a Python launcher cost 20 (all of it in the task).
        subprocess.run(
            ["/bin/sh", "-c", '"$@" &', "sh", *watcher],
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
        )
    return task_id


def note_limit(path: str, task_id: str, timeout: float | None) -> None:
    """Put the task's limit (None: no timeout) in the companion file, where ``check``,
    ``status`` and the pages find it."""
    from pytest_tasktiming.companion.lines import HEADER, companion_path, json_line

    notes = companion_path(path)
    line = json_line({"task_id": task_id, "limit": round(timeout or 0.0, 6)})
    with locked(notes):
        _, error = append_lines(notes, line.encode("utf-8"), header=HEADER)
    if error is not None:
        raise OSError(error.errno, error.strerror, error.filename or notes)


def stop(
    path: str, task_id: str, *, result: str = "completed", now_ns: int | None = None
) -> Stopped:
    """Write the final row of ``task_id``, lasting from its ``start_time`` until ``now_ns``.

    The file is read and the row written under the writers' lock, as the ``--timeout``
    watcher does: of two ``stop`` calls, or a ``stop`` and the watcher, one writes the final
    row and the other sees it. A task the watcher already marked ``timeout`` stays
    ``timeout``; nothing more is written.

    :raises UnknownTaskError: when the file has no ``started`` row for ``task_id``, or the
        task already ended (other than by the watcher's timeout).
    :raises FormatError: when the task's own rows are malformed.
    """
    now = clock.wall_ns() if now_ns is None else now_ns
    with locked(path):
        started, final = _find(path, task_id)
        if started is None:
            raise UnknownTaskError(f"unknown task id {task_id!r}: no started row in {path}")
        if final is not None and final.result != TIMEOUT:
            raise UnknownTaskError(f"task id {task_id!r} already ended ({final.result}) in {path}")
        if final is not None:  # the watcher's timeout row is the final one: one per task
            return Stopped(started.task, task_id, TIMEOUT, final.duration or 0.0)
        row = _final_row(path, started, result, now)
        _append(path, row)
    return Stopped(started.task, task_id, result, (row[DURATION] or 0) / 1e9)


def _find(path: str, task_id: str) -> tuple[Started | None, TaskRow | None]:
    """The task's ``started`` row and its last final row, if any; only its own rows are
    parsed, so a bad line elsewhere in the file does not stop anybody's ``stop``.

    :raises FormatError: for a malformed row of this task, naming its line.
    """
    started = final = None
    for lineno, fields in RowReader(path, strict=False).iter_fields():
        if fields[TASK_ID] == task_id:
            try:
                row = parse_fields(fields)
            except ValueError as error:
                raise FormatError(path, lineno, str(error)) from None
            if fields[RESULT] == STARTED:
                started = Started(row, lineno)
            else:
                final = row
    return started, final


@dataclass(frozen=True, slots=True)
class Started:
    """A task's ``started`` row, and its line for messages about it."""

    row: TaskRow
    line: int

    @property
    def task(self) -> str:
        return self.row.task


def _final_row(path: str, started: Started, result: str, now: int) -> RawRow:
    """The final row for a task started in another process: wall-clock from start to now.

    :raises FormatError: when that is longer than any task runs (a start time from long ago),
        rather than writing a duration no reader would take.
    """
    row = started.row
    start_ns = to_ns(row.start_time)
    duration = max(now - start_ns, 0)
    if duration > MAX_DURATION * 1e9:
        raise FormatError(
            path,
            started.line,
            f"start_time {row.start_time.isoformat()!r} is {duration / 1e9:.0f} s ago, longer "
            f"than any task runs (at most {MAX_DURATION:.0f} s): not stopped",
        )
    return (now, row.mode, row.task_id, start_ns, now, duration, row.task, result)


def _append(path: str, raw: RawRow) -> None:
    """Append one row now; the caller holds the writers' lock."""
    _, error = append_lines(path, LineFormatter().line(raw).encode("utf-8"))
    if error is not None:
        raise OSError(error.errno, error.strerror, error.filename or path)


def watch(path: str, task_id: str, deadline_ns: int) -> None:
    """Wait for the deadline, then write a ``timeout`` row unless the task has ended.

    The row ends at the deadline, so its duration is the timeout, however late this process
    got to run on a busy machine. Leaves as soon as the task's final row is in the file, so a
    task stopped in time leaves no process behind for long; each look reads only what was
    appended since the last. The last look and the row are one step under the writers' lock,
    as in ``stop``.
    """
    import time

    offset = 0
    while (remaining := deadline_ns - clock.wall_ns()) > 0:
        time.sleep(min(remaining / 1e9, _WATCH_INTERVAL))
        offset, ended = _ended_since(path, task_id, offset)
        if ended:
            return
    if os.path.exists(path):
        with locked(path):
            started, final = _find(path, task_id)
            if started is not None and final is None:  # it ran until its deadline, at least
                _append(path, _final_row(path, started, TIMEOUT, deadline_ns))


_WATCH_INTERVAL = 1.0
"""Seconds between the watcher's looks at the file."""


def _ended_since(path: str, task_id: str, offset: int) -> tuple[int, bool]:
    """Scan the complete lines appended after ``offset`` for a final row of ``task_id``.

    Returns the offset to look from next time and whether the task has ended. A file that
    shrank (rewritten by ``compact`` or ``validate --repair``) is read again from the start.
    """
    try:
        with open(path, "rb") as stream:
            if os.fstat(stream.fileno()).st_size < offset:
                offset = 0
            stream.seek(offset)
            data = stream.read()
    except OSError:
        return offset, False
    complete = data[: data.rfind(b"\n") + 1]
    for line in complete.splitlines():
        try:
            fields = split_line(line)
        except ValueError:
            continue
        if fields[TASK_ID] == task_id and fields[RESULT] != STARTED:
            return offset + len(complete), True
    return offset + len(complete), False


_WATCHER = "import sys; from pytest_tasktiming.files.startstop import watch; " + (
    "watch(sys.argv[1], sys.argv[2], int(sys.argv[3]))"
)
