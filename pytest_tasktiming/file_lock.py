"""The lock beside a timing file, ``<file>.lock``: every writer, merge, compact and repair
takes it before it changes the file.

On POSIX it is ``fcntl.flock`` on that lock file, which is what filelock's ``UnixFileLock``
does, so it excludes any process locking the same path with filelock; it costs no import,
where filelock 4 imports 21 modules, about a quarter of a recording session's start-up.
Elsewhere (Windows) it is filelock itself.
"""

from __future__ import annotations

import os
import threading
import time
from types import TracebackType

from pytest_tasktiming._timing import clock

POLL_INTERVAL = 0.05
"""Seconds between tries while another process holds the lock."""


class LockTimeout(TimeoutError):
    """The lock file stayed held by someone else for the whole timeout."""

    def __init__(self, lock_file: str) -> None:
        super().__init__(f"lock {lock_file} not acquired in time")
        self.lock_file = lock_file


def lock_for(path: str, timeout: float = -1) -> FileLock:
    """The lock of the timing file at ``path`` (absolute); ``timeout`` < 0 waits for ever."""
    return FileLock(path + ".lock", timeout)


class FileLock:
    """An exclusive, inter-process lock on ``lock_file``; a context manager.

    Threads of one process sharing the object take turns; separate objects on one path
    exclude each other even in one process (``flock`` locks belong to the open file).
    """

    def __init__(self, lock_file: str, timeout: float = -1) -> None:
        self.lock_file = lock_file
        self.timeout = timeout
        self._threads = threading.Lock()
        self._fd: int | None = None

    def __enter__(self) -> FileLock:
        if not self._threads.acquire(timeout=self.timeout):
            raise LockTimeout(self.lock_file)
        try:
            self._fd = _acquire(self.lock_file, self.timeout)
        except BaseException:
            self._threads.release()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        fd, self._fd = self._fd, None
        try:
            if fd is not None:
                _release(fd)
        finally:
            self._threads.release()


if os.name == "posix":
    import fcntl

    def _acquire(lock_file: str, timeout: float) -> int:
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        give_up = clock.mono() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                if timeout >= 0 and give_up <= clock.mono():
                    os.close(fd)
                    raise LockTimeout(lock_file) from None
                time.sleep(POLL_INTERVAL)
            except BaseException:
                os.close(fd)
                raise

    def _release(fd: int) -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

else:  # pragma: no cover - Windows
    import filelock

    _held: dict[int, filelock.BaseFileLock] = {}

    def _acquire(lock_file: str, timeout: float) -> int:
        lock = filelock.FileLock(lock_file, timeout=timeout, thread_local=False)
        try:
            lock.acquire()
        except filelock.Timeout:
            raise LockTimeout(lock_file) from None
        _held[id(lock)] = lock
        return id(lock)

    def _release(fd: int) -> None:
        _held.pop(fd).release()
