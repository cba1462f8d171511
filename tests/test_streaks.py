"""CommandFailureTracker: consecutive failures per command, per thread, Exceptions only."""

from __future__ import annotations

import threading

import pytest

from pytest_tasktiming import CommandFailureTracker


def test_consecutive_failures_count_up_and_stop_at_the_limit() -> None:
    tracker = CommandFailureTracker(max_consecutive_failures=3)
    assert [tracker.record_failure("deploy", ValueError()) for _ in range(2)] == [1, 2]
    assert not tracker.should_stop("deploy")
    assert tracker.record_failure("deploy") == 3
    assert tracker.should_stop("deploy")
    assert tracker.consecutive_failures("deploy") == 3


def test_a_success_ends_the_streak_and_says_how_long_it_was() -> None:
    tracker = CommandFailureTracker()
    tracker.record_failure("deploy")
    tracker.record_failure("deploy")
    assert tracker.record_success("deploy") == 2
    assert tracker.consecutive_failures("deploy") == 0
    assert tracker.record_success("deploy") == 0


def test_commands_are_counted_separately() -> None:
    tracker = CommandFailureTracker(max_consecutive_failures=2)
    tracker.record_failure("build")
    tracker.record_failure("build")
    tracker.record_failure("test")
    assert tracker.should_stop("build")
    assert not tracker.should_stop("test")


@pytest.mark.parametrize(
    "interruption",
    [
        pytest.param(KeyboardInterrupt(), id="KeyboardInterrupt"),
        pytest.param(SystemExit(1), id="SystemExit"),
        pytest.param(GeneratorExit(), id="GeneratorExit"),
    ],
)
def test_an_interruption_is_neither_a_failure_nor_a_success(interruption: BaseException) -> None:
    tracker = CommandFailureTracker(max_consecutive_failures=2)
    tracker.record_failure("deploy", RuntimeError("down"))
    assert tracker.record_failure("deploy", interruption) == 1
    assert tracker.consecutive_failures("deploy") == 1
    assert not tracker.should_stop("deploy")


def test_each_thread_sees_only_its_own_streaks() -> None:
    tracker = CommandFailureTracker(max_consecutive_failures=3)
    failed_twice = threading.Barrier(2)
    seen: dict[str, int] = {}

    def fail_twice_then_look(name: str) -> None:
        tracker.record_failure("shared")
        tracker.record_failure("shared")
        failed_twice.wait(timeout=10)  # both threads have counted before either looks
        seen[name] = tracker.consecutive_failures("shared")

    threads = [threading.Thread(target=fail_twice_then_look, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {"a": 2, "b": 2}
    assert tracker.consecutive_failures("shared") == 0  # the main thread never failed


@pytest.mark.parametrize(
    ("value", "error"),
    [
        pytest.param(0, ValueError, id="zero"),
        pytest.param(-1, ValueError, id="negative"),
        pytest.param("3", TypeError, id="string"),
        pytest.param(True, TypeError, id="bool"),
    ],
)
def test_a_bad_limit_is_refused_with_a_clear_message(value: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="max_consecutive_failures"):
        CommandFailureTracker(max_consecutive_failures=value)  # type: ignore[arg-type]
