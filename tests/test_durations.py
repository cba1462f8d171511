"""``human_duration``: the one way a duration is written for people, in every view."""

from __future__ import annotations

import pytest

from pytest_tasktiming._durations import human_duration


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        pytest.param(0.0, "0 µs", id="zero"),
        pytest.param(0.000001, "1 µs", id="the-files-resolution"),
        pytest.param(0.000999, "999 µs", id="last-microseconds"),
        pytest.param(0.0009996, "1.00 ms", id="rounds-up-into-ms"),
        pytest.param(0.0123, "12.3 ms", id="ms"),
        pytest.param(0.0999951, "100 ms", id="three-digits-after-rounding"),
        pytest.param(0.999951, "1.00 s", id="rounds-up-into-s"),
        pytest.param(1.125, "1.13 s", id="a-tie-rounds-half-up"),
        pytest.param(9.995, "10.0 s", id="one-place-fewer-after-rounding"),
        pytest.param(59.94, "59.9 s", id="last-seconds"),
        pytest.param(59.96, "1.00 min", id="rounds-up-into-min"),
        pytest.param(125.0, "2.08 min", id="min"),
        pytest.param(3599.9, "1.00 h", id="rounds-up-into-h"),
        pytest.param(7200.0, "2.00 h", id="h"),
        pytest.param(259200.0, "72.0 h", id="days-in-hours"),
        pytest.param(-1.0, "0 µs", id="negative-is-none"),
        pytest.param(float("nan"), "0 µs", id="nan"),
        pytest.param(1e308, f"{(int(1e308) + 1800) // 3600} h", id="finite-past-microseconds"),
    ],
)
def test_a_duration_reads_in_its_best_unit_with_three_digits(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text
