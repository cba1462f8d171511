"""Registering a deadline with the watchdog: ``watch()`` for users, ``register()`` for the
decorators and the plugin, which check their options once and reuse them on every call."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from pytest_tasktiming._timing import clock
from pytest_tasktiming.timeout import interrupt
from pytest_tasktiming.timeout.deadline import WARN, Callback, Deadline, DeadlineOptions
from pytest_tasktiming.timeout.watchdog import watchdog

if TYPE_CHECKING:
    import asyncio


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
    deadline._state = WARN
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
