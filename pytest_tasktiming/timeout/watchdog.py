"""The process's one watchdog thread: a heap of every deadline, and what it does when due.

The thread sleeps on a condition variable until the earliest deadline is due: no polling, no
thread per call. Registering a deadline that is due no sooner than the thread wakes anyway
takes no lock and wakes nobody: it is appended to ``incoming``, which the thread (or, past
``_MERGE_AT`` entries, the registering caller) moves into the heap, dropping the deadlines
cancelled meanwhile, as nearly all are. ``Deadline.cancel()`` only marks the deadline. Each
deadline has one entry at a time, for its next stage: the warning, the limit, then the last
resort.
"""

from __future__ import annotations

import collections
import contextlib
import heapq
import itertools
import logging
import os
import sys
import threading
import warnings
from typing import TYPE_CHECKING, Any, cast

from pytest_tasktiming._durations import format_seconds, parse_seconds
from pytest_tasktiming._timing import clock
from pytest_tasktiming.exceptions import TaskTimeoutWarning
from pytest_tasktiming.timeout import deadline as states
from pytest_tasktiming.timeout import interrupt
from pytest_tasktiming.timeout.deadline import Callback, Deadline
from pytest_tasktiming.writer import flush_all

if TYPE_CHECKING:
    import asyncio


log = logging.getLogger("pytest_tasktiming")

DEFAULT_GRACE = 5.0
"""Seconds a task may go on after its timeout was raised before the last resort."""
EXIT_ON_STUCK_CODE = 124
"""The process's exit status when the last resort exits (as GNU ``timeout`` uses)."""

_RESEND_MIN = 0.001
_RESEND_MAX = 0.05
_MIN_COMPACT = 1024
_MERGE_AT = 256
_NEVER = float("inf")
_TRUE = frozenset({"1", "true", "yes", "on"})
_heappush = heapq.heappush


class Watchdog:
    """The heap of deadlines and the one thread that acts on them, started on first use."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Empty, with no thread: at construction and in a forked child."""
        self.lock = threading.Lock()
        self.wakeup = threading.Condition(self.lock)
        self.heap: list[tuple[float, int, Deadline]] = []
        self.incoming: collections.deque[tuple[float, int, Deadline]] = collections.deque()
        self.order = itertools.count()  # breaks ties, so deadlines are never compared
        self.merged = 0  # entries moved or dropped since the heap was last compacted
        # When the thread wakes next (infinity: it is not running, or sleeps without end).
        self.wakes_at = _NEVER
        # The earliest due time among cancelled deadlines dropped: the thread wakes then
        # anyway, so that the next deadlines, due a little later, need not wake it.
        self.horizon = _NEVER
        self.thread: threading.Thread | None = None

    def add(self, when: float, deadline: Deadline) -> None:
        """Register ``deadline``'s next stage, due at ``when`` (``clock.mono()`` seconds)."""
        incoming = self.incoming
        incoming.append((when, next(self.order), deadline))
        # After the append, as _run publishes wakes_at before it last looks at incoming:
        # either it sees this entry, or this sees the time it will sleep until.
        if when < self.wakes_at or len(incoming) >= _MERGE_AT:
            with self.lock:
                self._merge()
                if self.thread is None:
                    self.thread = threading.Thread(
                        target=self._run, name="tasktiming-watchdog", daemon=True
                    )
                    self.thread.start()
                elif self.heap and self.heap[0][0] < self.wakes_at:
                    self.wakeup.notify()

    def _merge(self) -> None:
        """Move ``incoming`` into the heap (under the lock), dropping cancelled deadlines."""
        take = self.incoming.popleft
        heap = self.heap
        count = len(self.incoming)
        for _ in range(count):
            entry = take()
            if not entry[2].cancelled:
                _heappush(heap, entry)
            elif entry[0] < self.horizon:
                self.horizon = entry[0]
        self.merged += count
        if self.merged >= max(_MIN_COMPACT, len(heap)):
            self._compact()

    def _compact(self) -> None:
        """Drop entries cancelled in the heap: amortised O(1) per add, and bounds its size."""
        self.heap = [entry for entry in self.heap if not entry[2].cancelled]
        heapq.heapify(self.heap)
        self.merged = 0

    def _run(self) -> None:
        with self.lock:
            while True:
                self._merge()
                heap = self.heap
                now = clock.mono()
                due = []
                while heap and heap[0][0] <= now:
                    deadline = heapq.heappop(heap)[2]
                    if not deadline.cancelled:
                        due.append(deadline)
                if not due:
                    if self.horizon <= now:
                        self.horizon = _NEVER
                    wake = min(heap[0][0], self.horizon) if heap else self.horizon
                    self.wakes_at = wake
                    if not self.incoming:  # see add()
                        self.wakeup.wait(
                            None if wake == _NEVER else min(wake - now, threading.TIMEOUT_MAX)
                        )
                    continue
                self.wakes_at = -_NEVER  # acting: it merges before it sleeps, so wake nobody
                self.lock.release()  # callbacks may watch() or cancel()
                try:
                    for deadline in due:
                        self._act(deadline)
                finally:
                    self.lock.acquire()

    def _act(self, deadline: Deadline) -> None:
        try:
            stage = deadline._stage
            if stage == states.WARN:
                timeout, elapsed = deadline.timeout or 0.0, deadline.elapsed
                # Woken after the limit, the threshold is old news (unless it is the limit).
                if elapsed < timeout or deadline.warning_threshold >= 1.0:
                    deadline._mark(states.LIMIT, states.WARNED)
                    _warn_threshold(deadline, elapsed)
                    self.add(deadline.started + timeout, deadline)
                    return
                stage = states.LIMIT
            if stage == states.LIMIT:
                deadline._mark(states.DONE, states.EXPIRED)
                if _enforcing(deadline):
                    self._interrupt(deadline)
            elif stage == states.RESEND:
                self._interrupt(deadline)
            elif stage == states.STUCK:
                deadline._mark(states.DONE)
                _last_resort(deadline)
        except Exception:  # the watchdog must outlive any bug or callback
            log.exception("tasktiming watchdog failed on %r", deadline)

    def _interrupt(self, deadline: Deadline) -> None:
        """Tell the task to stop where its gate allows, then wait for it until the grace ends.

        A signal is sent again until it reaches the task (its handler holds it back outside
        the gate); the other means are sent once. The grace runs from the first sending.
        """
        now = clock.mono()
        sent_at = getattr(deadline, "_sent_at", None)
        if sent_at is None:
            if not _may_interrupt(deadline):
                self._resend_at(deadline, now, _NEVER)
                return
            deadline._mark(states.DONE, states.TIMED_OUT)
            _call(deadline.on_timeout, deadline)
            how = _fire(deadline)
            if how is None:
                return
            deadline._sent_at = sent_at = now
        else:
            how = deadline.interrupted_by
            if not deadline.delivered and _may_interrupt(deadline):
                _fire(deadline)
        grace_ends = sent_at + _grace(deadline)
        if how == states.SIGNALLED and not deadline.delivered and now < grace_ends:
            self._resend_at(deadline, now, grace_ends)
        else:
            deadline._mark(states.STUCK)
            self.add(grace_ends, deadline)

    def _resend_at(self, deadline: Deadline, now: float, latest: float) -> None:
        """Try again soon: after a sixty-fourth of the task's time so far, within bounds."""
        pause = min(_RESEND_MAX, max(_RESEND_MIN, (now - deadline.started) / 64))
        deadline._mark(states.RESEND)
        self.add(min(now + pause, latest), deadline)


watchdog = Watchdog()


def _warn_threshold(deadline: Deadline, elapsed: float) -> None:
    timeout = deadline.timeout or 0.0
    _notify(
        deadline,
        f"task {deadline.task!r} has run {format_seconds(elapsed)}, "
        f"{elapsed / timeout:.0%} of its {timeout:g}s timeout",
    )


def _enforcing(deadline: Deadline) -> bool:
    """At the limit: True when the task is to be stopped, else say why it is not."""
    if not deadline.enforce:
        _notify(
            deadline,
            f"task {deadline.task!r} ran past its {deadline.timeout:g}s timeout "
            f"({format_seconds(deadline.elapsed)} so far); not enforced, it goes on",
        )
        return False
    if interrupt.debugger_active(deadline.thread_ident):
        _notify(
            deadline,
            f"task {deadline.task!r} reached its {deadline.timeout:g}s timeout "
            "under a debugger; not interrupted",
        )
        return False
    return True


def _may_interrupt(deadline: Deadline) -> bool:
    """The gate's answer for where the task's thread is now (the signal handler asks again)."""
    if deadline._options.gate is None or deadline.is_asyncio:
        return True
    return deadline.allows(sys._current_frames().get(deadline.thread_ident or -1))


def _fire(deadline: Deadline) -> str | None:
    """Send the interrupt; how it went, or None when nothing could receive it."""
    with states.fire_lock:
        deadline._mark(deadline._stage, states.FIRING)  # see Deadline.cancel
        if deadline.cancelled:
            return None
        how = interrupt.interrupt(deadline)
        if how is not None:
            deadline._how = how
    if how is None:
        log.warning("tasktiming: task %r timed out but its thread is gone", deadline.task)
    elif getattr(deadline, "_sent_at", None) is None:
        log.warning(
            "tasktiming: task %r timed out after %.1fs (timeout %gs); stopped by %s",
            deadline.task, deadline.elapsed, deadline.timeout, how,
        )  # fmt: skip
    return how


def _notify(deadline: Deadline, message: str) -> None:
    """Tell the user: ``on_warning`` if given, else a warning and a log line."""
    if deadline.on_warning is not None:
        _call(deadline.on_warning, deadline)
        return
    frame = sys._current_frames().get(deadline.thread_ident or -1)
    # Pointing at the line the task is running, not at the watchdog. Filtered to "error",
    # the warning has nowhere to be raised from this thread.
    with contextlib.suppress(TaskTimeoutWarning):
        warnings.warn_explicit(
            TaskTimeoutWarning(message),
            TaskTimeoutWarning,
            frame.f_code.co_filename if frame else __file__,
            frame.f_lineno if frame else 0,
        )
    log.warning("tasktiming: %s", message)


def _call(callback: Callback | None, deadline: Deadline) -> None:
    """Run a user's callback; its failure is logged and the watchdog goes on."""
    if callback is not None:
        try:
            callback(deadline)
        except Exception:
            log.exception("tasktiming: callback %r failed for %r", callback, deadline)


def _grace(deadline: Deadline) -> float:
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


def _last_resort(deadline: Deadline) -> None:
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
    _call(deadline.on_stuck, deadline)
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


def _after_fork_in_child() -> None:
    # The parent's watchdog keeps the parent's deadlines; the child starts with none.
    watchdog.reset()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
