"""Reading the companion file: every reader uses it when it is there and works without it."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pytest_tasktiming.companion.lines import HEADER, companion_path, json_line, process_prefix

_HEADER_BYTES = HEADER.encode("utf-8")


@dataclass(frozen=True, slots=True)
class TaskNotes:
    """What the companion file says of one task; None where it says nothing.

    :param limit: seconds; 0.0 when the task had no timeout.
    """

    limit: float | None = None
    threshold: float | None = None
    enforce: bool | None = None
    message: str | None = None
    stack: str | None = None
    worker: str | None = None

    @property
    def own_limit(self) -> float | None:
        """The task's timeout in seconds, when it had one and the file says so."""
        return self.limit or None


_NOTHING = TaskNotes()
_TEXT = frozenset({"message", "stack", "worker"})
_SECONDS = frozenset({"limit", "threshold"})


def _valid(key: str, value: object) -> bool:
    """True for a value ``TaskNotes`` can hold under ``key`` (JSON allows NaN: not here)."""
    if key in _SECONDS:
        return type(value) in (int, float) and 0 <= value < math.inf  # type: ignore[operator]
    if key in _TEXT:
        return isinstance(value, str)
    return key == "enforce" and type(value) is bool


class Notes:
    """The notes of a file's tasks: by task id, by task name and mode, by process and mode."""

    def __init__(self) -> None:
        self.by_id: dict[str, dict[str, Any]] = {}
        self.by_name: dict[tuple[str, str], dict[str, Any]] = {}
        self.by_process: dict[tuple[str, str], dict[str, Any]] = {}
        self.skipped = 0
        """Lines that were not a JSON object of ours: left out."""

    def __bool__(self) -> bool:
        return bool(self.by_id or self.by_name or self.by_process)

    def of(self, task_id: str, task: str, mode: str) -> TaskNotes:
        """The notes of one task: its own lines over its name's over its process's."""
        own = self.by_id.get(task_id)
        named = self.by_name.get((task, mode))
        process = self.by_process.get((process_prefix(task_id), mode))
        if own is None and named is None and process is None:
            return _NOTHING
        return TaskNotes(**{**(process or {}), **(named or {}), **(own or {})})

    def add_lines(self, lines: Iterable[bytes]) -> None:
        """Merge complete lines (without the header) in file order; bad ones are counted."""
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                self.skipped += 1
                continue
            if not isinstance(record, dict) or not self._add(record):
                self.skipped += 1

    def _add(self, record: dict[str, Any]) -> bool:
        values = {key: value for key, value in record.items() if _valid(key, value)}
        task_id, task, mode = record.get("task_id"), record.get("task"), record.get("mode")
        prefix = record.get("task_ids")
        if isinstance(task_id, str):
            self.by_id.setdefault(task_id, {}).update(values)
        elif isinstance(mode, str) and isinstance(task, str):
            self.by_name.setdefault((task, mode), {}).update(values)
        elif isinstance(mode, str) and isinstance(prefix, str):
            self.by_process.setdefault((prefix, mode), {}).update(values)
        else:
            return False
        return True

    def update(self, other: Notes) -> None:
        """Add what ``other`` says, over what these notes say (a later file's lines win)."""
        for task_id, values in other.by_id.items():
            self.by_id.setdefault(task_id, {}).update(values)
        for name, values in other.by_name.items():
            self.by_name.setdefault(name, {}).update(values)
        for process, values in other.by_process.items():
            self.by_process.setdefault(process, {}).update(values)
        self.skipped += other.skipped

    def lines(self, task_ids: set[str]) -> Iterator[str]:
        """These notes as companion lines: every process's and task name's, and those of
        ``task_ids``."""
        for (prefix, mode), values in self.by_process.items():
            yield json_line({"task_ids": prefix, "mode": mode, **values})
        for (task, mode), values in self.by_name.items():
            yield json_line({"task": task, "mode": mode, **values})
        for task_id, values in self.by_id.items():
            if task_id in task_ids:
                yield json_line({"task_id": task_id, **values})


def read_notes(path: str | os.PathLike[str]) -> Notes:
    """The notes of the TSV file ``path``'s tasks; empty when it has no companion file (or
    one whose first line is not the companion header)."""
    notes = Notes()
    try:
        with open(companion_path(os.fspath(path)), "rb") as stream:
            if stream.readline() != _HEADER_BYTES:
                return notes
            notes.add_lines(line for line in stream if line.endswith(b"\n"))
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        pass
    return notes
