"""The test a process runs now: its clocks, its deadline, and its outcome so far."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_tasktiming._timing import clock
from pytest_tasktiming.companion.lines import one_line
from pytest_tasktiming.plugin.settings import Settings
from pytest_tasktiming.plugin.summary import PHASES
from pytest_tasktiming.plugin.workers import stable_nodeid
from pytest_tasktiming.records import TIMEOUT
from pytest_tasktiming.timeout import Deadline

if TYPE_CHECKING:
    from pytest_tasktiming.plugin.beside_pytest_timeout import TheirTimer


class RunningTest:
    """What the runner knows of the test it runs, filled in phase by phase."""

    __slots__ = (
        "deadline", "fields", "finished", "item", "limit", "message", "nodeid", "phases",
        "result", "session_bound", "settings", "stack", "start_mono", "start_wall", "task",
        "their_timer", "unheeded", "warnings",
    )  # fmt: skip

    def __init__(
        self,
        item: pytest.Item,
        settings: Settings,
        their_timer: TheirTimer | None = None,
        *,
        session_left: float | None = None,
    ) -> None:
        """:param session_left: seconds until the session's end, when it has one."""
        self.item = item
        self.nodeid = nodeid = item.nodeid  # pytest 9 builds the string at each access
        self.settings = settings
        self.task = settings.task or stable_nodeid(nodeid)
        self.result: str | None = None
        self.finished = False
        self.warnings: list[tuple[float, bool]] = []  # (elapsed, past the limit)
        self.deadline: Deadline | None = None
        self.limit = settings.timeout
        self.fields = ""  # the limit as the companion file writes it (companion.limit_fields)
        # The limit is the session's end, when that comes before the test's own timeout.
        self.session_bound = session_left is not None and (
            self.limit is None or session_left < self.limit
        )
        if self.session_bound:
            self.limit = session_left
        # Why the test fails though its code passes: it ignored its timeout (see _on_stuck).
        self.unheeded: str | None = None
        self.message: str | None = None  # the first failure's one line
        self.stack: str | None = None  # where it was when it timed out
        # pytest-timeout's timer, started a moment before: the row spans it.
        self.their_timer = their_timer
        if their_timer is None:
            self.start_wall = clock.wall_ns()
            self.start_mono = clock.mono_ns()
        else:
            self.start_wall, self.start_mono = their_timer.wall_ns, their_timer.mono_ns
        self.phases = [0, 0, 0]  # setup, call, teardown, in nanoseconds

    def record(self, report: pytest.TestReport) -> None:
        """Fold one phase's report into the test's outcome and duration, as pytest counts them.

        The duration adds up the phases as pytest measured them (on its own clock, captured
        at import like ours), so it agrees with ``--junitxml`` and ``--durations``.
        """
        when, outcome, result = report.when, report.outcome, self.result
        self.phases[PHASES[when]] += round(report.duration * 1e9)
        if outcome == "failed":
            if result != "failed":
                self.result = "failed" if when == "call" else "error"
            if self.message is None:
                self.message = failure_line(report)
        elif outcome == "skipped":
            self.result = "xfailed" if hasattr(report, "wasxfail") else "skipped"
        elif when == "call":
            self.result = "xpassed" if hasattr(report, "wasxfail") else "passed"

    def final_result(self) -> str:
        """The test's result: ``timeout`` when its timeout reached it (ours or
        pytest-timeout's), or when it ignored ours."""
        deadline = self.deadline
        result = self.result or "passed"
        if result in ("failed", "error"):
            if deadline is not None and deadline.delivered:
                return TIMEOUT
            if self.their_timer is not None and self.their_timer.stopped_it:
                return TIMEOUT
        if deadline is not None and deadline.stuck:
            return TIMEOUT
        return result


def failure_line(report: pytest.TestReport) -> str:
    """The one line that says why a phase failed: its exception's, as pytest's summary shows."""
    crash = getattr(report.longrepr, "reprcrash", None)
    message = getattr(crash, "message", None)
    return one_line(message if isinstance(message, str) else str(report.longrepr))
