"""Failure streaks from the file's history: the tests whose last runs all failed."""

from __future__ import annotations

import os
from collections.abc import Set

from pytest_tasktiming.exceptions import FormatError
from pytest_tasktiming.plugin.workers import stable_nodeid
from pytest_tasktiming.records import END_TIME, RESULT, STARTED, TASK, TASK_ID, RowReader
from pytest_tasktiming.streaks import trailing_failures

MIN_RUNS = 3


def failing_streaks(
    path: str | os.PathLike[str], tasks: Set[str], min_runs: int = MIN_RUNS
) -> list[tuple[str, int]]:
    """``(task, failed runs)`` of the ``tasks`` whose last ``min_runs`` or more runs failed.

    Runs are final rows, one per task id, in time order; ``skipped`` runs neither extend nor
    end a streak. The ``@group`` suffix of ``--dist loadgroup`` is ignored, so a test keeps
    its history whichever way it was distributed. Bad lines are skipped: this is advice.
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
        return []
    streaks = [(task, trailing_failures(_in_time_order(by_id))) for task, by_id in runs.items()]
    return sorted((item for item in streaks if item[1] >= min_runs), key=lambda x: (-x[1], x[0]))


def _in_time_order(runs: dict[str, tuple[str, str]]) -> list[str]:
    """The results of ``runs`` (task id: end time, result) by end time."""
    return [result for _, result in sorted(runs.values())]
