"""A task's trend over its runs: a sparkline of its latest durations, and whether it is flaky.

The HTML page draws the same from the same rule (``page.js``: ``trendOf``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

TREND = 10
"""Runs a trend shows: the task's latest."""
BARS = "▁▂▃▄▅▆▇█"


def sparkline(durations: Sequence[float]) -> str:
    """One bar per run, oldest first, its height the duration against the longest (from 0,
    so a steady task shows a steady line, not its noise blown up)."""
    longest = max(durations, default=0.0)
    if longest <= 0:
        return BARS[0] * len(durations)
    top = len(BARS) - 1
    return "".join(BARS[round(duration / longest * top)] for duration in durations)


def flips(outcomes: Iterable[bool]) -> int:
    """How often the outcome changed between successive runs (True: success, False: failure)."""
    count, previous = 0, None
    for outcome in outcomes:
        if previous is not None and outcome != previous:
            count += 1
        previous = outcome
    return count


def is_flaky(outcomes: Iterable[bool]) -> bool:
    """Flaky: its latest runs went from pass to fail and back (or fail, pass, fail); one change
    alone is a test that broke, or was fixed."""
    return flips(outcomes) >= 2
