"""Reading one setting: the command line, else the ini file, parsed and validated; and which
process of an xdist session this is.

All a session that never enables the plugin runs: ``recording_enabled`` decides, and the
settings module is imported only when it says yes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pytest

T = TypeVar("T")


def recording_enabled(config: pytest.Config) -> bool:
    """``--task-timing``, else the ini key ``task_timing``."""
    return OptionValues(config).get("task_timing", parse_bool, default=False)


class OptionValues:
    """Reads one setting from the command line, else the ini file, parsed and validated."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def get(self, name: str, parse: Callable[[object, str], T], default: T) -> T:
        option = self.config.getoption(name, default=None)
        if option is not None:
            flag = "--" + name.replace("_", "-")
            return checked(parse, option, f"command line option {flag}")
        value = ini_value(self.config, name)
        if value is None:
            return default
        return checked(parse, value, f"ini option {name}")


def ini_value(config: pytest.Config, name: str) -> object:
    """The ini value of ``name``, or None if unset (pytest before 8 gives [] for that)."""
    try:
        value = config.getini(name)
    except (TypeError, pytest.UsageError):
        # pytest 9's native [tool.pytest] table type-checks "string" options and refuses
        # the TOML numbers and booleans we accept (timeout = 3600, task_timing = true):
        # 9.0 raises TypeError, 9.2 wraps it in a UsageError.
        value = config._inicfg[name].value
    return None if value in ("", []) else value


def checked(parse: Callable[[object, str], T], value: object, source: str) -> T:
    """``parse(value, source)``, its ValueError raised as a ``pytest.UsageError``."""
    try:
        return parse(value, source)
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def parse_bool(value: object, source: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValueError(f"invalid boolean {value!r} from {source}: expected true or false")


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
