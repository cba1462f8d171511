"""A test's timeout warnings in pytest's warnings summary (loaded only when a test warned)."""

from __future__ import annotations

import warnings

import pytest

from pytest_tasktiming.exceptions import TaskTimeoutWarning
from pytest_tasktiming.plugin.running import RunningTest
from pytest_tasktiming.plugin.terminal import warning_text


def record_warnings(config: pytest.Config, running: RunningTest) -> None:
    """List the warnings in pytest's warnings summary (under xdist, the controller's)."""
    timeout = running.limit
    if timeout is None:
        return
    item = running.item
    path, line, _ = item.location
    for elapsed, past in running.warnings:
        message = TaskTimeoutWarning(warning_text(item.nodeid, elapsed, timeout, past))
        config.hook.pytest_warning_recorded.call_historic(
            kwargs={
                "warning_message": warnings.WarningMessage(
                    message, TaskTimeoutWarning, str(item.path), (line or 0) + 1
                ),
                "when": "runtest",
                "nodeid": item.nodeid,
                "location": (path, line, item.name),
            }
        )
