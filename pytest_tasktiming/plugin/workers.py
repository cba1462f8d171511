"""pytest-xdist plumbing: workers measure and send plain data; the controller alone writes.

Workers (local or remote ``--tx``) share neither the disk nor the clock with the controller,
so everything they know travels inside the test reports (``report.task_timing``, see
``_runner.Runner``) and, for rows produced after the last test, in ``workeroutput``.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

import pytest

from pytest_tasktiming import writer
from pytest_tasktiming._timing import clock
from pytest_tasktiming.records import RawRow
from pytest_tasktiming.shared_writers import redirect

if TYPE_CHECKING:
    from pytest_tasktiming.plugin.recorder import Payload, Recorder

PATH_KEY = "tasktiming_path"
ROWS_KEY = "tasktiming_rows"


def is_worker(config: pytest.Config) -> bool:
    """True in an xdist worker process (it has ``workerinput``)."""
    return hasattr(config, "workerinput")


def worker_path(config: pytest.Config) -> str | None:
    """The file the controller writes, as it told this worker (None outside workers)."""
    workerinput: dict[str, Any] = getattr(config, "workerinput", {})
    path = workerinput.get(PATH_KEY)
    return path if isinstance(path, str) else None


def stop_session(session: pytest.Session, reason: str) -> None:
    """Stop after the current test, like ``-x``; under xdist, tell the controller's loop."""
    session.shouldfail = reason
    dsession = session.config.pluginmanager.get_plugin("dsession")
    if dsession is not None and not dsession.shouldstop:
        dsession.shouldstop = reason  # xdist's own -x uses this flag; it ignores shouldfail


class RowCollector(writer.AsyncBufferedWriter):
    """Stands in for the session file's shared writer in a worker: rows wait in memory.

    ``put`` is a ``deque.append`` and ``take`` pops one by one, both atomic under the GIL, so
    a row written by a thread while the report is built is sent now or with the next one.
    """

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self._rows: deque[RawRow] = deque()

    def put(self, raw: RawRow) -> None:
        self._rows.append(raw)

    def flush(self) -> None:
        """Nothing to write: the rows leave with the next report."""

    def close(self) -> None:
        """Nothing to close: the controller writes the file."""

    def take(self) -> list[RawRow]:
        """Remove and return the rows collected so far."""
        rows = self._rows
        taken: list[RawRow] = []
        while rows:
            taken.append(rows.popleft())
        return taken


class WorkerRelay:
    """In a worker: collects rows of decorated code for the reports and for ``workeroutput``."""

    def __init__(self, config: pytest.Config, path: str) -> None:
        self.config = config
        self.path = path
        self.collector = RowCollector(path)
        redirect(path, self.collector)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self) -> None:
        workeroutput: dict[str, Any] = self.config.workeroutput  # type: ignore[attr-defined]
        workeroutput[ROWS_KEY] = self.collector.take()

    def pytest_unconfigure(self) -> None:
        redirect(self.path, None)


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
        node.workerinput[PATH_KEY] = self.recorder.settings.path

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        workeroutput: dict[str, Any] = getattr(node, "workeroutput", {})
        rows = workeroutput.get(ROWS_KEY)
        if rows:
            self.recorder.relay(rows, worker_id(node))

    @pytest.hookimpl(optionalhook=True)
    def pytest_handlecrashitem(self, crashitem: str, report: pytest.TestReport) -> None:
        self.recorder.finish_crashed(crashitem, str(report.longrepr))


def worker_id(node: object) -> str:
    """The worker's gateway id (``gw0``), or "" for a report made in this process."""
    gateway = getattr(node, "gateway", None)
    return str(getattr(gateway, "id", "")) if gateway is not None else ""


def stable_nodeid(nodeid: str) -> str:
    """``nodeid`` without the ``@group`` suffix ``--dist loadgroup`` appends.

    The suffix follows the test's own id, which for a parametrized test ends in ``]``; an ``@``
    inside the brackets is part of the parameters and stays.
    """
    if "@" not in nodeid:
        return nodeid
    head, at, group = nodeid.rpartition("@")
    if at and "]" not in group and "::" not in group and "/" not in group:
        return head
    return nodeid
