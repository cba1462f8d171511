"""Every command-line option and ini key of the plugin, declared here and nowhere else.

``settings.py`` reads them back, validated, into ``Settings``; the OpenTelemetry switch is
read by ``otel.py``.
"""

from __future__ import annotations

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
