"""Parse timeouts written as seconds or with a unit: ``90``, ``"90"``, ``"1.5h"``, ``"30m"``."""

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


def format_seconds(seconds: float) -> str:
    """Seconds for a message: milliseconds shown under one second (``0.163s``, ``48.0s``)."""
    return f"{seconds:.3f}s" if seconds < 1 else f"{seconds:.1f}s"
