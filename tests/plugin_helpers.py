"""Shared by the plugin tests: run pytest in a process, read a run's rows, and its
``--junitxml`` for comparison."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from processes import run_captured

from pytest_tasktiming import TaskRow, fold, read_rows
from pytest_tasktiming.plugin.workers import stable_nodeid

OUTCOMES_TEST = """
import pytest

def test_passes():
    pass

def test_fails():
    assert 1 == 2

@pytest.mark.skip(reason="not today")
def test_is_skipped():
    pass

@pytest.mark.xfail(reason="known bug")
def test_xfails():
    assert False

@pytest.mark.xfail(reason="fixed already")
def test_xpasses():
    pass

@pytest.fixture
def broken_setup():
    raise RuntimeError("setup broke")

def test_setup_error(broken_setup):
    pass

@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("teardown broke")

def test_teardown_error(broken_teardown):
    pass

@pytest.mark.parametrize("n", [1, 2])
def test_parametrized(n):
    assert n
"""
"""One test per pytest outcome; EXPECTED_OUTCOMES gives each one's result column."""

EXPECTED_OUTCOMES = {
    "test_outcomes.py::test_passes": "passed",
    "test_outcomes.py::test_fails": "failed",
    "test_outcomes.py::test_is_skipped": "skipped",
    "test_outcomes.py::test_xfails": "xfailed",
    "test_outcomes.py::test_xpasses": "xpassed",
    "test_outcomes.py::test_setup_error": "error",
    "test_outcomes.py::test_teardown_error": "error",
    "test_outcomes.py::test_parametrized[1]": "passed",
    "test_outcomes.py::test_parametrized[2]": "passed",
}

DECORATED_TEST = """
import pytest
from pytest_tasktiming import timed, timed_task

@timed_task(name="helper")
def helper(n):
    return n * 2

@pytest.mark.parametrize("n", range(6))
def test_calls_decorated_code(n):
    assert helper(n) == 2 * n
    with timed("block"):
        pass

@pytest.mark.xdist_group("db")
def test_in_a_group():
    pass
"""
"""Decorated code inside tests: 6 calls of ``helper`` and ``block`` each, and one test in an
xdist group."""


def run_pytest_process(
    cwd: Path, *args: str, timeout: float = 60, **env: str
) -> subprocess.CompletedProcess[str]:
    """``pytest --task-timing ARGS`` in a process of its own, its output captured: for what
    ends the process, or settings read from the environment at start-up."""
    argv = [sys.executable, "-m", "pytest", "--task-timing", *args]
    return run_captured(argv, cwd=cwd, timeout=timeout, **env)


def rows_of(path: Path) -> list[TaskRow]:
    return list(read_rows(path))


def final_by_task(path: Path) -> dict[str, TaskRow]:
    """The final row of each test (not of decorated code), by task; fails on two runs of one."""
    finals: dict[str, TaskRow] = {}
    for row in fold(read_rows(path)).values():
        if row.mode == "code":
            continue
        assert row.task not in finals, f"two runs of {row.task}"
        finals[row.task] = row
    return finals


@dataclass(frozen=True)
class JunitCase:
    outcome: str
    """passed, failed, error, skipped or xfailed, as the XML can tell them apart."""
    time: float


JUNIT_MATCHES = {
    "passed": {"passed", "xpassed"},
    "failed": {"failed", "timeout"},
    "error": {"error", "timeout"},
    "skipped": {"skipped"},
    "xfailed": {"xfailed"},
}
"""Which of our results each JUnit outcome stands for (JUnit has no xpass nor timeout)."""


def junit_cases(path: Path) -> dict[str, JunitCase]:
    """Test cases of a ``--junitxml`` file by node id (of top-level files; no ``@group``)."""
    cases = {}
    for case in ET.parse(path).iter("testcase"):
        module, _, klass = case.attrib["classname"].partition(".")
        nodeid = "::".join(filter(None, [f"{module}.py", klass, case.attrib["name"]]))
        tags = {child.tag: child for child in case}
        if "error" in tags:
            outcome = "error"
        elif "failure" in tags:
            outcome = "failed"
        elif "skipped" in tags:
            xfail = tags["skipped"].attrib.get("type") == "pytest.xfail"
            outcome = "xfailed" if xfail else "skipped"
        else:
            outcome = "passed"
        cases[stable_nodeid(nodeid)] = JunitCase(outcome, float(case.attrib["time"]))
    return cases


def assert_rows_agree_with_junit(tsv: Path, junit: Path) -> dict[str, TaskRow]:
    """Same tests, one started and one final row each, matching outcomes and durations."""
    rows = [row for row in rows_of(tsv) if row.mode == "pytest"]
    started = [row for row in rows if row.result == "started"]
    finals = final_by_task(tsv)
    cases = junit_cases(junit)
    assert set(finals) == set(cases)
    assert sorted(row.task for row in started) == sorted(cases)
    for nodeid, case in cases.items():
        row = finals[nodeid]
        assert row.result in JUNIT_MATCHES[case.outcome], (nodeid, row.result, case.outcome)
        assert row.duration is not None
        assert row.end_time is not None
        # Both add up pytest's setup, call and teardown durations; JUnit rounds to the ms.
        assert abs(row.duration - case.time) <= 0.001, (nodeid, row, case)
    return finals
