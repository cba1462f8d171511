"""pytest-xdist plumbing: workers measure and send plain data; the controller alone writes.

Workers (local or remote ``--tx``) share neither the disk nor the clock with the controller,
so everything they know travels inside the test reports (``report.task_timing``, see
``_runner.Runner``) and, for rows produced after the last test, in ``workeroutput``.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import pytest

from pytest_tasktiming import writer
from pytest_tasktiming.companion import CompanionWriter, companion_path, stand_in
from pytest_tasktiming.records import RawRow
from pytest_tasktiming.shared_writers import redirect

ROWS_KEY = "tasktiming_rows"
"""``workeroutput`` key: rows of decorated code produced after the worker's last report."""
START_KEY = "task_timing_start"
"""Attribute of a setup report: ``(mode, task)`` of a test with a marker of its own."""
NOTES_KEY = "tasktiming_notes"
"""``workeroutput`` key: companion lines (limits, messages, stacks) since the last report."""


def stop_session(session: pytest.Session, reason: str) -> None:
    """Stop after the current test, like ``-x``; under xdist, tell the controller's loop."""
    session.shouldfail = reason
    dsession = session.config.pluginmanager.get_plugin("dsession")
    if dsession is not None and not dsession.shouldstop:
        dsession.shouldstop = reason  # xdist's own -x uses this flag; it ignores shouldfail


class _Collected:
    """Stands in for a writer in a worker: what is queued waits in memory for the reports.

    Appending to a deque and ``take`` popping one by one are atomic under the GIL, so a row
    written by a thread while the report is built is sent now or with the next one.
    """

    _items: deque[Any]

    def flush(self) -> None:
        """Nothing to write: the rows leave with the next report."""

    def close(self) -> None:
        """Nothing to close: the controller writes the file."""

    def take(self) -> list[Any]:
        """Remove and return what was collected so far."""
        items = self._items
        taken: list[Any] = []
        while items:
            taken.append(items.popleft())
        return taken


class RowCollector(_Collected, writer.AsyncBufferedWriter):
    """Stands in for the session file's shared writer: its rows."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self._items = deque()

    def put(self, raw: RawRow) -> None:
        self._items.append(raw)


class LineCollector(_Collected, CompanionWriter):
    """Stands in for the session file's companion writer: its lines."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self._items = deque()

    def add(self, line: str) -> None:
        self._items.append(line)


class WorkerRelay:
    """In a worker: collects rows (and companion lines) of decorated code for the reports and
    for ``workeroutput``."""

    def __init__(self, config: pytest.Config, path: str) -> None:
        self.config = config
        self.path = path
        self.collector = RowCollector(path)
        self.notes = LineCollector(companion_path(path))
        redirect(path, self.collector)
        stand_in(self.collector, self.notes)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self) -> None:
        workeroutput: dict[str, Any] = self.config.workeroutput  # type: ignore[attr-defined]
        workeroutput[ROWS_KEY] = self.collector.take()
        workeroutput[NOTES_KEY] = self.notes.take()

    def pytest_unconfigure(self) -> None:
        redirect(self.path, None)


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
