"""``--task-timing-timeout auto``: each test's limit from its history, and saying how.

Each test gets ``history.limits.auto_limit`` of its recent passing runs, kept in its stash
for the runner, which builds the test's settings from it before a marker's ``timeout=``
(which wins). A test stopped at such a limit shows the derivation under its traceback, and
``-v`` tells in the summary how the session's limits were derived (``-vv``: each test's).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from pytest_tasktiming.exceptions import TaskTimeoutError
from pytest_tasktiming.history.limits import CAP, Limit, auto_limit
from pytest_tasktiming.plugin.history import HistoryPlugin
from pytest_tasktiming.plugin.settings import AUTO_LIMIT_KEY, MARKER, AutoTimeout
from pytest_tasktiming.plugin.workers import stable_nodeid

LIMIT_KEY = pytest.StashKey[Limit]()
"""A test's limit and how it was derived; the seconds also go to ``AUTO_LIMIT_KEY``."""


class AutoTimeouts:
    """Derives the limits at collection and explains them; registered with ``auto`` only."""

    def __init__(self, history: HistoryPlugin, auto: AutoTimeout) -> None:
        self.history = history
        self.auto = auto
        self.limits: dict[str, Limit] = {}

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Before the runner (``trylast``) reads them into each test's settings."""
        history, factor, floor = self.history.history, self.auto.factor, self.auto.floor
        for item in items:
            limit = auto_limit(history.recent(stable_nodeid(item.nodeid)), factor, floor)
            item.stash[LIMIT_KEY] = limit
            item.stash[AUTO_LIMIT_KEY] = limit.seconds

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, Any, None]:
        outcome = yield
        limit = item.stash.get(LIMIT_KEY, None)
        if (
            limit is None
            or call.excinfo is None
            or not call.excinfo.errisinstance(TaskTimeoutError)
        ):
            return
        marker = item.get_closest_marker(MARKER)
        if marker is not None and "timeout" in marker.kwargs:
            return  # the marker's limit, not ours
        longrepr = outcome.get_result().longrepr
        if hasattr(longrepr, "addsection"):
            longrepr.addsection("task timing", f"timeout auto: the limit was {limit.reason}")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Keep what the summary tells: where a worker derived it, the controller again."""
        if report.when == "call" and report.nodeid not in self.limits:
            self.limits[report.nodeid] = auto_limit(
                self.history.history.recent(stable_nodeid(report.nodeid)),
                self.auto.factor,
                self.auto.floor,
            )

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        verbosity = terminalreporter.verbosity
        if verbosity < 1 or not self.limits:
            return
        line = terminalreporter.write_line
        derived = [limit.seconds for limit in self.limits.values() if limit.derived]
        line(
            f"task timing: timeout auto = {self.auto.factor:g} x the longest recent passing run, "
            f"at least {self.auto.floor:g}s, at most {CAP:g}s ({CAP:g}s with fewer than 3 runs): "
            f"{len(derived)} of {len(self.limits)} tests from history"
            + (f", {min(derived):.4g}s to {max(derived):.4g}s" if derived else "")
        )
        if verbosity >= 2:
            for nodeid, limit in sorted(self.limits.items()):
                line(f"  {nodeid}: {limit.reason}")
