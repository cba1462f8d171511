"""The process's one writer per file, shared by every decorated call and ``timed`` block.

``redirect`` lets a stand-in take a file's place (an xdist worker's in-memory collector);
``writer_for`` is the decorators' lookup, cheap enough for every call. When the ``OTEL_*``
variables switch span export on, a file's writer is made a ``SpanWriter`` (which also makes
each task a span): decided once per file, so that calls never pay for the question.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from pytest_tasktiming._otel_env import export_by_env
from pytest_tasktiming.paths import ENV_FILE, resolve_path
from pytest_tasktiming.writer import AsyncBufferedWriter

_shared: dict[str, AsyncBufferedWriter] = {}
_shared_lock = threading.Lock()


def shared_writer(path: str | os.PathLike[str] | None = None) -> AsyncBufferedWriter:
    """The process's one writer for ``path`` (default: ``resolve_path``), made on first use."""
    key = resolve_path(path)
    writer = _shared.get(key)
    if writer is None or writer.closed:
        with _shared_lock:
            writer = _shared.get(key)
            if writer is None or writer.closed:
                writer = _shared[key] = _new_writer(key)
    return writer


def _new_writer(path: str) -> AsyncBufferedWriter:
    """A plain writer, or a ``SpanWriter`` when the ``OTEL_*`` variables ask for spans."""
    on, variable = export_by_env()
    if not on:
        return AsyncBufferedWriter(path)
    try:
        from pytest_tasktiming.integrations.otel import SpanWriter

        return SpanWriter(path)
    except (ImportError, ValueError) as error:  # rows matter more than spans: keep writing
        logging.getLogger("pytest_tasktiming").warning(
            "tasktiming: %s asks for spans, but none will be sent: %s", variable, error
        )
        return AsyncBufferedWriter(path)


def redirect(path: str | os.PathLike[str], writer: AsyncBufferedWriter | None) -> None:
    """Make ``shared_writer(path)`` return ``writer`` from now on; None forgets the stand-in.

    For pytest-xdist workers: an in-memory collector stands in for the session's file, so rows
    of ``@timed_task`` code running inside tests travel to the controller with the reports.
    """
    key = resolve_path(path)
    with _shared_lock:
        if writer is None:
            _shared.pop(key, None)
        else:
            _shared[key] = writer


# ``os.environ.get`` decodes the key and value on every call (as much as the rest of the
# caller's side of a recording), so the default file is resolved again only when the raw
# environment entry changes; a later ``os.chdir`` does not move it.

_environ_data: Any = getattr(os.environ, "_data", None)
_environ_key: Any = ENV_FILE
if _environ_data is None:  # not CPython's os.environ: use the public, slower mapping
    _environ_data = os.environ
else:
    _environ_key = os.environ.encodekey(_environ_key)
_default_file: tuple[object, str] = (object(), "")


def writer_for(path: str | None) -> AsyncBufferedWriter:
    """The shared writer of ``path`` (absolute), or of the default file when None."""
    global _default_file
    if path is None:
        raw = _environ_data.get(_environ_key)
        seen, path = _default_file
        if raw is not seen:
            path = resolve_path(None)
            _default_file = (raw, path)
    writer = _shared.get(path)  # a stand-in from redirect() is found here too
    if writer is None or writer.closed:
        writer = shared_writer(path)
    return writer
