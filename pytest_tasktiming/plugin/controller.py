"""In the xdist controller: hear of tests from the workers' reports, and of workers' ends.

Registered by the recorder only when xdist's ``dsession`` runs the session.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from pytest_tasktiming._timing import clock
from pytest_tasktiming.plugin.options import PATH_KEY
from pytest_tasktiming.plugin.summary import PHASES
from pytest_tasktiming.plugin.workers import (
    NOTES_KEY,
    ROWS_KEY,
    START_KEY,
    stable_nodeid,
    worker_id,
)

if TYPE_CHECKING:
    from pytest_tasktiming.plugin.recorder import Payload, Recorder


class ControllerHooks:
    """In the controller: hear of tests from the workers' events and reports, tell workers
    the file, take their last rows, and finish the tests of workers that died.

    Registered only when xdist's ``dsession`` runs the session; its own hooks are marked
    ``optionalhook`` anyway, as ``-p no:xdist`` does not know them.
    """

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.settings = recorder.settings
        self.phases: dict[str, list[int]] = {}  # tests under way: setup and call so far

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        # A marker's mode and task are not known here: the started row waits for the setup
        # report, which brings them.
        now, mono = clock.wall_ns(), clock.mono_ns()
        mode, task = self.settings.mode, stable_nodeid(nodeid)
        self.recorder.start(nodeid, mode, task, now, mono, write=False)

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # The phase split comes from the reports xdist sends anyway: no extra bytes per test.
        nodeid, when = report.nodeid, report.when
        if when == "setup":
            self.phases[nodeid] = [round(report.duration * 1e9), 0, 0]
            self.recorder.write_start(nodeid, getattr(report, START_KEY, None))
            return
        phases = self.phases.get(nodeid)
        index = PHASES.get(when)  # xdist's report of a crashed worker says "???"
        if phases is not None and index is not None:
            phases[index] += round(report.duration * 1e9)
        payload: Payload | None = getattr(report, "task_timing", None)
        if payload is not None:
            self.phases.pop(nodeid, None)
            worker = worker_id(getattr(report, "node", None))
            self.recorder.finish(nodeid, payload, worker, phases)

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
