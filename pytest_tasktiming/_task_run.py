"""One recorded run of a task: its settings, its two rows, its deadline and its failure streak.

A run in progress is a plain tuple (``Started``) handed from ``begin`` to ``finish``, not an
object: on the hot path, a slotted object with seven attributes costs about as much as the
rest of the caller's side of the recording (benchmarks/decorators.py).
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from pytest_tasktiming._durations import parse_seconds
from pytest_tasktiming._timing import clock
from pytest_tasktiming.exceptions import FailureLimitExceeded, TaskTimeoutError
from pytest_tasktiming.records import COMPLETED, FAILED, RECOVERED, STARTED, TIMEOUT, new_task_id
from pytest_tasktiming.streaks import CommandFailureTracker
from pytest_tasktiming.timeout import Deadline, DeadlineOptions, register
from pytest_tasktiming.writer import AsyncBufferedWriter, _shared, resolve_path, shared_writer

log = logging.getLogger("pytest_tasktiming")

_OFF_VALUES = frozenset({"0", "false", "no", "off"})


def env_says_off() -> bool:
    """True when ``$TASK_TIMING`` turns recording off (``0``, ``false``, ``no``, ``off``)."""
    return os.environ.get("TASK_TIMING", "").strip().lower() in _OFF_VALUES


recording = not env_says_off()
"""Read by every wrapper on every call; ``set_recording`` changes it."""


def set_recording(enabled: bool) -> bool:
    """Turn recording on or off for the whole process at run time; return the previous state.

    Off, a decorated call or ``timed`` block costs one flag test: no rows, no deadline, no
    streak counting. ``TASK_TIMING=0`` in the environment starts the process with it off, and
    decorators applied while it is set return the function unwrapped.
    """
    global recording
    previous, recording = recording, bool(enabled)
    return previous


streaks = CommandFailureTracker()
"""The decorators' failure counts, per thread and keyed by task name."""


# --- the file ------------------------------------------------------------------------------
# ``os.environ.get`` decodes the key and value on every call (as much as the rest of the
# caller's side of a recording), so the default file is resolved again only when the raw
# environment entry changes; a later ``os.chdir`` does not move it.

_environ_data: Any = getattr(os.environ, "_data", None)
_environ_key: Any = "TASK_TIMING_FILE"
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
    writer = _shared.get(path)  # a stand-in from writer.redirect() is found here too
    if writer is None or writer._closed:
        writer = shared_writer(path)
    return writer


# --- a task, and one run of it -------------------------------------------------------------


class Spec:
    """A task's settings, checked once: the decorator's, or a ``timed`` block's."""

    __slots__ = (
        "enforce",
        "interrupting",
        "max_failures",
        "mode",
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


Started = tuple[str, AsyncBufferedWriter, "Deadline | None", int, int]
"""A run in progress: (task_id, writer, deadline, start_ns, mono_start_ns)."""


def begin(spec: Spec, target: Any = None, *, interrupt: bool = True) -> Started:
    """Start a run: arm its deadline, read the clocks, queue the ``started`` row.

    :param target: the asyncio task to cancel at the timeout; None: the calling thread.
    :param interrupt: False for generators: between two items the consumer's code runs in
        the target, and a timeout must not land there, so their deadline only warns.
    """
    task_id = new_task_id()
    writer = writer_for(spec.path)
    # Both clocks at one moment, so that nested tasks' start and end times nest too; before
    # the deadline, so that a task stopped at its timeout never shows a shorter duration.
    start = clock.wall_ns()
    mono = clock.mono_ns()
    timeout = spec.timeout
    if timeout is None:
        deadline = None
    else:
        options = spec.interrupting if interrupt else spec.warning_only
        deadline = register(spec.task, timeout, target, options)
    writer.put((start, spec.mode, task_id, start, None, None, spec.task, STARTED))
    return task_id, writer, deadline, start, mono


def begin_in_task(spec: Spec, *, interrupt: bool = True) -> Started:
    """``begin`` for a coroutine: the timeout cancels its asyncio task.

    Outside asyncio (under trio, or a coroutine driven by hand) there is no task to cancel
    and the thread may be running anyone's code, so the deadline only warns.
    """
    try:
        task = asyncio.current_task()
    except RuntimeError:  # no running asyncio loop
        task = None
    return begin(spec, task, interrupt=interrupt and task is not None)


def finish(
    spec: Spec, started: Started, error: BaseException | None = None, duration: int | None = None
) -> None:
    """End a run that returned (``error`` None) or raised ``error``: queue the final row.

    Raises what the caller must see instead: ``FailureLimitExceeded`` (from the error) at the
    streak's limit; a plain ``TaskTimeoutError`` for this task's own timeout (in place of the
    watchdog's private subclass or the ``CancelledError`` it caused, or when the timeout lands
    in ``Deadline.cancel()`` just as the body returns). Otherwise returns, and the caller
    re-raises ``error`` untouched. ``KeyboardInterrupt``, ``SystemExit`` and
    ``CancelledError`` end the row as ``failed`` but neither count in nor end a streak.

    :param duration: nanoseconds, when the caller already read the clock.
    """
    __tracebackhide__ = True
    task_id, writer, deadline, start, mono = started
    if duration is None:
        duration = clock.mono_ns() - mono
    outcome = error
    if deadline is not None:
        try:
            deadline.cancel()
        except TaskTimeoutError as late:  # it landed this very moment: the body's outcome
            if outcome is None:  # (unless the body had already failed on its own)
                outcome = late
        if outcome is not None:
            outcome = deadline.translate(outcome) or outcome
    task = spec.task
    limit = spec.max_failures
    if outcome is None:
        failures = streaks.record_success(task) if limit else 0
        result = RECOVERED if failures else COMPLETED
    else:
        failures = streaks.record_failure(task, outcome) if limit else 0
        result = FAILED
    if deadline is not None and deadline.timed_out:
        result = TIMEOUT  # also when the body caught its TaskTimeoutError and returned
    end = start + duration
    writer.put((end, spec.mode, task_id, start, end, duration, task, result))
    if outcome is None:
        if failures:
            plural = "" if failures == 1 else "s"
            log.info("task %r recovered after %d consecutive failure%s", task, failures, plural)
        return
    if limit and failures >= limit and isinstance(outcome, Exception):
        log.warning(
            "task %r failed %d times in a row (limit %d): raising FailureLimitExceeded",
            task,
            failures,
            limit,
        )
        raise FailureLimitExceeded(task, failures, limit) from outcome
    if outcome is not error:
        raise outcome from None
