"""The errors and warnings users catch, each under the builtin they would expect.

Facts are attributes, and every exception pickles with them intact: they cross process
boundaries under pytest-xdist and process pools.
"""

from __future__ import annotations

import errno


class TaskTimeoutError(TimeoutError):
    """A task ran past its timeout and was stopped in its own code.

    ``reason`` says which limit it reached when it is not the task's own (the session's).
    """

    def __init__(
        self, task: str, timeout: float, elapsed: float, reason: str | None = None
    ) -> None:
        super().__init__(task, timeout, elapsed, *(() if reason is None else (reason,)))
        self.task = task
        self.timeout = timeout
        self.elapsed = elapsed
        self.reason = reason

    def __str__(self) -> str:
        text = f"task {self.task!r} timed out after {self.elapsed:.3f}s"
        return f"{text}: {self.reason}" if self.reason else f"{text} (timeout {self.timeout:g}s)"


class FailureLimitExceeded(RuntimeError):
    """A task failed ``limit`` times in a row; raised from the last failure to stop retry loops."""

    def __init__(self, command: str, failures: int, limit: int) -> None:
        super().__init__(command, failures, limit)
        self.command = command
        self.failures = failures
        self.limit = limit

    def __str__(self) -> str:
        return (
            f"{self.command!r} failed {self.failures} times in a row (limit {self.limit}); stopping"
        )


class FormatError(ValueError):
    """A task-timing file does not follow the TSV format."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(path, line, message)
        self.path = path
        self.line = line
        self.message = message

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class WriteFailedError(OSError):
    """Rows could not be written to the file; raised by ``flush()`` and ``close()``.

    An ``OSError`` like the ones it reports: ``filename`` is the file, ``strerror`` what went
    wrong, so code that prints ``f"{e.filename}: {e.strerror}"`` says it in one line.
    """

    def __init__(self, path: str, pending: int, reason: str) -> None:
        super().__init__(errno.EIO, f"could not write {pending} row(s): {reason}", path)
        self.path = path
        self.pending = pending
        self.reason = reason

    def __reduce__(self) -> tuple[type[WriteFailedError], tuple[str, int, str]]:
        return type(self), (self.path, self.pending, self.reason)

    def __str__(self) -> str:
        return f"could not write {self.pending} row(s) to {self.path}: {self.reason}"


class TaskTimingWarning(UserWarning):
    """Base class of every warning pytest-tasktiming emits."""


class TaskTimeoutWarning(TaskTimingWarning):
    """A task passed its warning threshold, or its timeout without enforcement."""
