"""Time every test and task into an append-only TSV file, stop runaways, catch failure streaks.

PYTEST_DONT_REWRITE: the package holds no test asserts, and pytest 9.2 otherwise warns that an
editable install's plugin was imported before it could be rewritten.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .decorators import set_recording, timed, timed_task
from .exceptions import (
    FailureLimitExceeded,
    FormatError,
    TaskTimeoutError,
    TaskTimeoutWarning,
    TaskTimingWarning,
    WriteFailedError,
)
from .records import TaskRow, fold, read_rows
from .streaks import CommandFailureTracker
from .timeout import TimeoutEnforcer
from .writer import AsyncBufferedWriter

try:
    __version__ = version("pytest-tasktiming")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

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
