"""Failure streaks: the rule for a history of results, and ``CommandFailureTracker`` for code.

``streak_after`` is the one rule every reader of the file follows (the pytest summary, the
report, the history): a failing result extends a streak, a skip neither extends nor ends it,
anything else ends it.

``CommandFailureTracker`` counts consecutive failures per command, so a retry loop knows
when to stop.

Unlike pybreaker, no lock is held around the user's call (nothing here wraps a call at all),
and only ``Exception`` counts: ``KeyboardInterrupt`` and ``SystemExit`` are neither a failure
nor a success. Counts live in a ``threading.local``, so each thread sees only its own streaks
and no lock is needed anywhere.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from pytest_tasktiming.records import FAILING, SKIPPED


def streak_after(count: int, result: str) -> int:
    """The failure streak after one more run ending in ``result``, from ``count`` before it."""
    if result in FAILING:
        return count + 1
    return count if result == SKIPPED else 0


def trailing_failures(results: Iterable[str]) -> int:
    """The failure streak at the end of ``results``, oldest first."""
    count = 0
    for result in results:
        count = streak_after(count, result)
    return count


class _Counts(threading.local):
    """Each thread's ``{command: consecutive failures}``; a new thread starts empty."""

    def __init__(self) -> None:
        self.failures: dict[str, int] = {}


class CommandFailureTracker:
    """Counts each command's consecutive failures in the current thread.

    Per thread rather than per asyncio task on purpose: ``asyncio.wait_for`` and
    ``asyncio.to_thread`` run each attempt in a copied context, where a streak kept in a
    context variable would be forgotten after every attempt.

    :param max_consecutive_failures: the streak length at which ``should_stop`` says stop.
    """

    __slots__ = ("_counts", "max_consecutive_failures")

    def __init__(self, max_consecutive_failures: int = 3) -> None:
        if isinstance(max_consecutive_failures, bool) or not isinstance(
            max_consecutive_failures, int
        ):
            raise TypeError(
                f"max_consecutive_failures must be an int, got {max_consecutive_failures!r}"
            )
        if max_consecutive_failures < 1:
            raise ValueError(
                f"invalid max_consecutive_failures {max_consecutive_failures!r}: expected >= 1"
            )
        self.max_consecutive_failures = max_consecutive_failures
        self._counts = _Counts()

    def record_failure(self, command: str, error: BaseException | None = None) -> int:
        """Count one failure of ``command``; return its streak length now.

        An ``error`` that is not an ``Exception`` (``KeyboardInterrupt``, ``SystemExit``,
        ``asyncio.CancelledError``) is an interruption, not a failure: nothing is counted.
        """
        failures = self._counts.failures
        if error is not None and not isinstance(error, Exception):
            return failures.get(command, 0)
        count = failures[command] = failures.get(command, 0) + 1
        return count

    def record_success(self, command: str) -> int:
        """End ``command``'s streak; return how many failures it had (0: there was none)."""
        return self._counts.failures.pop(command, 0)

    def consecutive_failures(self, command: str) -> int:
        """The current streak length of ``command`` in this thread."""
        return self._counts.failures.get(command, 0)

    def should_stop(self, command: str) -> bool:
        """True once ``command`` has failed ``max_consecutive_failures`` times in a row."""
        return self.consecutive_failures(command) >= self.max_consecutive_failures

    def __repr__(self) -> str:
        return (
            f"<CommandFailureTracker max_consecutive_failures={self.max_consecutive_failures}, "
            f"this thread: {self._counts.failures!r}>"
        )
