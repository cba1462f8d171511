"""One recorded run of a task: its two rows, its deadline and its failure streak.

A run in progress is a plain tuple (``Started``) handed from ``begin`` to ``finish``, not an
object: on the hot path, a slotted object with seven attributes costs about as much as the
rest of the caller's side of the recording (benchmarks/decorators.py).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import traceback
from typing import Any, Final

from pytest_tasktiming._task_spec import Spec
from pytest_tasktiming._timing import clock
from pytest_tasktiming.companion import companion_of, end_line
from pytest_tasktiming.exceptions import FailureLimitExceeded, TaskTimeoutError
from pytest_tasktiming.records import COMPLETED, FAILED, RECOVERED, STARTED, TIMEOUT, new_task_id
from pytest_tasktiming.shared_writers import writer_for
from pytest_tasktiming.streaks import CommandFailureTracker
from pytest_tasktiming.timeout import Deadline, register
from pytest_tasktiming.writer import AsyncBufferedWriter

log = logging.getLogger("pytest_tasktiming")

streaks = CommandFailureTracker()
"""The decorators' failure counts, per thread and keyed by task name."""


Started = tuple[str, AsyncBufferedWriter, "Deadline | None", int, int]
"""A run in progress: (task_id, writer, deadline, start_ns, mono_start_ns)."""
STARTED_TASK_ID: Final = 0
STARTED_MONO: Final = 4


def begin(spec: Spec, target: Any = None, *, interrupt: bool = True) -> Started:
    """Start a run: arm its deadline, read the clocks, queue the ``started`` row.

    :param target: the asyncio task to cancel at the timeout; None: the calling thread.
    :param interrupt: False for generators: between two items the consumer's code runs in
        the target, and a timeout must not land there, so their deadline only warns.
    """
    task_id = new_task_id()
    writer = writer_for(spec.path)
    if spec.notes_line is not None and spec.announced_to is not writer:
        _announce(spec, writer)
    # Both clocks at one moment, so that nested tasks' start and end times nest too; before
    # the deadline, so that a task stopped at its timeout never shows a shorter duration.
    start = clock.wall_ns()
    mono = clock.mono_ns()
    timeout = spec.timeout
    if timeout is None:
        deadline = None
    else:
        options = spec.interrupting if interrupt else spec.warning_only
        deadline = register(spec.task, timeout, target, options)
    writer.put((start, spec.mode, task_id, start, None, None, spec.task, STARTED))
    return task_id, writer, deadline, start, mono


def begin_in_task(spec: Spec, *, interrupt: bool = True) -> Started:
    """``begin`` for a coroutine: the timeout cancels its asyncio task.

    Outside asyncio (under trio, or a coroutine driven by hand) there is no task to cancel
    and the thread may be running anyone's code, so the deadline only warns.
    """
    try:
        task = asyncio.current_task()
    except RuntimeError:  # no running asyncio loop
        task = None
    return begin(spec, task, interrupt=interrupt and task is not None)


def finish(
    spec: Spec, started: Started, error: BaseException | None = None, duration: int | None = None
) -> None:
    """End a run that returned (``error`` None) or raised ``error``: queue the final row.

    Raises what the caller must see instead: ``FailureLimitExceeded`` (from the error) at the
    streak's limit; a plain ``TaskTimeoutError`` for this task's own timeout (in place of the
    watchdog's private subclass or the ``CancelledError`` it caused, or when the timeout lands
    in ``Deadline.cancel()`` just as the body returns). Otherwise returns, and the caller
    re-raises ``error`` untouched. ``KeyboardInterrupt``, ``SystemExit`` and
    ``CancelledError`` end the row as ``failed`` but neither count in nor end a streak.

    :param duration: nanoseconds, when the caller already read the clock.
    """
    __tracebackhide__ = True
    task_id, writer, deadline, start, mono = started
    if duration is None:
        duration = clock.mono_ns() - mono
    outcome = error
    if deadline is not None:
        try:
            deadline.cancel()
        except TaskTimeoutError as late:  # it landed this very moment: the body's outcome
            if outcome is None:  # (unless the body had already failed on its own)
                outcome = late
        if outcome is not None:
            outcome = deadline.translate(outcome) or outcome
    task = spec.task
    limit = spec.max_failures
    if outcome is None:
        failures = streaks.record_success(task) if limit else 0
        result = RECOVERED if failures else COMPLETED
    else:
        failures = streaks.record_failure(task, outcome) if limit else 0
        result = FAILED
    if deadline is not None and deadline.timed_out:
        result = TIMEOUT  # also when the body caught its TaskTimeoutError and returned
    end = start + duration
    writer.put((end, spec.mode, task_id, start, end, duration, task, result))
    if outcome is not None:
        _note_failure(writer, task_id, outcome, result)
    if outcome is None:
        if failures:
            plural = "" if failures == 1 else "s"
            log.info("task %r recovered after %d consecutive failure%s", task, failures, plural)
        return
    if limit and failures >= limit and isinstance(outcome, Exception):
        log.warning(
            "task %r failed %d times in a row (limit %d): raising FailureLimitExceeded",
            task,
            failures,
            limit,
        )
        raise FailureLimitExceeded(task, failures, limit) from outcome
    if outcome is not error:
        raise outcome from None


_announce_lock = threading.Lock()


def _announce(spec: Spec, writer: AsyncBufferedWriter) -> None:
    """Write the task's limit to the companion file of ``writer``, once."""
    with _announce_lock:
        if spec.announced_to is not writer and spec.notes_line is not None:
            companion_of(writer).add(spec.notes_line)
            spec.announced_to = writer


def _note_failure(
    writer: AsyncBufferedWriter, task_id: str, error: BaseException, result: str
) -> None:
    """The failure's one line, and for a timeout where the task was, in the companion file."""
    stack = None
    if result == TIMEOUT:
        frames = [
            frame
            for frame in traceback.extract_tb(error.__traceback__)
            if not frame.filename.startswith(_OURS)  # as __tracebackhide__ hides them
        ]
        stack = "".join(traceback.format_list(frames[-_STACK_FRAMES:])) or None
    line = end_line(task_id, message=f"{type(error).__name__}: {error}", stack=stack)
    if line is not None:
        companion_of(writer).add(line)


_STACK_FRAMES = 20
_OURS = os.path.join(os.path.dirname(__file__), "")
