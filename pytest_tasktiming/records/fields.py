"""The file's columns, their positions, the header, the results, and escaping.

The only place that knows where a field sits in a line: readers index a line's fields with
the names below (``fields[TASK]``), never with a number.
"""

from __future__ import annotations

import itertools
import os
from typing import Final

FIELDS = (
    "timestamp", "mode", "task_id", "start_time", "end_time", "duration", "task", "result",
)  # fmt: skip
# Final, so that mypy knows which slot of a RawRow each one reads.
TIMESTAMP: Final = 0
MODE: Final = 1
TASK_ID: Final = 2
START_TIME: Final = 3
END_TIME: Final = 4
DURATION: Final = 5
TASK: Final = 6
RESULT: Final = 7
HEADER = "\t".join(FIELDS) + "\n"

STARTED = "started"
COMPLETED = "completed"
FAILED = "failed"
TIMEOUT = "timeout"
RECOVERED = "recovered"
SKIPPED = "skipped"
ERROR = "error"
FAILING = frozenset({FAILED, TIMEOUT, ERROR})
"""Final results that are failures (``error``: a test's setup or teardown failed)."""
SUCCEEDED = frozenset({"passed", COMPLETED, RECOVERED})
"""Final results of a run that succeeded: the ones whose durations history trusts."""


# --- escaping ------------------------------------------------------------------------------

_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_UNESCAPES = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}


def escape(text: str) -> str:
    """Escape backslash, tab, newline and carriage return so ``text`` fits in one field."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return "".join(_ESCAPES.get(char, char) for char in text)
    return text


def unescape(field: str) -> str:
    """Invert ``escape``; an unknown escape keeps its backslash."""
    if "\\" not in field:
        return field
    out: list[str] = []
    chars = iter(field)
    for char in chars:
        if char == "\\":
            following = next(chars, "")
            out.append(_UNESCAPES.get(following, "\\" + following))
        else:
            out.append(char)
    return "".join(out)


RawRow = tuple[int, str, str, int, "int | None", "int | None", str, str]
"""(timestamp_ns, mode, task_id, start_ns, end_ns, duration_ns, task, result); times in ns,
in the order of ``fields.FIELDS``."""


# --- task ids: a random per-process prefix and a counter (next() on a count is atomic under
# the GIL); unique across processes, threads and runs. A forked child draws a new prefix.

_id_prefix = os.urandom(6).hex()
_id_counter = itertools.count(1)


def new_task_id() -> str:
    """Return an id no other task occurrence, in any process or run, will have."""
    return f"{_id_prefix}-{next(_id_counter)}"


def _reseed_task_ids() -> None:
    global _id_prefix, _id_counter
    _id_prefix = os.urandom(6).hex()
    _id_counter = itertools.count(1)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reseed_task_ids)
