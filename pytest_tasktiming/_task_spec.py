"""A task's settings, checked once at decoration, so that each call pays for no checks."""

from __future__ import annotations

import os

from pytest_tasktiming._durations import parse_seconds
from pytest_tasktiming.companion.lines import limit_fields, name_line
from pytest_tasktiming.paths import resolve_path
from pytest_tasktiming.timeout import DeadlineOptions

DEFAULT_LIMIT = (3600.0, 0.8, True)
"""The decorators' timeout, warning threshold and enforcement when none is given."""


class Spec:
    """A task's settings, checked once: the decorator's, or a ``timed`` block's."""

    __slots__ = (
        "announced_to",
        "enforce",
        "interrupting",
        "max_failures",
        "mode",
        "notes_line",
        "path",
        "task",
        "timeout",
        "warning_only",
        "warning_threshold",
    )

    def __init__(
        self,
        task: str,
        *,
        mode: str,
        timeout: float | str | None,
        warning_threshold: float,
        enforce: bool,
        max_failures: int | None,
        path: str | os.PathLike[str] | None,
        source: str,
    ) -> None:
        if not isinstance(task, str) or not task:
            raise ValueError(f"invalid task name {task!r} from {source}: expected a non-empty str")
        if not isinstance(mode, str) or not mode:
            raise ValueError(f"invalid mode {mode!r} from {source}: expected a non-empty str")
        if isinstance(warning_threshold, bool) or not (
            isinstance(warning_threshold, int | float) and 0 < warning_threshold <= 1
        ):
            raise ValueError(
                f"invalid warning_threshold {warning_threshold!r} from {source}: "
                "expected a fraction of the timeout, 0 < threshold <= 1"
            )
        if max_failures is not None and (
            isinstance(max_failures, bool) or not isinstance(max_failures, int) or max_failures < 0
        ):
            raise ValueError(
                f"invalid max_failures {max_failures!r} from {source}: "
                "expected an int >= 0 (0 or None: no streak limit)"
            )
        self.task = task
        self.mode = mode
        self.timeout = parse_seconds(timeout, source=f"{source}(timeout=...)")
        self.warning_threshold = float(warning_threshold)
        self.enforce = bool(enforce)
        self.max_failures = max_failures or 0
        self.path = None if path is None else resolve_path(path)
        # The deadline's options (see timeout.register), built once: enforced, and warn-only.
        self.interrupting = DeadlineOptions(self.warning_threshold, self.enforce)
        self.warning_only = DeadlineOptions(self.warning_threshold, enforce=False)
        # A limit of its own goes to the companion file once per writer (see _task_run.begin);
        # the defaults need no line: readers assume them.
        self.notes_line: str | None = None
        self.announced_to: object = None
        if (self.timeout, self.warning_threshold, self.enforce) != DEFAULT_LIMIT:
            fields = limit_fields(self.timeout, self.warning_threshold, self.enforce)
            self.notes_line = name_line(task, mode, fields)
