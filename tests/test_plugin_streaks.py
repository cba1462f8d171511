"""Failure streaks: the current one in the summary, the stop, and the file's history."""

from __future__ import annotations

import pytest
from plugin_helpers import final_by_task


def test_max_streak_stops_the_session_after_n_consecutive_failures(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_streak="""
        import pytest

        @pytest.mark.parametrize("n", range(5))
        def test_broken(n):
            assert False

        def test_never_reached():
            pass
        """
    )
    result = pytester.runpytest("--task-timing", "--task-timing-max-streak=3")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(
        ["*tasktiming: stopping after 3 consecutive failing tests (max streak 3)*"]
    )
    assert len(final_by_task(pytester.path / "task_timing.tsv")) == 3


def test_a_pass_ends_a_streak_and_a_skip_does_not(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_mixed="""
        import pytest

        def test_1_fails():
            assert False

        def test_2_skips():
            pytest.skip("no")

        def test_3_fails():
            assert False

        def test_4_passes():
            pass

        def test_5_fails():
            assert False

        def test_6_errors(missing_fixture):
            pass

        def test_7_skips():
            pytest.skip("no")
        """
    )
    result = pytester.runpytest("--task-timing", "--task-timing-max-streak=3")
    result.assert_outcomes(failed=3, passed=1, skipped=2, errors=1)
    result.stdout.fnmatch_lines(
        ["current failure streak: 2 tests, from test_mixed.py::test_5_fails"]
    )


def test_summary_names_tests_that_failed_in_their_last_three_runs(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_history="""
        import os

        def test_always_fails():
            assert False

        def test_flaky_then_fixed():
            assert os.environ.get("RUN") != "1"
        """
    )
    for run in ("1", "2"):
        with pytest.MonkeyPatch.context() as env:
            env.setenv("RUN", run)
            result = pytester.runpytest("--task-timing")
        assert "last 3+ recorded runs" not in result.stdout.str()
    result = pytester.runpytest("--task-timing")
    result.stdout.fnmatch_lines(
        [
            "failed in each of their last 3+ recorded runs:",
            "  3 runs test_history.py::test_always_fails",
        ]
    )
    assert "runs test_history.py::test_flaky_then_fixed" not in result.stdout.str()
