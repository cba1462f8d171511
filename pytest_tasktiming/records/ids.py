"""Task ids: unique per occurrence of a task across processes, threads and runs.

A random per-process prefix and a counter: ``next()`` on a count is atomic under the GIL, so
no lock is needed, and a forked child draws a new prefix.
"""

from __future__ import annotations

import itertools
import os

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
