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
        help="per-test timeout: seconds or '30m', '1.5h'; 0 = none; auto = from each test's "
        "history (default: 3600)",
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
    _add_history_options(group)
    group.addoption(
        "--task-timing-slowest",
        metavar="N",
        help="list the N slowest tests in the summary, with their setup/call/teardown split "
        "(default: 5; 0 = all, as --durations=0)",
    )
    group.addoption(
        "--task-timing-slowest-min",
        metavar="SECONDS",
        help="leave tests faster than this out of the slowest list (default: 0.005)",
    )
    group.addoption(
        "--task-timing-summary-file",
        metavar="PATH",
        help="append a Markdown summary of the run to PATH (as to $GITHUB_STEP_SUMMARY, "
        "which gets one whenever it is set)",
    )
    # Registered as strings: each also accepts a TOML number or boolean (see OptionValues).
    for name, help_text in (
        ("task_timing", "record every test (true/false)"),
        ("task_timing_file", "the TSV file, relative to the rootdir"),
        ("task_timing_mode", "the rows' mode column (default: pytest)"),
        ("task_timing_timeout", "per-test timeout: 3600, '3600' or '1h'; 0 = none; auto"),
        ("task_timing_warning_threshold", "share of the timeout that warns (default 0.8)"),
        ("task_timing_enforce", "false: only warn, never fail a test for time"),
        ("task_timing_session_timeout", "the session's timeout: 600, '600' or '10m'; 0 = none"),
        ("task_timing_max_streak", "stop after N consecutive failing tests (0 = never)"),
        ("task_timing_history", "the file history is read from (default: the TSV file)"),
        ("task_timing_order", "none or slowest-first: run the longest recorded tests first"),
        ("task_timing_auto_factor", "timeout auto: times the longest recent run (default 5)"),
        ("task_timing_auto_floor", "timeout auto: the least limit in seconds (default 60)"),
        ("task_timing_slowest", "the N slowest tests in the summary (default 5; 0 = all)"),
        ("task_timing_slowest_min", "seconds under which a test is not listed (0.005)"),
        ("task_timing_summary_file", "append a Markdown summary of the run to this file"),
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


def _add_history_options(group: pytest.OptionGroup) -> None:
    """The options that use the file's history (docs/history.md)."""
    group.addoption(
        "--task-timing-history",
        metavar="PATH",
        help="the file history is read from (default: the TSV file)",
    )
    group.addoption(
        "--task-timing-order",
        metavar="MODE",
        help="none (default) or slowest-first: the longest recorded tests (or, under "
        "--dist loadscope/loadfile/loadgroup, scopes) first, also as xdist dispatches them",
    )
    group.addoption(
        "--task-timing-shard",
        metavar="K/N",
        help="run only shard K of N (1-based), split by recorded durations; auto: K and N "
        "from GitLab, CircleCI or Buildkite parallel-job variables",
    )
    group.addoption(
        "--task-timing-auto-factor",
        metavar="X",
        help="timeout auto: X times the longest recent passing run (default: 5)",
    )
    group.addoption(
        "--task-timing-auto-floor",
        metavar="SECONDS",
        help="timeout auto: the least limit (default: 60)",
    )


T = TypeVar("T")


def recording_enabled(config: pytest.Config) -> bool:
    """``--task-timing``, else the ini key ``task_timing``."""
    return OptionValues(config).get("task_timing", parse_bool, default=False)


def history_wanted(config: pytest.Config) -> bool:
    """True when an option that uses the history is given: they work without recording too.

    Only whether a value is there; ``settings.HistorySettings`` parses it.
    """
    if config.getoption("task_timing_shard", default=None) is not None:
        return True
    order = config.getoption("task_timing_order", default=None)
    return order is not None or ini_value(config, "task_timing_order") is not None


def otel_wanted(config: pytest.Config) -> tuple[bool, str]:
    """Whether span export is on, and what said so; ini < ``OTEL_*`` environment < command
    line. ``OTEL_SDK_DISABLED=true`` and ``OTEL_TRACES_EXPORTER=none`` switch it off, as they
    do for every OpenTelemetry SDK. Asked here, so that a session without export never
    imports ``plugin/otel.py``.
    """
    if config.getoption("task_timing_otel"):
        return True, "--task-timing-otel"
    from pytest_tasktiming._otel_env import export_by_env  # an enabled session's, not an off one's

    on, variable = export_by_env()
    if on is not None:
        return on, variable
    return OptionValues(config).get("task_timing_otel", parse_bool, False), "task_timing_otel"


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
