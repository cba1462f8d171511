"""What the file's history says of this session's failures: streaks and regressions."""

from __future__ import annotations

import os
from collections.abc import Set

from pytest_tasktiming.exceptions import FormatError
from pytest_tasktiming.plugin.workers import stable_nodeid
from pytest_tasktiming.records import (
    END_TIME,
    FAILING,
    RESULT,
    SKIPPED,
    STARTED,
    TASK,
    TASK_ID,
    RowReader,
)
from pytest_tasktiming.streaks import trailing_failures

MIN_RUNS = 3


def histories(path: str | os.PathLike[str], tasks: Set[str]) -> dict[str, list[str]]:
    """The recorded results of each of ``tasks``, oldest first.

    Runs are final rows, one per task id, ordered by end time. The ``@group`` suffix of
    ``--dist loadgroup`` is ignored, so a test keeps its history whichever way it was
    distributed. Bad lines are skipped, and an unreadable file gives none: this is advice.
    """
    runs: dict[str, dict[str, tuple[str, str]]] = {}
    try:
        for _, fields in RowReader(path, strict=False).iter_fields():
            result = fields[RESULT]
            if result == STARTED:
                continue
            task = stable_nodeid(fields[TASK])
            if task in tasks:
                runs.setdefault(task, {})[fields[TASK_ID]] = (fields[END_TIME], result)
    except (OSError, FormatError):
        return {}
    return {task: _in_time_order(by_id) for task, by_id in runs.items()}


def failing_streaks(
    results: dict[str, list[str]], min_runs: int = MIN_RUNS
) -> list[tuple[str, int]]:
    """``(task, failed runs)`` of the tasks whose last ``min_runs`` or more runs failed.

    ``skipped`` runs neither extend nor end a streak (``streaks.streak_after``).
    """
    streaks = [(task, trailing_failures(history)) for task, history in results.items()]
    return sorted((item for item in streaks if item[1] >= min_runs), key=lambda x: (-x[1], x[0]))


def regressions(results: dict[str, list[str]]) -> list[str]:
    """The tasks whose last run failed right after a success (skips aside), by name."""
    found = []
    for task, history in results.items():
        ran = [result for result in history if result != SKIPPED]
        if len(ran) >= 2 and ran[-1] in FAILING and ran[-2] not in FAILING:
            found.append(task)
    return sorted(found)


def _in_time_order(runs: dict[str, tuple[str, str]]) -> list[str]:
    """The results of ``runs`` (task id: end time, result) by end time."""
    return [result for _, result in sorted(runs.values())]
