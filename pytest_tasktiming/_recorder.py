"""Writes the test rows: a ``started`` row when a test begins, a final row when it ends.

Runs in the process that owns the file: the only one without xdist, the controller with it.
It learns what each test did from the plain data the runner put in its last report
(``report.task_timing``, see ``plugin.Runner``), so both cases take one path.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from . import _history, _summary
from ._timing import clock
from ._xdist import ControllerHooks, stable_nodeid, stop_session, worker_id
from .exceptions import WriteFailedError
from .records import STARTED, TIMEOUT, RawRow, TaskRow, new_task_id
from .settings import Settings
from .writer import shared_writer

if TYPE_CHECKING:
    from .plugin import Runner

ERROR = "error"
_UTC = _dt.timezone.utc
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_UTC)


@dataclass(slots=True)
class _Started:
    task_id: str
    wall_ns: int
    mono_ns: int
    mode: str
    task: str


class Recorder:
    """Turns logstart and the last report of each test into rows, and keeps the tallies."""

    def __init__(self, config: pytest.Config, settings: Settings, runner: Runner) -> None:
        self.config = config
        self.settings = settings
        self.runner = runner  # in this process: knows a marker's mode and task at logstart
        self.writer = shared_writer(settings.path)
        self.stats = _summary.SessionStats()
        self.streak: list[str] = []
        self.write_error: str | None = None
        self._pending: dict[str, _Started] = {}
        self._offsets: dict[str, int] = {}
        self._row_hook = config.hook.pytest_tasktiming_row
        self._session: pytest.Session | None = None
        config.pluginmanager.register(ControllerHooks(self), "tasktiming-controller")

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self._session = session

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        mode, task = self.settings.mode, stable_nodeid(nodeid)
        running = self.runner.current
        if running is not None and running.nodeid == nodeid:
            mode, task = running.settings.mode, running.task
        wall = clock.wall_ns()
        started = self._pending[nodeid] = _Started(new_task_id(), wall, clock.mono_ns(), mode, task)
        self._put((wall, mode, started.task_id, wall, None, None, task, STARTED))

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        payload: dict[str, Any] | None = getattr(report, "task_timing", None)
        if payload is None or "result" not in payload:
            return
        duration: int = payload["ns"]
        started = self._pending.pop(report.nodeid, None)
        if started is None:  # a report without logstart (a plugin re-running the test)
            now = clock.wall_ns()
            started = _Started(new_task_id(), now - duration, 0, self.settings.mode, "")
        task = payload["task"] or started.task or stable_nodeid(report.nodeid)
        self._finish(started, duration, payload["result"], mode=payload["mode"], task=task)
        self.stats.note(task, payload)
        worker = worker_id(getattr(report, "node", None))
        if worker:  # the worker's wall clock, moved onto ours by this test's start
            self._offsets[worker] = started.wall_ns - payload["start_wall"]
        if payload.get("rows"):
            self.relay(payload["rows"], worker)

    def finish_crashed(self, nodeid: str, reason: str) -> None:
        """Write the final row of a test whose worker died while running it."""
        started = self._pending.pop(nodeid, None)
        if started is None:  # already finished, e.g. by the stuck-test last resort
            return
        duration = clock.mono_ns() - started.mono_ns
        timeout = self.settings.timeout
        result = TIMEOUT if timeout is not None and duration >= timeout * 1e9 else ERROR
        self._finish(started, duration, result, mode=started.mode, task=started.task)

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
        self, started: _Started, duration: int, result: str, *, mode: str, task: str
    ) -> None:
        end = started.wall_ns + duration
        raw = (clock.wall_ns(), mode, started.task_id, started.wall_ns, end, duration, task, result)
        self._put(raw)
        self.stats.add(task, result, duration)
        self._count_streak(task, result)

    def _put(self, raw: RawRow) -> None:
        if len(self._row_hook.get_hookimpls()) > 1:  # more than our own trylast one
            raw = self._row_hook(config=self.config, row=row_from_raw(raw)).to_raw()
        self.writer.put(raw)
        self.stats.rows += 1

    def _count_streak(self, task: str, result: str) -> None:
        if result in _summary.FAILING:
            self.streak.append(task)
        elif result != "skipped":
            self.streak.clear()
        limit = self.settings.max_streak
        session = self._session
        if limit and len(self.streak) >= limit and session is not None and not session.shouldfail:
            stop_session(
                session,
                f"tasktiming: stopping after {len(self.streak)} consecutive failing tests "
                f"(max streak {limit})",
            )

    @pytest.hookimpl(trylast=True)
    def pytest_tasktiming_row(self, row: TaskRow) -> TaskRow:
        return row

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self) -> None:
        try:
            self.writer.flush()
        except WriteFailedError as error:
            self.write_error = str(error)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        failing = _history.failing_streaks(self.settings.path, self.stats.tasks)
        _summary.write(terminalreporter, self, failing)


def row_from_raw(raw: RawRow) -> TaskRow:
    """The typed row for a raw one (the row hook's argument)."""
    timestamp, mode, task_id, start, end, duration, task, result = raw
    return TaskRow(
        timestamp=_moment(timestamp),
        mode=mode,
        task_id=task_id,
        start_time=_moment(start),
        end_time=None if end is None else _moment(end),
        duration=None if duration is None else duration / 1e9,
        task=task,
        result=result,
    )


def _moment(ns: int) -> _dt.datetime:
    return _EPOCH + _dt.timedelta(microseconds=ns // 1000)
