"""``--task-timing-timeout auto``: each test's limit from its history, and the words for it."""

from __future__ import annotations

import pytest
from history_files import recorded
from plugin_helpers import final_by_task

HANGS = """
import time
import pytest

def test_hangs():
    time.sleep(60)  # what a hung test looks like: the limit stops it long before

@pytest.mark.task_timing(timeout=120)
def test_marked():
    time.sleep(0.3)

def test_new():
    time.sleep(0.3)
"""
AUTO = ("--task-timing", "--task-timing-timeout=auto", "--task-timing-auto-floor=0.5")


@pytest.fixture(autouse=True)
def _history(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TASK_TIMING_FILE", raising=False)
    pytester.makepyfile(test_auto=HANGS)
    # test_hangs and test_marked took 10 ms three times; test_new has one run only.
    recorded(pytester.path / "history.tsv", {"test_auto.py::test_hangs": 0.01}, runs=3)
    recorded(pytester.path / "marked.tsv", {"test_auto.py::test_marked": 0.01}, runs=3)
    recorded(pytester.path / "new.tsv", {"test_auto.py::test_new": 0.01}, runs=1)
    with pytester.path.joinpath("history.tsv").open("a") as history:
        for other in ("marked.tsv", "new.tsv"):
            history.write(pytester.path.joinpath(other).read_text().split("\n", 1)[1])


@pytest.mark.parametrize(
    "workers", [pytest.param([], id="serial"), pytest.param(["-n", "2"], id="n2")]
)
def test_a_hung_test_fails_at_its_derived_limit_and_says_how_it_was_derived(
    pytester: pytest.Pytester, workers: list[str]
) -> None:
    if workers:
        pytest.importorskip("xdist")
    result = pytester.runpytest_subprocess(*AUTO, "--task-timing-history=history.tsv", *workers)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*TaskTimeoutError: task 'test_auto.py::test_hangs' timed out after *s (timeout 0.5s)",
            "*task timing*",
            "timeout auto: the limit was 0.5s, the floor (5 x 0.010s, the longest of its last 3 "
            "passing runs, is 0.05s)",
        ]
    )
    finals = final_by_task(pytester.path / "task_timing.tsv")
    assert finals["test_auto.py::test_hangs"].result == "timeout"
    assert finals["test_auto.py::test_hangs"].duration < 30  # stopped, not slept through
    # The marker's 120 s wins; one recorded run is too few for a limit of 0.5 s.
    assert finals["test_auto.py::test_marked"].result == "passed"
    assert finals["test_auto.py::test_new"].result == "passed"


def test_verbose_output_says_how_the_limits_were_derived(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_auto="def test_new():\n    pass\n\ndef test_hangs():\n    pass\n")
    result = pytester.runpytest(*AUTO, "--task-timing-history=history.tsv", "-vv")
    result.stdout.fnmatch_lines(
        [
            "task timing: timeout auto = 5 x the longest recent passing run, at least 0.5s, at "
            "most 3600s (3600s with fewer than 3 runs): 1 of 2 tests from history, 0.5s to 0.5s",
            "  test_auto.py::test_hangs: 0.5s, the floor (5 x 0.010s*",
            "  test_auto.py::test_new: 3600s, as it has 1 recorded passing runs (auto needs 3)",
        ]
    )
    quiet = pytester.runpytest(*AUTO, "--task-timing-history=history.tsv")
    assert "timeout auto =" not in quiet.stdout.str()


def test_the_ini_options_set_factor_and_floor(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_auto="def test_hangs():\n    pass\n")
    pytester.makeini(
        "[pytest]\ntask_timing = true\ntask_timing_timeout = auto\n"
        "task_timing_auto_factor = 10\ntask_timing_auto_floor = 0\n"
        "task_timing_history = history.tsv\n"
    )
    result = pytester.runpytest("-vv")
    result.stdout.fnmatch_lines(["  test_auto.py::test_hangs: 0.1s = 10 x 0.010s, the longest*"])
