"""The writers' lock of a timing file: an exclusive ``flock`` on ``FILE.lock`` beside its real path.

Everything that changes a timing file holds it: the writer for each batch, ``tasktiming
start``/``stop`` for their row (``stop`` also while it reads), ``merge``/``compact`` for the
rewrite, ``validate --repair`` for the cut. The lock file is found from the file's real path,
so a symlink and its target (or two names of one file) share one lock. It is the lock
filelock's ``FileLock`` takes on Unix (an ``flock`` on a lock file that stays in place), so
tools that lock with filelock and ours exclude each other; taking it with ``fcntl`` directly
saves the 25 ms filelock takes to import, a third of ``tasktiming start``'s whole run.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from pytest_tasktiming._timing import clock

_FIRST_POLL = 0.001
_LAST_POLL = 0.01
"""Seconds between tries while the lock is taken: from a millisecond, doubling up to this.

Every holder tries without blocking, as filelock does: a blocking ``flock`` is woken first
whenever the lock is freed, so pollers (the writer, which must be able to give up) would wait
behind blocking callers for as long as those keep coming."""


class LockTimeout(TimeoutError):
    """The lock was not acquired within the timeout (an ``OSError``, like other I/O failures)."""

    def __init__(self, lock_file: str, timeout: float) -> None:
        super().__init__(f"lock {lock_file} not acquired within {timeout:g} s")
        self.lock_file = lock_file
        self.timeout = timeout

    def __reduce__(self) -> tuple[type[LockTimeout], tuple[str, float]]:
        return type(self), (self.lock_file, self.timeout)


def lock_file(path: str) -> str:
    """The lock file of the timing file ``path``: ``.lock`` added to its real path."""
    return os.path.realpath(path) + ".lock"


@contextmanager
def locked(path: str, timeout: float | None = None) -> Iterator[None]:
    """Hold the writers' lock of ``path`` for the ``with`` block.

    Not reentrant: code that holds it calls helpers that expect it held (``appending``).

    :param timeout: seconds to wait at most; None waits as long as it takes.
    :raises LockTimeout: when another holder kept it past ``timeout``.
    :raises OSError: when the lock file cannot be created (a read-only directory, say).
    """
    name = lock_file(path)
    fd = os.open(name, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        _acquire(fd, name, timeout)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _acquire(fd: int, name: str, timeout: float | None) -> None:
    deadline = None if timeout is None else clock.mono() + timeout
    poll = _FIRST_POLL
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if deadline is not None:
                remaining = deadline - clock.mono()
                if remaining <= 0:
                    raise LockTimeout(name, timeout or 0.0) from None
                poll = min(poll, remaining)
            time.sleep(poll)
            poll = min(poll * 2, _LAST_POLL)
