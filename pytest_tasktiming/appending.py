"""One all-or-nothing append of whole lines under the file lock, and the cut of a torn tail.

The only code that changes the bytes of a timing file in place; the writer calls it from its
thread, ``tasktiming validate --repair`` for the tail alone.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from pytest_tasktiming.records import HEADER

if TYPE_CHECKING:
    import filelock

log = logging.getLogger("pytest_tasktiming")

TAIL_CHUNK = 65536
"""Bytes read backwards at a time while looking for the last complete line."""


def append_locked(
    path: str, data: bytes, lock: filelock.BaseFileLock, fsync: bool, header: str = HEADER
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
