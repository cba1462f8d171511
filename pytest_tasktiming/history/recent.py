"""Each task's recent successful durations: what "recorded duration" means."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from pytest_tasktiming.records import SUCCEEDED

RECENT = 10
"""Successful runs per task that count as recent: enough for a robust median and a longest
run that is not a fluke, few enough that a test that got slower is believed within days."""


def _same(task: str) -> str:
    return task


class History:
    """Tasks' last ``RECENT`` successful durations (seconds, oldest first), by task name.

    Only ``passed``, ``completed`` and ``recovered`` runs count: a failure or a timeout says
    little about how long the test takes when it works.
    """

    __slots__ = ("runs",)

    def __init__(self, runs: dict[str, list[float]] | None = None) -> None:
        self.runs: dict[str, list[float]] = runs if runs is not None else {}

    def extend(
        self, finals: Iterable[tuple[str, str, float]], key: Callable[[str], str] = _same
    ) -> None:
        """Add final rows ``(task, result, duration)`` in file order, ``task`` named by ``key``."""
        runs, succeeded = self.runs, SUCCEEDED
        for task, result, duration in finals:
            if result not in succeeded:
                continue
            name = key(task)
            recent = runs.get(name)
            if recent is None:
                runs[name] = [duration]
            else:
                recent.append(duration)
                if len(recent) > RECENT:
                    del recent[0]

    def recent(self, task: str) -> list[float]:
        """The task's recent successful durations, oldest first (empty without history)."""
        return self.runs.get(task, [])

    def recorded(self, task: str) -> float | None:
        """The task's recorded duration: the median of its recent successful runs."""
        recent = self.runs.get(task)
        return median(recent) if recent else None

    def __len__(self) -> int:
        return len(self.runs)


def median(values: list[float]) -> float:
    """The median; of an even count, the mean of the middle two."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2
