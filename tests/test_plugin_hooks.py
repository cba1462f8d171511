"""The ``pytest_tasktiming_*`` hooks, run with the ``conftest.py`` examples of docs/pytest.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from plugin_helpers import final_by_task, rows_of

DOCS = Path(__file__).resolve().parent.parent / "docs" / "pytest.md"
CONFTEST_BLOCK = re.compile(r"^```python no-run\n(# conftest\.py\n.*?)^```$", re.DOTALL | re.M)


def docs_conftest(hook: str) -> str:
    """The docs' ``conftest.py`` example that implements ``hook``."""
    (block,) = [b for b in CONFTEST_BLOCK.findall(DOCS.read_text()) if f"def {hook}(" in b]
    return block


SLOW_TEST = """
import time
import pytest

@pytest.mark.task_timing(timeout=2, enforce=False)
def test_slow():
    time.sleep(1.2)
"""
THRESHOLD = "--task-timing-warning-threshold=0.25"
"""Warned at 0.5 s: long before the test ends, however late a busy machine wakes the watchdog."""


def test_row_hook_example_changes_every_test_row(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeconftest(docs_conftest("pytest_tasktiming_row"))
    pytester.makepyfile("def test_one():\n    pass\n")
    monkeypatch.setenv("CI_JOB_NAME", "linux-py311")
    pytester.runpytest("--task-timing").assert_outcomes(passed=1)
    rows = rows_of(pytester.path / "task_timing.tsv")
    assert [(row.mode, row.result) for row in rows] == [
        ("pytest@linux-py311", "started"),
        ("pytest@linux-py311", "passed"),
    ]


def test_row_hook_returning_none_keeps_the_row(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeconftest(docs_conftest("pytest_tasktiming_row"))
    pytester.makepyfile("def test_one():\n    pass\n")
    monkeypatch.delenv("CI_JOB_NAME", raising=False)
    pytester.runpytest("--task-timing").assert_outcomes(passed=1)
    assert {row.mode for row in rows_of(pytester.path / "task_timing.tsv")} == {"pytest"}


def test_row_hook_sees_typed_rows_with_the_real_times(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import dataclasses

        def pytest_tasktiming_row(config, row):
            if row.duration is not None:
                span = (row.end_time - row.start_time).total_seconds()
                # never shorter than pytest's duration, and on the same clock: a busy machine
                # may stretch the gaps between phases, a wrong clock would be hours off
                assert 0 <= span - row.duration < 60
                return dataclasses.replace(row, task=row.task.upper())
        """
    )
    pytester.makepyfile(test_lower="def test_one():\n    pass\n")
    pytester.runpytest("--task-timing").assert_outcomes(passed=1)
    assert list(final_by_task(pytester.path / "task_timing.tsv")) == ["TEST_LOWER.PY::TEST_ONE"]


def test_timeout_warning_hook_example_replaces_the_terminal_line(
    pytester: pytest.Pytester, capfd: pytest.CaptureFixture[str]
) -> None:
    pytester.makeconftest(docs_conftest("pytest_tasktiming_timeout_warning"))
    pytester.makepyfile(test_slow=SLOW_TEST)
    result = pytester.runpytest(
        "--task-timing", THRESHOLD, "-o", "log_file=slow.log", "-o", "log_file_level=WARNING"
    )
    result.assert_outcomes(passed=1, warnings=1)
    log = (pytester.path / "slow.log").read_text()
    assert re.search(r"test_slow.py::test_slow: \d+\.\ds of its 2s timeout", log), log
    assert "tasktiming:" not in capfd.readouterr().err
    result.stdout.fnmatch_lines(["*TaskTimeoutWarning: test_slow.py::test_slow has run *"])


def test_built_in_warning_line_goes_to_the_terminal_without_a_hook(
    pytester: pytest.Pytester, capfd: pytest.CaptureFixture[str]
) -> None:
    pytester.makepyfile(test_slow=SLOW_TEST)
    pytester.runpytest("--task-timing", THRESHOLD).assert_outcomes(passed=1, warnings=1)
    err = capfd.readouterr().err
    assert re.search(r"tasktiming: test_slow.py::test_slow has run [\d.]+ m?s, \d+% of its 2s", err)
