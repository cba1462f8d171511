"""The plugin's settings, resolved once per session and, per test, from its marker.

Precedence, lowest first: ini option < environment (``TASK_TIMING_FILE``) < command line <
``task_timing`` marker. Every value is validated here, so a typo stops the session with one
line naming the value, where it came from and what is expected.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import NamedTuple, TypeVar

import pytest

from pytest_tasktiming._durations import parse_seconds
from pytest_tasktiming.paths import DEFAULT_FILE, ENV_FILE
from pytest_tasktiming.plugin.options import OptionValues, checked, ini_value, parse_bool

MARKER = "task_timing"
DEFAULT_MODE = "pytest"
DEFAULT_TIMEOUT: float | None = 3600.0
DEFAULT_WARNING_THRESHOLD = 0.8

T = TypeVar("T")


class Settings(NamedTuple):
    """What applies to a session, or, with its marker on top, to one test.

    Frozen, and a ``NamedTuple`` rather than a dataclass: creating a frozen dataclass costs a
    recording session about 5 million instructions of start-up (benchmarks/startup.py).

    :param task: the row's task name; None means the test's node id.
    :param timeout: seconds, or None for no timeout.
    :param session_timeout: seconds the whole session may run, or None.
    """

    path: str
    mode: str = DEFAULT_MODE
    timeout: float | None = DEFAULT_TIMEOUT
    warning_threshold: float = DEFAULT_WARNING_THRESHOLD
    enforce: bool = True
    max_streak: int = 0
    task: str | None = None
    session_timeout: float | None = None

    @classmethod
    def from_config(cls, config: pytest.Config) -> Settings:
        """Resolve the options and ini values of ``config`` (read only when recording is on);
        raise ``pytest.UsageError`` if bad."""
        values = OptionValues(config)
        no_enforce = config.getoption("task_timing_no_enforce")
        return cls(
            path=_resolve_file(config),
            mode=values.get("task_timing_mode", _parse_mode, default=DEFAULT_MODE),
            timeout=values.get("task_timing_timeout", _parse_timeout, default=DEFAULT_TIMEOUT),
            warning_threshold=values.get(
                "task_timing_warning_threshold", _parse_ratio, default=DEFAULT_WARNING_THRESHOLD
            ),
            enforce=False if no_enforce else values.get("task_timing_enforce", parse_bool, True),
            max_streak=values.get("task_timing_max_streak", _parse_count, default=0),
            session_timeout=values.get("task_timing_session_timeout", _parse_timeout, None),
        )

    def for_marker(self, marker: pytest.Mark, nodeid: str) -> Settings:
        """These settings with the marker's keywords on top; raise ``pytest.UsageError`` if bad."""
        source = f"marker {MARKER} on {nodeid}"
        if marker.args:
            raise pytest.UsageError(
                f"invalid {source}: positional arguments {marker.args!r}; "
                f"use keywords: {', '.join(_MARKER_KEYWORDS)}"
            )
        changes: dict[str, object] = {}
        for key, value in marker.kwargs.items():
            parse = _MARKER_KEYWORDS.get(key)
            if parse is None:
                raise pytest.UsageError(
                    f"invalid {source}: unknown keyword {key!r}; "
                    f"expected one of {', '.join(_MARKER_KEYWORDS)}"
                )
            changes[key] = checked(parse, value, source)
        return self._replace(**changes) if changes else self  # type: ignore[arg-type]


def _resolve_file(config: pytest.Config) -> str:
    """Command line (relative to the invocation dir) > env > ini (relative to the rootdir)."""
    option = config.getoption("task_timing_file", default=None)
    if option:
        return str(config.invocation_params.dir / os.path.expanduser(option))
    env = os.environ.get(ENV_FILE)
    if env:
        return os.path.abspath(env)
    ini = ini_value(config, "task_timing_file")
    if ini is not None and not isinstance(ini, str):
        raise pytest.UsageError(
            f"invalid file {ini!r} from ini option task_timing_file: expected a path string"
        )
    return str(config.rootpath / os.path.expanduser(ini or DEFAULT_FILE))


# --- parsers: each takes the value and its source, raises ValueError naming both ------------


def _parse_timeout(value: object, source: str) -> float | None:
    return parse_seconds(value, source=source)


def _parse_ratio(value: object, source: str) -> float:
    try:
        ratio = float(value) if not isinstance(value, bool) else math.nan  # type: ignore[arg-type]
    except (TypeError, ValueError):
        ratio = math.nan
    if not 0 < ratio <= 1:
        raise ValueError(
            f"invalid warning threshold {value!r} from {source}: "
            "expected a ratio of the timeout > 0 and <= 1, e.g. 0.8"
        )
    return ratio


def _parse_count(value: object, source: str) -> int:
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit():
        raise ValueError(f"invalid count {value!r} from {source}: expected a whole number >= 0")
    return int(text)


def _parse_text(value: object, source: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"invalid {what} {value!r} from {source}: expected a non-empty string")
    return value


def _parse_mode(value: object, source: str) -> str:
    return _parse_text(value, source, "mode")


def _parse_task(value: object, source: str) -> str:
    return _parse_text(value, source, "task name")


_MARKER_KEYWORDS: dict[str, Callable[[object, str], object]] = {
    "timeout": _parse_timeout,
    "enforce": parse_bool,
    "mode": _parse_mode,
    "task": _parse_task,
}
