"""Time every test and task into an append-only TSV file, stop runaways, catch failure streaks.

PYTEST_DONT_REWRITE: the package holds no test asserts, and pytest 9.2 otherwise warns that an
editable install's plugin was imported before it could be rewritten.

Public names are imported on first use (PEP 562): pytest imports this package for its plugin
in every session, and a session that never enables it should not pay for asyncio, the
decorators or ``importlib.metadata``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_tasktiming.decorators import set_recording, timed, timed_task
    from pytest_tasktiming.exceptions import (
        FailureLimitExceeded,
        FormatError,
        TaskTimeoutError,
        TaskTimeoutWarning,
        TaskTimingWarning,
        WriteFailedError,
    )
    from pytest_tasktiming.records import TaskRow, fold, read_rows
    from pytest_tasktiming.streaks import CommandFailureTracker
    from pytest_tasktiming.timeout import TimeoutEnforcer
    from pytest_tasktiming.writer import AsyncBufferedWriter

    __version__: str

_HOMES = {
    "AsyncBufferedWriter": "writer",
    "CommandFailureTracker": "streaks",
    "FailureLimitExceeded": "exceptions",
    "FormatError": "exceptions",
    "TaskRow": "records",
    "TaskTimeoutError": "exceptions",
    "TaskTimeoutWarning": "exceptions",
    "TaskTimingWarning": "exceptions",
    "TimeoutEnforcer": "timeout",
    "WriteFailedError": "exceptions",
    "fold": "records",
    "read_rows": "records",
    "set_recording": "decorators",
    "timed": "decorators",
    "timed_task": "decorators",
}

__all__ = [
    "AsyncBufferedWriter",
    "CommandFailureTracker",
    "FailureLimitExceeded",
    "FormatError",
    "TaskRow",
    "TaskTimeoutError",
    "TaskTimeoutWarning",
    "TaskTimingWarning",
    "TimeoutEnforcer",
    "WriteFailedError",
    "__version__",
    "fold",
    "read_rows",
    "set_recording",
    "timed",
    "timed_task",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        value: Any = _version()
    elif name in _HOMES:
        value = getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pytest-tasktiming")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0.0.0"
