"""Writes the test rows: a ``started`` row when a test begins, a final row when it ends.

Runs in the process that owns the file: the only one without xdist, the controller with it.
It learns what each test did from the plain data of the runner (``_runner.Runner``): handed
over directly in a single process, inside the test's last report from an xdist worker.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import pytest

from pytest_tasktiming._timing import clock
from pytest_tasktiming.companion import companion_of, end_line, limit_line
from pytest_tasktiming.companion.lines import limit_fields, process_line, process_prefix
from pytest_tasktiming.exceptions import WriteFailedError
from pytest_tasktiming.plugin import summary as _summary
from pytest_tasktiming.plugin.options import PATH_KEY
from pytest_tasktiming.plugin.settings import Settings
from pytest_tasktiming.plugin.workers import (
    NOTES_KEY,
    ROWS_KEY,
    stable_nodeid,
    stop_session,
    worker_id,
)
from pytest_tasktiming.records import STARTED, TIMEOUT, RawRow, new_task_id
from pytest_tasktiming.shared_writers import redirect
from pytest_tasktiming.writer import AsyncBufferedWriter

if TYPE_CHECKING:
    from pytest_tasktiming.plugin.session_limit import SessionLimit
    from pytest_tasktiming.records import TaskRow

ERROR = "error"
SESSION_BUFFER = 256
"""Rows the session's writer collects before it writes: one locked append per 128 tests."""
SESSION_FLUSH = 0.5
"""Seconds a row may wait at most: a killed run loses no more than that."""


Payload = tuple[int, int, int, str, "dict[str, Any] | None"]
"""What the runner tells of a finished test: (duration, span, start_wall, result, extras).

Durations in nanoseconds; ``start_wall`` on the runner's wall clock; ``extras`` None, or any
of ``mode`` and ``task`` (a marker's), ``warned`` (the timeout whose threshold the test passed)
and ``rows`` (of decorated code, from an xdist worker). See ``runner.Runner._payload``.
"""


class _Started:
    """A test whose ``started`` row is written and whose final row is not, yet."""

    __slots__ = ("mode", "mono_ns", "task", "task_id", "wall_ns")

    def __init__(self, task_id: str, wall_ns: int, mono_ns: int, mode: str, task: str) -> None:
        self.task_id = task_id
        self.wall_ns = wall_ns
        self.mono_ns = mono_ns
        self.mode = mode
        self.task = task


class Recorder:
    """Turns logstart and the last report of each test into rows, and keeps the tallies."""

    def __init__(
        self, config: pytest.Config, settings: Settings, session_limit: SessionLimit | None = None
    ) -> None:
        self.config = config
        self.settings = settings
        self.session_limit = session_limit
        # The session's own writer, batching more than the default; decorated code in the
        # tests gets it too, as the shared writer for the file.
        os.makedirs(os.path.dirname(settings.path), exist_ok=True)
        self.writer = AsyncBufferedWriter(
            settings.path, buffer_size=SESSION_BUFFER, flush_interval=SESSION_FLUSH
        )
        redirect(settings.path, self.writer)
        # What a row cannot hold: each test's limit, a failure's message, a timeout's stack.
        self.notes = companion_of(self.writer)
        self.fields = limit_fields(settings.timeout, settings.warning_threshold, settings.enforce)
        self._process: str | None = None  # the task id prefix whose limit is on file
        config.add_cleanup(self._close)
        self.stats = _summary.SessionStats()
        self.write_error: str | None = None
        self._pending: dict[str, _Started] = {}
        self._offsets: dict[str, int] = {}
        self._row_hook = config.hook.pytest_tasktiming_row
        self._row_hooked = False
        self._session: pytest.Session | None = None

    @pytest.hookimpl(tryfirst=True)  # before xdist's starts the workers
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self._session = session
        if session.config.pluginmanager.has_plugin("dsession"):
            # Tests run in xdist workers: their reports are how we hear of them.
            session.config.pluginmanager.register(ControllerHooks(self), "tasktiming-controller")

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self) -> None:
        # Decided once, after conftest files (which may implement it) are loaded.
        self._row_hooked = len(self._row_hook.get_hookimpls()) > 1

    def start(
        self, nodeid: str, mode: str, task: str, wall: int, mono: int, *, fields: str | None = None
    ) -> None:
        """Write a test's ``started`` row; it began at ``wall`` (ns since the epoch), ``mono``.

        The companion file gets the session's limit once, for every test of this process
        (a ``process_line``), and a test's own only when it has one (``fields``, from
        ``companion.limit_fields``: a marker's, or the session's end), or a mode of its own.
        """
        task_id = new_task_id()
        self._pending[nodeid] = _Started(task_id, wall, mono, mode, task)
        self._put((wall, mode, task_id, wall, None, None, task, STARTED))
        if self._process is None or not task_id.startswith(self._process):
            self._process = process_prefix(task_id)
            self.notes.add(process_line(task_id, self.settings.mode, self.fields))
        if fields is not None or mode != self.settings.mode:
            self.notes.add(limit_line(task_id, fields or self.fields))

    def finish(self, nodeid: str, payload: Payload, worker: str = "") -> None:
        """Write a test's final row from the runner's payload (see ``Payload``)."""
        duration, span, start_wall, result, extras = payload
        started = self._pending.pop(nodeid, None)
        if started is None:  # no start seen (a plugin re-running the test): no started row
            now = clock.wall_ns()
            started = _Started(
                new_task_id(), now - duration, 0, self.settings.mode, stable_nodeid(nodeid)
            )
        mode, task = started.mode, started.task
        if extras is not None:
            mode, task = extras.get("mode", mode), extras.get("task", task)
        self._finish(started, duration, span, result, mode=mode, task=task)
        if worker:  # the worker's wall clock, moved onto ours by this test's start
            self._offsets[worker] = started.wall_ns - start_wall
        if extras is None:
            if worker:
                self._note_end(started.task_id, {}, worker)
            return
        timeout = extras.get("warned")
        if timeout is not None and result != TIMEOUT:
            self.stats.over_threshold.append((task, duration, timeout))
        if extras.get("session") and self.session_limit is not None and self._session is not None:
            stop_session(self._session, f"tasktiming: {self.session_limit.reason}")
        self._note_end(started.task_id, extras, worker)
        if extras.get("rows"):
            self.relay(extras["rows"], worker)
        for line in extras.get("notes", ()):  # of decorated code, from a worker
            self.notes.add(line)

    def _note_end(self, task_id: str, extras: dict[str, Any], worker: str) -> None:
        """The companion's line of what the test's end told (see ``Runner._payload``)."""
        fields = extras.get("fields")
        if fields is not None:  # known only in the worker: a marker's limit, the session's end
            self.notes.add(limit_line(task_id, fields))
        line = end_line(
            task_id,
            message=extras.get("message"),
            stack=extras.get("stack"),
            worker=worker or None,
        )
        if line is not None:
            self.notes.add(line)

    def finish_crashed(self, nodeid: str, reason: str, worker: str) -> bool:
        """Write the final row of a test whose worker died while running it; False when its
        worker had reported it already (ending it on purpose, see ``Runner._on_stuck``)."""
        started = self._pending.pop(nodeid, None)
        if started is None:
            return False
        duration = clock.mono_ns() - started.mono_ns
        timeout = self.settings.timeout
        result = TIMEOUT if timeout is not None and duration >= timeout * 1e9 else ERROR
        self._finish(started, duration, duration, result, mode=started.mode, task=started.task)
        self._note_end(started.task_id, {"message": reason}, worker)
        return True

    def relay(self, rows: Iterable[Sequence[Any]], worker: str) -> None:
        """Write rows of decorated code that a worker collected, on this process's clock."""
        offset = self._offsets.get(worker, 0)
        put = self.writer.put
        for timestamp, mode, task_id, start, end, duration, task, result in rows:
            put(
                (
                    timestamp + offset,
                    mode,
                    task_id,
                    start + offset,
                    None if end is None else end + offset,
                    duration,
                    task,
                    result,
                )
            )
            self.stats.rows += 1

    def _finish(
        self, started: _Started, duration: int, span: int, result: str, *, mode: str, task: str
    ) -> None:
        """The final row: ``duration`` as pytest counts it, ``span`` from start to end."""
        start, end = started.wall_ns, started.wall_ns + span
        # The row is produced as the test ends: its timestamp is its end time, which also
        # lets the writer reuse that text instead of reading the clock and formatting again.
        self._put((end, mode, started.task_id, start, end, duration, task, result))
        stats = self.stats
        stats.add(task, result, duration)
        limit = self.settings.max_streak
        session = self._session
        if limit and stats.streak >= limit and session is not None and not session.shouldfail:
            stop_session(
                session,
                f"tasktiming: stopping after {stats.streak} consecutive failing tests "
                f"(max streak {limit})",
            )

    def _put(self, raw: RawRow) -> None:
        if self._row_hooked:  # someone besides our own trylast implementation
            from pytest_tasktiming.records import TaskRow  # only then: its class costs start-up

            raw = self._row_hook(config=self.config, row=TaskRow.from_raw(raw)).to_raw()
        self.writer.put(raw)
        self.stats.rows += 1

    @pytest.hookimpl(trylast=True)
    def pytest_tasktiming_row(self, row: TaskRow) -> TaskRow:
        return row

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self) -> None:
        try:
            self.writer.flush()
            self.notes.flush()
        except WriteFailedError as error:
            self.write_error = str(error)

    def _close(self) -> None:
        redirect(self.settings.path, None)
        for writer in (self.writer, self.notes):
            try:
                writer.close()
            except WriteFailedError as error:
                print(f"tasktiming: {error}", file=sys.stderr)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        limit, session = self.session_limit, self._session
        if limit is not None and session is not None and limit.left() <= 0:
            left = session.testscollected - self.stats.results.total()
            if left > 0:
                self.stats.session_limit, self.stats.not_started = limit.reason, left
        candidates = self.stats.streak_candidates
        failing: list[tuple[str, int]] = []
        if candidates:  # the file is read back only when a test failed or was skipped
            from pytest_tasktiming.plugin.streak_history import failing_streaks

            failing = failing_streaks(self.settings.path, candidates)
        _summary.write(
            terminalreporter,
            self.stats,
            self.settings,
            self.writer,
            failing=failing,
            write_error=self.write_error,
        )


class ControllerHooks:
    """In the controller: hear of tests from the workers' events and reports, tell workers
    the file, take their last rows, and finish the tests of workers that died.

    Registered only when xdist's ``dsession`` runs the session; its own hooks are marked
    ``optionalhook`` anyway, as ``-p no:xdist`` does not know them.
    """

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.settings = recorder.settings

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        # A marker's mode and task are not known here: they arrive with the final report.
        now, mono = clock.wall_ns(), clock.mono_ns()
        self.recorder.start(nodeid, self.settings.mode, stable_nodeid(nodeid), now, mono)

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        payload: Payload | None = getattr(report, "task_timing", None)
        if payload is not None:
            self.recorder.finish(report.nodeid, payload, worker_id(getattr(report, "node", None)))

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[PATH_KEY] = self.settings.path
        if self.recorder.session_limit is not None:
            self.recorder.session_limit.tell(node)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        workeroutput: dict[str, Any] = getattr(node, "workeroutput", {})
        rows = workeroutput.get(ROWS_KEY)
        if rows:
            self.recorder.relay(rows, worker_id(node))
        for line in workeroutput.get(NOTES_KEY, ()):
            self.recorder.notes.add(line)

    @pytest.hookimpl(optionalhook=True)
    def pytest_handlecrashitem(self, crashitem: str, report: pytest.TestReport) -> None:
        worker = worker_id(getattr(report, "node", None))
        if not self.recorder.finish_crashed(crashitem, str(report.longrepr), worker):
            # Its worker reported the test's failure before it exited: xdist's report of the
            # crash would list it a second time, so it becomes the test's closing report.
            report.outcome, report.when, report.longrepr = "passed", "teardown", None
