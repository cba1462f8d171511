"""Every command-line option and ini key of the plugin: declared here and nowhere else, and
read back one at a time (command line, else ini file), parsed and validated.

All a session that never enables the plugin runs: ``recording_enabled`` decides, and
``settings.py`` resolves the rest into ``Settings`` only when it says yes; ``otel.py`` reads
the OpenTelemetry switch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from pytest_tasktiming.paths import DEFAULT_FILE, ENV_FILE

MARKER_HELP = (
    "task_timing(timeout=None, enforce=None, mode=None, task=None): per-test settings of "
    "pytest-tasktiming: timeout in seconds or with a unit ('90', '30m', '1.5h'; 0 = none), "
    "enforce=False to only warn, the row's mode and task name."
)


def add_options(parser: pytest.Parser) -> None:
    """Register the command-line options and ini keys of CONTRACT.md."""
    group = parser.getgroup("tasktiming", "record every test's timing (pytest-tasktiming)")
    group.addoption(
        "--task-timing",
        action="store_true",
        default=None,
        help="record every test as rows of the task-timing TSV file",
    )
    group.addoption(
        "--task-timing-file",
        metavar="PATH",
        help=f"the TSV file (default: ${ENV_FILE}, else {DEFAULT_FILE} in the rootdir)",
    )
    group.addoption(
        "--task-timing-mode", metavar="MODE", help="the rows' mode column (default: pytest)"
    )
    group.addoption(
        "--task-timing-timeout",
        metavar="SECONDS",
        help="per-test timeout: seconds or '30m', '1.5h'; 0 = none (default: 3600)",
    )
    group.addoption(
        "--task-timing-warning-threshold",
        metavar="RATIO",
        help="warn when a test has used this share of its timeout (default: 0.8)",
    )
    group.addoption(
        "--task-timing-no-enforce",
        action="store_true",
        default=False,
        help="only warn about slow tests, never fail one for time",
    )
    group.addoption(
        "--task-timing-session-timeout",
        metavar="SECONDS",
        help="end the session when it has run this long: the running test times out, the rest "
        "are not started; seconds or '30m', '1.5h' (default: 0 = none)",
    )
    group.addoption(
        "--task-timing-max-streak",
        metavar="N",
        help="stop the session after N consecutive failing tests (default: 0 = never)",
    )
    # Registered as strings: each also accepts a TOML number or boolean (see OptionValues).
    for name, help_text in (
        ("task_timing", "record every test (true/false)"),
        ("task_timing_file", "the TSV file, relative to the rootdir"),
        ("task_timing_mode", "the rows' mode column (default: pytest)"),
        ("task_timing_timeout", "per-test timeout: 3600, '3600' or '1h'; 0 = none"),
        ("task_timing_warning_threshold", "share of the timeout that warns (default 0.8)"),
        ("task_timing_enforce", "false: only warn, never fail a test for time"),
        ("task_timing_session_timeout", "the session's timeout: 600, '600' or '10m'; 0 = none"),
        ("task_timing_max_streak", "stop after N consecutive failing tests (0 = never)"),
    ):
        parser.addini(name, help_text, type="string", default=None)
    group.addoption(
        "--task-timing-html",
        metavar="PATH",
        help="at the end of the session, write the file's HTML report to PATH",
    )
    group.addoption(
        "--task-timing-otel",
        action="store_true",
        default=None,
        help="send each test's row as an OpenTelemetry span to the OTLP collector of the "
        "OTEL_* variables (needs the otel extra; also on when OTEL_TRACES_EXPORTER or "
        "OTEL_EXPORTER_OTLP_ENDPOINT is set)",
    )
    parser.addini(
        "task_timing_otel", "send rows as OpenTelemetry spans (true/false)", type="string"
    )


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
