"""Waiting in tests for what another thread does: a condition, never a fixed sleep."""

from __future__ import annotations

import threading
from collections.abc import Callable

from pytest_tasktiming._timing import clock


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait for a condition another thread makes true (not a sleep standing in for one)."""
    event = threading.Event()
    deadline = clock.mono() + timeout
    while not condition():
        assert clock.mono() < deadline, "condition not reached in time"
        event.wait(0.005)
