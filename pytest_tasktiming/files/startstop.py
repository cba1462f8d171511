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
import subprocess
import sys
from dataclasses import dataclass

from pytest_tasktiming._timing import clock
from pytest_tasktiming.records import (
    DURATION,
    MODE,
    RESULT,
    START_TIME,
    STARTED,
    TASK,
    TASK_ID,
    TIMEOUT,
    RawRow,
    RowReader,
    new_task_id,
    parse_time,
    split_line,
    to_ns,
)
from pytest_tasktiming.writer import AsyncBufferedWriter

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


def start(path: str, task: str, *, mode: str = "shell", timeout: float | None = None) -> str:
    """Write a ``started`` row for ``task`` and return its new task id.

    :param timeout: seconds; leaves a watcher that records ``timeout`` if ``stop`` is late.
    """
    now = clock.wall_ns()
    task_id = new_task_id()
    _write(path, (now, mode, task_id, now, None, None, task, STARTED))
    if timeout is not None:
        deadline = str(now + int(timeout * 1e9))
        watcher = [sys.executable, "-c", _WATCHER, path, task_id, deadline]
        # A short-lived launcher starts the watcher in a session of its own and exits, so the
        # watcher outlives the shell step and nobody is left holding a running child.
        subprocess.run(
            [sys.executable, "-c", _LAUNCHER, *watcher],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
        )
    return task_id


def stop(path: str, task_id: str, *, result: str = "completed") -> Stopped:
    """Write the final row of ``task_id``, lasting from its ``start_time`` until now.

    A task the watcher already marked ``timeout`` stays ``timeout``; nothing more is written.

    :raises UnknownTaskError: when the file has no ``started`` row for ``task_id``, or the
        task already ended (other than by the watcher's timeout).
    """
    started, final = _find(path, task_id)
    if started is None:
        raise UnknownTaskError(f"unknown task id {task_id!r}: no started row in {path}")
    if final is not None and final[RESULT] != TIMEOUT:
        raise UnknownTaskError(f"task id {task_id!r} already ended ({final[RESULT]}) in {path}")
    if final is not None:  # the watcher's timeout row is the final one: one per task
        return Stopped(started[TASK], task_id, TIMEOUT, float(final[DURATION] or 0))
    row = _final_row(started, result)
    _write(path, row)
    return Stopped(started[TASK], task_id, result, (row[DURATION] or 0) / 1e9)


def _find(path: str, task_id: str) -> tuple[list[str] | None, list[str] | None]:
    """The task's ``started`` row and its last final row (as fields), if any."""
    started = final = None
    for _, fields in RowReader(path, strict=False).iter_fields():
        if fields[TASK_ID] == task_id:
            if fields[RESULT] == STARTED:
                started = fields
            else:
                final = fields
    return started, final


def _final_row(started: list[str], result: str, now: int | None = None) -> RawRow:
    """The final row for a task started in another process: wall-clock from start to ``now``
    (default: the clock's now)."""
    if now is None:
        now = clock.wall_ns()
    start_ns = to_ns(parse_time(started[START_TIME]))
    duration = max(now - start_ns, 0)
    return (now, started[MODE], started[TASK_ID], start_ns, now, duration, started[TASK], result)


def _write(path: str, raw: RawRow) -> None:
    with AsyncBufferedWriter(path) as writer:
        writer.put(raw)


def watch(path: str, task_id: str, deadline_ns: int) -> None:
    """Wait for the deadline, then write a ``timeout`` row unless the task has ended.

    Leaves as soon as the task's final row is in the file, so a task stopped in time leaves
    no process behind for long; each look reads only what was appended since the last.
    """
    import time

    offset = 0
    while (remaining := deadline_ns - clock.wall_ns()) > 0:
        time.sleep(min(remaining / 1e9, _WATCH_INTERVAL))
        offset, ended = _ended_since(path, task_id, offset)
        if ended:
            return
    if os.path.exists(path):
        started, final = _find(path, task_id)
        if started is not None and final is None:  # ended at its deadline, however late we are
            _write(path, _final_row(started, TIMEOUT, deadline_ns))


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


_LAUNCHER = (
    "import subprocess, sys; subprocess.Popen(sys.argv[1:], start_new_session=True, "
    "stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)"
)
_WATCHER = "import sys; from pytest_tasktiming.files.startstop import watch; " + (
    "watch(sys.argv[1], sys.argv[2], int(sys.argv[3]))"
)
