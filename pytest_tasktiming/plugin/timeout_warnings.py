"""A test's timeout warnings: their text, and their place in pytest's warnings summary."""

from __future__ import annotations

import warnings

import pytest

from pytest_tasktiming._durations import format_seconds
from pytest_tasktiming.exceptions import TaskTimeoutWarning
from pytest_tasktiming.plugin.running import RunningTest


def warning_text(nodeid: str, elapsed: float, timeout: float, past: bool) -> str:
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
