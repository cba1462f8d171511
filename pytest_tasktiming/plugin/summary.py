"""The terminal summary: the file, the rows, the slowest tests, timeouts and failure streaks."""

from __future__ import annotations

import heapq
import os
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple

import pytest

from pytest_tasktiming._durations import human_duration
from pytest_tasktiming.records import FAILING, SKIPPED, TIMEOUT
from pytest_tasktiming.streaks import streak_after

if TYPE_CHECKING:
    from pytest_tasktiming.plugin.settings import Settings

PHASES = {"setup": 0, "call": 1, "teardown": 2}
"""Where each phase's duration goes in a test's split (``Slow.phases``)."""


class Slow(NamedTuple):
    """A test of the slowest list: nanoseconds in all and per phase (empty when not seen)."""

    duration: int
    task: str
    phases: tuple[int, ...]


class SessionStats:
    """What the summary needs, tallied per final row in constant time.

    :param slowest: how many of the slowest tests to keep (0: every one over ``slowest_min``).
    :param slowest_min: seconds under which a test is not kept.
    """

    __slots__ = (
        "hidden", "keep", "min_ns", "not_started", "over_threshold", "results", "session_limit",
        "slowest", "streak",
        "streak_candidates", "streak_from", "timeouts",
    )  # fmt: skip

    def __init__(self, slowest: int, slowest_min: float) -> None:
        self.results: Counter[str] = Counter()
        self.keep = slowest
        self.min_ns = round(slowest_min * 1e9)
        self.hidden = 0  # tests under min_ns
        self.slowest: list[tuple[int, str, tuple[int, ...]]] = []  # a min-heap
        self.over_threshold: list[tuple[str, int, float]] = []
        self.timeouts: list[tuple[str, int]] = []
        # The tests whose history may end in a failure streak: those that failed now, or were
        # skipped (which neither extends nor ends one). Without any, the file is not read.
        self.streak_candidates: set[str] = set()
        self.streak = 0  # consecutive failing tests, this session, up to now
        self.streak_from = ""  # the test that began the streak
        self.session_limit: str | None = None  # the session's limit, once it was reached
        self.not_started = 0  # tests left when it was

    def add(self, task: str, result: str, duration: int, phases: Sequence[int] | None) -> None:
        """Count one test's final row; ``phases`` are its setup, call and teardown times."""
        self.results[result] += 1
        streak = streak_after(self.streak, result)
        if streak > self.streak == 0:
            self.streak_from = task
        self.streak = streak
        if result in FAILING or result == SKIPPED:
            self.streak_candidates.add(task)
        if result == TIMEOUT:
            self.timeouts.append((task, duration))
        if duration < self.min_ns:
            self.hidden += 1
            return
        slowest = self.slowest
        if len(slowest) < self.keep or not self.keep:
            heapq.heappush(slowest, (duration, task, _split(phases)))
        elif duration > slowest[0][0]:
            heapq.heapreplace(slowest, (duration, task, _split(phases)))

    def slowest_first(self) -> list[Slow]:
        """The slowest tests kept, slowest first."""
        return [Slow(*entry) for entry in sorted(self.slowest, reverse=True)]


def _split(phases: Sequence[int] | None) -> tuple[int, ...]:
    return () if phases is None else tuple(phases)


class Outcome(NamedTuple):
    """How the session's recording ended, beside the tallies (a NamedTuple: a dataclass costs
    every recording session's start-up about 5 million instructions)."""

    rows: int
    """Rows the session's writer appended: the tests' and those of timed code inside them."""
    failing: list[tuple[str, int]]
    """``(test, runs)`` that failed each of their last 3 or more recorded runs."""
    regressions: list[str]
    """Tests that failed now after a success in their previous recorded run."""
    writer_note: str | None
    """Rows written synchronously or dropped, if any were."""
    write_error: str | None
    """Why the file is missing rows, if it is."""


def head(rows: int, path: str, invocation_dir: os.PathLike[str]) -> str:
    """``16 rows appended to task_timing.tsv``; never names a file that does not exist."""
    if not rows and not os.path.exists(path):
        return "no rows written (no test ran)"
    return f"{rows} row{'s' * (rows != 1)} appended to {_shown(path, invocation_dir)}"


def write(
    terminal: pytest.TerminalReporter, stats: SessionStats, settings: Settings, outcome: Outcome
) -> None:
    """Write the summary: one line with ``-q``, nothing with ``-qq``."""
    verbosity = terminal.verbosity
    if verbosity < -1:
        return
    first = head(outcome.rows, settings.path, terminal.config.invocation_params.dir)
    if verbosity < 0:
        extra = f", {len(stats.timeouts)} timed out" if stats.timeouts else ""
        extra += f", {stats.not_started} not started" if stats.session_limit else ""
        terminal.write_line(f"task timing: {first}{extra}")
        return
    terminal.write_sep("-", "task timing")
    line = terminal.write_line
    line(f"{first} (tests and timed code)" if outcome.rows else first)
    slowest = stats.slowest_first()
    if slowest:
        line(f"slowest {len(slowest)} test{'s' * (len(slowest) != 1)}:")
        for text in slowest_table(slowest).splitlines():
            line(f"  {text}")
    if stats.hidden and len(slowest) < stats.keep:
        line(
            f"({stats.hidden} faster than {human_duration(stats.min_ns / 1e9)} not listed: "
            "--task-timing-slowest-min 0 lists them)"
        )
    near = [
        f"{human(ns)} of {human_duration(limit)} {task}" for task, ns, limit in stats.over_threshold
    ]
    _listing(line, f"over {settings.warning_threshold:.0%} of their timeout:", near)
    _listing(line, "timed out:", [f"{human(ns)} {task}" for task, ns in stats.timeouts])
    if stats.session_limit:
        count = stats.not_started
        line(f"not started: {count} test{'s' * (count != 1)}, {stats.session_limit}")
    if stats.streak:
        count = stats.streak
        line(f"current failure streak: {count} test{'s' * (count != 1)}, from {stats.streak_from}")
    _listing(line, "failing again after passing last time:", outcome.regressions)
    _listing(
        line,
        "failed in each of their last 3+ recorded runs:",
        [f"{runs} runs {task}" for task, runs in outcome.failing],
    )
    if outcome.writer_note:
        line(f"writer: {outcome.writer_note}")
    if outcome.write_error:
        terminal.write_line(f"task timing: {outcome.write_error}", red=True)


def slowest_table(slowest: list[Slow], fmt: str = "table") -> str:
    """The slowest tests as a table (``tabular.render``): test, total, setup, call, teardown."""
    from pytest_tasktiming.reports.tabular import Column, Value, render

    columns = [Column("test", "test")] + [
        Column(name, name, "seconds") for name in ("total", *PHASES)
    ]
    records: list[dict[str, Value]] = []
    for slow in slowest:
        record: dict[str, Value] = {"test": slow.task, "total": slow.duration / 1e9}
        if slow.phases:
            record.update(zip(PHASES, (ns / 1e9 for ns in slow.phases), strict=True))
        records.append(record)
    return render(columns, records, fmt)


def _listing(line: Callable[[str], None], title: str, entries: list[str]) -> None:
    if entries:
        line(title)
        for entry in entries:
            line(f"  {entry}")


def human(ns: int) -> str:
    """Nanoseconds as a person reads them (``human_duration``)."""
    return human_duration(ns / 1e9)


def _shown(path: str, invocation_dir: os.PathLike[str]) -> str:
    relative = os.path.relpath(path, invocation_dir)
    return path if relative.startswith("..") else relative
