"""``--task-timing-session-timeout``: the running test times out, the rest do not start."""

from __future__ import annotations

import pytest
from plugin_helpers import final_by_task, rows_of

from pytest_tasktiming.companion import read_notes
from pytest_tasktiming.reports.check import find_overruns

LONG_TESTS = """
import time
import pytest

@pytest.mark.parametrize("n", range(10))
def test_long(n):
    time.sleep(60)
"""

SESSION_ERROR = "the session's {limit}s limit (--task-timing-session-timeout) was reached"


def test_the_running_test_times_out_and_the_rest_are_not_started(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_long=LONG_TESTS)
    result = pytester.runpytest_subprocess(
        "--task-timing", "--task-timing-session-timeout=3", "-p", "no:xdist"
    )
    result.assert_outcomes(failed=1)
    message = SESSION_ERROR.format(limit=3)
    result.stdout.fnmatch_lines(
        [
            f"E*TaskTimeoutError: task 'test_long.py::test_long[[]0[]]' timed out after *s: "
            f"{message}",
            f"not started: 9 tests, {message}",
        ]
    )
    (row,) = final_by_task(pytester.path / "task_timing.tsv").values()
    assert (row.task, row.result) == ("test_long.py::test_long[0]", "timeout")
    assert row.duration is not None
    assert row.duration < 30  # stopped at the session's end, not by its sleep
    assert len(rows_of(pytester.path / "task_timing.tsv")) == 2


def test_the_ini_twin_sets_it_and_a_quiet_summary_counts_the_tests_left(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\ntask_timing = true\ntask_timing_session_timeout = 3s\n")
    pytester.makepyfile(test_long=LONG_TESTS)
    result = pytester.runpytest_subprocess("-q", "-p", "no:xdist")
    result.stdout.fnmatch_lines(
        ["task timing: 2 rows appended to task_timing.tsv, 1 timed out, 9 not started"]
    )


def test_under_xdist_each_worker_stops_its_test_at_the_same_end(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_long=LONG_TESTS)
    result = pytester.runpytest_subprocess(
        "--task-timing", "--task-timing-session-timeout=8", "-n", "2"
    )
    tsv = pytester.path / "task_timing.tsv"
    finals = final_by_task(tsv) if tsv.exists() else {}
    # Each worker was running one test when the end came; a worker that took longer than
    # that to start (a busy machine) started none.
    assert len(finals) <= 2, result.stdout.str()
    assert all(row.result == "timeout" for row in finals.values())
    assert all(row.duration is not None and row.duration < 30 for row in finals.values())
    assert result.parseoutcomes().get("failed", 0) == len(finals)
    message = SESSION_ERROR.format(limit=8)
    result.stdout.fnmatch_lines([f"not started: {10 - len(finals)} tests, {message}"])
    assert result.stdout.str().count(message) >= len(finals) + 1


def test_on_file_a_test_keeps_its_own_limit_not_what_the_session_had_left(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_long=LONG_TESTS)
    pytester.runpytest_subprocess(
        "--task-timing", "--task-timing-session-timeout=3", "-p", "no:xdist"
    ).assert_outcomes(failed=1)
    tsv = pytester.path / "task_timing.tsv"
    (row,) = final_by_task(tsv).values()
    notes = read_notes(tsv).of(row.task_id, row.task, row.mode)
    assert notes.own_limit == 3600.0  # the session had 3 s left, less by the time it began
    assert notes.message is not None and "--task-timing-session-timeout" in notes.message
    overruns = find_overruns(str(tsv), limit=None)
    assert [(o.result, o.limit) for o in overruns] == [("timeout", None)]
