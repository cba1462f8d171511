"""``TimeoutEnforcer``: the explicit start/check/stop API, built on ``watch()``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pytest_tasktiming._durations import parse_seconds
from pytest_tasktiming.timeout.deadline import Deadline
from pytest_tasktiming.timeout.watchdog import watch

T = TypeVar("T")


class TimeoutEnforcer:
    """The seed's explicit API: start/stop a task and ask whether it has run too long.

    ``start_task`` also registers a warn-only deadline, so the threshold and the limit are
    reported (warning and log) without polling; ``check_timeout`` says whether to stop.
    ``execute_with_timeout`` enforces: the function is interrupted at the limit.

    :param timeout_seconds: seconds, or a string like ``"90"``, ``"30m"``, ``"1.5h"``;
        None or 0 disables the timeout.
    :param opt_out: warn only, never enforce.
    """

    def __init__(
        self,
        timeout_seconds: float | str | None = 3600,
        warning_threshold: float = 0.8,
        opt_out: bool = False,
    ) -> None:
        self.timeout = parse_seconds(timeout_seconds, source="TimeoutEnforcer(timeout_seconds)")
        if isinstance(warning_threshold, bool) or not 0.0 < warning_threshold <= 1.0:
            raise ValueError(
                f"invalid warning_threshold {warning_threshold!r} from "
                "TimeoutEnforcer(warning_threshold): expected a ratio 0 < x <= 1, e.g. 0.8"
            )
        self.warning_threshold = warning_threshold
        self.opt_out = opt_out
        self.task_name: str | None = None
        self._deadline: Deadline | None = None

    def start_task(self, task_name: str) -> None:
        """Start timing ``task_name`` (ending any task started before)."""
        self.stop_task()
        self.task_name = task_name
        self._deadline = watch(
            task_name, self.timeout, warning_threshold=self.warning_threshold, enforce=False
        )

    def stop_task(self) -> float | None:
        """Stop timing; return the task's elapsed seconds (None when none was started)."""
        deadline, self._deadline = self._deadline, None
        if deadline is None:
            return None
        deadline.cancel()
        return deadline.elapsed

    @property
    def elapsed(self) -> float:
        """Seconds since ``start_task`` (0.0 when no task runs)."""
        return self._deadline.elapsed if self._deadline is not None else 0.0

    def check_timeout(self) -> tuple[bool, str]:
        """``(should_enforce, message)``: True once the limit is passed and enforcing.

        The message names the task, its elapsed time and the limit, and says whether it is a
        warning.
        """
        if self._deadline is None:
            return False, "no task started"
        name, elapsed, limit = self.task_name, self.elapsed, self.timeout
        if limit is None:
            return False, f"task {name!r}: {elapsed:.1f}s elapsed, no timeout"
        if elapsed >= limit:
            if self.opt_out:
                return False, (
                    f"warning: task {name!r} is past its timeout: {elapsed:.1f}s elapsed, "
                    f"limit {limit:g}s (opted out: not enforced)"
                )
            return True, f"task {name!r} timed out: {elapsed:.1f}s elapsed, limit {limit:g}s"
        if elapsed >= limit * self.warning_threshold:
            return False, (
                f"warning: task {name!r} is near its timeout: {elapsed:.1f}s elapsed, "
                f"limit {limit:g}s ({elapsed / limit:.0%})"
            )
        return False, f"task {name!r}: {elapsed:.1f}s elapsed, limit {limit:g}s"

    def execute_with_timeout(self, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``func`` in this thread, interrupted with ``TaskTimeoutError`` at the limit.

        The task is named after the one given to ``start_task``, else after ``func``; its
        time counts from this call. Opted out, it only warns and ``func`` runs to its end.
        """
        name = self.task_name or getattr(func, "__qualname__", None) or repr(func)
        with watch(
            name,
            self.timeout,
            warning_threshold=self.warning_threshold,
            enforce=not self.opt_out,
        ):
            return func(*args, **kwargs)
