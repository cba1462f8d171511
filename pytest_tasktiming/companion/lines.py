"""The companion file's format: its name, its header, and its lines.

JSON Lines (UTF-8, ``\\n`` line ends) at the TSV file's path plus ``SUFFIX``; the first line
is ``HEADER``. Every other line is one JSON object, either about one task:
``{"task_id": ID, ...}`` with any of ``limit`` (seconds; 0: no timeout), ``threshold`` (the
warning's share of the limit), ``enforce`` (false: only warned), ``message`` (the failure's
one line), ``stack`` (where it was at its timeout), ``worker`` (xdist's gateway id); or a
limit for the tasks without one of their own: of a name and mode, ``{"task": NAME, "mode":
MODE, "limit": ..., "threshold": ..., "enforce": ...}`` (decorated code writes it once, not
per call), or of a mode in one process, ``{"task_ids": PREFIX, "mode": MODE, ...}`` with the
process's task id prefix (a pytest session writes its limit once, not per test). A task's
lines merge in file order, a later key winning; its own over its name's over its process's.
"""

from __future__ import annotations

import functools
import json

HEADER = '{"tasktiming": "companion", "version": 1}\n'
SUFFIX = ".meta.jsonl"
MESSAGE_CHARS = 300
"""A message is one line, cut to this many characters."""


def companion_path(path: str) -> str:
    """The companion file of the TSV file ``path``."""
    return path + SUFFIX


def limit_fields(limit: float | None, threshold: float, enforce: bool) -> str:
    """The JSON members of a limit, made once per setting and shared by many lines."""
    members = f'"limit":{round(float(limit or 0.0), 6)!r},"threshold":{float(threshold)!r}'
    return members if enforce else members + ',"enforce":false'


def limit_line(task_id: str, fields: str) -> str:
    """A task's limit (``limit_fields``): built by concatenation, once per test.

    Task ids are ours (``records.new_task_id``: letters, digits and ``-``), so they need no
    escaping.
    """
    return '{"task_id":"' + task_id + '",' + fields + "}\n"


def name_line(task: str, mode: str, fields: str) -> str:
    """The limit (``limit_fields``) of every task named ``task`` in ``mode``."""
    return '{"task":' + json.dumps(task) + ',"mode":' + json.dumps(mode) + "," + fields + "}\n"


def process_line(task_id: str, mode: str, fields: str) -> str:
    """The limit (``limit_fields``) of the tasks in ``mode`` whose ids share ``task_id``'s
    process prefix (``records.new_task_id``: ``<prefix>-<counter>``)."""
    prefix = process_prefix(task_id)
    return '{"task_ids":"' + prefix + '","mode":' + json.dumps(mode) + "," + fields + "}\n"


def process_prefix(task_id: str) -> str:
    """The part of a task id its process's ids share, up to and with the last ``-``."""
    return task_id[: task_id.rfind("-") + 1]


def worker_line(task_id: str, worker: str) -> str:
    """The xdist worker that ran a task, and nothing else to say: most tests under ``-n``.
    Built by concatenation, as ``limit_line``; each worker's name is encoded once."""
    return '{"task_id":"' + task_id + '","worker":' + _encoded(worker) + "}\n"


_encoded = functools.lru_cache(maxsize=256)(json.dumps)


def end_line(task_id: str, **notes: str | float | bool | None) -> str | None:
    """What is known of a task at its end (``message``, ``stack``, ``worker`` ...), or None
    when nothing is; a message is cut to its first line."""
    record: dict[str, object] = {"task_id": task_id}
    for key, value in notes.items():
        if value is not None:
            record[key] = one_line(value) if key == "message" and isinstance(value, str) else value
    return json_line(record) if len(record) > 1 else None


def json_line(record: dict[str, object]) -> str:
    """Any record as one compact line."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def one_line(text: str) -> str:
    """The first non-empty line of ``text``, cut to ``MESSAGE_CHARS``."""
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return line if len(line) <= MESSAGE_CHARS else line[: MESSAGE_CHARS - 1] + "…"
