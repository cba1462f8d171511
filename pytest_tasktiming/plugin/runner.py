"""Where tests run: each test's deadline, outcome and duration, told to the recorder.

Imported only when the plugin is enabled (see ``plugin.pytest_configure``): a session without
``--task-timing`` never loads the deadline machinery.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from pytest_tasktiming._timing import clock
from pytest_tasktiming.companion.lines import limit_fields, one_line
from pytest_tasktiming.exceptions import TaskTimeoutError
from pytest_tasktiming.plugin.own_code import in_own_code, own_stack
from pytest_tasktiming.plugin.recorder import Payload, Recorder
from pytest_tasktiming.plugin.running import RunningTest
from pytest_tasktiming.plugin.settings import AUTO_LIMIT_KEY, MARKER, Settings
from pytest_tasktiming.plugin.terminal import LiveLine, warning_text
from pytest_tasktiming.plugin.workers import START_KEY, WorkerRelay, stop_session
from pytest_tasktiming.records import TIMEOUT
from pytest_tasktiming.timeout import Deadline, DeadlineOptions, register
from pytest_tasktiming.writer import flush_all

if TYPE_CHECKING:
    from _pytest.nodes import Node  # the common base of items and collectors

    from pytest_tasktiming.plugin.beside_pytest_timeout import TheirTimer
    from pytest_tasktiming.plugin.session_limit import SessionLimit

_ITEM_SETTINGS = pytest.StashKey[Settings]()
"""A test's own settings (its marker's, or warn-only beside pytest-timeout), when it has any."""


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
        self.current: RunningTest | None = None
        self.relay: WorkerRelay | None = None
        self.recorder: Recorder | None = None  # set when this process writes the file
        # The rare parts load only when used: each module costs start-up (docs/architecture).
        self.session_limit: SessionLimit | None = None
        if settings.session_timeout is not None:
            from pytest_tasktiming.plugin.session_limit import SessionLimit

            self.session_limit = SessionLimit.of(config, settings)
        self._options = self._deadline_options(settings)
        self._fields = limit_fields(settings.timeout, settings.warning_threshold, settings.enforce)
        # The terminal's stderr, kept now: while a test runs, capture redirects fd 2.
        self._stderr = os.dup(2)
        config.add_cleanup(lambda: os.close(self._stderr))
        self._live = LiveLine(config, self._stderr)
        pytest_timeout = config.pluginmanager.get_plugin("timeout")
        self.beside_pytest_timeout = pytest_timeout is not None
        self._their_timers: pytest.StashKey[TheirTimer] | None = None
        if pytest_timeout is not None:
            from pytest_tasktiming.plugin import beside_pytest_timeout as beside

            bridge = beside.PytestTimeoutBridge(pytest_timeout, self._end_before_their_exit)
            config.pluginmanager.register(bridge, "tasktiming-pytest-timeout")
            self._their_timers = beside.TIMER

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Resolve each marked test's settings once, so running it costs a stash lookup."""
        base = self.settings
        times_it = _their_rule(self.config) if self.beside_pytest_timeout else None
        ours: dict[int, bool] = {}
        theirs: dict[int, bool] = {}
        for item in items:
            settings = base
            if AUTO_LIMIT_KEY in item.stash:  # --task-timing-timeout auto; a marker's wins
                settings = base._replace(timeout=item.stash[AUTO_LIMIT_KEY])
            if _marked(item, MARKER, ours):
                marker = item.get_closest_marker(MARKER)
                if marker is not None:
                    settings = settings.for_marker(marker, item.nodeid)
            if (
                times_it is not None
                and settings.enforce
                and times_it(item, _marked(item, "timeout", theirs))
            ):
                settings = settings._replace(enforce=False)  # it times the test: we only warn
            if settings is not base:
                item.stash[_ITEM_SETTINGS] = settings

    def _deadline_options(self, settings: Settings, reason: str | None = None) -> DeadlineOptions:
        """The options of a test's deadline (see ``timeout.register``)."""
        return DeadlineOptions(
            settings.warning_threshold,
            settings.enforce,
            on_warning=self._on_warning,
            on_timeout=self._on_timeout,
            on_stuck=self._on_stuck,
            exit_on_stuck=self.exit_on_stuck,
            gate=in_own_code,
            reason=reason,
        )

    # Not a wrapper: a plain implementation called first costs a fraction of one. The test
    # ends with its teardown report; sessionfinish cancels the deadline of one interrupted.
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> bool | None:
        stash = item.stash  # "in" first: Stash.get() raises and catches a KeyError per test
        if _ITEM_SETTINGS in stash:
            settings = stash[_ITEM_SETTINGS]
            options = self._deadline_options(settings)
        else:
            settings, options = self.settings, self._options
        session = self.session_limit
        left = None if session is None else session.left()
        if session is not None and left is not None and left <= 0:
            stop_session(item.session, f"tasktiming: {session.reason}")
            return True  # not started: the session is over
        timers = self._their_timers
        their_timer = stash[timers] if timers is not None and timers in stash else None
        running = self.current = RunningTest(item, settings, their_timer, session_left=left)
        if session is not None and running.session_bound:
            options = self._deadline_options(settings, session.reason)
        # On file, a test's limit is its own timeout: a test that began near the session's end
        # and passed did not run past its own limit, whatever the session had left.
        if settings is self.settings:
            running.fields = self._fields
        else:
            running.fields = _limit_fields(
                settings.timeout, settings.warning_threshold, settings.enforce
            )
        running.deadline = register(running.task, running.limit, None, options)
        if self.recorder is not None:
            self.recorder.start(
                running.nodeid,
                settings.mode,
                running.task,
                running.start_wall,
                running.start_mono,
                fields=None if running.fields is self._fields else running.fields,
            )
        return None

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
        if self._live.open:
            self._live.mend(report.nodeid)
        if report.location is not running.item.location and report.nodeid != running.nodeid:
            return
        if running.unheeded is not None and report.passed:
            _fail(report, running.unheeded)  # pytest and the file agree: it timed out
            running.unheeded = None
        elif report.failed and self._their_timers is not None:
            self._note_their_timeout(running, report, self._their_timers)
        running.record(report)
        if report.when == "setup":
            if self.relay is not None and running.settings is not self.settings:
                # The controller writes the started row on this report: give it the marker's.
                setattr(report, START_KEY, (running.settings.mode, running.task))
        elif report.when == "teardown":
            running.finished = True
            if running.deadline is not None:
                _cancel(running.deadline)
            result = running.final_result()
            span = clock.mono_ns() - running.start_mono
            # A timed-out test's row shows its whole span: never shorter than its timeout.
            duration = span if result == TIMEOUT else sum(running.phases)
            if running.warnings:
                from pytest_tasktiming.plugin.timeout_warnings import record_warnings

                record_warnings(self.config, running)
            self._deliver(running, report, self._payload(running, result, duration, span))

    def _note_their_timeout(
        self, running: RunningTest, report: pytest.TestReport, timers: pytest.StashKey[TheirTimer]
    ) -> None:
        """Was this failure pytest-timeout's? (Its timer may have started with the call.)"""
        timer = running.their_timer = running.item.stash.get(timers, None)
        if timer is not None:
            timer.note(report)
            if timer.stopped_it and running.stack is None:
                running.stack = str(getattr(report.longrepr, "reprtraceback", "")) or None

    def _deliver(self, running: RunningTest, report: pytest.TestReport, payload: Payload) -> bool:
        """Hand a finished test to the recorder, or in an xdist worker attach it to ``report``
        for the controller; True when the report carries it. A payload with extras (a
        marker's limit, say) is attached here too, for the OpenTelemetry span."""
        if self.recorder is None:
            report.task_timing = payload  # type: ignore[attr-defined]
            return True
        if payload[-1] is not None:
            report.task_timing = payload  # type: ignore[attr-defined]
        self.recorder.finish(running.nodeid, payload, phases=running.phases)
        return False

    def _payload(self, running: RunningTest, result: str, duration: int, span: int) -> Payload:
        """Plain data, and little of it: xdist serialises it into every test's last report.

        Only a test with settings of its own (a marker), past its warning threshold, stopped
        by the session's limit, failed, or with rows of decorated code to send has extras (a
        dict with ``mode``, ``task`` and ``timeout`` when it differs from the session's;
        ``warned``: its timeout, and under xdist ``warnings``; ``session``, ``message`` and
        ``stack``, ``rows`` and ``notes``; in a worker ``fields``: its limit, unless the
        session's); a test without sends five scalars.
        """
        settings, deadline = running.settings, running.deadline
        extras: dict[str, Any] = {}
        if settings is not self.settings:
            extras["mode"], extras["task"] = settings.mode, running.task
            if settings.timeout != self.settings.timeout:
                extras["timeout"] = settings.timeout
        if deadline is not None and deadline.warned and not running.session_bound:
            extras["warned"] = running.limit
            if self.relay is not None:  # the controller's terminal shows them
                extras["warnings"] = running.warnings
        if result == TIMEOUT and running.session_bound:
            extras["session"] = True
        if running.message is not None:
            extras["message"] = running.message
            if result == TIMEOUT and running.stack is not None:
                extras["stack"] = running.stack
        if self.relay is not None:
            if running.fields is not self._fields:
                extras["fields"] = running.fields
            rows, notes = self.relay.collector.take(), self.relay.notes.take()
            if rows:
                extras["rows"] = rows
            if notes:
                extras["notes"] = notes
        return duration, span, running.start_wall, result, extras or None

    def _end_now(self, running: RunningTest, message: str) -> None:
        """End the test as ``timeout`` at once, as the process is about to exit: its row here,
        or under xdist a failed report to the controller."""
        running.finished = True
        running.message = one_line(message)
        span = clock.mono_ns() - running.start_mono
        report = pytest.TestReport(
            running.nodeid,
            running.item.location,
            keywords={},
            outcome="failed",
            longrepr=message,
            when="call",
            duration=span / 1e9,
        )
        if self._deliver(running, report, self._payload(running, TIMEOUT, span, span)):
            self.config.hook.pytest_runtest_logreport(report=report)  # xdist sends it on
        flush_all()

    def _end_before_their_exit(self, item: pytest.Item, message: str) -> None:
        """pytest-timeout's thread method is about to end the process."""
        running = self.current
        if running is not None and running.item is item and not running.finished:
            frame = sys._current_frames().get(threading.main_thread().ident or -1)
            running.stack = own_stack(frame) if frame is not None else None
            self._end_now(running, message)

    # --- the watchdog's callbacks (in its thread) --------------------------------------------

    def _running_for(self, deadline: Deadline) -> RunningTest | None:
        running = self.current
        if running is None or running.deadline is not deadline or running.finished:
            return None
        return running

    def _on_warning(self, deadline: Deadline) -> None:
        running = self._running_for(deadline)
        if running is None or deadline.timeout is None or running.session_bound:
            return  # (the session's end is not the test's timeout: nothing to warn about)
        elapsed, past = deadline.elapsed, deadline.expired
        if elapsed >= deadline.timeout and not past:
            return  # a threshold warning come so late that the timeout follows at once
        running.warnings.append((elapsed, past))
        self.config.hook.pytest_tasktiming_timeout_warning(
            item=running.item, elapsed=elapsed, timeout=deadline.timeout, past_limit=past
        )

    def _on_timeout(self, deadline: Deadline) -> None:
        """The test is about to be stopped: keep where it is, for the companion file."""
        running = self._running_for(deadline)
        frame = sys._current_frames().get(deadline.thread_ident or -1)
        if running is not None and frame is not None:
            running.stack = own_stack(frame)

    def _on_stuck(self, deadline: Deadline) -> None:
        """The last resort: the test ignored its timeout. If the process is about to exit,
        leave its row (under xdist, its report) now; else it fails when its phase ends."""
        running = self._running_for(deadline)
        if running is None:
            return
        frame = sys._current_frames().get(deadline.thread_ident or -1)
        running.stack = own_stack(frame) if frame is not None else "(gone)\n"
        message = (
            f"{running.nodeid} is stuck: {deadline.elapsed:.1f}s after it started it is still "
            f"running, past its {deadline.timeout:g}s timeout, and did not stop when told to "
            f"(stuck in C code, or the signal blocked?)\nIts stack:\n{running.stack}"
        )
        os.write(self._stderr, f"\ntasktiming: {message}".encode())  # capture would hide it
        from pytest_tasktiming.timeout import exits_on_stuck

        if exits_on_stuck(deadline):
            self._end_now(running, message)
        else:
            running.unheeded = message

    @pytest.hookimpl(trylast=True)
    def pytest_tasktiming_timeout_warning(
        self, item: pytest.Item, elapsed: float, timeout: float, past_limit: bool
    ) -> bool:
        # An xdist worker's terminal is not seen: the controller shows them as the test ends.
        if self.relay is None:
            self._live.write(warning_text(item.nodeid, elapsed, timeout, past_limit))
        return True


def _their_rule(config: pytest.Config) -> Callable[[pytest.Item, bool], bool]:
    """Whether pytest-timeout times a test, given whether the test (or a parent) has its
    marker."""
    from pytest_tasktiming.plugin.beside_pytest_timeout import applies, times_every_test

    everywhere = times_every_test(config)
    return lambda item, marked: applies(item, everywhere, marked)


_limit_fields = functools.lru_cache(maxsize=64)(limit_fields)
"""A marker's limit as the companion writes it: made once each."""


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
