"""Durations as people write and read them, both ways: one home for each direction.

``parse_seconds`` reads timeouts written as seconds or with a unit (``90``, ``"1.5h"``,
``"30m"``); ``human_duration`` writes a duration in the unit that reads best (``850 µs``,
``12.3 ms``, ``4.21 s``, ``2.08 min``, ``1.52 h``) wherever a person reads one: the terminal
summary, the report's table and Markdown, and the HTML page (whose script mirrors it, kept
equal by a test).
"""

from __future__ import annotations

import math
import re

_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_PATTERN = re.compile(r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*(s|min|m|h|d)?\s*")


def parse_seconds(value: object, *, source: str) -> float | None:
    """Return ``value`` in seconds, or None when it disables the timeout (``None``, 0, "0").

    :param source: where the value came from, named in the error, e.g. ``"ini option
        task_timing_timeout"``.
    :raises ValueError: with a message naming the value, its source and the expected form.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise _invalid(value, source)
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        match = _PATTERN.fullmatch(value.lower())
        if match is None:
            raise _invalid(value, source)
        seconds = float(match.group(1)) * _UNITS[match.group(2) or ""]
    else:
        raise _invalid(value, source)
    if not math.isfinite(seconds) or seconds < 0:
        raise _invalid(value, source)
    return seconds or None


def _invalid(value: object, source: str) -> ValueError:
    return ValueError(
        f"invalid timeout {value!r} from {source}: expected seconds >= 0 "
        "or a number with a unit (s, m, h, d), e.g. 90, '30m', '1.5h'"
    )


# (size in microseconds, unit, the value in that unit from which the next unit takes over)
_SHOWN_UNITS = ((1, "µs", 1000), (1000, "ms", 1000), (10**6, "s", 60), (6 * 10**7, "min", 60))
_HOUR = 36 * 10**8


def human_duration(seconds: float) -> str:
    """``seconds`` with three significant digits in the unit that reads best.

    Rounding is half-up on whole microseconds (the file's resolution), in integers, so the
    page's script (``fmtSeconds`` in page.js) gives the same text for the same number.
    """
    if not 0 < seconds < math.inf:
        micros = 0
    elif seconds < 1e300:
        micros = math.floor(seconds * 1e6 + 0.5)
    else:  # whole seconds anyway, and * 1e6 would overflow to infinity
        micros = int(seconds) * 10**6
    for size, unit, limit in _SHOWN_UNITS:
        decimals, scaled = _three_digits(micros, size)
        if scaled < limit * 10**decimals:
            return _text(scaled, decimals, unit)
    decimals, scaled = _three_digits(micros, _HOUR)
    return _text(scaled, decimals, "h")


def _three_digits(micros: int, size: int) -> tuple[int, int]:
    """(decimals, ``micros / size`` as an integer with that many places, rounded half-up)."""
    if size == 1:
        return 0, micros
    decimals = max(0, 3 - len(str(micros // size)))
    scaled = (2 * micros * 10**decimals + size) // (2 * size)
    if decimals and scaled >= 1000:  # 9.996 rounds up to 10.00: one place fewer
        decimals -= 1
        scaled = (2 * micros * 10**decimals + size) // (2 * size)
    return decimals, scaled


def _text(scaled: int, decimals: int, unit: str) -> str:
    whole, part = divmod(scaled, 10**decimals)
    return f"{whole}.{part:0{decimals}d} {unit}" if decimals else f"{whole} {unit}"
