"""The companion file: what a TSV row cannot hold, in JSON Lines beside the TSV file.

A task's time limit and warning threshold, a failure's one-line message, the stack where a
task hung at its timeout, the xdist worker that ran it: keyed by task id (or, for decorated
code, by task name and mode). ``lines.py`` is the format, ``writing.py`` the writer (the TSV
writer's machinery, with this format's header and lines) and ``reading.py`` the reader.
docs/format.md describes the file.

Names are imported on first use (PEP 562): a recording session writes, and never loads the
reader.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_tasktiming._lazy import names_on_first_use

if TYPE_CHECKING:
    from pytest_tasktiming.companion.lines import (
        HEADER,
        SUFFIX,
        companion_path,
        end_line,
        limit_line,
        name_line,
    )
    from pytest_tasktiming.companion.reading import Notes, TaskNotes, read_notes
    from pytest_tasktiming.companion.writing import CompanionWriter, companion_of, stand_in

_LINES = "pytest_tasktiming.companion.lines"
_READING = "pytest_tasktiming.companion.reading"
_WRITING = "pytest_tasktiming.companion.writing"
_HOMES = {
    "HEADER": _LINES,
    "SUFFIX": _LINES,
    "CompanionWriter": _WRITING,
    "Notes": _READING,
    "TaskNotes": _READING,
    "companion_of": _WRITING,
    "companion_path": _LINES,
    "end_line": _LINES,
    "limit_line": _LINES,
    "name_line": _LINES,
    "read_notes": _READING,
    "stand_in": _WRITING,
}

__all__ = [
    "HEADER",
    "SUFFIX",
    "CompanionWriter",
    "Notes",
    "TaskNotes",
    "companion_of",
    "companion_path",
    "end_line",
    "limit_line",
    "name_line",
    "read_notes",
    "stand_in",
]

__getattr__ = names_on_first_use(__name__, _HOMES)
