"""The terminal summary: the file, the rows, the slowest tests, timeouts and failure streaks."""

from __future__ import annotations

import heapq
import os
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from pytest_tasktiming.records import FAILING, SKIPPED, TIMEOUT
from pytest_tasktiming.streaks import streak_after

if TYPE_CHECKING:
    from pytest_tasktiming.plugin.settings import Settings
    from pytest_tasktiming.writer import AsyncBufferedWriter

SLOWEST = 5
_SHOWN_NS = 5_000_000  # like --durations, tests under 5 ms are not worth a line


class SessionStats:
    """What the summary needs, tallied per final row in constant time."""

    __slots__ = (
        "not_started", "over_threshold", "results", "rows", "session_limit", "slowest", "streak",
        "streak_candidates", "streak_from", "timeouts",
    )  # fmt: skip

    def __init__(self) -> None:
        self.rows = 0
        self.results: Counter[str] = Counter()
        self.slowest: list[tuple[int, str]] = []  # a min-heap of the SLOWEST largest
        self.over_threshold: list[tuple[str, int, float]] = []
        self.timeouts: list[tuple[str, int]] = []
        # The tests whose history may end in a failure streak: those that failed now, or were
        # skipped (which neither extends nor ends one). Without any, the file is not read.
        self.streak_candidates: set[str] = set()
        self.streak = 0  # consecutive failing tests, this session, up to now
        self.streak_from = ""  # the test that began the streak
        self.session_limit: str | None = None  # the session's limit, once it was reached
        self.not_started = 0  # tests left when it was

    def add(self, task: str, result: str, duration: int) -> None:
        """Count one test's final row."""
        self.results[result] += 1
        streak = streak_after(self.streak, result)
        if streak > self.streak == 0:
            self.streak_from = task
        self.streak = streak
        if result in FAILING or result == SKIPPED:
            self.streak_candidates.add(task)
        if len(self.slowest) < SLOWEST:
            heapq.heappush(self.slowest, (duration, task))
        elif duration > self.slowest[0][0]:
            heapq.heapreplace(self.slowest, (duration, task))
        if result == TIMEOUT:
            self.timeouts.append((task, duration))


def write(
    terminal: pytest.TerminalReporter,
    stats: SessionStats,
    settings: Settings,
    writer: AsyncBufferedWriter,
    *,
    failing: list[tuple[str, int]],
    write_error: str | None,
) -> None:
    """Write the summary: one line with ``-q``, nothing with ``-qq``.

    :param failing: ``(test, runs)`` that failed each of their last recorded runs.
    :param write_error: why the file is missing rows, if it is.
    """
    verbosity = terminal.verbosity
    if verbosity < -1:
        return
    path = _shown(settings.path, terminal.config.invocation_params.dir)
    head = f"{stats.rows} rows -> {path}"
    if verbosity < 0:
        extra = f", {len(stats.timeouts)} timed out" if stats.timeouts else ""
        extra += f", {stats.not_started} not started" if stats.session_limit else ""
        terminal.write_line(f"task timing: {head}{extra}")
        return
    terminal.write_sep("-", "task timing")
    line = terminal.write_line
    line(head)
    slowest = [(ns, task) for ns, task in sorted(stats.slowest, reverse=True) if ns >= _SHOWN_NS]
    _listing(line, "slowest tests:", [f"{_secs(ns)} {task}" for ns, task in slowest])
    threshold = settings.warning_threshold
    _listing(
        line,
        f"over {threshold:.0%} of their timeout:",
        [f"{_secs(ns)} of {limit:g}s {task}" for task, ns, limit in stats.over_threshold],
    )
    _listing(line, "timed out:", [f"{_secs(ns)} {task}" for task, ns in stats.timeouts])
    if stats.session_limit:
        count = stats.not_started
        line(f"not started: {count} test{'s' * (count != 1)}, {stats.session_limit}")
    if stats.streak:
        count = stats.streak
        line(f"current failure streak: {count} test{'s' * (count != 1)}, from {stats.streak_from}")
    _listing(
        line,
        "failed in each of their last 3+ recorded runs:",
        [f"{runs} runs {task}" for task, runs in failing],
    )
    if writer.overflow_writes or writer.dropped_rows:
        line(
            f"writer: {writer.overflow_writes} rows written synchronously (queue full), "
            f"{writer.dropped_rows} rows dropped"
        )
    if write_error:
        terminal.write_line(f"task timing: {write_error}", red=True)


def _listing(line: Callable[[str], None], title: str, entries: list[str]) -> None:
    if entries:
        line(title)
        for entry in entries:
            line(f"  {entry}")


def _secs(ns: int) -> str:
    return f"{ns / 1e9:.2f}s"


def _shown(path: str, invocation_dir: os.PathLike[str]) -> str:
    relative = os.path.relpath(path, invocation_dir)
    return path if relative.startswith("..") else relative
