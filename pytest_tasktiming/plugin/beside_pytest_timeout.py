"""Next to pytest-timeout: its timeouts recorded as ``timeout``, on its own clock.

Where pytest-timeout times a test, it enforces and we only warn (``applies``). Its
``pytest_timeout_set_timer`` hook tells us when its timer starts, so the row spans at least
its limit; a failure with its message is then its timeout. Its ``thread`` method ends the
process with ``os._exit`` from its timer thread: that timer is ours (the hook is there "for
alternative timeout implementation strategies"), so the test's row is written first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from pytest_tasktiming._timing import clock

TheirTimeout = Callable[[pytest.Item, str], None]
"""Called from the timer thread just before pytest-timeout ends the process."""


class TheirTimer:
    """A test's pytest-timeout timer: its limit, its failure message, and when it started on
    our clocks; ``stopped_it`` once a phase failed with its timeout (see ``note``)."""

    __slots__ = ("message", "mono_ns", "stopped_it", "thread", "timeout", "wall_ns")

    def __init__(self, timeout: float, message: str, wall_ns: int, mono_ns: int) -> None:
        self.timeout = timeout
        self.message = message
        self.wall_ns = wall_ns
        self.mono_ns = mono_ns
        self.thread: threading.Timer | None = None
        self.stopped_it = False

    def note(self, report: pytest.TestReport) -> None:
        """Look at a failed phase's report: is its failure this timer's timeout?"""
        if self.stopped_it or clock.mono_ns() - self.mono_ns < self.timeout * 1e9:
            return
        crash = getattr(report.longrepr, "reprcrash", None)
        message = getattr(crash, "message", None)
        self.stopped_it = self.message in (str(report.longrepr) if message is None else message)


TIMER = pytest.StashKey[TheirTimer]()
_MESSAGE = "Timeout (>%ss) from pytest-timeout."


class PytestTimeoutBridge:
    """Registered beside pytest-timeout: notes each timer, and runs its ``thread`` method.

    :param on_exit: writes the test's row before the ``thread`` method's ``os._exit``.
    """

    def __init__(self, plugin: Any, on_exit: TheirTimeout) -> None:
        self.plugin = plugin  # the pytest_timeout module
        self.on_exit = on_exit

    @pytest.hookimpl(tryfirst=True, optionalhook=True)
    def pytest_timeout_set_timer(self, item: pytest.Item, settings: Any) -> bool | None:
        timeout = float(settings.timeout)
        message = getattr(self.plugin, "PYTEST_FAILURE_MESSAGE", _MESSAGE) % settings.timeout
        timer = item.stash[TIMER] = TheirTimer(timeout, message, clock.wall_ns(), clock.mono_ns())
        if settings.method != "thread" or not hasattr(self.plugin, "timeout_timer"):
            return None  # theirs sets the timer
        timer.thread = threading.Timer(settings.timeout, self._expired, (item, settings))
        timer.thread.name = f"pytest_timeout {item.nodeid}"
        timer.thread.start()
        return True

    @pytest.hookimpl(tryfirst=True, optionalhook=True)
    def pytest_timeout_cancel_timer(self, item: pytest.Item) -> bool | None:
        timer = item.stash.get(TIMER, None)
        if timer is None or timer.thread is None:
            return None
        timer.thread.cancel()
        timer.thread.join()
        return True

    def _expired(self, item: pytest.Item, settings: Any) -> None:
        """pytest-timeout's ``timeout_timer``, once the row is written (not under a debugger,
        where theirs stands down)."""
        plugin = self.plugin
        if settings.disable_debugger_detection or not plugin.is_debugging():
            message = item.stash[TIMER].message
            self.on_exit(item, f"{message} Its thread method ends the process.")
        plugin.timeout_timer(item, settings)


def times_every_test(config: pytest.Config) -> bool:
    """True when pytest-timeout has a timeout for every test (option, ini or environment)."""
    return _positive(getattr(config, "_env_timeout", None))


def applies(item: pytest.Item, everywhere: bool, marked: bool) -> bool:
    """True when pytest-timeout times ``item``: its marker, else its option/ini/env value."""
    marker = item.get_closest_marker("timeout") if marked else None
    if marker is None:
        return everywhere
    return _positive(marker.args[0] if marker.args else marker.kwargs.get("timeout"))


def _positive(value: object) -> bool:
    try:
        return value is not None and float(value) > 0  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
