"""The last resort: a task that ignored its timeout for the grace period, shown and maybe ended.

The watchdog (``watchdog.py``) calls ``last_resort`` once the grace period after the first
interrupt has passed and the task still runs: every thread's stack goes to stderr,
``on_stuck`` runs, every writer is flushed, and the process exits only when asked to.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING, Any, cast

from pytest_tasktiming._durations import parse_seconds
from pytest_tasktiming.timeout import deadline as states
from pytest_tasktiming.timeout import interrupt
from pytest_tasktiming.timeout.deadline import Deadline, call
from pytest_tasktiming.writer import flush_all

if TYPE_CHECKING:
    import asyncio

log = logging.getLogger("pytest_tasktiming")

DEFAULT_GRACE = 5.0
"""Seconds a task may go on after its timeout was raised before the last resort."""
EXIT_ON_STUCK_CODE = 124
"""The process's exit status when the last resort exits (as GNU ``timeout`` uses)."""

_TRUE = frozenset({"1", "true", "yes", "on"})


def grace(deadline: Deadline) -> float:
    """The deadline's grace period: its own, else ``$TASK_TIMING_GRACE``, else the default."""
    if deadline.grace is not None:
        return deadline.grace
    value = os.environ.get("TASK_TIMING_GRACE")
    if not value:
        return DEFAULT_GRACE
    try:
        return parse_seconds(value, source="environment variable TASK_TIMING_GRACE") or 0.0
    except ValueError as error:
        log.error("tasktiming: %s; using %gs", error, DEFAULT_GRACE)
        return DEFAULT_GRACE


def exits_on_stuck(deadline: Deadline) -> bool:
    """True when the last resort ends the process for this deadline."""
    if deadline.exit_on_stuck is not None:
        return deadline.exit_on_stuck
    return os.environ.get("TASK_TIMING_EXIT_ON_STUCK", "").strip().lower() in _TRUE


def last_resort(deadline: Deadline) -> None:
    """The task ignored its timeout for the grace period: show where everything is."""
    if deadline.cancelled or not _still_running(deadline):
        return
    deadline._mark(states.DONE, states.STUCK_FLAG)
    exiting = exits_on_stuck(deadline)
    then = f"exiting with status {EXIT_ON_STUCK_CODE}" if exiting else "not exiting"
    sys.stderr.write(
        f"\ntasktiming: task {deadline.task!r} is still running {deadline.elapsed:.1f}s after "
        f"it started, past its {deadline.timeout:g}s timeout (stuck in C code?); {then}. "
        f"Stacks of every thread:\n\n{interrupt.format_all_stacks()}\n"
    )
    sys.stderr.flush()
    call(deadline.on_stuck, deadline)
    try:
        flush_all()
    except Exception:
        log.exception("tasktiming: could not flush the task-timing file")
    if exiting:
        log.critical("tasktiming: task %r is stuck; exiting", deadline.task)
        os._exit(EXIT_ON_STUCK_CODE)


def _still_running(deadline: Deadline) -> bool:
    if deadline.is_asyncio:
        return not cast("asyncio.Task[Any]", deadline.target).done()
    return deadline.thread_ident in sys._current_frames()
