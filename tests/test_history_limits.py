"""``--task-timing-timeout auto``: a limit from a test's recent passing runs."""

from __future__ import annotations

import pytest

from pytest_tasktiming.history.limits import CAP, auto_limit


@pytest.mark.parametrize(
    ("recent", "seconds", "reason"),
    [
        pytest.param([20.0, 30.0, 25.0], 150.0, "150s = 5 x 30.000s, the longest", id="derived"),
        pytest.param([1.0, 2.0, 1.5], 60.0, "60s, the floor (5 x 2.000s", id="floor"),
        pytest.param([900.0, 800.0, 1000.0], CAP, "3600s, the cap (5 x 1000.000s", id="cap"),
        pytest.param([1.0, 1.0], CAP, "as it has 2 recorded passing runs", id="too-few"),
        pytest.param([], CAP, "as it has 0 recorded passing runs", id="none"),
    ],
)
def test_the_limit_and_how_it_was_derived(recent: list[float], seconds: float, reason: str) -> None:
    limit = auto_limit(recent, factor=5, floor=60)
    assert limit.seconds == seconds
    assert reason in limit.reason
    assert limit.derived == (len(recent) >= 3)


def test_factor_and_floor_are_the_users() -> None:
    assert auto_limit([0.2, 0.3, 0.1], factor=2, floor=0.5).seconds == 0.6
