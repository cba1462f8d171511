"""The plugin's settings, resolved once per session and, per test, from its marker.

Precedence, lowest first: ini option < environment (``TASK_TIMING_FILE``) < command line <
``task_timing`` marker. Every value is validated here, so a typo stops the session with one
line naming the value, where it came from and what is expected.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import pytest

from pytest_tasktiming._durations import parse_seconds
from pytest_tasktiming.paths import DEFAULT_FILE, ENV_FILE

MARKER = "task_timing"
DEFAULT_MODE = "pytest"
DEFAULT_TIMEOUT: float | None = 3600.0
DEFAULT_WARNING_THRESHOLD = 0.8

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Settings:
    """What applies to a session, or, with its marker on top, to one test.

    :param task: the row's task name; None means the test's node id.
    :param timeout: seconds, or None for no timeout.
    :param session_timeout: seconds the whole session may run, or None.
    """

    enabled: bool
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
        """Resolve the options and ini values of ``config``; raise ``pytest.UsageError`` if bad."""
        values = OptionValues(config)
        enabled = values.get("task_timing", parse_bool, default=False)
        if not enabled:
            return cls(enabled=False, path="")
        no_enforce = config.getoption("task_timing_no_enforce")
        return cls(
            enabled=True,
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
            changes[key] = _checked(parse, value, source)
        return replace(self, **changes) if changes else self  # type: ignore[arg-type]


class OptionValues:
    """Reads one setting from the command line, else the ini file, parsed and validated."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def get(self, name: str, parse: Callable[[object, str], T], default: T) -> T:
        option = self.config.getoption(name, default=None)
        if option is not None:
            flag = "--" + name.replace("_", "-")
            return _checked(parse, option, f"command line option {flag}")
        value = _ini(self.config, name)
        if value is None:
            return default
        return _checked(parse, value, f"ini option {name}")


def _ini(config: pytest.Config, name: str) -> object:
    """The ini value of ``name``, or None if unset (pytest before 8 gives [] for that)."""
    try:
        value = config.getini(name)
    except (TypeError, pytest.UsageError):
        # pytest 9's native [tool.pytest] table type-checks "string" options and refuses
        # the TOML numbers and booleans we accept (timeout = 3600, task_timing = true):
        # 9.0 raises TypeError, 9.2 wraps it in a UsageError.
        value = config._inicfg[name].value
    return None if value in ("", []) else value


def _checked(parse: Callable[[object, str], T], value: object, source: str) -> T:
    try:
        return parse(value, source)
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None


def _resolve_file(config: pytest.Config) -> str:
    """Command line (relative to the invocation dir) > env > ini (relative to the rootdir)."""
    option = config.getoption("task_timing_file", default=None)
    if option:
        return str(config.invocation_params.dir / os.path.expanduser(option))
    env = os.environ.get(ENV_FILE)
    if env:
        return os.path.abspath(env)
    ini = _ini(config, "task_timing_file")
    if ini is not None and not isinstance(ini, str):
        raise pytest.UsageError(
            f"invalid file {ini!r} from ini option task_timing_file: expected a path string"
        )
    return str(config.rootpath / os.path.expanduser(ini or DEFAULT_FILE))


# --- parsers: each takes the value and its source, raises ValueError naming both ------------

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def parse_bool(value: object, source: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValueError(f"invalid boolean {value!r} from {source}: expected true or false")


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


# --- xdist: which process this is ------------------------------------------------------

PATH_KEY = "tasktiming_path"
"""``workerinput`` key: the file the controller writes, as it tells its workers."""


def is_worker(config: pytest.Config) -> bool:
    """True in an xdist worker process (it has ``workerinput``)."""
    return hasattr(config, "workerinput")


def worker_path(config: pytest.Config) -> str | None:
    """The file the controller writes, as it told this worker (None outside workers)."""
    workerinput: dict[str, Any] = getattr(config, "workerinput", {})
    path = workerinput.get(PATH_KEY)
    return path if isinstance(path, str) else None
