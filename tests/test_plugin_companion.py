"""The plugin's companion file: each test's limit, a failure's message, a timeout's stack and,
under xdist, the worker; exact in a single process and under ``-n``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from plugin_helpers import final_by_task

from pytest_tasktiming import fold, read_rows
from pytest_tasktiming.cli import main
from pytest_tasktiming.companion import HEADER, companion_path, read_notes

SUITE = """
import time
import pytest
from pytest_tasktiming import timed_task

@timed_task(name="helper", timeout=30, max_failures=0)
def helper(n):
    if n == 3:
        raise KeyError(n)

def test_passes():
    pass

def test_fails():
    assert 1 == 2

@pytest.mark.task_timing(timeout=0.3)
def test_times_out():
    time.sleep(10)

@pytest.mark.task_timing(timeout=0.2, enforce=False)
def test_runs_past_its_limit_unstopped():
    time.sleep(0.5)

@pytest.mark.parametrize("n", range(4))
def test_calls_a_helper(n):
    helper(n)
"""


def lines_of(tsv: Path) -> list[dict[str, object]]:
    text = Path(companion_path(str(tsv))).read_text(encoding="utf-8")
    assert text.startswith(HEADER) and text.count(HEADER) == 1 and text.endswith("\n")
    return [json.loads(line) for line in text[len(HEADER) :].splitlines()]


@pytest.mark.parametrize(
    "workers", [pytest.param([], id="serial"), pytest.param(["-n", "2"], id="xdist")]
)
def test_each_tests_limit_and_failure_are_on_file_once(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str], workers: list[str]
) -> None:
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest_subprocess("--task-timing", "--task-timing-timeout=60", *workers)
    result.assert_outcomes(passed=5, failed=3)
    tsv = pytester.path / "task_timing.tsv"
    tests = final_by_task(tsv)
    notes = read_notes(tsv)
    assert notes.skipped == 0

    def of(name: str):  # type: ignore[no-untyped-def]
        row = tests[f"test_suite.py::{name}"]
        return notes.of(row.task_id, row.task, row.mode)

    assert of("test_passes").own_limit == 60.0
    assert of("test_passes").message is None
    assert of("test_fails").message == "assert 1 == 2"
    assert of("test_times_out").own_limit == 0.3
    timed_out = of("test_times_out")
    assert timed_out.message is not None and "TaskTimeoutError" in timed_out.message
    assert timed_out.stack is not None and "time.sleep(10)" in timed_out.stack
    assert (
        of("test_runs_past_its_limit_unstopped").own_limit,
        of("test_runs_past_its_limit_unstopped").enforce,
    ) == (0.2, False)
    assert of("test_calls_a_helper[3]").message == "KeyError: 3"
    if workers:
        assert {notes.of(r.task_id, r.task, r.mode).worker for r in tests.values()} <= {
            "gw0",
            "gw1",
        }
        assert all(notes.of(r.task_id, r.task, r.mode).worker for r in tests.values())
    # Decorated code inside the tests: its name's limit once per process that ran it, its
    # one failure once.
    lines = lines_of(tsv)
    named = [line for line in lines if "task" in line]
    assert named[0] == {"task": "helper", "mode": "code", "limit": 30.0, "threshold": 0.8}
    assert named == named[:1] * (len(named) if workers else 1)
    helper_failures = [
        row
        for row in fold(read_rows(tsv)).values()
        if row.task == "helper" and row.result == "failed"
    ]
    (failed_call,) = helper_failures
    assert [line["message"] for line in lines if line.get("task_id") == failed_call.task_id] == [
        "KeyError: 3"
    ]
    # The session's limit once, for its process's tests; a limit of a test's own once.
    assert [line for line in lines if "task_ids" in line] == [
        {
            "task_ids": tests["test_suite.py::test_passes"].task_id.rsplit("-", 1)[0] + "-",
            "mode": "pytest",
            "limit": 60.0,
            "threshold": 0.8,
        }
    ]
    own = [line["task_id"] for line in lines if "limit" in line and "task_id" in line]
    marked = ("test_times_out", "test_runs_past_its_limit_unstopped")
    assert sorted(own) == sorted(tests[f"test_suite.py::{name}"].task_id for name in marked)
    # check: the test that ran past its own limit unstopped fails the gate, with its limit.
    capsys.readouterr()
    assert main(["check", str(tsv), "--format", "json"]) == 1
    found = {row["task"]: row["limit"] for row in json.loads(capsys.readouterr().out)}
    assert found == {
        "test_suite.py::test_times_out": 0.3,
        "test_suite.py::test_runs_past_its_limit_unstopped": 0.2,
    }


def test_a_companion_file_that_is_not_ours_is_left_alone_said_once_and_rows_still_written(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_one="def test_one():\n    pass\n")
    notes = Path(companion_path(str(pytester.path / "task_timing.tsv")))
    notes.write_text("my own notes\n", encoding="utf-8")
    result = pytester.runpytest_subprocess("--task-timing")
    result.assert_outcomes(passed=1)
    assert notes.read_text(encoding="utf-8") == "my own notes\n"
    assert result.stderr.str().count("not a task-timing file") == 1
    assert len(final_by_task(pytester.path / "task_timing.tsv")) == 1
