"""Appending whole lines, and the checks and cuts that keep a timing file whole.

The only code that changes the bytes of a timing file in place, always while its caller holds
the writers' lock (``locking.locked``): the writer from its thread, ``tasktiming start``/``stop``
for their one row, ``tasktiming validate --repair`` for the tail alone.
"""

from __future__ import annotations

import errno
import os

from pytest_tasktiming.exceptions import FormatError
from pytest_tasktiming.records import HEADER, is_header

TAIL_CHUNK = 65536
"""Bytes read backwards at a time while looking for the last complete line."""

_HEADER_BYTES = HEADER.encode("utf-8")
NOT_OURS = "not a task-timing file (its first line is not the header): choose another file"
"""Why rows are never appended to a file that is not empty and does not start with the header."""
COMPRESSED = "cannot append to a compressed file: write to a .tsv (merge -o FILE.gz compresses)"


def append_lines(
    path: str, data: bytes, *, fsync: bool = False, header: str = HEADER
) -> tuple[int, OSError | None]:
    """Append the lines of ``data``, ``header`` first in a new file; the lock must be held.

    Returns how many bytes of ``data`` are now in the file, and the error that stopped the
    rest. When the disk fills up part way, the lines written whole stay and the partial line
    after them is cut off, so a retry appends exactly what is missing: never half a line,
    never a line twice.

    :raises FormatError: when the file is not a task-timing file (nothing is written).
    :raises OSError: when the file cannot be opened, or is compressed (readers take a name
        ending in ``.gz`` for gzip, so plain lines appended there would hide every row).
    """
    if path.endswith(".gz"):
        raise OSError(errno.EINVAL, COMPRESSED, path)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        head = header.encode("utf-8")
        size = whole_lines_size(fd, path, head)
        if size:
            head = b""
        written, error = write_all(fd, head + data)
        if error is None and fsync:
            try:
                os.fsync(fd)
            except OSError as failed:  # not known to be durable: undone, retried whole
                written, error = 0, failed
        if error is None:
            return len(data), None
        kept = (head + data).rfind(b"\n", 0, written) + 1
        if kept < len(head):  # not even the header fit
            kept = 0
        os.ftruncate(fd, size + kept)
        return max(kept - len(head), 0), error
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes) -> tuple[int, OSError | None]:
    """``os.write`` until all of ``data`` is written (a regular file may take it in parts);
    return the bytes written and the error that stopped it, if any."""
    view = memoryview(data)
    written = 0
    while written < len(data):
        try:
            count = os.write(fd, view[written:])
        except OSError as error:
            return written, error
        if count == 0:
            return written, OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        written += count
    return written, None


def whole_lines_size(fd: int, path: str, header: bytes = _HEADER_BYTES) -> int:
    """The size of the file's complete lines, after cutting a torn tail; 0 for an empty file.

    Only called under the file lock, when no live writer can be in the middle of a line.

    :raises FormatError: when the file is not empty and its first line is not the header:
        it is somebody else's file, and its last line is none of our business.
    """
    size = os.fstat(fd).st_size
    if not size:
        return 0
    first = os.pread(fd, len(header) + 1, 0).split(b"\n", 1)[0]
    ours = is_header(first) if header == _HEADER_BYTES else first + b"\n" == header
    if not ours:
        raise FormatError(path, 1, NOT_OURS)
    return cut_torn_tail(fd, path, size)


def cut_torn_tail(fd: int, path: str, size: int) -> int:
    """Remove a partial last line left by a writer that died mid-write; return the new size."""
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
    import logging  # here: only a killed writer's leftovers are worth a log line

    logging.getLogger("pytest_tasktiming").warning(
        "tasktiming: removed a torn partial line (%d bytes) from the end of %s, "
        "left by a writer that was killed mid-write",
        size - end,
        path,
    )
    return end
