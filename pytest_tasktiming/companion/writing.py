"""Writing the companion file: the TSV writer's machinery with this format's header and lines.

Each TSV writer gets one companion writer (``companion_of``), made the first time there is a
line to write, so the companion file has the same guarantees as the TSV file: lines queued
in memory, appended whole under a lock of its own by one background thread, torn tails cut.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable
from typing import Any

from pytest_tasktiming.companion.lines import HEADER, companion_path
from pytest_tasktiming.writer import AsyncBufferedWriter, Formatter


class _AsIs:
    """Lines are made by the caller (``lines.py``), complete: nothing left to format."""

    def lines(self, rows: Iterable[Any]) -> list[str]:
        return list(rows)


class CompanionWriter(AsyncBufferedWriter):
    """Appends companion lines; ``add`` is as cheap as the TSV writer's ``put``."""

    header = HEADER

    def _new_formatter(self) -> Formatter:
        return _AsIs()

    def add(self, line: str) -> None:
        """Queue one complete line (see ``lines.py``); returns at once."""
        queue = self._queue
        queue.append(line)
        if len(queue) >= self._wake_at:
            self._after_put()


_companions: weakref.WeakKeyDictionary[AsyncBufferedWriter, CompanionWriter] = (
    weakref.WeakKeyDictionary()
)
_lock = threading.Lock()


def companion_of(writer: AsyncBufferedWriter) -> CompanionWriter:
    """The companion writer of the TSV writer ``writer``, with the same batching."""
    companion = _companions.get(writer)
    if companion is None or companion.closed:
        with _lock:
            companion = _companions.get(writer)
            if companion is None or companion.closed:
                companion = _companions[writer] = CompanionWriter(
                    companion_path(writer.path),
                    buffer_size=writer.buffer_size,
                    flush_interval=writer.flush_interval,
                    queue_size=writer.queue_size,
                    fsync=writer.fsync,
                    lock_timeout=writer.lock_timeout,
                )
    return companion


def stand_in(writer: AsyncBufferedWriter, companion: CompanionWriter) -> None:
    """Make ``companion_of(writer)`` return ``companion`` (an xdist worker's collector)."""
    with _lock:
        _companions[writer] = companion
