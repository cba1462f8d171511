"""A watched task's deadline: its options, the watchdog's state machine, and its exception.

One state machine in one file: ``Deadline._state`` holds the next stage in its low bits and
the flags the watchdog raised; ``watchdog.py`` moves it on, ``interrupt.py`` delivers the
exception, and both read the names defined here.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from pytest_tasktiming._timing import clock
from pytest_tasktiming.exceptions import TaskTimeoutError

if TYPE_CHECKING:
    import asyncio

# The stages, in order, in the low bits of Deadline._state; then the flags above them.
# RESEND: a signal was sent or held back by the gate and has not reached the task yet.
WARN, LIMIT, RESEND, STUCK, DONE = range(5)
STAGES = 7
WARNED, EXPIRED, TIMED_OUT, STUCK_FLAG, FIRING = 8, 16, 32, 64, 128

# How the task was told to stop (Deadline.interrupted_by).
SIGNALLED = "signal"
ASYNC_EXCEPTION = "async exception"
CANCELLED = "asyncio cancel"

fire_lock = threading.Lock()
"""Held while an interrupt is being delivered; ``Deadline.cancel`` waits on it (see there)."""

Callback = Callable[["Deadline"], None]
log = logging.getLogger("pytest_tasktiming")


def call(callback: Callback | None, deadline: Deadline) -> None:
    """Run a user's callback in the watchdog; its failure is logged and the watchdog goes on."""
    if callback is not None:
        try:
            callback(deadline)
        except Exception:
            log.exception("tasktiming: callback %r failed for %r", callback, deadline)


Gate = Callable[[FrameType], bool]
"""Says whether the task may be interrupted in the frame it is running (its innermost)."""


class DeadlineOptions(NamedTuple):
    """What a deadline does at its stages, checked once and shared by every run of a task."""

    warning_threshold: float
    enforce: bool
    on_warning: Callback | None = None
    on_timeout: Callback | None = None
    on_stuck: Callback | None = None
    grace: float | None = None
    exit_on_stuck: bool | None = None
    gate: Gate | None = None
    """None: anywhere. Else the timeout is raised only where it says yes, and retried shortly
    (the pytest plugin keeps it out of pytest's own machinery)."""
    reason: str | None = None
    """Names the limit in the error when it is not the task's own (``TaskTimeoutError.reason``)."""


class Deadline:
    """One watched task, registered by ``watch()`` and ended by ``cancel()`` (or ``with``).

    Attributes: ``task`` (name), ``timeout`` (seconds or None), ``warning_threshold``,
    ``enforce``, ``started`` (``clock.mono()`` at registration), ``elapsed`` (seconds so far),
    and what the watchdog did: ``warned`` (threshold passed), ``expired`` (limit passed,
    enforced or not), ``timed_out`` (limit passed and the task was told to stop),
    ``interrupted_by`` (``"signal"``, ``"async exception"``, ``"asyncio cancel"`` or None),
    ``delivered`` (the timeout reached the task's code), ``stuck`` (the last resort ran).
    ``cancelled`` is set by ``cancel()``.
    """

    __slots__ = (
        "_cancelling",
        "_delivered",
        "_how",
        "_options",
        "_sent_at",
        "_state",
        "cancelled",
        "started",
        "target",
        "task",
        "thread_ident",
        "timeout",
    )
    # Made by watch(), which sets the slots itself: on the hot path a constructor call with
    # keywords and a store per setting cost more than the rest of the registration. The
    # settings the watchdog alone reads share one tuple; the slots of the rare paths
    # (_how, _delivered, _cancelling, _sent_at) stay unset until used.
    task: str
    timeout: float | None
    started: float
    target: threading.Thread | asyncio.Task[Any] | None
    thread_ident: int | None
    cancelled: bool
    _state: int  # the next stage (low bits) and the watchdog's flags (WARNED and up)
    _options: DeadlineOptions
    _how: str
    _delivered: bool
    _cancelling: int
    _sent_at: float  # clock.mono() when the task was first told to stop

    @property
    def warning_threshold(self) -> float:
        return self._options.warning_threshold

    @property
    def enforce(self) -> bool:
        return self._options.enforce

    @property
    def interrupted_by(self) -> str | None:
        """How the task was told to stop: "signal", "async exception", "asyncio cancel"."""
        return getattr(self, "_how", None)

    @property
    def warned(self) -> bool:
        """The warning threshold passed."""
        return bool(self._state & WARNED)

    @property
    def expired(self) -> bool:
        """The limit passed, enforced or not."""
        return bool(self._state & EXPIRED)

    @property
    def timed_out(self) -> bool:
        """The limit passed and the task was told to stop."""
        return bool(self._state & TIMED_OUT)

    @property
    def delivered(self) -> bool:
        """The timeout reached the task: raised in its code, or its asyncio task cancelled."""
        return getattr(self, "_delivered", False)

    @property
    def stuck(self) -> bool:
        """The task ignored its timeout for the grace period: the last resort ran."""
        return bool(self._state & STUCK_FLAG)

    @property
    def on_warning(self) -> Callback | None:
        return self._options.on_warning

    @property
    def on_timeout(self) -> Callback | None:
        return self._options.on_timeout

    @property
    def on_stuck(self) -> Callback | None:
        return self._options.on_stuck

    @property
    def grace(self) -> float | None:
        return self._options.grace

    @property
    def exit_on_stuck(self) -> bool | None:
        return self._options.exit_on_stuck

    def allows(self, frame: FrameType | None) -> bool:
        """True when the timeout may be raised in ``frame``; a failing gate allows it."""
        gate = self._options.gate
        if gate is None or frame is None:
            return True
        try:
            return gate(frame)
        except Exception:  # a broken gate must not keep a task running forever
            return True

    @property
    def _stage(self) -> int:
        return self._state & STAGES

    def _mark(self, stage: int, flag: int = 0) -> None:
        """Move to ``stage`` and raise ``flag`` (only the watchdog writes ``_state``)."""
        self._state = (self._state & ~STAGES) | stage | flag

    @property
    def elapsed(self) -> float:
        """Seconds since the deadline was registered."""
        return clock.mono() - self.started

    @property
    def is_asyncio(self) -> bool:
        """True when the target is an asyncio task (stopped by ``Task.cancel()``)."""
        return self.target is not None and not isinstance(self.target, threading.Thread)

    def cancel(self) -> None:
        """Take the deadline off the watchdog; idempotent, cheap when nothing fired.

        Called from the task's own thread, once it returns this deadline raises nothing more
        there: an exception the watchdog sent but the thread has not seen yet is caught
        inside ``cancel()``. (Only if it lands in the few bytecodes before that catch can
        start does it come out of ``cancel()``; call it inside the same ``try`` as the task.)
        From another thread, an exception already sent still arrives.
        """
        # Dekker-style with the watchdog's _fire: each side writes its own flag, then reads
        # the other's, so at least one of them sees the other and no interrupt goes astray.
        self.cancelled = True
        if self._state & FIRING:
            self._withdraw()

    def _withdraw(self) -> None:
        # Clearing with PyThreadState_SetAsyncExc(id, NULL) would leave the interpreter's
        # eval-breaker flag on for good (slowing every thread, hanging traced ones on 3.11),
        # so a pending exception is let in here, at a backward jump, and swallowed.
        try:
            with fire_lock:  # until the watchdog has sent it
                pass
            if (
                self.interrupted_by == ASYNC_EXCEPTION
                and self.thread_ident == threading.get_ident()
            ):
                give_up = clock.mono() + 1.0  # in case another exception replaced ours
                while not getattr(self, "_delivered", False) and clock.mono() < give_up:
                    pass
        except InjectedTimeout as error:
            if error.deadline is not self:
                raise

    def timeout_error(self) -> TaskTimeoutError:
        """A plain ``TaskTimeoutError`` with this deadline's task, timeout and elapsed time."""
        return TaskTimeoutError(self.task, self.timeout or 0.0, self.elapsed, self._options.reason)

    def translate(self, error: BaseException) -> TaskTimeoutError | None:
        """The ``TaskTimeoutError`` to raise in place of ``error`` if this deadline caused it.

        The watchdog raises a private subclass in threads and cancels asyncio tasks; this
        gives a plain ``TaskTimeoutError`` (with ``error``'s traceback) for this deadline's
        doing, and None for anything else, including an outer deadline's timeout. For an
        asyncio task it also takes back its cancellation (``Task.uncancel()``), as
        ``asyncio.timeout`` does, unless someone else cancelled the task too.
        """
        if isinstance(error, InjectedTimeout):
            if error.deadline is not self:
                return None
            plain = TaskTimeoutError(error.task, error.timeout, error.elapsed, error.reason)
        elif self.interrupted_by == CANCELLED and isinstance(
            error, sys.modules["asyncio"].CancelledError
        ):
            uncancel = getattr(self.target, "uncancel", None)  # Python 3.11+
            if uncancel is not None and uncancel() > getattr(self, "_cancelling", 0):
                return None
            plain = self.timeout_error()
        else:
            return None
        return plain.with_traceback(error.__traceback__)

    def __enter__(self) -> Deadline:
        return self

    def __exit__(self, exc_type: object, error: BaseException | None, traceback: object) -> None:
        self.cancel()
        if error is not None:
            plain = self.translate(error)
            if plain is not None:
                raise plain from None

    def __repr__(self) -> str:
        state = [
            name for name in ("warned", "expired", "timed_out", "stuck", "cancelled")
            if getattr(self, name)
        ]  # fmt: skip
        return (
            f"<Deadline {self.task!r} timeout={self.timeout} "
            f"elapsed={self.elapsed:.3f}s {' '.join(state) or 'running'}>"
        )


class InjectedTimeout(TaskTimeoutError):
    """Raised in the task by the watchdog; one subclass per deadline (see ``injected``).

    Instantiated without arguments (``PyThreadState_SetAsyncExc`` takes a class), it reads
    its facts from the deadline; it pickles as a plain ``TaskTimeoutError``.
    """

    deadline: ClassVar[Deadline]

    def __init__(self) -> None:
        deadline = self.deadline
        deadline._delivered = True
        super().__init__(
            deadline.task, deadline.timeout or 0.0, deadline.elapsed, deadline._options.reason
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (TaskTimeoutError, (self.task, self.timeout, self.elapsed, self.reason))


def injected(deadline: Deadline) -> type[InjectedTimeout]:
    """The exception class to raise for ``deadline``, named as users catch it."""
    return type(
        "TaskTimeoutError",
        (InjectedTimeout,),
        {"deadline": deadline, "__module__": "pytest_tasktiming", "__slots__": ()},
    )


def _after_fork_in_child() -> None:
    global fire_lock
    fire_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
