"""The clocks every measurement reads, captured once at import.

Like pytest's ``_pytest/timing.py``: durations and timestamps go through this one object, so a
test that fakes ``time.time`` (freezegun and friends patch module attributes that *are* the real
functions) cannot corrupt them, and our own tests can drive time by patching ``clock``.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class _Clocks:
    """Holds the real clock functions behind an attribute freezegun does not scan.

    ``wall_ns``: wall-clock nanoseconds since the epoch (UTC), for start and end timestamps;
    ``mono_ns``: monotonic nanoseconds, for durations, never affected by clock changes;
    ``mono``: monotonic seconds on the same clock as ``mono_ns``, for deadlines. A plain
    slotted class: a dataclass would cost every session's start-up more than the rest here.
    """

    __slots__ = ("mono", "mono_ns", "wall_ns")

    def __init__(
        self,
        wall_ns: Callable[[], int],
        mono_ns: Callable[[], int],
        mono: Callable[[], float],
    ) -> None:
        self.wall_ns = wall_ns
        self.mono_ns = mono_ns
        self.mono = mono


clock = _Clocks(wall_ns=time.time_ns, mono_ns=time.perf_counter_ns, mono=time.perf_counter)
