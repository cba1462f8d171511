"""Deadlines: ``watch()``, the ``Deadline`` it returns, and ``TimeoutEnforcer``.

Every deadline is registered with the process's one watchdog thread (``watchdog.py``), which
moves it through the stages of ``deadline.py``, stops a task by the means in ``interrupt.py``
and, when it will not stop, takes ``last_resort.py``; ``enforcer.py`` is the start/check/stop
API. What users can rely on is in docs/timeouts.md.

Names are imported on first use (PEP 562), so the plugin, which registers deadlines, does
not load the enforcer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_tasktiming._lazy import names_on_first_use

if TYPE_CHECKING:
    from pytest_tasktiming._durations import parse_seconds
    from pytest_tasktiming.timeout.deadline import Deadline, DeadlineOptions
    from pytest_tasktiming.timeout.enforcer import TimeoutEnforcer
    from pytest_tasktiming.timeout.interrupt import restore_signal_handler
    from pytest_tasktiming.timeout.last_resort import (
        DEFAULT_GRACE,
        EXIT_ON_STUCK_CODE,
        exits_on_stuck,
    )
    from pytest_tasktiming.timeout.watchdog import register, watch

_HOMES = {
    "DEFAULT_GRACE": "pytest_tasktiming.timeout.last_resort",
    "Deadline": "pytest_tasktiming.timeout.deadline",
    "DeadlineOptions": "pytest_tasktiming.timeout.deadline",
    "EXIT_ON_STUCK_CODE": "pytest_tasktiming.timeout.last_resort",
    "TimeoutEnforcer": "pytest_tasktiming.timeout.enforcer",
    "exits_on_stuck": "pytest_tasktiming.timeout.last_resort",
    "parse_seconds": "pytest_tasktiming._durations",
    "register": "pytest_tasktiming.timeout.watchdog",
    "restore_signal_handler": "pytest_tasktiming.timeout.interrupt",
    "watch": "pytest_tasktiming.timeout.watchdog",
}

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

__getattr__ = names_on_first_use(__name__, _HOMES)
