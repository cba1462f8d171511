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
AUTO = "auto"
DEFAULT_AUTO_FACTOR = 5.0
DEFAULT_AUTO_FLOOR = 60.0
ORDERS = ("none", "slowest-first")
DEFAULT_SLOWEST = 5
DEFAULT_SLOWEST_MIN = 0.005  # as pytest's --durations-min
ENV_STEP_SUMMARY = "GITHUB_STEP_SUMMARY"

T = TypeVar("T")

AUTO_LIMIT_KEY = pytest.StashKey[float]()
"""A test's limit under ``--task-timing-timeout auto`` (``auto_timeouts.py``), for the runner."""


class AutoTimeout(NamedTuple):
    """``--task-timing-timeout auto``: each test's limit from its history (``history.limits``)."""

    factor: float = DEFAULT_AUTO_FACTOR
    floor: float = DEFAULT_AUTO_FLOOR


class Settings(NamedTuple):
    """What applies to a session, or, with its marker on top, to one test.

    Frozen, and a ``NamedTuple`` rather than a dataclass: creating a frozen dataclass costs a
    recording session about 5 million instructions of start-up (benchmarks/startup.py).

    :param task: the row's task name; None means the test's node id.
    :param timeout: seconds, or None for no timeout.
    :param slowest: tests listed in the summary's slowest list; 0 lists all.
    :param summary_files: where the Markdown summary is appended (``$GITHUB_STEP_SUMMARY``,
        ``--task-timing-summary-file``).
    :param session_timeout: seconds the whole session may run, or None.
    """

    path: str
    mode: str = DEFAULT_MODE
    timeout: float | None = DEFAULT_TIMEOUT
    warning_threshold: float = DEFAULT_WARNING_THRESHOLD
    enforce: bool = True
    max_streak: int = 0
    task: str | None = None
    auto_timeout: AutoTimeout | None = None
    slowest: int = DEFAULT_SLOWEST
    slowest_min: float = DEFAULT_SLOWEST_MIN
    summary_files: tuple[str, ...] = ()
    session_timeout: float | None = None

    @classmethod
    def from_config(cls, config: pytest.Config) -> Settings:
        """Resolve the options and ini values of ``config`` (read only when recording is on);
        raise ``pytest.UsageError`` if bad."""
        values = OptionValues(config)
        no_enforce = config.getoption("task_timing_no_enforce")
        unset: float | str | None = DEFAULT_TIMEOUT
        limit = values.get("task_timing_timeout", _parse_limit, default=unset)
        return cls(
            path=_resolve_file(config),
            mode=values.get("task_timing_mode", _parse_mode, default=DEFAULT_MODE),
            # auto: the most a derived limit can be, for tests with a marker's settings
            timeout=DEFAULT_TIMEOUT if isinstance(limit, str) else limit,
            auto_timeout=_auto_timeout(values) if limit == AUTO else None,
            warning_threshold=values.get(
                "task_timing_warning_threshold", _parse_ratio, default=DEFAULT_WARNING_THRESHOLD
            ),
            enforce=False if no_enforce else values.get("task_timing_enforce", parse_bool, True),
            max_streak=values.get("task_timing_max_streak", _parse_count, default=0),
            slowest=values.get("task_timing_slowest", _parse_count, default=DEFAULT_SLOWEST),
            slowest_min=values.get(
                "task_timing_slowest_min", _parse_min_seconds, default=DEFAULT_SLOWEST_MIN
            ),
            summary_files=_summary_files(config),
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


def _summary_files(config: pytest.Config) -> tuple[str, ...]:
    """``$GITHUB_STEP_SUMMARY``, then the option's file (command line, else ini), each once."""
    files = [os.environ.get(ENV_STEP_SUMMARY) or None]
    option = config.getoption("task_timing_summary_file", default=None)
    if option:
        files.append(str(config.invocation_params.dir / os.path.expanduser(option)))
    else:
        ini = ini_value(config, "task_timing_summary_file")
        if ini is not None:
            files.append(str(config.rootpath / os.path.expanduser(str(ini))))
    return tuple(dict.fromkeys(os.path.abspath(f) for f in files if f))


# --- parsers: each takes the value and its source, raises ValueError naming both ------------


def _parse_timeout(value: object, source: str) -> float | None:
    return parse_seconds(value, source=source)


def _parse_limit(value: object, source: str) -> float | str | None:
    """A timeout, or ``auto``."""
    if isinstance(value, str) and value.strip().lower() == AUTO:
        return AUTO
    return parse_seconds(value, source=source)


def _auto_timeout(values: OptionValues) -> AutoTimeout:
    return AutoTimeout(
        factor=values.get("task_timing_auto_factor", _parse_factor, DEFAULT_AUTO_FACTOR),
        floor=values.get("task_timing_auto_floor", _parse_floor, DEFAULT_AUTO_FLOOR),
    )


def _parse_factor(value: object, source: str) -> float:
    factor = _number(value)
    if not 1 <= factor < math.inf:
        raise ValueError(
            f"invalid auto-timeout factor {value!r} from {source}: expected a number >= 1, e.g. 5"
        )
    return factor


def _parse_floor(value: object, source: str) -> float:
    return parse_seconds(value, source=source) or 0.0


def _parse_order(value: object, source: str) -> str:
    if isinstance(value, str) and value.strip().lower() in ORDERS:
        return value.strip().lower()
    raise ValueError(f"invalid order {value!r} from {source}: expected {' or '.join(ORDERS)}")


def _number(value: object) -> float:
    """``value`` as a float; NaN (which fails every range check) when it is not a number."""
    try:
        return float(value) if not isinstance(value, bool) else math.nan  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def _parse_ratio(value: object, source: str) -> float:
    ratio = _number(value)
    if not 0 < ratio <= 1:
        raise ValueError(
            f"invalid warning threshold {value!r} from {source}: "
            "expected a ratio of the timeout > 0 and <= 1, e.g. 0.8"
        )
    return ratio


def _parse_min_seconds(value: object, source: str) -> float:
    seconds = _number(value)
    if not 0 <= seconds < math.inf:
        raise ValueError(
            f"invalid minimum duration {value!r} from {source}: expected seconds >= 0, e.g. 0.005"
        )
    return seconds


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


# --- history: shards, order and auto timeouts ------------------------------------------------


class HistorySettings(NamedTuple):
    """What the file's history is used for in this session (docs/history.md).

    :param shard: ``(K, N)``, or None to run every test.
    :param shard_source: where the shard came from, for the summary.
    """

    path: str
    order: str = "none"
    shard: tuple[int, int] | None = None
    shard_source: str = ""
    auto_timeout: AutoTimeout | None = None

    @classmethod
    def from_config(
        cls, config: pytest.Config, auto_timeout: AutoTimeout | None
    ) -> HistorySettings:
        """The history settings; asked only when an option uses the history
        (``options.history_wanted``, or ``auto_timeout``)."""
        order = OptionValues(config).get("task_timing_order", _parse_order, default="none")
        shard_text = config.getoption("task_timing_shard", default=None)
        shard, source = checked(_parse_shard_option, shard_text, "")
        return cls(_history_file(config), order, shard, source, auto_timeout)


def _parse_shard_option(text: object, _: str) -> tuple[tuple[int, int] | None, str]:
    if text is None:
        return None, ""
    from pytest_tasktiming.history.shard_spec import parse_shard, shard_from_env

    source = "command line option --task-timing-shard"
    if str(text).strip().lower() != AUTO:
        return parse_shard(str(text), source), source
    found = shard_from_env(os.environ)
    if found is None:
        return None, "auto, but no CI parallel-job variables are set: every test runs"
    index, total, where = found
    return (index, total), where


def _history_file(config: pytest.Config) -> str:
    """Command line (relative to the invocation dir) > ini (to the rootdir) > the TSV file."""
    option = config.getoption("task_timing_history", default=None)
    if option:
        return str(config.invocation_params.dir / os.path.expanduser(option))
    ini = ini_value(config, "task_timing_history")
    if ini is not None:
        return str(config.rootpath / os.path.expanduser(str(ini)))
    return _resolve_file(config)
