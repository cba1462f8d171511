"""The wrappers: one closure per kind of callable, and wrapt's proxy for everything else.

A plain function gets a closure of its own kind (function, ``async def``, generator, async
generator), so it binds as a method, pickles by name, and keeps ``inspect.iscoroutinefunction``
and friends. wrapt's ``FunctionWrapper`` would do the same at several times the cost of the
whole recording (benchmarks/decorators.py), so it only wraps other callables (an object with
``__call__``, a builtin, a ``functools.partial``), which then keep their attributes and type.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any, ParamSpec, TypeVar

import wrapt

from pytest_tasktiming import _recording
from pytest_tasktiming._task_run import begin, begin_in_task, finish
from pytest_tasktiming._task_spec import Spec

P = ParamSpec("P")
R = TypeVar("R")

Closure = Callable[[Callable[..., Any], Spec], Callable[..., Any]]


def _timed_function(func: Callable[P, R], spec: Spec) -> Callable[P, R]:
    def timed_call(*args: P.args, **kwargs: P.kwargs) -> R:
        __tracebackhide__ = True
        if not _recording.recording:
            return func(*args, **kwargs)
        started = begin(spec)
        try:
            value = func(*args, **kwargs)
        except BaseException as error:
            finish(spec, started, error)
            raise
        finish(spec, started)
        return value

    return timed_call


def _timed_coroutine(func: Callable[P, Any], spec: Spec) -> Callable[P, Any]:
    async def timed_call(*args: P.args, **kwargs: P.kwargs) -> Any:
        __tracebackhide__ = True
        if not _recording.recording:
            return await func(*args, **kwargs)
        started = begin_in_task(spec)  # at the first await, not at the call
        try:
            value = await func(*args, **kwargs)
        except BaseException as error:
            finish(spec, started, error)
            raise
        finish(spec, started)
        return value

    return timed_call


def _timed_generator(func: Callable[P, Any], spec: Spec) -> Callable[P, Any]:
    def timed_call(*args: P.args, **kwargs: P.kwargs) -> Generator[Any, Any, Any]:
        __tracebackhide__ = True
        if not _recording.recording:
            return (yield from func(*args, **kwargs))
        started = begin(spec, interrupt=False)  # at the first next(): nothing ran before
        try:
            value = yield from func(*args, **kwargs)
        except GeneratorExit:  # the consumer stopped early: the iteration ended normally
            finish(spec, started)
            raise
        except BaseException as error:
            finish(spec, started, error)
            raise
        finish(spec, started)
        return value

    return timed_call


def _timed_async_generator(func: Callable[P, Any], spec: Spec) -> Callable[P, Any]:
    async def timed_call(*args: P.args, **kwargs: P.kwargs) -> AsyncGenerator[Any, Any]:
        __tracebackhide__ = True
        inner: AsyncGenerator[Any, Any] = func(*args, **kwargs)
        started = begin_in_task(spec, interrupt=False) if _recording.recording else None
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
            if started is not None:
                finish(spec, started)
            if isinstance(end, GeneratorExit):  # closed early (``aclose()``): ended normally
                raise
        except BaseException as error:
            if started is not None:
                finish(spec, started, error)
            raise

    return timed_call


def _closure_for(func: Any) -> Closure:
    """The closure of ``func``'s kind; an object's kind is its ``__call__``'s."""
    probes = (func, func.__call__)
    if any(inspect.isasyncgenfunction(probe) for probe in probes):
        return _timed_async_generator
    if any(inspect.iscoroutinefunction(probe) for probe in probes):
        return _timed_coroutine
    if any(inspect.isgeneratorfunction(probe) for probe in probes):
        return _timed_generator
    return _timed_function


def wrap(func: Any, spec: Spec) -> Any:
    """Wrap ``func``: a callable, or a class or static method object."""
    if isinstance(func, classmethod | staticmethod):
        return type(func)(wrap(func.__func__, spec))
    if inspect.isfunction(func):
        return functools.update_wrapper(_closure_for(func)(func, spec), func)
    # Any other callable. wrapt passes the callable as bound for this call, so the closure
    # is built per call on this (already slower) path.
    closure = _closure_for(func)

    def proxy_call(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        __tracebackhide__ = True
        return closure(wrapped, spec)(*args, **kwargs)

    return wrapt.FunctionWrapper(func, proxy_call)


def default_name(func: Any) -> str:
    """``module.qualname``, or just ``qualname`` for a script's ``__main__`` functions."""
    if isinstance(func, classmethod | staticmethod):
        func = func.__func__
    qualname = getattr(func, "__qualname__", None) or type(func).__qualname__
    module = getattr(func, "__module__", None)
    if not module or module == "__main__":
        return str(qualname)
    return f"{module}.{qualname}"
