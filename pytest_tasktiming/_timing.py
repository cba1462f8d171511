"""The clocks every measurement reads, captured once at import.

Like pytest's ``_pytest/timing.py``: durations and timestamps go through this one object, so a
test that fakes ``time.time`` (freezegun and friends patch module attributes that *are* the real
functions) cannot corrupt them, and our own tests can drive time by patching ``clock``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class _Clocks:
    """Holds the real clock functions behind an attribute freezegun does not scan."""

    wall_ns: Callable[[], int]
    """Wall-clock nanoseconds since the epoch (UTC): for start and end timestamps."""
    mono_ns: Callable[[], int]
    """Monotonic nanoseconds: for durations, never affected by clock changes."""
    mono: Callable[[], float]
    """Monotonic seconds on the same clock as ``mono_ns``: for deadlines."""


clock = _Clocks(wall_ns=time.time_ns, mono_ns=time.perf_counter_ns, mono=time.perf_counter)
