"""Deadlines: ``TimeoutEnforcer`` and the process's one watchdog thread.

INTERFACE STUB (being implemented for issue 3). The signatures below are the agreed surface
that decorators.py and plugin.py code against; keep them stable.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from ._durations import parse_seconds

__all__ = ["Deadline", "TimeoutEnforcer", "parse_seconds", "watch"]

T = TypeVar("T")


class Deadline:
    """One watched task, registered by ``watch()`` and ended by ``cancel()`` (or ``with``).

    Attributes: ``task`` (name), ``timeout`` (seconds or None), ``warning_threshold``,
    ``enforce``, ``started`` (``clock.mono()`` at registration), ``warned`` and ``timed_out``
    (set by the watchdog when it acted), ``elapsed`` (seconds so far, property).
    """

    task: str
    timeout: float | None
    warning_threshold: float
    enforce: bool
    started: float
    warned: bool
    timed_out: bool

    @property
    def elapsed(self) -> float:
        raise NotImplementedError

    def cancel(self) -> None:
        """Remove the deadline from the watchdog; idempotent, cheap when nothing fired."""
        raise NotImplementedError

    def __enter__(self) -> Deadline:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cancel()


def watch(
    task: str,
    timeout: float | None,
    *,
    warning_threshold: float = 0.8,
    enforce: bool = True,
    target: threading.Thread | asyncio.Task[Any] | None = None,
    on_warning: Callable[[Deadline], None] | None = None,
    on_timeout: Callable[[Deadline], None] | None = None,
    on_stuck: Callable[[Deadline], None] | None = None,
) -> Deadline:
    """Register a deadline for ``task`` with the watchdog (``timeout`` None: nothing to watch).

    ``target`` defaults to the calling thread. In the watchdog thread, at
    ``warning_threshold * timeout``: ``on_warning(deadline)`` if given, else a
    ``TaskTimeoutWarning`` and a log line. At ``timeout``, when ``enforce``: ``timed_out`` is
    set, ``on_timeout(deadline)`` runs if given, and ``TaskTimeoutError`` is raised in the
    target (signal in the main thread, asynchronous exception in another thread,
    ``Task.cancel()`` for an asyncio task). Without ``enforce`` only the warnings happen.
    If the target is still running after a grace period (stuck in C code): every thread's stack
    is dumped to stderr, writers are flushed, ``on_stuck(deadline)`` runs, and the process exits
    only when so configured (see docs/timeouts.md).
    """
    raise NotImplementedError


class TimeoutEnforcer:
    """The seed's explicit API: start/stop a task and ask whether it has run too long."""

    def __init__(
        self, timeout_seconds: float | str | None = 3600, warning_threshold: float = 0.8,
        opt_out: bool = False,
    ) -> None:
        raise NotImplementedError

    def start_task(self, task_name: str) -> None:
        raise NotImplementedError

    def stop_task(self) -> None:
        raise NotImplementedError

    def check_timeout(self) -> tuple[bool, str]:
        """``(should_enforce, message)``: True once the limit is passed and enforcing."""
        raise NotImplementedError

    def execute_with_timeout(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        raise NotImplementedError
