"""A progress bar on stderr while a command reads a large file, for people watching a terminal.

Every command that reads a whole file (report, html, merge, compact, validate, check, status,
todo, stop) draws the same bar through ``progress``. Nothing is drawn when stderr is not a
terminal (CI logs, pipes) or the files read in about a second anyway.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
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


@contextlib.contextmanager
def progress(
    paths: str | Sequence[str], stream: TextIO | None = None
) -> Iterator[ProgressBar | None]:
    """The bar (see ``progress_bar``) for reading ``paths``, on stderr, erased at the end.

    It is the ``on_progress`` callback of the readers: pass it on, None included.
    """
    bar = progress_bar(paths, sys.stderr if stream is None else stream)
    try:
        yield bar
    finally:
        if bar is not None:
            bar.close()


def progress_bar(paths: str | Sequence[str], stream: TextIO) -> ProgressBar | None:
    """A bar for reading ``paths`` (their lines added up) when ``stream`` is a terminal and
    they are large."""
    if not stream.isatty():
        return None
    files = [paths] if isinstance(paths, str) else list(paths)
    try:
        if sum(os.stat(path).st_size for path in files) < LARGE:
            return None
        estimates = [estimate_lines(path) for path in files]
    except Exception:  # a bad file gets no bar; the command itself says what is wrong with it
        return None
    total = None if None in estimates else sum(filter(None, estimates))
    return ProgressBar(stream, total)


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
