"""Where tests run: each test's deadline, outcome and duration, told to the recorder.

Imported only when the plugin is enabled (see ``plugin.pytest_configure``): a session without
``--task-timing`` never loads the deadline machinery.
"""

from __future__ import annotations

import os
import sys
import warnings
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest

from pytest_tasktiming._durations import format_seconds
from pytest_tasktiming._timing import clock
from pytest_tasktiming.exceptions import TaskTimeoutError, TaskTimeoutWarning
from pytest_tasktiming.plugin.nodeids import stable_nodeid
from pytest_tasktiming.plugin.own_code import in_own_code, own_stack
from pytest_tasktiming.plugin.recorder import Payload, Recorder
from pytest_tasktiming.plugin.settings import MARKER, Settings
from pytest_tasktiming.plugin.workers import WorkerRelay
from pytest_tasktiming.records import TIMEOUT
from pytest_tasktiming.timeout import Deadline, DeadlineOptions, exits_on_stuck, register

if TYPE_CHECKING:
    from _pytest.nodes import Node  # the common base of items and collectors

_ITEM_SETTINGS = pytest.StashKey[Settings]()
"""A test's own settings (its marker's, or warn-only beside pytest-timeout), when it has any."""


class _Running:
    """The test this process runs now, and what happened to it so far."""

    __slots__ = (
        "deadline", "duration", "finished", "item", "nodeid", "result", "settings",
        "start_mono", "start_wall", "task", "unheeded", "warnings",
    )  # fmt: skip

    def __init__(self, item: pytest.Item, settings: Settings) -> None:
        self.item = item
        self.nodeid = nodeid = item.nodeid  # pytest 9 builds the string at each access
        self.settings = settings
        self.task = settings.task or stable_nodeid(nodeid)
        self.result: str | None = None
        self.finished = False
        self.warnings: list[tuple[float, bool]] = []  # (elapsed, past the limit)
        self.deadline: Deadline | None = None
        # Why the test fails though its code passes: it ignored its timeout (see _on_stuck).
        self.unheeded: str | None = None
        self.start_wall = clock.wall_ns()
        self.start_mono = clock.mono_ns()
        self.duration = 0

    def record(self, report: pytest.TestReport) -> None:
        """Fold one phase's report into the test's outcome and duration, as pytest counts them.

        The duration adds up the phases as pytest measured them (on its own clock, captured
        at import like ours), so it agrees with ``--junitxml`` and ``--durations``.
        """
        self.duration += round(report.duration * 1e9)
        when, outcome, result = report.when, report.outcome, self.result
        if outcome == "failed":
            if result != "failed":
                self.result = "failed" if when == "call" else "error"
        elif outcome == "skipped":
            self.result = "xfailed" if hasattr(report, "wasxfail") else "skipped"
        elif when == "call":
            self.result = "xpassed" if hasattr(report, "wasxfail") else "passed"

    def final_result(self) -> str:
        """The test's result; ``timeout`` when its timeout reached it, or it ignored it."""
        deadline = self.deadline
        result = self.result or "passed"
        if deadline is not None and (
            deadline.stuck or (deadline.delivered and result in ("failed", "error"))
        ):
            return TIMEOUT
        return result


class Runner:
    """Runs where the tests run: one deadline per test, its duration and outcome.

    What it learns goes into the test's last report as plain data (``report.task_timing``),
    which xdist serializes to the controller; in a single process it also hands the data
    straight to the recorder, sparing a hook call per report.
    """

    def __init__(
        self, config: pytest.Config, settings: Settings, *, exit_on_stuck: bool | None
    ) -> None:
        self.config = config
        self.settings = settings
        self.exit_on_stuck = exit_on_stuck
        self.current: _Running | None = None
        self.relay: WorkerRelay | None = None
        self.recorder: Recorder | None = None  # set when this process writes the file
        self._options = self._deadline_options(settings)
        # The terminal's stderr, kept now: while a test runs, capture redirects fd 2.
        self._stderr = os.dup(2)
        config.add_cleanup(lambda: os.close(self._stderr))

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Resolve each marked test's settings once, so running it costs a stash lookup."""
        base = self.settings
        pytest_timeout = self.config.pluginmanager.has_plugin("timeout")
        everywhere = pytest_timeout and _positive(getattr(self.config, "_env_timeout", None))
        ours: dict[int, bool] = {}
        theirs: dict[int, bool] = {}
        for item in items:
            settings = base
            if _marked(item, MARKER, ours):
                marker = item.get_closest_marker(MARKER)
                if marker is not None:
                    settings = settings.for_marker(marker, item.nodeid)
            if (
                pytest_timeout
                and settings.enforce
                and _pytest_timeout_applies(item, everywhere, _marked(item, "timeout", theirs))
            ):
                settings = replace(settings, enforce=False)  # it times the test: we only warn
            if settings is not base:
                item.stash[_ITEM_SETTINGS] = settings

    def _deadline_options(self, settings: Settings) -> DeadlineOptions:
        """The options of a test's deadline (see ``timeout.register``)."""
        return DeadlineOptions(
            settings.warning_threshold,
            settings.enforce,
            on_warning=self._on_warning,
            on_stuck=self._on_stuck,
            exit_on_stuck=self.exit_on_stuck,
            gate=in_own_code,
        )

    # Not a wrapper: a plain implementation called first costs a fraction of one. The test
    # ends with its teardown report; sessionfinish cancels the deadline of one interrupted.
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> None:
        stash = item.stash  # "in" first: Stash.get() raises and catches a KeyError per test
        if _ITEM_SETTINGS in stash:
            settings = stash[_ITEM_SETTINGS]
            options = self._deadline_options(settings)
        else:
            settings, options = self.settings, self._options
        running = self.current = _Running(item, settings)
        running.deadline = register(running.task, settings.timeout, None, options)
        if self.recorder is not None:
            self.recorder.start(
                running.nodeid, settings.mode, running.task, running.start_wall, running.start_mono
            )

    def pytest_sessionfinish(self) -> None:
        running = self.current
        if running is not None and not running.finished and running.deadline is not None:
            _cancel(running.deadline)  # interrupted before its teardown report

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        running = self.current
        if running is None or running.finished:
            return
        # pytest's own reports share the item's location tuple: no node id string to build.
        if report.location is not running.item.location and report.nodeid != running.nodeid:
            return
        if running.unheeded is not None and report.passed:
            _fail(report, running.unheeded)  # pytest and the file agree: it timed out
            running.unheeded = None
        running.record(report)
        if report.when == "teardown":
            running.finished = True
            if running.deadline is not None:
                _cancel(running.deadline)
            result = running.final_result()
            span = clock.mono_ns() - running.start_mono
            # A timed-out test's row shows its whole span: never shorter than its timeout.
            duration = span if result == TIMEOUT else running.duration
            if running.warnings:
                self._record_warnings(running)
            self._deliver(running, report, self._payload(running, result, duration, span))

    def _deliver(self, running: _Running, report: pytest.TestReport, payload: Payload) -> bool:
        """Hand a finished test to the recorder, or in an xdist worker attach it to ``report``
        for the controller; True when the report carries it."""
        if self.recorder is not None:
            self.recorder.finish(running.nodeid, payload)
            return False
        report.task_timing = payload  # type: ignore[attr-defined]
        return True

    def _payload(self, running: _Running, result: str, duration: int, span: int) -> Payload:
        """Plain data, and little of it: xdist serialises it into every test's last report.

        Only a test with a mode or task of its own (a marker), past its warning threshold,
        or with rows of decorated code to send has extras (a dict with ``mode`` and ``task``,
        ``warned``: its timeout, ``rows``); a test without sends five scalars.
        """
        settings, deadline = running.settings, running.deadline
        extras: dict[str, Any] = {}
        if settings is not self.settings:
            extras["mode"], extras["task"] = settings.mode, running.task
        if deadline is not None and deadline.warned:
            extras["warned"] = settings.timeout
        if self.relay is not None:
            rows = self.relay.collector.take()
            if rows:
                extras["rows"] = rows
        return duration, span, running.start_wall, result, extras or None

    # --- the watchdog's callbacks (in its thread) --------------------------------------------

    def _running_for(self, deadline: Deadline) -> _Running | None:
        running = self.current
        if running is None or running.deadline is not deadline or running.finished:
            return None
        return running

    def _on_warning(self, deadline: Deadline) -> None:
        running = self._running_for(deadline)
        if running is None or deadline.timeout is None:
            return
        elapsed, past = deadline.elapsed, deadline.expired
        if elapsed >= deadline.timeout and not past:
            return  # a threshold warning come so late that the timeout follows at once
        running.warnings.append((elapsed, past))
        self.config.hook.pytest_tasktiming_timeout_warning(
            item=running.item, elapsed=elapsed, timeout=deadline.timeout, past_limit=past
        )

    def _on_stuck(self, deadline: Deadline) -> None:
        """The last resort: the test ignored its timeout. If the process is about to exit,
        leave its row (under xdist, its report) now; else it fails when its phase ends."""
        running = self._running_for(deadline)
        if running is None:
            return
        frame = sys._current_frames().get(deadline.thread_ident or -1)
        stack = own_stack(frame) if frame is not None else "(gone)\n"
        message = (
            f"{running.nodeid} is stuck: {deadline.elapsed:.1f}s after it started it is still "
            f"running, past its {deadline.timeout:g}s timeout, and did not stop when told to "
            f"(stuck in C code, or the signal blocked?). Its stack:\n{stack}"
        )
        os.write(self._stderr, f"\ntasktiming: {message}".encode())  # capture would hide it
        if not exits_on_stuck(deadline):
            running.unheeded = message
            return
        running.finished = True
        report = pytest.TestReport(
            running.nodeid,
            running.item.location,
            keywords={},
            outcome="failed",
            longrepr=message,
            when="call",
            duration=deadline.elapsed,
        )
        span = clock.mono_ns() - running.start_mono
        payload = self._payload(running, TIMEOUT, span, span)
        if self._deliver(running, report, payload):
            self.config.hook.pytest_runtest_logreport(report=report)  # xdist sends it on

    @pytest.hookimpl(trylast=True)
    def pytest_tasktiming_timeout_warning(
        self, item: pytest.Item, elapsed: float, timeout: float, past_limit: bool
    ) -> bool:
        text = _warning_text(item.nodeid, elapsed, timeout, past_limit)
        os.write(self._stderr, f"\ntasktiming: {text}\n".encode())
        return True

    def _record_warnings(self, running: _Running) -> None:
        """List the warnings in pytest's warnings summary (under xdist, the controller's)."""
        timeout = running.settings.timeout
        if timeout is None:
            return
        item = running.item
        path, line, _ = item.location
        for elapsed, past in running.warnings:
            message = TaskTimeoutWarning(_warning_text(item.nodeid, elapsed, timeout, past))
            self.config.hook.pytest_warning_recorded.call_historic(
                kwargs={
                    "warning_message": warnings.WarningMessage(
                        message, TaskTimeoutWarning, str(item.path), (line or 0) + 1
                    ),
                    "when": "runtest",
                    "nodeid": item.nodeid,
                    "location": (path, line, item.name),
                }
            )


def _warning_text(nodeid: str, elapsed: float, timeout: float, past: bool) -> str:
    """The threshold's warning, or (``past``) the limit's when it is not enforced."""
    if past:
        return (
            f"{nodeid} ran past its {timeout:g}s timeout ({format_seconds(elapsed)} so far); "
            "not enforced"
        )
    return (
        f"{nodeid} has run {format_seconds(elapsed)}, {elapsed / timeout:.0%} of its "
        f"{timeout:g}s timeout"
    )


def _fail(report: pytest.TestReport, message: str) -> None:
    """Turn a passing phase's report into a failure with ``message``."""
    report.outcome = "failed"
    report.longrepr = message


def _cancel(deadline: Deadline) -> None:
    # If it fires as the test ends, it comes out of cancel(): the test finished in time.
    # (Not contextlib.suppress: this runs for every test, and try costs nothing.)
    try:  # noqa: SIM105
        deadline.cancel()
    except TaskTimeoutError:
        pass


def _positive(value: object) -> bool:
    try:
        return value is not None and float(value) > 0  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _marked(node: Node | None, name: str, memo: dict[int, bool]) -> bool:
    """True if ``node`` or a parent has a marker ``name``; one answer per module or class.

    Collection-time cost for every test, so tests sharing a parent share its answer.
    """
    if node is None:
        return False
    found = memo.get(id(node))
    if found is None:
        found = any(mark.name == name for mark in node.own_markers)
        found = memo[id(node)] = found or _marked(node.parent, name, memo)
    return found


def _pytest_timeout_applies(item: pytest.Item, everywhere: bool, marked: bool) -> bool:
    """True when pytest-timeout times this test: its marker, else its option/ini/env value."""
    marker = item.get_closest_marker("timeout") if marked else None
    if marker is None:
        return everywhere
    return _positive(marker.args[0] if marker.args else marker.kwargs.get("timeout"))
