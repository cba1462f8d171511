"""``@timed_task`` and ``timed(...)``: record any call or block as a task in the TSV file.

Every call gets its own state (a ``_Run``), never the decorator: threads, recursion, nesting
and ``async def`` each get their own task id and clock, unlike codetiming's one shared start
time per decorator. A call writes a ``started`` row, then one final row through the shared
writer's raw-row fast path; the background writer formats and appends them.

Plain functions are wrapped by a closure of the same kind (a function, ``async def``,
generator or async generator), so they bind as methods, pickle by name and keep
``inspect.iscoroutinefunction`` and friends; measured in benchmarks/decorators.py, wrapt's
``FunctionWrapper`` costs several times the whole recording. Any other callable (an object
with ``__call__``, a builtin, a ``functools.partial``) is wrapped by wrapt's transparent proxy,
so it keeps its attributes and type.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import os
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any, ParamSpec, TypeVar, overload

import wrapt

from ._durations import parse_seconds
from ._timing import clock
from .exceptions import FailureLimitExceeded
from .records import COMPLETED, FAILED, RECOVERED, STARTED, TIMEOUT, new_task_id
from .streaks import CommandFailureTracker
from .timeout import Deadline, watch
from .writer import AsyncBufferedWriter, _shared, resolve_path, shared_writer

__all__ = ["set_recording", "timed", "timed_task"]

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

log = logging.getLogger("pytest_tasktiming")

_OFF_VALUES = frozenset({"0", "false", "no", "off"})


def _env_says_off() -> bool:
    return os.environ.get("TASK_TIMING", "").strip().lower() in _OFF_VALUES


_recording = not _env_says_off()
_streaks = CommandFailureTracker()


def set_recording(enabled: bool) -> bool:
    """Turn recording on or off for the whole process at run time; return the previous state.

    Off, a decorated call or ``timed`` block costs one flag test: no rows, no deadline, no
    streak counting. ``TASK_TIMING=0`` in the environment starts the process with it off, and
    decorators applied while it is set return the function unwrapped.
    """
    global _recording
    previous, _recording = _recording, bool(enabled)
    return previous


# --- the file ------------------------------------------------------------------------------
# ``os.environ.get`` decodes the key and value on every call (about ten times the cost of the
# rest of a recorded call), so the default file is re-resolved only when the raw environment
# entry changes; a later ``os.chdir`` does not move it.

_environ_data: Any = getattr(os.environ, "_data", None)
_environ_key: Any = "TASK_TIMING_FILE"
if _environ_data is None:  # not CPython's os.environ: use the public, slower mapping
    _environ_data = os.environ
else:
    _environ_key = os.environ.encodekey(_environ_key)
_default_file: tuple[object, str] = (object(), "")


def _writer_for(path: str | None) -> AsyncBufferedWriter:
    """The shared writer of ``path`` (absolute), or of the default file when None."""
    global _default_file
    if path is None:
        raw = _environ_data.get(_environ_key)
        seen, path = _default_file
        if raw is not seen:
            path = resolve_path(None)
            _default_file = (raw, path)
    writer = _shared.get(path)
    if writer is None or writer.closed:
        writer = shared_writer(path)
    return writer


# --- what a task is, and one run of it -----------------------------------------------------


class _Spec:
    """A task's settings, checked once: the decorator's, or a ``timed`` block's."""

    __slots__ = ("enforce", "max_failures", "mode", "path", "task", "timeout", "warning_threshold")

    def __init__(
        self,
        task: str,
        *,
        mode: str,
        timeout: float | str | None,
        warning_threshold: float,
        enforce: bool,
        max_failures: int | None,
        path: str | os.PathLike[str] | None,
        source: str,
    ) -> None:
        if not isinstance(task, str) or not task:
            raise ValueError(f"invalid task name {task!r} from {source}: expected a non-empty str")
        if not isinstance(mode, str) or not mode:
            raise ValueError(f"invalid mode {mode!r} from {source}: expected a non-empty str")
        if isinstance(warning_threshold, bool) or not (
            isinstance(warning_threshold, int | float) and 0 < warning_threshold <= 1
        ):
            raise ValueError(
                f"invalid warning_threshold {warning_threshold!r} from {source}: "
                "expected a fraction of the timeout, 0 < threshold <= 1"
            )
        if max_failures is not None and (
            isinstance(max_failures, bool) or not isinstance(max_failures, int) or max_failures < 0
        ):
            raise ValueError(
                f"invalid max_failures {max_failures!r} from {source}: "
                "expected an int >= 0 (0 or None: no streak limit)"
            )
        self.task = task
        self.mode = mode
        self.timeout = parse_seconds(timeout, source=f"{source}(timeout=...)")
        self.warning_threshold = float(warning_threshold)
        self.enforce = bool(enforce)
        self.max_failures = max_failures or 0
        self.path = None if path is None else resolve_path(path)


class _Stopwatch:
    """A block's clock alone: what ``timed`` keeps while recording is off."""

    __slots__ = ("duration_ns", "mono_start")
    task_id = ""

    def __init__(self) -> None:
        self.duration_ns: int | None = None
        self.mono_start = clock.mono_ns()

    @property
    def elapsed(self) -> float:
        """Seconds since the start, or the whole duration once finished."""
        duration = self.duration_ns
        if duration is None:
            duration = clock.mono_ns() - self.mono_start
        return duration / 1e9

    def stop(self) -> None:
        """The body is over: stop the clock (inside the body's ``try``, see ``_Run.stop``)."""
        self.duration_ns = clock.mono_ns() - self.mono_start

    def succeed(self) -> None:
        """After ``stop()``, the body returned."""

    def fail(self, error: BaseException) -> None:
        """The body raised ``error``."""
        if self.duration_ns is None:
            self.stop()


class _Run(_Stopwatch):
    """One call or block being recorded: its id, start, deadline and writer.

    :param target: the asyncio task to cancel at the timeout; None: the calling thread.
    :param interrupt: False for generators: between two items the consumer's code runs in
        the target, and a timeout must not land there, so the deadline only warns.
    """

    __slots__ = ("deadline", "spec", "start_ns", "task_id", "writer")

    def __init__(
        self, spec: _Spec, target: asyncio.Task[Any] | None = None, *, interrupt: bool = True
    ) -> None:
        self.spec = spec
        self.task_id = task_id = new_task_id()
        self.writer = writer = _writer_for(spec.path)
        self.deadline: Deadline | None = None
        if spec.timeout is not None:
            self.deadline = watch(
                spec.task,
                spec.timeout,
                warning_threshold=spec.warning_threshold,
                enforce=spec.enforce and interrupt,
                target=target,
            )
        # Both clocks at one moment, so that nested tasks' start and end times nest too.
        self.start_ns = start = clock.wall_ns()
        self.duration_ns = None
        self.mono_start = clock.mono_ns()
        writer.put((start, spec.mode, task_id, start, None, None, spec.task, STARTED))

    def stop(self) -> None:
        """Stop the clock and the deadline.

        Called inside the same ``try`` as the body: a timeout that lands at this very moment
        comes out of ``Deadline.cancel()`` and must count as the body's outcome.
        """
        self.duration_ns = clock.mono_ns() - self.mono_start
        if self.deadline is not None:
            self.deadline.cancel()

    def _write(self, result: str) -> None:
        duration = self.duration_ns
        assert duration is not None, "stop() comes first"
        deadline = self.deadline
        if deadline is not None and deadline.timed_out:
            result = TIMEOUT  # even if the body caught the TaskTimeoutError and went on
        spec = self.spec
        start = self.start_ns
        end = start + duration
        self.writer.put((end, spec.mode, self.task_id, start, end, duration, spec.task, result))

    def succeed(self) -> None:
        """After ``stop()``, the body returned (or a generator was closed early)."""
        spec = self.spec
        failures = _streaks.record_success(spec.task) if spec.max_failures else 0
        self._write(RECOVERED if failures else COMPLETED)
        if failures:
            log.info(
                "task %r recovered after %d consecutive failure%s",
                spec.task,
                failures,
                "" if failures == 1 else "s",
            )

    def fail(self, error: BaseException) -> None:
        """The body raised ``error``: write the row, then raise what the caller must see.

        That is ``FailureLimitExceeded`` (from the error) at the streak's limit, a plain
        ``TaskTimeoutError`` in place of this task's own timeout (the watchdog's private
        subclass, or the ``CancelledError`` it caused), and otherwise ``error`` itself, which
        the caller re-raises. ``KeyboardInterrupt``, ``SystemExit`` and ``CancelledError``
        end the row as ``failed`` (the task did not complete) but neither count in nor end a
        failure streak.
        """
        __tracebackhide__ = True
        if self.duration_ns is None:
            self.stop()
        self._write(FAILED)
        timeout_error = None if self.deadline is None else self.deadline.translate(error)
        spec = self.spec
        limit = spec.max_failures
        if limit and isinstance(timeout_error or error, Exception):
            failures = _streaks.record_failure(spec.task)
            if failures >= limit:
                log.warning(
                    "task %r failed %d times in a row (limit %d): raising FailureLimitExceeded",
                    spec.task,
                    failures,
                    limit,
                )
                raise FailureLimitExceeded(spec.task, failures, limit) from (timeout_error or error)
        if timeout_error is not None:
            raise timeout_error from None


# --- one closure per kind of callable ------------------------------------------------------


def _timed_function(func: Callable[P, R], spec: _Spec) -> Callable[P, R]:
    def timed_call(*args: P.args, **kwargs: P.kwargs) -> R:
        __tracebackhide__ = True
        if not _recording:
            return func(*args, **kwargs)
        run = _Run(spec)
        try:
            value = func(*args, **kwargs)
            run.stop()
        except BaseException as error:
            run.fail(error)
            raise
        run.succeed()
        return value

    return timed_call


def _timed_coroutine(func: Callable[P, Any], spec: _Spec) -> Callable[P, Any]:
    async def timed_call(*args: P.args, **kwargs: P.kwargs) -> Any:
        __tracebackhide__ = True
        if not _recording:
            return await func(*args, **kwargs)
        run = _Run(spec, asyncio.current_task())
        try:
            value = await func(*args, **kwargs)
            run.stop()
        except BaseException as error:
            run.fail(error)
            raise
        run.succeed()
        return value

    return timed_call


def _timed_generator(func: Callable[P, Any], spec: _Spec) -> Callable[P, Any]:
    def timed_call(*args: P.args, **kwargs: P.kwargs) -> Generator[Any, Any, Any]:
        __tracebackhide__ = True
        if not _recording:
            return (yield from func(*args, **kwargs))
        run = _Run(spec, interrupt=False)  # at the first next(): nothing ran before
        try:
            value = yield from func(*args, **kwargs)
            run.stop()
        except GeneratorExit:  # the consumer stopped early: iteration ended normally
            run.stop()
            run.succeed()
            raise
        except BaseException as error:
            run.fail(error)
            raise
        run.succeed()
        return value

    return timed_call


def _timed_async_generator(func: Callable[P, Any], spec: _Spec) -> Callable[P, Any]:
    async def timed_call(*args: P.args, **kwargs: P.kwargs) -> AsyncGenerator[Any, Any]:
        __tracebackhide__ = True
        inner: AsyncGenerator[Any, Any] = func(*args, **kwargs)
        run = _Run(spec, asyncio.current_task(), interrupt=False) if _recording else _Stopwatch()
        try:
            # ``yield from`` for async generators: pass values, errors and closing through.
            item = await inner.__anext__()
            while True:
                try:
                    sent = yield item
                except GeneratorExit:
                    await inner.aclose()
                    raise
                except BaseException as thrown:
                    item = await inner.athrow(thrown)
                else:
                    item = await inner.asend(sent)
        except (StopAsyncIteration, GeneratorExit) as end:
            run.stop()
            run.succeed()
            if isinstance(end, GeneratorExit):  # closed early (``aclose()``): ended normally
                raise
        except BaseException as error:
            run.fail(error)
            raise

    return timed_call


def _closure_for(probe: object) -> Callable[[Callable[..., Any], _Spec], Callable[..., Any]]:
    if inspect.isasyncgenfunction(probe):
        return _timed_async_generator
    if inspect.iscoroutinefunction(probe):
        return _timed_coroutine
    if inspect.isgeneratorfunction(probe):
        return _timed_generator
    return _timed_function


def _wrap(func: Any, spec: _Spec) -> Any:
    """Wrap ``func`` (already checked to be a callable or a class/static method)."""
    if isinstance(func, classmethod | staticmethod):
        return type(func)(_wrap(func.__func__, spec))
    if inspect.isfunction(func):
        return functools.update_wrapper(_closure_for(func)(func, spec), func)
    # Any other callable: an object's kind is its ``__call__``'s; wrapt passes the bound
    # callable, so the closure is built per call on this (already slower) path.
    closure = _closure_for(func if inspect.ismethod(func) else func.__call__)

    def proxy_call(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        __tracebackhide__ = True
        return closure(wrapped, spec)(*args, **kwargs)

    return wrapt.FunctionWrapper(func, proxy_call)


def _default_name(func: Any) -> str:
    """``module.qualname``, or just ``qualname`` for a script's ``__main__`` functions."""
    if isinstance(func, classmethod | staticmethod):
        func = func.__func__
    qualname = getattr(func, "__qualname__", None) or type(func).__qualname__
    module = getattr(func, "__module__", None)
    if not module or module == "__main__":
        return str(qualname)
    return f"{module}.{qualname}"


# --- the public API ------------------------------------------------------------------------


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
        if _env_says_off():
            return target
        task = _default_name(target) if name is None else name
        spec = _Spec(
            task,
            mode=mode,
            timeout=timeout,
            warning_threshold=warning_threshold,
            enforce=enforce,
            max_failures=max_failures,
            path=path,
            source="timed_task",
        )
        return _wrap(target, spec)

    return decorate if func is None else decorate(func)


class timed(_Spec):
    """Record a ``with`` or ``async with`` block as a task; the object has ``task_id``, ``elapsed``.

    One object times one block at a time; entering it again after it ended starts a new task
    with a new id. While recording is off, nothing is written and ``task_id`` is ``""``.
    """

    __slots__ = ("_run",)

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
        super().__init__(
            task,
            mode=mode,
            timeout=timeout,
            warning_threshold=warning_threshold,
            enforce=enforce,
            max_failures=0,
            path=path,
            source="timed",
        )
        self._run: _Stopwatch | None = None

    @property
    def task_id(self) -> str:
        """The id of the current (or last) block's rows; ``""`` when nothing was recorded."""
        return "" if self._run is None else self._run.task_id

    @property
    def elapsed(self) -> float:
        """Seconds since the block began, or its whole duration once it ended; 0 before."""
        return 0.0 if self._run is None else self._run.elapsed

    def _begin(self, target: asyncio.Task[Any] | None) -> None:
        if self._run is not None and self._run.duration_ns is None:
            raise RuntimeError(f"timed({self.task!r}) is already running; use one per block")
        self._run = _Run(self, target) if _recording else _Stopwatch()

    def _end(self, error: BaseException | None) -> None:
        __tracebackhide__ = True
        run = self._run
        assert run is not None, "exit without enter"
        if error is not None:
            run.fail(error)
            return
        try:
            run.stop()
        except BaseException as late:  # the timeout landed as the block ended
            run.fail(late)
            raise
        run.succeed()

    def __enter__(self) -> timed:
        self._begin(None)
        return self

    def __exit__(self, exc_type: object, error: BaseException | None, tb: object) -> None:
        __tracebackhide__ = True
        self._end(error)

    async def __aenter__(self) -> timed:
        self._begin(asyncio.current_task())
        return self

    async def __aexit__(self, exc_type: object, error: BaseException | None, tb: object) -> None:
        __tracebackhide__ = True
        self._end(error)

    def __repr__(self) -> str:
        return f"<timed {self.task!r} task_id={self.task_id!r} elapsed={self.elapsed:.6f}s>"
