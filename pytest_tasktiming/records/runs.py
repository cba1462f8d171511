"""The final rows of a file as runs (task, result, duration), read fast and from any offset.

History readers (the plugin's shards, order and timeouts) need three columns of every final
row of files with millions of lines, and after the first read only the bytes appended since.
``FinalRuns`` reads large blocks and splits bytes, decoding only the task, so it costs about
what a C CSV parser does; a line that is not a row is counted in ``skipped``, not raised.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from pytest_tasktiming.exceptions import FormatError
from pytest_tasktiming.records.fields import DURATION, FIELDS, HEADER, RESULT, TASK, unescape
from pytest_tasktiming.records.reading import open_binary

BLOCK = 1 << 22
"""Bytes read at a time: large enough that the per-block work vanishes, small enough to hold."""
_STARTED_TAIL = b"\tstarted"


class FinalRuns:
    """Iterate ``(task, result, duration)`` of the final rows of ``path`` from byte ``start``.

    ``start`` 0 checks the header (``FormatError`` if it is not the file's header); a later
    ``start`` must be the end of a line, as ``end`` was after an earlier read. Only complete
    lines are read: after the iteration, ``end`` is the offset just past the last newline, so
    a line being written now is read next time, whole. Not for ``.gz`` files beyond offset 0.
    """

    def __init__(self, path: str | os.PathLike[str], start: int = 0) -> None:
        self.path = os.fspath(path)
        self.start = start
        self.end = start
        self.skipped = 0

    def __iter__(self) -> Iterator[tuple[str, str, float]]:
        width = len(FIELDS)
        with open_binary(self.path) as stream:
            position = self.start
            if position == 0:
                first = stream.readline()
                if not first:
                    raise FormatError(self.path, 1, "file is empty: expected the header line")
                if first.rstrip(b"\r\n") != HEADER.rstrip("\n").encode():
                    raise FormatError(self.path, 1, f"expected the header {HEADER.rstrip()!r}")
                position = len(first)
            else:
                stream.seek(position)
            rest = b""
            while block := stream.read(BLOCK):
                data = rest + block if rest else block
                cut = data.rfind(b"\n") + 1
                rest = data[cut:]
                lines = data[:cut].split(b"\n")
                lines.pop()  # the empty text after the last newline
                for line in lines:
                    if line.endswith(_STARTED_TAIL):
                        continue
                    fields = line.split(b"\t")
                    if len(fields) != width:
                        self.skipped += 1
                        continue
                    try:
                        task = fields[TASK].decode()
                        duration = float(fields[DURATION])
                        result = fields[RESULT].decode()
                    except ValueError:  # also UnicodeDecodeError
                        self.skipped += 1
                        continue
                    if "\\" in task:
                        task = unescape(task)
                    yield task, result, duration
                position += cut
                self.end = position
