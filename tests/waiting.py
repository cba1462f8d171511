"""Waiting in tests for what another thread does: a condition or the thread's end, never a
fixed sleep."""

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


def run_in_thread(func: Callable[[], object], timeout: float = 30.0) -> BaseException | None:
    """Run ``func`` in a new thread to its end; return what it raised, if anything."""
    raised: list[BaseException] = []

    def body() -> None:
        try:
            func()
        except BaseException as error:
            raised.append(error)

    thread = threading.Thread(target=body)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), "the thread was never interrupted"
    return raised[0] if raised else None
