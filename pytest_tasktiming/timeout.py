"""Deadlines: ``watch()``, the ``Deadline`` it returns, and ``TimeoutEnforcer``.

Every deadline is handed to the process's one watchdog thread (``_watchdog.py``), which
stops a task by the means in ``_interrupt.py``; what users can rely on is in
docs/timeouts.md.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from . import _interrupt
from ._durations import parse_seconds
from ._timing import clock
from ._watchdog import (
    _EXPIRED,
    _FIRING,
    _STAGES,
    _STUCK_FLAG,
    _TIMED_OUT,
    _WARN,
    _WARNED,
    DEFAULT_GRACE,
    EXIT_ON_STUCK_CODE,
    watchdog,
)
from .exceptions import TaskTimeoutError

if TYPE_CHECKING:
    import asyncio

__all__ = [
    "DEFAULT_GRACE",
    "EXIT_ON_STUCK_CODE",
    "Deadline",
    "TimeoutEnforcer",
    "parse_seconds",
    "restore_signal_handler",
    "watch",
]

T = TypeVar("T")

restore_signal_handler = _interrupt.restore_signal_handler


class Deadline:
    """One watched task, registered by ``watch()`` and ended by ``cancel()`` (or ``with``).

    Attributes: ``task`` (name), ``timeout`` (seconds or None), ``warning_threshold``,
    ``enforce``, ``started`` (``clock.mono()`` at registration), ``elapsed`` (seconds so far),
    and what the watchdog did: ``warned`` (threshold passed), ``expired`` (limit passed,
    enforced or not), ``timed_out`` (limit passed and the task was told to stop),
    ``interrupted_by`` (``"signal"``, ``"async exception"``, ``"asyncio cancel"`` or None),
    ``stuck`` (the last resort ran). ``cancelled`` is set by ``cancel()``.
    """

    __slots__ = (
        "_cancelling",
        "_delivered",
        "_how",
        "_options",
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
    # settings the watchdog alone reads share one tuple; the three slots of the rare paths
    # (_how, _delivered, _cancelling) stay unset until used.
    task: str
    timeout: float | None
    started: float
    target: threading.Thread | asyncio.Task[Any] | None
    thread_ident: int | None
    cancelled: bool
    _state: int  # the next stage (low bits) and the watchdog's flags (_WARNED and up)
    _options: tuple[
        float, bool, _Callback | None, _Callback | None, _Callback | None, float | None, bool | None
    ]
    _how: str
    _delivered: bool
    _cancelling: int

    @property
    def warning_threshold(self) -> float:
        return self._options[0]

    @property
    def enforce(self) -> bool:
        return self._options[1]

    @property
    def interrupted_by(self) -> str | None:
        """How the task was told to stop: "signal", "async exception", "asyncio cancel"."""
        return getattr(self, "_how", None)

    @property
    def warned(self) -> bool:
        """The warning threshold passed."""
        return bool(self._state & _WARNED)

    @property
    def expired(self) -> bool:
        """The limit passed, enforced or not."""
        return bool(self._state & _EXPIRED)

    @property
    def timed_out(self) -> bool:
        """The limit passed and the task was told to stop."""
        return bool(self._state & _TIMED_OUT)

    @property
    def stuck(self) -> bool:
        """The task ignored its timeout for the grace period: the last resort ran."""
        return bool(self._state & _STUCK_FLAG)

    @property
    def on_warning(self) -> _Callback | None:
        return self._options[2]

    @property
    def on_timeout(self) -> _Callback | None:
        return self._options[3]

    @property
    def on_stuck(self) -> _Callback | None:
        return self._options[4]

    @property
    def grace(self) -> float | None:
        return self._options[5]

    @property
    def exit_on_stuck(self) -> bool | None:
        return self._options[6]

    @property
    def _stage(self) -> int:
        return self._state & _STAGES

    def _mark(self, stage: int, flag: int = 0) -> None:
        """Move to ``stage`` and raise ``flag`` (only the watchdog writes ``_state``)."""
        self._state = (self._state & ~_STAGES) | stage | flag

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
        if self._state & _FIRING:
            self._withdraw()

    def _withdraw(self) -> None:
        # Clearing with PyThreadState_SetAsyncExc(id, NULL) would leave the interpreter's
        # eval-breaker flag on for good (slowing every thread, hanging traced ones on 3.11),
        # so a pending exception is let in here, at a backward jump, and swallowed.
        try:
            with _interrupt.fire_lock:  # until the watchdog has sent it
                pass
            if (
                self.interrupted_by == _interrupt.ASYNC_EXCEPTION
                and self.thread_ident == threading.get_ident()
            ):
                give_up = clock.mono() + 1.0  # in case another exception replaced ours
                while not getattr(self, "_delivered", False) and clock.mono() < give_up:
                    pass
        except _interrupt.InjectedTimeout as error:
            if error.deadline is not self:
                raise

    def timeout_error(self) -> TaskTimeoutError:
        """A plain ``TaskTimeoutError`` with this deadline's task, timeout and elapsed time."""
        return TaskTimeoutError(self.task, self.timeout or 0.0, self.elapsed)

    def translate(self, error: BaseException) -> TaskTimeoutError | None:
        """The ``TaskTimeoutError`` to raise in place of ``error`` if this deadline caused it.

        The watchdog raises a private subclass in threads and cancels asyncio tasks; this
        gives a plain ``TaskTimeoutError`` (with ``error``'s traceback) for this deadline's
        doing, and None for anything else, including an outer deadline's timeout. For an
        asyncio task it also takes back its cancellation (``Task.uncancel()``), as
        ``asyncio.timeout`` does, unless someone else cancelled the task too.
        """
        if isinstance(error, _interrupt.InjectedTimeout):
            if error.deadline is not self:
                return None
            plain = TaskTimeoutError(error.task, error.timeout, error.elapsed)
        elif self.interrupted_by == _interrupt.CANCELLED and isinstance(
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


_Callback = Callable[[Deadline], None]


def watch(
    task: str,
    timeout: float | None,
    *,
    warning_threshold: float = 0.8,
    enforce: bool = True,
    target: threading.Thread | asyncio.Task[Any] | None = None,
    on_warning: _Callback | None = None,
    on_timeout: _Callback | None = None,
    on_stuck: _Callback | None = None,
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
    options = (warning_threshold, enforce, on_warning, on_timeout, on_stuck, grace, exit_on_stuck)
    return register(task, timeout, target, options)


def register(
    task: str,
    timeout: float | None,
    target: threading.Thread | asyncio.Task[Any] | None,
    options: tuple[
        float, bool, _Callback | None, _Callback | None, _Callback | None, float | None, bool | None
    ],
) -> Deadline:
    """``watch()`` with its options already checked, in ``Deadline._options``'s order.

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
    deadline._state = _WARN
    deadline.started = started = clock.mono()
    if timeout:
        if target is not None and not isinstance(target, threading.Thread):
            deadline._cancelling = getattr(target, "cancelling", _zero)()
        elif options[1] and not _interrupt.installed and ident == _interrupt.main_ident:
            _interrupt.install_handler()
        watchdog.add(started + timeout * options[0], deadline)
    return deadline


_new = object.__new__
_get_ident = threading.get_ident


def _zero() -> int:
    return 0


class TimeoutEnforcer:
    """The seed's explicit API: start/stop a task and ask whether it has run too long.

    ``start_task`` also registers a warn-only deadline, so the threshold and the limit are
    reported (warning and log) without polling; ``check_timeout`` says whether to stop.
    ``execute_with_timeout`` enforces: the function is interrupted at the limit.

    :param timeout_seconds: seconds, or a string like ``"90"``, ``"30m"``, ``"1.5h"``;
        None or 0 disables the timeout.
    :param opt_out: warn only, never enforce.
    """

    def __init__(
        self,
        timeout_seconds: float | str | None = 3600,
        warning_threshold: float = 0.8,
        opt_out: bool = False,
    ) -> None:
        self.timeout = parse_seconds(timeout_seconds, source="TimeoutEnforcer(timeout_seconds)")
        if isinstance(warning_threshold, bool) or not 0.0 < warning_threshold <= 1.0:
            raise ValueError(
                f"invalid warning_threshold {warning_threshold!r} from "
                "TimeoutEnforcer(warning_threshold): expected a ratio 0 < x <= 1, e.g. 0.8"
            )
        self.warning_threshold = warning_threshold
        self.opt_out = opt_out
        self.task_name: str | None = None
        self._deadline: Deadline | None = None

    def start_task(self, task_name: str) -> None:
        """Start timing ``task_name`` (ending any task started before)."""
        self.stop_task()
        self.task_name = task_name
        self._deadline = watch(
            task_name, self.timeout, warning_threshold=self.warning_threshold, enforce=False
        )

    def stop_task(self) -> float | None:
        """Stop timing; return the task's elapsed seconds (None when none was started)."""
        deadline, self._deadline = self._deadline, None
        if deadline is None:
            return None
        deadline.cancel()
        return deadline.elapsed

    @property
    def elapsed(self) -> float:
        """Seconds since ``start_task`` (0.0 when no task runs)."""
        return self._deadline.elapsed if self._deadline is not None else 0.0

    def check_timeout(self) -> tuple[bool, str]:
        """``(should_enforce, message)``: True once the limit is passed and enforcing.

        The message names the task, its elapsed time and the limit, and says whether it is a
        warning.
        """
        if self._deadline is None:
            return False, "no task started"
        name, elapsed, limit = self.task_name, self.elapsed, self.timeout
        if limit is None:
            return False, f"task {name!r}: {elapsed:.1f}s elapsed, no timeout"
        if elapsed >= limit:
            if self.opt_out:
                return False, (
                    f"warning: task {name!r} is past its timeout: {elapsed:.1f}s elapsed, "
                    f"limit {limit:g}s (opted out: not enforced)"
                )
            return True, f"task {name!r} timed out: {elapsed:.1f}s elapsed, limit {limit:g}s"
        if elapsed >= limit * self.warning_threshold:
            return False, (
                f"warning: task {name!r} is near its timeout: {elapsed:.1f}s elapsed, "
                f"limit {limit:g}s ({elapsed / limit:.0%})"
            )
        return False, f"task {name!r}: {elapsed:.1f}s elapsed, limit {limit:g}s"

    def execute_with_timeout(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``func`` in this thread, interrupted with ``TaskTimeoutError`` at the limit.

        The task is named after the one given to ``start_task``, else after ``func``; its
        time counts from this call. Opted out, it only warns and ``func`` runs to its end.
        """
        name = self.task_name or getattr(func, "__qualname__", None) or repr(func)
        with watch(
            name,
            self.timeout,
            warning_threshold=self.warning_threshold,
            enforce=not self.opt_out,
        ):
            return func(*args, **kwargs)
