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
from pytest_tasktiming.companion.lines import (
    limit_fields,
    process_line,
    process_prefix,
    worker_line,
)
from pytest_tasktiming.exceptions import WriteFailedError
from pytest_tasktiming.plugin import summary as _summary
from pytest_tasktiming.plugin.settings import Settings
from pytest_tasktiming.plugin.terminal import own_line, warning_text
from pytest_tasktiming.plugin.workers import (
    stable_nodeid,
    stop_session,
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
and ``rows`` (of decorated code, from an xdist worker). See ``_runner.Runner._payload``.
"""


class _Started:
    """A test whose final row is not written yet; ``written``: its ``started`` row is.

    A plain slotted class: a dataclass would cost every recording session's start-up.
    """

    __slots__ = ("mode", "mono_ns", "task", "task_id", "wall_ns", "written")

    def __init__(
        self, task_id: str, wall_ns: int, mono_ns: int, mode: str, task: str, *, written: bool
    ) -> None:
        self.task_id = task_id
        self.wall_ns = wall_ns
        self.mono_ns = mono_ns
        self.mode = mode
        self.task = task
        self.written = written


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
        self.stats = _summary.SessionStats(settings.slowest, settings.slowest_min)
        self.write_error: str | None = None
        self.outcome: _summary.Outcome | None = None
        self._pending: dict[str, _Started] = {}
        self._offsets: dict[str, int] = {}
        self._row_hook = config.hook.pytest_tasktiming_row
        self._row_hooked = False
        self._session: pytest.Session | None = None

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self._session = session

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self) -> None:
        # Decided once, after conftest files (which may implement it) are loaded.
        self._row_hooked = len(self._row_hook.get_hookimpls()) > 1

    def start(
        self,
        nodeid: str,
        mode: str,
        task: str,
        wall: int,
        mono: int,
        *,
        write: bool = True,
        fields: str | None = None,
    ) -> None:
        """Note a test's start at ``wall`` (ns since the epoch) and ``mono``; write its
        ``started`` row now, or with ``write=False`` at ``write_start``.

        The companion file gets the session's limit once, for every test of this process
        (a ``process_line``), and a test's own only when it has one (``fields``, from
        ``companion.limit_fields``: a marker's), or a mode of its own.
        """
        task_id = new_task_id()
        self._pending[nodeid] = _Started(task_id, wall, mono, mode, task, written=write)
        if self._process is None or not task_id.startswith(self._process):
            self._process = process_prefix(task_id)
            self.notes.add(process_line(task_id, self.settings.mode, self.fields))
        if write:
            self._put((wall, mode, task_id, wall, None, None, task, STARTED))
            if fields is not None or mode != self.settings.mode:
                self.notes.add(limit_line(task_id, fields or self.fields))

    def write_start(self, nodeid: str, own: tuple[str, str] | None) -> None:
        """Write the ``started`` row held back by ``start``, with the marker's mode and task
        (a marker's limit comes with the test's end, see ``_note_end``)."""
        started = self._pending.get(nodeid)
        if started is not None and not started.written:
            if own is not None:
                started.mode, started.task = own
                if started.mode != self.settings.mode:
                    self.notes.add(limit_line(started.task_id, self.fields))
            self._write_start(started)

    def _write_start(self, started: _Started) -> None:
        started.written = True
        wall, mode, task = started.wall_ns, started.mode, started.task
        self._put((wall, mode, started.task_id, wall, None, None, task, STARTED))

    def finish(
        self,
        nodeid: str,
        payload: Payload,
        worker: str = "",
        phases: Sequence[int] | None = None,
    ) -> None:
        """Write a test's final row from the runner's payload (see ``Payload``).

        :param phases: the setup, call and teardown durations, for the slowest list.
        """
        duration, span, start_wall, result, extras = payload
        started = self._pending.pop(nodeid, None)
        if started is None:  # no start seen (a plugin re-running the test): no started row
            now = clock.wall_ns()
            started = _Started(
                new_task_id(),
                now - duration,
                0,
                self.settings.mode,
                stable_nodeid(nodeid),
                written=True,
            )
        mode, task = started.mode, started.task
        if extras is not None:
            mode, task = extras.get("mode", mode), extras.get("task", task)
        self._finish(started, duration, span, result, mode=mode, task=task, phases=phases)
        if worker:  # the worker's wall clock, moved onto ours by this test's start
            self._offsets[worker] = started.wall_ns - start_wall
        if extras is None:
            if worker:
                self.notes.add(worker_line(started.task_id, worker))
            return
        timeout = extras.get("warned")
        if timeout is not None:
            for elapsed, past in extras.get("warnings", ()):  # a worker's, as the test ends
                text = warning_text(nodeid, elapsed, timeout, past)
                own_line(self.config, f"tasktiming: {text}")
            if result != TIMEOUT:
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
        if fields is not None:  # known only in the worker: a marker's limit
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

    def _finish(
        self,
        started: _Started,
        duration: int,
        span: int,
        result: str,
        *,
        mode: str,
        task: str,
        phases: Sequence[int] | None = None,
    ) -> None:
        """The final row: ``duration`` as pytest counts it, ``span`` from start to end."""
        if not started.written:  # its worker died, or the test was stuck, before its setup ended
            self._write_start(started)
        start, end = started.wall_ns, started.wall_ns + span
        # The row is produced as the test ends: its timestamp is its end time, which also
        # lets the writer reuse that text instead of reading the clock and formatting again.
        self._put((end, mode, started.task_id, start, end, duration, task, result))
        stats = self.stats
        stats.add(task, result, duration, phases)
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

    @pytest.hookimpl(trylast=True)
    def pytest_tasktiming_row(self, row: TaskRow) -> TaskRow:
        return row

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self) -> None:
        for started in self._pending.values():  # interrupted during its setup, under xdist
            if not started.written:
                self._write_start(started)
        try:
            self.writer.flush()
            self.notes.flush()
        except WriteFailedError as error:
            self.write_error = str(error)
        self._count_not_started()
        self.outcome = outcome = self._outcome()
        if self.settings.summary_files:
            from pytest_tasktiming.plugin import step_summary

            head = _summary.head(outcome.rows, self.settings.path, self.config.rootpath)
            text = step_summary.markdown(self.stats, outcome, head)
            errors = step_summary.append(self.settings.summary_files, text)
            if errors:
                problems = "; ".join([*filter(None, [self.write_error]), *errors])
                self.outcome = outcome._replace(write_error=problems)

    def _count_not_started(self) -> None:
        """After the session's limit: how many collected tests never ran."""
        limit, session = self.session_limit, self._session
        if limit is not None and session is not None and limit.left() <= 0:
            left = session.testscollected - self.stats.results.total()
            if left > 0:
                self.stats.session_limit, self.stats.not_started = limit.reason, left

    def _outcome(self) -> _summary.Outcome:
        """The counts and history the summaries show, read once."""
        candidates = self.stats.streak_candidates
        failing: list[tuple[str, int]] = []
        regressions: list[str] = []
        if candidates:  # the file is read back only when a test failed or was skipped
            from pytest_tasktiming.plugin import streak_history as _history

            history = _history.histories(self.settings.path, candidates)
            failing, regressions = _history.failing_streaks(history), _history.regressions(history)
        writer = self.writer
        note = None
        if writer.overflow_writes or writer.dropped_rows:
            note = (
                f"{writer.overflow_writes} rows written synchronously (queue full), "
                f"{writer.dropped_rows} rows dropped"
            )
        return _summary.Outcome(
            rows=writer.rows_written,
            failing=failing,
            regressions=regressions,
            writer_note=note,
            write_error=self.write_error,
        )

    def _close(self) -> None:
        redirect(self.settings.path, None)
        for writer in (self.writer, self.notes):
            try:
                writer.close()
            except WriteFailedError as error:
                print(f"tasktiming: {error}", file=sys.stderr)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        outcome = self.outcome or self._outcome()
        _summary.write(terminalreporter, self.stats, self.settings, outcome)
