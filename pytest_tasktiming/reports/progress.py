"""A progress bar on stderr while the report reads a large file, for people watching a terminal.

Nothing is drawn when stderr is not a terminal (CI logs, pipes) or the file reads in about a
second anyway.
"""

from __future__ import annotations

import os
from typing import TextIO

LARGE = 32 * 1024 * 1024
"""Bytes from which a file gets a progress bar (about half a second of reading)."""

_WIDTH = 30


class ProgressBar:
    """Draws ``[#####.....]  42%  1,234,567 lines`` in place; ``close()`` erases it."""

    def __init__(self, stream: TextIO, total_lines: int | None) -> None:
        self.stream = stream
        self.total_lines = total_lines

    def __call__(self, lines: int) -> None:
        if self.total_lines:
            fraction = min(lines / self.total_lines, 0.99)
            done = int(fraction * _WIDTH)
            bar = f"[{'#' * done}{'.' * (_WIDTH - done)}] {fraction:4.0%}  "
        else:
            bar = ""
        self.stream.write(f"\r{bar}{lines:,} lines")
        self.stream.flush()

    def close(self) -> None:
        """Erase the bar so that the report starts on a clean line."""
        self.stream.write("\r\x1b[K")
        self.stream.flush()


def progress_bar(path: str, stream: TextIO) -> ProgressBar | None:
    """A bar for reading ``path`` when ``stream`` is a terminal and the file is large."""
    if not stream.isatty():
        return None
    try:
        if os.stat(path).st_size < LARGE:
            return None
        return ProgressBar(stream, estimate_lines(path))
    except Exception:  # a bad file gets no bar; the report itself says what is wrong with it
        return None


def estimate_lines(path: str) -> int | None:
    """Roughly how many lines ``path`` has, from its size and its first 64 KiB (for progress)."""
    import gzip

    compressed = path.endswith(".gz")
    with gzip.open(path, "rb") if compressed else open(path, "rb") as stream:
        sample = stream.read(1 << 16)
    with open(path, "rb") as raw:
        if compressed:
            raw.seek(-4, os.SEEK_END)
            size = int.from_bytes(raw.read(4), "little")  # uncompressed size modulo 4 GiB
        else:
            size = raw.seek(0, os.SEEK_END)
    lines = sample.count(b"\n")
    return size * lines // len(sample) if lines else None
