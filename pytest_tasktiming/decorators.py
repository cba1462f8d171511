"""``@timed_task`` and ``timed(...)``: record any call or block as a task in the TSV file.

Every call gets its own state, never the decorator: threads, recursion, nesting and
``async def`` each get their own task id and clock (codetiming keeps one start time per
decorator). A call queues a ``started`` row, then one final row, on the shared writer's
raw-row fast path; the writer's thread formats and appends them. ``_task_run`` records one
run, ``_task_wrap`` fits it around each kind of callable.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, overload

from pytest_tasktiming import _recording
from pytest_tasktiming._recording import env_says_off, set_recording
from pytest_tasktiming._task_run import (
    STARTED_MONO,
    STARTED_TASK_ID,
    Started,
    begin,
    begin_in_task,
    finish,
)
from pytest_tasktiming._task_spec import Spec
from pytest_tasktiming._task_wrap import default_name, wrap
from pytest_tasktiming._timing import clock

__all__ = ["set_recording", "timed", "timed_task"]

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


@overload
def timed_task(func: Callable[P, R], /) -> Callable[P, R]: ...
@overload
def timed_task(func: classmethod[T, P, R], /) -> classmethod[T, P, R]: ...
@overload
def timed_task(func: staticmethod[P, R], /) -> staticmethod[P, R]: ...
@overload
def timed_task(
    *,
    name: str | None = None,
    mode: str = "code",
    timeout: float | str | None = 3600,
    warning_threshold: float = 0.8,
    enforce: bool = True,
    max_failures: int | None = 3,
    path: str | os.PathLike[str] | None = None,
) -> Callable[[T], T]: ...
def timed_task(
    func: Any = None,
    /,
    *,
    name: str | None = None,
    mode: str = "code",
    timeout: float | str | None = 3600,
    warning_threshold: float = 0.8,
    enforce: bool = True,
    max_failures: int | None = 3,
    path: str | os.PathLike[str] | None = None,
) -> Any:
    """Record every call of the decorated callable as a task: bare or with arguments.

    :param name: the ``task`` column and the streak key; default ``module.qualname``
        (``qualname`` alone in a script run as ``__main__``).
    :param mode: the ``mode`` column.
    :param timeout: seconds (number or string like ``"90"``, ``"1.5h"``); None or 0: none.
    :param warning_threshold: fraction of the timeout at which a ``TaskTimeoutWarning`` is given.
    :param enforce: raise ``TaskTimeoutError`` at the limit; False: warn only.
    :param max_failures: the consecutive failure that is raised as ``FailureLimitExceeded``;
        0 or None: no streak counting (and no ``recovered`` rows).
    :param path: the TSV file; default ``$TASK_TIMING_FILE`` or ``task_timing.tsv``.
    """

    def decorate(target: Any) -> Any:
        if isinstance(target, type) or not (
            callable(target) or isinstance(target, classmethod | staticmethod)
        ):
            raise TypeError(
                f"@timed_task decorates functions and methods, not {target!r}; "
                "to time a class, decorate its methods"
            )
        if env_says_off():
            return target
        spec = Spec(
            default_name(target) if name is None else name,
            mode=mode,
            timeout=timeout,
            warning_threshold=warning_threshold,
            enforce=enforce,
            max_failures=max_failures,
            path=path,
            source="timed_task",
        )
        return wrap(target, spec)

    return decorate if func is None else decorate(func)


def _block_spec(
    task: str,
    mode: str,
    timeout: float | str | None,
    warning_threshold: float,
    enforce: bool,
    *,
    path: str | os.PathLike[str] | None = None,
) -> Spec:
    """A ``timed`` block's settings, checked."""
    return Spec(
        task,
        mode=mode,
        timeout=timeout,
        warning_threshold=warning_threshold,
        enforce=enforce,
        max_failures=0,
        path=path,
        source="timed",
    )


_shared_block_spec = functools.lru_cache(maxsize=256, typed=True)(_block_spec)
"""Checked once for the many blocks that share their settings (but not a path, which is
resolved against the current directory of the moment)."""


class timed:
    """Record a ``with`` or ``async with`` block as a task; the object has ``task_id``, ``elapsed``.

    One object times one block at a time; entering it again after it ended starts a new task
    with a new id. While recording is off, nothing is written and ``task_id`` is ``""``.
    """

    __slots__ = ("_duration", "_mono", "_spec", "_started")

    def __init__(
        self,
        task: str,
        *,
        mode: str = "code",
        timeout: float | str | None = 3600,
        warning_threshold: float = 0.8,
        enforce: bool = True,
        path: str | os.PathLike[str] | None = None,
    ) -> None:
        settings = (task, mode, timeout, warning_threshold, enforce)
        spec = None
        if path is None:
            try:  # noqa: SIM105 - contextlib.suppress costs as much as the cached lookup
                spec = _shared_block_spec(*settings)
            except TypeError:  # an unhashable argument: refused below, clearly
                pass
        self._spec = spec or _block_spec(*settings, path=path)
        self._started: Started | None = None
        self._mono: int | None = None
        self._duration: int | None = None

    @property
    def task(self) -> str:
        """The ``task`` column of the block's rows."""
        return self._spec.task

    @property
    def task_id(self) -> str:
        """The id of the current (or last) block's rows; ``""`` when nothing was recorded."""
        return "" if self._started is None else self._started[STARTED_TASK_ID]

    @property
    def elapsed(self) -> float:
        """Seconds since the block began, or its whole duration once it ended; 0 before."""
        if self._mono is None:
            return 0.0
        duration = self._duration
        if duration is None:
            duration = clock.mono_ns() - self._mono
        return duration / 1e9

    def _begin(self, start: Callable[[Spec], Started]) -> None:
        if self._mono is not None and self._duration is None:
            raise RuntimeError(f"timed({self.task!r}) is already running; use one per block")
        self._duration = None
        if _recording.recording:
            self._started = start(self._spec)
            self._mono = self._started[STARTED_MONO]
        else:
            self._started = None
            self._mono = clock.mono_ns()

    def _end(self, error: BaseException | None) -> None:
        __tracebackhide__ = True
        assert self._mono is not None, "exit without enter"
        self._duration = duration = clock.mono_ns() - self._mono
        if self._started is not None:
            finish(self._spec, self._started, error, duration)

    def __enter__(self) -> timed:
        self._begin(begin)
        return self

    def __exit__(self, exc_type: object, error: BaseException | None, tb: object) -> None:
        __tracebackhide__ = True
        self._end(error)

    async def __aenter__(self) -> timed:
        self._begin(begin_in_task)
        return self

    async def __aexit__(self, exc_type: object, error: BaseException | None, tb: object) -> None:
        __tracebackhide__ = True
        self._end(error)

    def __repr__(self) -> str:
        return f"<timed {self.task!r} task_id={self.task_id!r} elapsed={self.elapsed:.6f}s>"
