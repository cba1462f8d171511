"""The lock beside a timing file, one all-or-nothing append of whole lines under it, and the
cut of a torn tail: the only code that changes the bytes of a timing file in place.

The writer appends from its thread; ``tasktiming validate --repair`` cuts the tail alone; every
writer, merge, compact and repair takes the lock, ``<file>.lock``, first. On POSIX the lock
is ``fcntl.flock`` on that file, which is what filelock's ``UnixFileLock`` does, so it
excludes any process locking the same path with filelock; it costs no import, where filelock
4 imports 21 modules, about a quarter of a recording session's start-up. Elsewhere (Windows)
it is filelock itself.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from pytest_tasktiming._timing import clock
from pytest_tasktiming.records import HEADER

log = logging.getLogger("pytest_tasktiming")

TAIL_CHUNK = 65536
"""Bytes read backwards at a time while looking for the last complete line."""


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

    def __exit__(self, *exc_info: object) -> None:
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


def append_locked(
    path: str, data: bytes, lock: FileLock, fsync: bool, header: str = HEADER
) -> None:
    """Append ``data`` under the file lock: ``header`` first in a new file, all or nothing."""
    with lock:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.fstat(fd).st_size
            if size:
                size = cut_torn_tail(fd, path, size)
            if size == 0:
                data = header.encode("utf-8") + data
            try:
                write_all(fd, data)
                if fsync:
                    os.fsync(fd)
            except OSError:
                os.ftruncate(fd, size)  # no half batch: a retry writes it whole, once
                raise
        finally:
            os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    """``os.write`` until all of ``data`` is written (a regular file may take it in parts)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def cut_torn_tail(fd: int, path: str, size: int) -> int:
    """Remove a partial last line left by a writer that died mid-write; return the new size.

    Only called under the file lock, when no live writer can be in the middle of a line.
    """
    if os.pread(fd, 1, size - 1) == b"\n":
        return size
    end = size
    while end > 0:
        start = max(0, end - TAIL_CHUNK)
        chunk = os.pread(fd, end - start, start)
        newline = chunk.rfind(b"\n")
        if newline >= 0:
            end = start + newline + 1
            break
        end = start
    os.ftruncate(fd, end)
    log.warning(
        "tasktiming: removed a torn partial line (%d bytes) from the end of %s, "
        "left by a writer that was killed mid-write",
        size - end,
        path,
    )
    return end
