"""A small suite to try the plugin on: ``pytest --task-timing examples/``, then
``tasktiming report``. It runs in about a second and shows what the rows and the summary hold:
a parametrized test, tests using a timed helper, a slow test that passes its warning threshold
(the warning appears while it runs), and a per-test marker.
"""

from __future__ import annotations

import threading

import pytest

from pytest_tasktiming import timed, timed_task


@timed_task(name="examples.load_prices")
def load_prices() -> dict[str, float]:
    """A helper whose every call is a row too (mode ``code``), inside its test's span."""
    return {"book": 12.0, "pen": 1.5, "lamp": 30.0}


@pytest.fixture(scope="module")
def prices() -> dict[str, float]:
    return load_prices()


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        pytest.param("book", 14.4, id="book"),
        pytest.param("pen", 1.8, id="pen"),
        pytest.param("lamp", 36.0, id="lamp"),
    ],
)
def test_price_with_tax(prices: dict[str, float], item: str, expected: float) -> None:
    assert prices[item] * 1.2 == pytest.approx(expected)


def test_basket_total(prices: dict[str, float]) -> None:
    with timed("examples.sum basket"):  # a block timed as its own task
        total = sum(prices.values())
    assert total == 43.5


@pytest.mark.task_timing(timeout=0.5, enforce=False, mode="slow")
def test_slow_report() -> None:
    """Passes 80% of its 0.5 s timeout: a warning while it runs, listed in the summary."""
    threading.Event().wait(0.45)


@pytest.mark.skip(reason="shows a skipped row")
def test_not_today() -> None:
    raise AssertionError("never runs")
