"""The floor for ``pytest --task-timing``: the least a plugin doing its job could cost.

Per test a ``started`` row and a final row through our writer, a deadline with the default
timeout, and the outcome and duration folded from the three reports; nothing else (no
markers, no summary, no streaks, no xdist, no hooks for other plugins). Loaded by
``pytest_overhead.py`` as ``-p bare_bones_plugin``, to show how far our plugin is above it.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from pytest_tasktiming._timing import clock
from pytest_tasktiming.records import new_task_id
from pytest_tasktiming.timeout import DeadlineOptions, register
from pytest_tasktiming.writer import AsyncBufferedWriter

OPTIONS = DeadlineOptions(0.8, enforce=True)


class BareBones:
    def __init__(self, path: str) -> None:
        self.writer = AsyncBufferedWriter(path, buffer_size=256, flush_interval=0.5)
        self.running: list[Any] | None = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> None:
        nodeid, task_id = item.nodeid, new_task_id()
        wall, mono = clock.wall_ns(), clock.mono_ns()
        deadline = register(nodeid, 3600.0, None, OPTIONS)
        self.writer.put((wall, "pytest", task_id, wall, None, None, nodeid, "started"))
        self.running = [item.location, nodeid, task_id, wall, mono, deadline, 0, None]

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        running = self.running
        if running is None or report.location is not running[0]:
            return
        running[6] += round(report.duration * 1e9)
        if report.outcome == "failed":
            running[7] = "failed"
        elif report.when == "call" and running[7] is None:
            running[7] = "passed"
        if report.when == "teardown":
            running[5].cancel()
            _, nodeid, task_id, start, mono, _, duration, result = running
            end = start + clock.mono_ns() - mono
            self.writer.put((end, "pytest", task_id, start, end, duration, nodeid, result))
            self.running = None

    def pytest_unconfigure(self) -> None:
        self.writer.close()


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(BareBones(os.environ["TASK_TIMING_FILE"]), "bare-bones-runner")
