"""The process's one watchdog thread: a heap of every deadline, and what it does when due.

The thread sleeps on a condition variable until the earliest deadline is due: no polling, no
thread per call. Registering a deadline that is due no sooner than the thread wakes anyway
takes no lock and wakes nobody: it is appended to ``incoming``, which the thread (or, past
``_MERGE_AT`` entries, the registering caller) moves into the heap, dropping the deadlines
cancelled meanwhile, as nearly all are. ``Deadline.cancel()`` only marks the deadline. Each
deadline has one entry at a time, for its next stage: the warning, the limit, the resending
of a signal not yet received, then the last resort (``last_resort.py``).
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
from typing import TYPE_CHECKING, Any

from pytest_tasktiming._durations import human_duration
from pytest_tasktiming._timing import clock
from pytest_tasktiming.exceptions import TaskTimeoutWarning
from pytest_tasktiming.timeout import deadline as states
from pytest_tasktiming.timeout import interrupt
from pytest_tasktiming.timeout.deadline import Callback, Deadline, DeadlineOptions, call

if TYPE_CHECKING:
    import asyncio


log = logging.getLogger("pytest_tasktiming")

_RESEND_MIN = 0.001
_RESEND_MAX = 0.05
_MIN_COMPACT = 1024
_MERGE_AT = 256
_NEVER = float("inf")
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
                from pytest_tasktiming.timeout.last_resort import last_resort

                last_resort(deadline)
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
            call(deadline.on_timeout, deadline)
            how = _fire(deadline)
            if how is None:
                return
            deadline._sent_at = sent_at = now
        else:
            how = deadline.interrupted_by
            if not deadline.delivered and _may_interrupt(deadline):
                _fire(deadline)
        from pytest_tasktiming.timeout.last_resort import grace  # loaded at the first timeout

        grace_ends = sent_at + grace(deadline)
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
        f"task {deadline.task!r} has run {human_duration(elapsed)}, "
        f"{elapsed / timeout:.0%} of its {timeout:g}s timeout",
    )


def _enforcing(deadline: Deadline) -> bool:
    """At the limit: True when the task is to be stopped, else say why it is not."""
    if not deadline.enforce:
        _notify(
            deadline,
            f"task {deadline.task!r} ran past its {deadline.timeout:g}s timeout "
            f"({human_duration(deadline.elapsed)} so far); not enforced, it goes on",
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
        call(deadline.on_warning, deadline)
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


def _after_fork_in_child() -> None:
    # The parent's watchdog keeps the parent's deadlines; the child starts with none.
    watchdog.reset()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


# --- registering a deadline ----------------------------------------------------------------


def watch(
    task: str,
    timeout: float | None,
    *,
    warning_threshold: float = 0.8,
    enforce: bool = True,
    target: threading.Thread | asyncio.Task[Any] | None = None,
    on_warning: Callback | None = None,
    on_timeout: Callback | None = None,
    on_stuck: Callback | None = None,
    grace: float | None = None,
    exit_on_stuck: bool | None = None,
) -> Deadline:
    """Register a deadline for ``task`` with the watchdog (``timeout`` None or 0: inert).

    ``target`` defaults to the calling thread; an asyncio task must be registered from its
    loop's thread. In the watchdog thread, at ``warning_threshold * timeout``:
    ``on_warning(deadline)`` if given, else a ``TaskTimeoutWarning`` and a log line. At
    ``timeout``, when ``enforce``: ``timed_out`` is set, ``on_timeout(deadline)`` runs if
    given, and ``TaskTimeoutError`` is raised in the target (signal in the main thread,
    asynchronous exception in another thread, ``Task.cancel()`` for an asyncio task; see
    ``Deadline.translate``). Without ``enforce``, the limit gives a second warning. If the
    target is still running ``grace`` seconds later (stuck in C code): every thread's stack
    is dumped to stderr, ``on_stuck(deadline)`` runs, writers are flushed, and the process
    exits with ``EXIT_ON_STUCK_CODE`` only when ``exit_on_stuck``.

    :param grace: default ``$TASK_TIMING_GRACE``, else 5 seconds.
    :param exit_on_stuck: default true when ``$TASK_TIMING_EXIT_ON_STUCK`` is ``1``.
    :raises ValueError: for a threshold outside (0, 1] or a negative grace.
    """
    if not 0.0 < warning_threshold <= 1.0:
        raise ValueError(f"invalid warning_threshold {warning_threshold!r}: expected 0 < x <= 1")
    if grace is not None and not grace >= 0.0:
        raise ValueError(f"invalid grace {grace!r}: expected seconds >= 0")
    options = DeadlineOptions(
        warning_threshold, enforce, on_warning, on_timeout, on_stuck, grace, exit_on_stuck
    )
    return register(task, timeout, target, options)


def register(
    task: str,
    timeout: float | None,
    target: threading.Thread | asyncio.Task[Any] | None,
    options: DeadlineOptions,
) -> Deadline:
    """``watch()`` with its options already checked.

    The decorators check a task's settings once, at decoration, and build ``options`` once,
    so a call pays for neither.
    """
    ident: int | None
    if target is None or target is threading.current_thread():
        target, ident = None, _get_ident()
    elif isinstance(target, threading.Thread):
        ident = target.ident
    else:
        ident = _get_ident()
    deadline = _new(Deadline)
    deadline.task = task
    deadline.timeout = timeout or None
    deadline.target = target
    deadline.thread_ident = ident
    deadline._options = options
    deadline.cancelled = False
    deadline._state = states.WARN
    deadline.started = started = clock.mono()
    if timeout:
        if target is not None and not isinstance(target, threading.Thread):
            deadline._cancelling = getattr(target, "cancelling", _zero)()
        elif options.enforce and not interrupt.installed and ident == interrupt.main_ident:
            interrupt.install_handler()
        watchdog.add(started + timeout * options.warning_threshold, deadline)
    return deadline


_new = object.__new__
_get_ident = threading.get_ident


def _zero() -> int:
    return 0
