"""Per-test timeouts: the warning while the test runs, the ``timeout`` result, the last resort."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from plugin_helpers import final_by_task, rows_of, run_pytest_process
from waiting import wait_until

from pytest_tasktiming.cli import main


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
            time.sleep(1.5)
        """
    )
    # The threshold well before the limit: a watchdog woken after the limit skips it.
    result = pytester.runpytest(
        "--task-timing",
        "--task-timing-timeout=1",
        "--task-timing-warning-threshold=0.3",
        "--task-timing-no-enforce",
    )
    result.assert_outcomes(passed=1, warnings=2)
    result.stdout.fnmatch_lines(
        [
            "*warnings summary*",
            "*TaskTimeoutWarning: test_slow.py::test_slow has run *s, *% of its 1s timeout",
            "*TaskTimeoutWarning: test_slow.py::test_slow ran past its 1s timeout (*s so far);"
            " not enforced",
            "over 30% of their timeout:",
            "  1.* s of 1.00 s test_slow.py::test_slow",
        ]
    )
    (row,) = final_by_task(pytester.path / "task_timing.tsv").values()
    assert row.result == "passed"


def test_marker_can_opt_one_test_out_of_enforcement(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import time
        import pytest

        @pytest.mark.task_timing(timeout=1, enforce=False)
        def test_allowed_to_run_long():
            time.sleep(1.5)
        """
    )
    result = pytester.runpytest("--task-timing", "--task-timing-warning-threshold=0.3")
    result.assert_outcomes(passed=1, warnings=2)


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
        release(fifo, process)
        stdout, _ = process.communicate(timeout=60)
    assert line.startswith("tasktiming: test_waits.py::test_waits_for_the_outer_test has run ")
    assert line.rstrip().endswith("1% of its 30s timeout")
    assert process.returncode == 0, stdout


PYTEST_TIMEOUT_TEST = """
import time
import pytest

@pytest.mark.timeout(1.0)
@pytest.mark.task_timing(timeout=0.3)
def test_timed_by_pytest_timeout():
    time.sleep(5)

def test_after():
    pass
"""


def release(fifo: Path, process: subprocess.Popen[str]) -> None:
    """Write "go" to the FIFO the test is blocked on; fail, never hang, if it ended first."""
    opened: list[int] = []

    def reader_is_there() -> bool:
        try:  # without a reader, a non-blocking open fails instead of waiting for one
            opened.append(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            return process.poll() is not None
        return True

    wait_until(reader_is_there, timeout=60)
    assert opened, f"pytest ended with status {process.returncode} before reading {fifo}"
    os.write(opened[0], b"go")
    os.close(opened[0])


def test_pytest_timeout_keeps_its_tests_we_only_warn_and_record_its_timeout(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_both=PYTEST_TIMEOUT_TEST)
    result = pytester.runpytest("--task-timing", "-p", "timeout")
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*Failed: Timeout*1.0s*"])  # its wording varies by version
    assert "TaskTimeoutError" not in result.stdout.str()
    assert "test_both.py::test_timed_by_pytest_timeout ran past its 0.3s timeout" in (
        result.stdout.str()
    )
    finals = final_by_task(pytester.path / "task_timing.tsv")
    row = finals["test_both.py::test_timed_by_pytest_timeout"]
    assert row.result == "timeout"
    assert row.duration is not None
    # From the moment its timer started, on the same clock: never short of its limit.
    assert row.duration >= 1.0
    assert finals["test_both.py::test_after"].result == "passed"
    assert main(["check", str(pytester.path / "task_timing.tsv")]) == 1


def test_pytest_timeout_of_the_test_function_only_is_recorded_as_timeout(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_func_only="""
        import time
        import pytest

        @pytest.mark.timeout(0.5, func_only=True)
        def test_sleeps():
            time.sleep(5)
        """
    )
    pytester.runpytest("--task-timing", "-p", "timeout").assert_outcomes(failed=1)
    (row,) = final_by_task(pytester.path / "task_timing.tsv").values()
    assert row.result == "timeout"
    assert row.duration is not None and row.duration >= 0.5


@pytest.mark.parametrize(
    "workers",
    [pytest.param(["-p", "no:xdist"], id="serial"), pytest.param(["-n", "1"], id="xdist")],
)
def test_pytest_timeout_thread_method_leaves_the_final_row_before_it_ends_the_process(
    pytester: pytest.Pytester, workers: list[str]
) -> None:
    pytester.makepyfile(test_both=PYTEST_TIMEOUT_TEST)
    result = pytester.runpytest_subprocess(
        "--task-timing", "-p", "timeout", "--timeout-method=thread", "-rA", *workers
    )
    assert result.ret != 0
    finals = final_by_task(pytester.path / "task_timing.tsv")
    row = finals["test_both.py::test_timed_by_pytest_timeout"]
    assert row.result == "timeout"
    assert row.duration is not None
    assert row.duration >= 1.0
    if workers[0] == "-n":  # the worker died; the controller replaced it and went on
        assert result.stdout.str().count("FAILED test_both.py::test_timed_by_pytest_timeout") == 1
        assert finals["test_both.py::test_after"].result == "passed"


STUCK_TEST = """
import signal
import time
import pytest

@pytest.mark.task_timing(timeout=0.3)
def test_stuck():
    # Block the signal the watchdog interrupts with: like C code that never checks signals.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGURG})
    time.sleep(2)

def test_after():
    pass
"""


def run_stuck_test(path: Path, *args: str, exit_on_stuck: bool) -> subprocess.CompletedProcess[str]:
    """The stuck test, with a short grace period; exiting when stuck if asked to."""
    exiting = {"TASK_TIMING_EXIT_ON_STUCK": "1"} if exit_on_stuck else {}
    return run_pytest_process(path, "-rA", *args, timeout=120, TASK_TIMING_GRACE="0.3", **exiting)


def test_stuck_test_leaves_its_timeout_row_and_stack_before_the_process_exits(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_stuck=STUCK_TEST)
    process = run_stuck_test(pytester.path, "-p", "no:xdist", exit_on_stuck=True)
    assert process.returncode == 124, process.stdout + process.stderr
    assert "tasktiming: test_stuck.py::test_stuck is stuck: " in process.stderr
    assert "time.sleep(2)" in process.stderr
    (row,) = final_by_task(pytester.path / "task_timing.tsv").values()
    assert (row.task, row.result) == ("test_stuck.py::test_stuck", "timeout")


def test_stuck_test_fails_in_pytest_too_with_its_real_duration_and_the_session_goes_on(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_stuck=STUCK_TEST)
    process = run_stuck_test(pytester.path, "-p", "no:xdist", exit_on_stuck=False)
    assert process.returncode == 1, process.stdout + process.stderr
    assert "FAILED test_stuck.py::test_stuck - test_stuck.py::test_stuck is stuck" in (
        process.stdout
    )
    assert "PASSED test_stuck.py::test_after" in process.stdout
    finals = final_by_task(pytester.path / "task_timing.tsv")
    stuck = finals["test_stuck.py::test_stuck"]
    assert stuck.result == "timeout"
    assert stuck.duration is not None
    assert stuck.duration >= 2.0  # it ended when its sleep did, not when it was found stuck
    assert finals["test_stuck.py::test_after"].result == "passed"
    assert len(rows_of(pytester.path / "task_timing.tsv")) == 4


def test_stuck_test_under_xdist_is_listed_failed_once_and_its_worker_replaced(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_stuck=STUCK_TEST)
    process = run_stuck_test(pytester.path, "-n", "1", exit_on_stuck=False)
    output = process.stdout
    assert process.returncode == 1, output + process.stderr
    assert output.count("FAILED test_stuck.py::test_stuck") == 1, output
    assert "1 failed, 1 passed" in output, output
    finals = final_by_task(pytester.path / "task_timing.tsv")
    assert finals["test_stuck.py::test_stuck"].result == "timeout"
    assert finals["test_stuck.py::test_after"].result == "passed"


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


TINY_LIMIT_SUITE = """
import time
import pytest

@pytest.fixture
def slow_teardown():
    yield
    time.sleep(3)  # long enough for a watchdog starved by a busy machine: it is cut short

@pytest.mark.parametrize("n", range(150))
def test_trivial(n):
    pass

@pytest.mark.parametrize("n", range(25))
def test_sleeps(n):
    time.sleep(3)

@pytest.mark.parametrize("n", range(25))
def test_sleeps_in_its_teardown(n, slow_teardown):
    pass
"""


@pytest.mark.parametrize(
    "workers", [pytest.param([], id="serial"), pytest.param(["-n", "2"], id="xdist")]
)
def test_a_tiny_limit_lands_only_in_the_tests_own_code(
    pytester: pytest.Pytester, workers: list[str]
) -> None:
    pytester.makepyfile(test_tiny=TINY_LIMIT_SUITE)
    result = pytester.runpytest_subprocess(
        "--task-timing", "--task-timing-timeout=0.0005", "-rA", *workers
    )
    output = result.stdout.str()
    assert result.ret == 1, output
    for broken in ("INTERNALERROR", "not torn down properly", "not enforced"):
        assert broken not in output
    finals = final_by_task(pytester.path / "task_timing.tsv")
    assert len(finals) == 200
    results = {task: row.result for task, row in finals.items()}
    # A sleep in a test or in its teardown is its own code: always interrupted there.
    assert all(
        results[f"test_tiny.py::test_sleeps{kind}[{n}]"] == "timeout"
        for kind in ("", "_in_its_teardown")
        for n in range(25)
    )
    assert set(results.values()) == {"passed", "timeout"}
    # The rest pass, or time out in their own code if the limit came while it ran; pytest
    # says the same of each.
    said: dict[str, set[str]] = {}
    for line in result.stdout.lines:
        word, _, rest = line.partition(" ")
        if word in ("PASSED", "FAILED", "ERROR"):
            said.setdefault(rest.split(" - ")[0], set()).add(word)
    assert set(said) == set(results)
    for task, row_result in results.items():
        failed = bool(said[task] & {"FAILED", "ERROR"})
        assert failed == (row_result == "timeout"), (task, row_result, said[task])
