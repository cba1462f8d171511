"""``pytest --task-timing``: one started and one final row per test, with pytest's outcome."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from plugin_helpers import (
    EXPECTED_OUTCOMES,
    OUTCOMES_TEST,
    assert_rows_agree_with_junit,
    final_by_task,
    rows_of,
    run_pytest_process,
)

from pytest_tasktiming import fold, read_rows
from pytest_tasktiming.timeout import watchdog as _watchdog


def test_every_outcome_gets_its_own_result_and_agrees_with_junitxml(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_outcomes=OUTCOMES_TEST)
    result = pytester.runpytest("--task-timing", "--junitxml=junit.xml")
    result.assert_outcomes(passed=4, failed=1, skipped=1, xfailed=1, xpassed=1, errors=2)
    tsv = pytester.path / "task_timing.tsv"
    finals = assert_rows_agree_with_junit(tsv, pytester.path / "junit.xml")
    assert {task: row.result for task, row in finals.items()} == EXPECTED_OUTCOMES


def test_started_row_comes_first_and_shares_the_task_id(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_one():\n    pass\n")
    pytester.runpytest("--task-timing").assert_outcomes(passed=1)
    started, final = rows_of(pytester.path / "task_timing.tsv")
    assert (started.result, started.end_time, started.duration) == ("started", None, None)
    assert final.result == "passed"
    assert final.task_id == started.task_id
    assert final.task == started.task == f"{pytester.path.name[:-1]}.py::test_one"
    assert final.mode == started.mode == "pytest"
    assert final.start_time == started.start_time
    assert final.end_time is not None and final.duration is not None
    span = (final.end_time - final.start_time).total_seconds()
    assert 0 <= span - final.duration < 0.5  # the span also holds pytest's work between phases


def test_duration_spans_setup_call_and_teardown(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import time
        import pytest

        @pytest.fixture
        def slow_fixture():
            time.sleep(0.2)
            yield
            time.sleep(0.2)

        def test_slow_fixtures(slow_fixture):
            time.sleep(0.2)
        """
    )
    pytester.runpytest("--task-timing").assert_outcomes(passed=1)
    (row,) = final_by_task(pytester.path / "task_timing.tsv").values()
    assert row.duration is not None
    assert 0.6 <= row.duration < 1.5


def test_nothing_is_written_when_the_plugin_is_not_enabled(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_one():\n    pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    assert not (pytester.path / "task_timing.tsv").exists()
    assert "task timing" not in result.stdout.str()


def test_ini_option_enables_it_without_the_flag(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ntask_timing = true\n")
    pytester.makepyfile("def test_one():\n    pass\n")
    pytester.runpytest().assert_outcomes(passed=1)
    assert [row.result for row in rows_of(pytester.path / "task_timing.tsv")] == [
        "started",
        "passed",
    ]


def test_mode_option_fills_the_mode_column(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_one():\n    pass\n")
    pytester.runpytest("--task-timing", "--task-timing-mode", "nightly")
    assert {row.mode for row in rows_of(pytester.path / "task_timing.tsv")} == {"nightly"}


def test_rows_are_appended_run_after_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_one():\n    pass\n")
    pytester.runpytest("--task-timing")
    pytester.runpytest("--task-timing")
    tasks = fold(read_rows(pytester.path / "task_timing.tsv"))
    assert len(tasks) == 2
    assert {row.result for row in tasks.values()} == {"passed"}


def test_summary_names_the_file_rows_and_slowest_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import time

        def test_quick():
            pass

        def test_slow():
            time.sleep(0.3)
        """
    )
    result = pytester.runpytest("--task-timing", "--task-timing-slowest-min", "0.2")
    result.stdout.fnmatch_lines(
        [
            "*- task timing -*",
            "4 rows appended to task_timing.tsv (tests and timed code)",
            "slowest 1 test:",
            "   total * setup * call * teardown  test",
            "  *  test_summary_*.py::test_slow",
            "(1 faster than 200 ms not listed: --task-timing-slowest-min 0 lists them)",
        ]
    )
    (line,) = [line for line in result.stdout.lines if line.endswith("::test_slow")]
    total, unit = line.split()[:2]
    assert float(total) * {"ms": 1e-3, "s": 1.0}[unit] >= 0.3


def test_quiet_summary_is_one_line_and_qq_silences_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_one():\n    pass\n")
    quiet = pytester.runpytest("--task-timing", "-q")
    assert quiet.stdout.lines.count("task timing: 2 rows appended to task_timing.tsv") == 1
    assert "slowest" not in quiet.stdout.str()
    silent = pytester.runpytest("--task-timing", "-qq")
    assert "task timing" not in silent.stdout.str()


def test_interrupted_run_leaves_the_running_test_started_and_earlier_rows_written(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import os, signal, time

        def test_first():
            pass

        def test_interrupted():
            # Ctrl-C in a terminal, even if this run inherited SIGINT ignored (nohup, a job).
            signal.signal(signal.SIGINT, signal.default_int_handler)
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(10)

        def test_never_reached():
            pass
        """
    )
    result = pytester.runpytest_subprocess("--task-timing")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    rows = fold(read_rows(pytester.path / "task_timing.tsv")).values()
    tasks = {row.task.rpartition("::")[2]: row for row in rows}
    assert tasks["test_first"].result == "passed"
    assert tasks["test_interrupted"].result == "started"
    assert "test_never_reached" not in tasks


def test_an_interrupted_tests_deadline_does_not_outlive_the_session(
    pytester: pytest.Pytester,
) -> None:
    """In a process that goes on (here: pytester's), it must not fire an hour later."""
    pytester.makepyfile("import pytest\n\ndef test_interrupted():\n    pytest.exit('stop')\n")
    result = pytester.runpytest("--task-timing")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    queued = [*_watchdog.watchdog.heap, *_watchdog.watchdog.incoming]
    live = [entry[2].task for entry in queued if not entry[2].cancelled]
    assert not [task for task in live if task.endswith("test_interrupted")]


def test_code_timed_inside_tests_writes_to_the_sessions_file(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import os
        from pytest_tasktiming.paths import resolve_path

        def test_sees_the_file(request):
            assert resolve_path(None) == os.environ["TASK_TIMING_FILE"]
            expected = request.config.rootpath / "task_timing.tsv"
            assert os.environ["TASK_TIMING_FILE"] == str(expected)
        """
    )
    pytester.runpytest("--task-timing").assert_outcomes(passed=1)
    assert "TASK_TIMING_FILE" not in os.environ  # restored after the session


def test_frozen_time_in_a_test_does_not_corrupt_its_row(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import time
        from freezegun import freeze_time

        @freeze_time("2001-01-01")
        def test_in_2001():
            time.sleep(0.2)
        """
    )
    before = dt.datetime.now(dt.timezone.utc)
    # In a subprocess: freezegun reads every attribute of every loaded module, which imports
    # lazy ones (concurrent.futures.process) that pytester's in-process run would then
    # forget, breaking later tests that pickle their classes.
    pytester.runpytest_subprocess("--task-timing").assert_outcomes(passed=1)
    (row,) = final_by_task(pytester.path / "task_timing.tsv").values()
    assert row.start_time >= before - dt.timedelta(seconds=1)
    assert row.duration is not None
    # Frozen time would make it 0 (or years); freezegun's scan of every module takes a while
    # of its own, longer on a busy machine.
    assert 0.2 <= row.duration < 30


def test_examples_suite_runs_green_and_records_tests_and_helpers(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    tsv = tmp_path / "task_timing.tsv"
    process = run_pytest_process(
        root, "-p", "no:cacheprovider", "examples/", timeout=120, TASK_TIMING_FILE=str(tsv)
    )
    assert process.returncode == 0, process.stdout + process.stderr
    assert "tasktiming: examples/test_example.py::test_slow_report has run" in process.stderr
    results = {(row.mode, row.result) for row in fold(read_rows(tsv)).values()}
    assert results == {
        ("pytest", "passed"),
        ("pytest", "skipped"),
        ("slow", "passed"),
        ("code", "completed"),
    }
