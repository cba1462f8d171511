"""Shared by the benchmark scripts (not one itself): contenders more than one script measures."""

from __future__ import annotations

import logging
import logging.handlers
import queue
from collections.abc import Callable


def queued_file_logger(path: str, fmt: str, name: str) -> tuple[logging.Logger, Callable[[], None]]:
    """``logging``'s answer to a caller that must not wait for the disk: a ``QueueHandler``
    feeding a ``QueueListener`` thread that writes ``path`` through a ``FileHandler``.

    :returns: the logger, and the stop that writes what is queued and closes the file.
    """
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(fmt))
    listener = logging.handlers.QueueListener(records, handler)
    logger = logging.getLogger(name)
    logger.propagate = False
    logger.addHandler(logging.handlers.QueueHandler(records))
    logger.setLevel(logging.INFO)
    listener.start()

    def stop() -> None:
        listener.stop()
        handler.close()

    return logger, stop
