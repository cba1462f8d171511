"""Under pytest-xdist: the controller alone writes, every test gives exactly one final row,
rows of decorated code inside tests arrive once, and a killed worker still leaves a row."""

from __future__ import annotations

import pytest
from plugin_helpers import (
    DECORATED_TEST,
    EXPECTED_OUTCOMES,
    OUTCOMES_TEST,
    assert_rows_agree_with_junit,
    final_by_task,
    rows_of,
)

pytest.importorskip("xdist")  # the [xdist] extra; the test extra installs it

N2 = ("-n", "2", "-p", "no:benchmark")
"""Two workers; pytest-benchmark, if installed, would warn that xdist disables it."""


@pytest.mark.parametrize(
    "dist",
    [
        pytest.param(dist, id=dist)
        for dist in ("load", "loadscope", "loadfile", "loadgroup", "worksteal")
    ],
)
def test_every_dist_mode_gives_one_row_per_test_and_decorated_rows_once(
    pytester: pytest.Pytester, dist: str
) -> None:
    pytester.makepyfile(test_outcomes=OUTCOMES_TEST, test_decorated=DECORATED_TEST)
    result = pytester.runpytest("--task-timing", *N2, "--dist", dist, "--junitxml=j.xml")
    result.assert_outcomes(passed=11, failed=1, skipped=1, xfailed=1, xpassed=1, errors=2)
    tsv = pytester.path / "task_timing.tsv"
    finals = assert_rows_agree_with_junit(tsv, pytester.path / "j.xml")
    assert {task: finals[task].result for task in EXPECTED_OUTCOMES} == EXPECTED_OUTCOMES
    assert "test_decorated.py::test_in_a_group" in finals  # no "@db" suffix under loadgroup
    code = [row for row in rows_of(tsv) if row.mode == "code"]
    assert sorted((row.task, row.result) for row in code) == sorted(
        [("helper", "started"), ("helper", "completed")] * 6
        + [("block", "started"), ("block", "completed")] * 6
    )
    assert len({row.task_id for row in code}) == 12


def test_decorated_rows_fall_inside_their_tests_span(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_decorated=DECORATED_TEST)
    pytester.runpytest("--task-timing", *N2).assert_outcomes(passed=7)
    tsv = pytester.path / "task_timing.tsv"
    finals = final_by_task(tsv)
    helpers = [row for row in rows_of(tsv) if row.task == "helper" and row.result != "started"]
    tests = [row for task, row in finals.items() if "test_calls_decorated_code" in task]
    for row in helpers:
        assert any(
            test.start_time <= row.start_time
            and test.end_time is not None
            and row.end_time is not None
            and row.end_time <= test.end_time
            for test in tests
        ), row


def test_killed_worker_still_gives_its_test_a_final_row(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_kill="""
        import os
        import signal

        def test_before():
            pass

        def test_killed():
            os.kill(os.getpid(), signal.SIGKILL)

        def test_after():
            pass
        """
    )
    result = pytester.runpytest("--task-timing", *N2)
    result.assert_outcomes(passed=2, failed=1)
    finals = final_by_task(pytester.path / "task_timing.tsv")
    assert {task: row.result for task, row in finals.items()} == {
        "test_kill.py::test_before": "passed",
        "test_kill.py::test_killed": "error",
        "test_kill.py::test_after": "passed",
    }
    killed = finals["test_kill.py::test_killed"]
    assert killed.duration is not None and killed.duration < 30
    started = [row for row in rows_of(pytester.path / "task_timing.tsv") if row.is_final is False]
    assert len(started) == 3


def test_stuck_test_on_a_worker_leaves_a_timeout_row_and_the_session_goes_on(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TASK_TIMING_GRACE", "0.3")
    pytester.makepyfile(
        test_stuck="""
        import signal
        import time
        import pytest

        @pytest.mark.task_timing(timeout=0.3)
        def test_stuck():
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGURG})  # deaf to the watchdog
            time.sleep(20)

        @pytest.mark.parametrize("n", range(4))
        def test_others(n):
            pass
        """
    )
    result = pytester.runpytest_subprocess("--task-timing", *N2)
    result.stdout.fnmatch_lines(["*test_stuck.py::test_stuck is stuck: *", "*time.sleep(20)*"])
    assert "tasktiming: test_stuck.py::test_stuck is stuck" in result.stderr.str()
    finals = final_by_task(pytester.path / "task_timing.tsv")
    assert finals.pop("test_stuck.py::test_stuck").result == "timeout"
    assert {row.result for row in finals.values()} == {"passed"}
    assert len(finals) == 4


def test_warning_and_timeout_from_workers_reach_the_terminal(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_slow="""
        import time
        import pytest

        @pytest.mark.task_timing(timeout=1.5)
        def test_slow():
            time.sleep(10)
        """
    )
    # Warned at 0.3 s, long before the limit: a watchdog woken after the limit skips it.
    result = pytester.runpytest_subprocess(
        "--task-timing", "--task-timing-warning-threshold=0.2", *N2
    )
    result.assert_outcomes(failed=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "F",  # the progress line ends before the warning
            "tasktiming: test_slow.py::test_slow has run *s, *% of its 1.5s timeout",
            "*TaskTimeoutWarning: test_slow.py::test_slow has run *",
            "timed out:",
            "  *s test_slow.py::test_slow",
        ]
    )
    (row,) = final_by_task(pytester.path / "task_timing.tsv").values()
    assert row.result == "timeout"


def test_max_streak_stops_an_xdist_session(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("n", range(40))
        def test_broken(n):
            assert False
        """
    )
    result = pytester.runpytest("--task-timing", *N2, "--task-timing-max-streak=3")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*tasktiming: stopping after 3 consecutive failing tests*"])
    assert len(final_by_task(pytester.path / "task_timing.tsv")) < 40


@pytest.mark.parametrize("xdist", [pytest.param((), id="serial"), pytest.param(N2, id="n2")])
def test_a_markers_mode_and_task_are_in_the_started_row_too(
    pytester: pytest.Pytester, xdist: tuple[str, ...]
) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.task_timing(mode="nightly", task="the db test")
        def test_marked():
            pass

        def test_plain():
            pass
        """
    )
    pytester.runpytest("--task-timing", *xdist).assert_outcomes(passed=2)
    rows = sorted(
        (row.result, row.mode, row.task) for row in rows_of(pytester.path / "task_timing.tsv")
    )
    assert rows == [
        ("passed", "nightly", "the db test"),
        (
            "passed",
            "pytest",
            "test_a_markers_mode_and_task_are_in_the_started_row_too.py::test_plain",
        ),
        ("started", "nightly", "the db test"),
        (
            "started",
            "pytest",
            "test_a_markers_mode_and_task_are_in_the_started_row_too.py::test_plain",
        ),
    ]
