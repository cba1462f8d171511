"""How the watchdog stops a task in another thread, and how it notices a debugger.

Three ways in, chosen by ``timeout.py``: a signal to the main thread (its handler raises, so
even ``time.sleep`` is cut short), an asynchronous exception for any other thread
(``PyThreadState_SetAsyncExc``: lands at the next bytecode, never inside a C call), and
``Task.cancel()`` through the task's loop for asyncio. The raised error is a private subclass
of ``TaskTimeoutError`` that knows its deadline, so the caller can tell its own timeout from an
outer one and swap it for a plain ``TaskTimeoutError`` (``Deadline.translate``).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING, Any, cast

from pytest_tasktiming.timeout.deadline import (
    ASYNC_EXCEPTION,
    CANCELLED,
    SIGNALLED,
    Deadline,
    injected,
)

if TYPE_CHECKING:
    import asyncio


log = logging.getLogger("pytest_tasktiming")

SIGNAL: int | None = getattr(signal, "SIGURG", None) if hasattr(signal, "pthread_kill") else None
"""The signal sent to the main thread: SIGURG, whose default action is to ignore it, so a
signal that arrives after its handler is gone can never kill the process, and SIGALRM stays
free for ``alarm()`` and pytest-timeout. None where the platform has no ``pthread_kill``."""

_DEBUGGER_MODULES = ("pydevd", "bdb", "pydevd_frame_evaluator", "debugpy")


_pending: list[Deadline] = []  # main-thread deadlines whose signal is on its way
_previous: Any = None  # the handler ours replaced, to forward foreign signals to
installed = False
"""True while our handler is installed; read on watch()'s hot path, written only here."""
main_ident = threading.main_thread().ident


# --- the main thread: a signal ---------------------------------------------------------------


def install_handler() -> None:
    """Install the signal handler, once per process, from the main thread.

    It stays installed (two ``sigaction`` calls per timed call would cost more than the rest
    of the timing) and forwards every signal it did not cause to the handler it replaced.
    A handler installed from C (``getsignal`` gives None) cannot be forwarded to, so it is
    left alone and the main thread falls back to an asynchronous exception.
    """
    global _previous, installed
    if SIGNAL is None or installed or threading.get_ident() != main_ident:
        return
    previous = signal.getsignal(SIGNAL)
    if previous is None:
        return
    signal.signal(SIGNAL, _on_signal)
    _previous = previous
    installed = True


def restore_signal_handler() -> None:
    """Put back the handler ours replaced (call from the main thread; idempotent).

    Leaves alone a handler someone installed after ours. The next main-thread deadline
    installs ours again.
    """
    global _previous, installed
    if not installed:
        return
    if SIGNAL is not None and signal.getsignal(SIGNAL) is _on_signal:
        signal.signal(SIGNAL, _previous)
    _previous = None
    installed = False


def _on_signal(signum: int, frame: FrameType | None) -> None:
    """Raise the timeout of the outermost live deadline that signalled; forward the rest.

    A deadline whose gate refuses ``frame``, or that is not the outermost, is dropped: the
    watchdog sends its signal again until it is delivered or cancelled.
    """
    __tracebackhide__ = True
    signalled = []
    while _pending:  # list.pop is atomic under the GIL; a lock here could deadlock
        signalled.append(_pending.pop())
    live = [
        deadline
        for deadline in signalled
        if not deadline.cancelled and not deadline.delivered and deadline.allows(frame)
    ]
    if live:
        raise injected(min(live, key=lambda deadline: deadline.started))()
    if not signalled and callable(_previous):
        _previous(signum, frame)


def _signal_main(deadline: Deadline) -> bool:
    if SIGNAL is None or not installed or signal.getsignal(SIGNAL) is not _on_signal:
        return False  # someone replaced our handler: never fight them for it
    _pending.append(deadline)
    signal.pthread_kill(main_ident, SIGNAL)  # type: ignore[arg-type]
    return True


# --- other threads: an asynchronous exception ------------------------------------------------


def set_async_exc(ident: int, exc_type: type[BaseException]) -> bool:
    """Raise ``exc_type`` in thread ``ident`` at its next bytecode; False if no such thread.

    Never called with NULL to take one back: see ``Deadline._withdraw``.
    """
    import ctypes

    found: int = ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(ident), ctypes.py_object(exc_type)
    )
    return found == 1


# --- asyncio: cancel the task through its loop ----------------------------------------------


def _task(deadline: Deadline) -> asyncio.Task[Any]:
    return cast("asyncio.Task[Any]", deadline.target)


def _cancel_task(deadline: Deadline) -> bool:
    try:
        _task(deadline).get_loop().call_soon_threadsafe(_cancel_in_loop, deadline)
    except RuntimeError:  # the loop is closed: the task cannot be running any more
        return False
    return True


def _cancel_in_loop(deadline: Deadline) -> None:
    # In the loop's thread, so no race with cancel(): a task that finished stays untouched.
    task = _task(deadline)
    if not deadline.cancelled and not task.done():
        deadline._delivered = True
        task.cancel(f"task {deadline.task!r} reached its {deadline.timeout:g}s timeout")


# --- the ladder --------------------------------------------------------------------------------


def interrupt(deadline: Deadline) -> str | None:
    """Stop ``deadline``'s task by the best means there is; return which, None if none applied.

    Called by the watchdog under ``deadline.fire_lock``.
    """
    if deadline.is_asyncio:
        return CANCELLED if _cancel_task(deadline) else None
    ident = deadline.thread_ident
    if ident is None:
        return None
    if ident == main_ident and _signal_main(deadline):
        return SIGNALLED
    return ASYNC_EXCEPTION if set_async_exc(ident, injected(deadline)) else None


# --- debuggers -------------------------------------------------------------------------------


def debugger_active(ident: int | None) -> bool:
    """True when a debugger traces the process or thread ``ident`` (pytest-timeout's rule).

    Looks at the global trace functions, ``sys.monitoring``'s debugger slot (3.12+) and the
    ``f_trace`` of every frame on the thread's stack (pdb and pydevd set it when they step).
    """
    if _is_debugger(sys.gettrace()) or _is_debugger(threading.gettrace()):
        return True
    monitoring: Any = getattr(sys, "monitoring", None)
    if monitoring is not None and monitoring.get_tool(monitoring.DEBUGGER_ID) is not None:
        return True
    frame = sys._current_frames().get(ident) if ident is not None else None
    while frame is not None:
        if _is_debugger(frame.f_trace):
            return True
        frame = frame.f_back
    return False


def _is_debugger(trace: object) -> bool:
    if trace is None:
        return False
    module = getattr(trace, "__module__", None) or type(trace).__module__
    return any(part.startswith(_DEBUGGER_MODULES) for part in module.split("."))


# --- the last resort ------------------------------------------------------------------------


def format_all_stacks() -> str:
    """Every other thread's stack, named, as text (like faulthandler, with thread names)."""
    import traceback

    names = {thread.ident: thread.name for thread in threading.enumerate()}
    parts = []
    for ident, frame in sys._current_frames().items():
        if ident == threading.get_ident():  # the watchdog itself: noise
            continue
        stack = "".join(traceback.format_stack(frame))
        parts.append(f"Thread {names.get(ident, '?')!r} (ident {ident}):\n{stack}")
    return "\n".join(parts)


def _after_fork_in_child() -> None:
    global main_ident
    main_ident = threading.main_thread().ident
    _pending.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
