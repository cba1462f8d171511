"""Per-test timeouts: the warning while the test runs, the ``timeout`` result, the last resort."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from plugin_helpers import final_by_task, rows_of, run_pytest_process


def test_test_over_its_timeout_fails_as_timeout_and_the_session_goes_on(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_slow="""
        import time

        def test_sleeps_too_long():
            time.sleep(10)

        def test_next():
            pass
        """
    )
    result = pytester.runpytest("--task-timing", "--task-timing-timeout=0.5")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            ">*time.sleep(10)",
            "E*TaskTimeoutError: task 'test_slow.py::test_sleeps_too_long' timed out after 0.5*s"
            " (timeout 0.5s)",
            "timed out:",
            "  *s test_slow.py::test_sleeps_too_long",
        ]
    )
    finals = final_by_task(pytester.path / "task_timing.tsv")
    slow = finals["test_slow.py::test_sleeps_too_long"]
    assert slow.result == "timeout"
    assert slow.duration is not None
    assert 0.5 <= slow.duration < 3
    assert finals["test_slow.py::test_next"].result == "passed"


def test_fixture_that_hangs_in_setup_times_out_as_well(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import time
        import pytest

        @pytest.fixture
        def hangs():
            time.sleep(10)

        @pytest.mark.task_timing(timeout=0.5)
        def test_uses_it(hangs):
            pass
        """
    )
    result = pytester.runpytest("--task-timing")
    result.assert_outcomes(errors=1)
    (row,) = final_by_task(pytester.path / "task_timing.tsv").values()
    assert row.result == "timeout"


def test_without_enforcement_a_slow_test_only_warns_and_passes(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_slow="""
        import time

        def test_slow():
            time.sleep(1.2)
        """
    )
    result = pytester.runpytest(
        "--task-timing", "--task-timing-timeout=0.6", "--task-timing-no-enforce"
    )
    result.assert_outcomes(passed=1, warnings=2)
    result.stdout.fnmatch_lines(
        [
            "*warnings summary*",
            "*TaskTimeoutWarning: test_slow.py::test_slow has run 0.*s, *% of its 0.6s timeout",
            "*TaskTimeoutWarning: test_slow.py::test_slow ran past its 0.6s timeout (*s so far);"
            " not enforced",
            "over 80% of their timeout:",
            "  1.* s of 600 ms test_slow.py::test_slow",
        ]
    )
    (row,) = final_by_task(pytester.path / "task_timing.tsv").values()
    assert row.result == "passed"


def test_marker_can_opt_one_test_out_of_enforcement(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import time
        import pytest

        @pytest.mark.task_timing(timeout=0.3, enforce=False)
        def test_allowed_to_run_long():
            time.sleep(0.6)
        """
    )
    pytester.runpytest("--task-timing").assert_outcomes(passed=1, warnings=2)


def test_warning_reaches_the_terminal_while_the_test_is_still_running(
    pytester: pytest.Pytester,
) -> None:
    fifo = pytester.path / "go"
    os.mkfifo(fifo)
    pytester.makepyfile(
        test_waits=f"""
        import pytest

        @pytest.mark.task_timing(timeout=30, enforce=False)
        def test_waits_for_the_outer_test():
            with open({str(fifo)!r}) as go:  # blocks until the outer test saw the warning
                assert go.read() == "go"
        """
    )
    with subprocess.Popen(
        [sys.executable, "-m", "pytest", "--task-timing", "--task-timing-warning-threshold=0.01"],
        cwd=pytester.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stderr is not None
        line = process.stderr.readline()
        while line and "tasktiming:" not in line:
            line = process.stderr.readline()
        assert process.poll() is None, "pytest ended before the warning"
        fifo.write_text("go")
        stdout, _ = process.communicate(timeout=60)
    assert line.startswith("tasktiming: test_waits.py::test_waits_for_the_outer_test has run 0.")
    assert line.rstrip().endswith("1% of its 30s timeout")
    assert process.returncode == 0, stdout


def test_pytest_timeout_keeps_its_tests_and_we_only_warn(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_both="""
        import time
        import pytest

        @pytest.mark.timeout(1.0)
        @pytest.mark.task_timing(timeout=0.3)
        def test_timed_by_pytest_timeout():
            time.sleep(5)
        """
    )
    result = pytester.runpytest("--task-timing", "-p", "timeout")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Failed: Timeout*1.0s*"])  # its wording varies by version
    assert "TaskTimeoutError" not in result.stdout.str()
    assert "test_both.py::test_timed_by_pytest_timeout ran past its 0.3s timeout" in (
        result.stdout.str()
    )
    (row,) = final_by_task(pytester.path / "task_timing.tsv").values()
    assert row.result == "failed"
    assert row.duration is not None
    # pytest-timeout's timer starts before setup; the row adds up the phases, not the gaps.
    assert row.duration >= 0.9


STUCK_TEST = """
import signal
import time
import pytest

@pytest.mark.task_timing(timeout=0.3)
def test_stuck():
    # Block the signal the watchdog interrupts with: like C code that never checks signals.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGURG})
    time.sleep(4)

def test_after():
    pass
"""


def test_stuck_test_leaves_its_timeout_row_and_stack_before_the_process_exits(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_stuck=STUCK_TEST)
    process = run_pytest_process(
        pytester.path, "-p", "no:xdist", TASK_TIMING_GRACE="0.3", TASK_TIMING_EXIT_ON_STUCK="1"
    )
    assert process.returncode == 124, process.stdout + process.stderr
    assert "tasktiming: test_stuck.py::test_stuck is stuck: " in process.stderr
    assert "time.sleep(4)" in process.stderr
    (row,) = final_by_task(pytester.path / "task_timing.tsv").values()
    assert (row.task, row.result) == ("test_stuck.py::test_stuck", "timeout")


def test_stuck_test_without_exit_keeps_its_timeout_row_and_the_session_goes_on(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_stuck=STUCK_TEST)
    process = run_pytest_process(pytester.path, "-p", "no:xdist", TASK_TIMING_GRACE="0.3")
    assert process.returncode == 0, process.stdout + process.stderr
    finals = final_by_task(pytester.path / "task_timing.tsv")
    assert finals["test_stuck.py::test_stuck"].result == "timeout"
    assert finals["test_stuck.py::test_after"].result == "passed"
    assert len(rows_of(pytester.path / "task_timing.tsv")) == 4


def test_no_timeout_at_all_when_it_is_zero(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(
        """
        import threading

        def test_no_watchdog_needed():
            assert not any(t.name == "tasktiming-watchdog" for t in threading.enumerate())
        """
    )
    result = pytester.runpytest_subprocess("--task-timing", "--task-timing-timeout=0")
    result.assert_outcomes(passed=1)
