"""Deadlines: ``watch()``, the ``Deadline`` it returns, and ``TimeoutEnforcer``.

Every deadline is handed to the process's one watchdog thread (``watchdog.py``), which moves
it through the stages of ``deadline.py`` and stops a task by the means in ``interrupt.py``;
``registry.py`` registers deadlines and ``enforcer.py`` is the start/check/stop API. What
users can rely on is in docs/timeouts.md.
"""

from __future__ import annotations

from pytest_tasktiming._durations import parse_seconds
from pytest_tasktiming.timeout.deadline import Deadline, DeadlineOptions
from pytest_tasktiming.timeout.enforcer import TimeoutEnforcer
from pytest_tasktiming.timeout.interrupt import restore_signal_handler
from pytest_tasktiming.timeout.registry import register, watch
from pytest_tasktiming.timeout.watchdog import DEFAULT_GRACE, EXIT_ON_STUCK_CODE, exits_on_stuck

__all__ = [
    "DEFAULT_GRACE",
    "EXIT_ON_STUCK_CODE",
    "Deadline",
    "DeadlineOptions",
    "TimeoutEnforcer",
    "exits_on_stuck",
    "parse_seconds",
    "register",
    "restore_signal_handler",
    "watch",
]
