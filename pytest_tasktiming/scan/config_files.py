"""Timeouts in pytest and tox settings: pytest.ini, tox.ini, setup.cfg and pyproject.toml.

Keys named like a timeout (``timeout``, ``task_timing_timeout``, ``faulthandler_timeout``,
``session_timeout`` ...) in the pytest sections, and timeout options on pytest command lines
(``addopts``, tox's ``commands``: ``--timeout=7200``, ``--task-timing-timeout 2h``,
``-o timeout=0``). ``timeout`` and ``task_timing_timeout`` set to 0 switch the timeout off.
The files are parsed with ``configparser`` and ``tomllib``; line numbers come from a scan of
the lines, since neither parser keeps them.
"""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Iterator

from .._durations import parse_seconds
from .apis import name_unit
from .findings import (
    NOT_PARSED,
    Finding,
    Place,
    above,
    is_allowed,
    not_checked,
    switched_off,
    written,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest itself requires tomli on Python 3.10, so it is always there
    import tomli as tomllib

INI_SECTIONS = ("pytest", "tool:pytest")
TOX_SECTION = re.compile(r"testenv(:.*)?$")
TOML_TABLES = (("tool", "pytest", "ini_options"), ("tool", "pytest"))
"""pytest's ini-style table, and pytest 9's native one."""

SWITCHED_OFF_BY_ZERO = frozenset(("timeout", "task_timing_timeout"))
_PYTEST_SETTINGS = frozenset(
    ("timeout", "task_timing_timeout", "session_timeout", "task_timing_session_timeout",
     "faulthandler_timeout")
)  # fmt: skip
"""pytest's and its plugins' time limits, read whatever ``name_unit`` says of such names."""
OPTIONS = {
    "--timeout": "timeout",
    "--task-timing-timeout": "task_timing_timeout",
    "--session-timeout": "session_timeout",
    "--task-timing-session-timeout": "task_timing_session_timeout",
}
"""pytest's command-line options that set a time limit, and the setting each one sets."""
_COMMAND_LINES = ("addopts", "commands")

_HEADER = re.compile(r"^\s*\[\s*\[?\s*([^\]]+?)\s*\]\s*\]?\s*$")
_INI_KEY = re.compile(r"^([^\s=:#;][^=:]*?)\s*[=:]")
_TOML_KEY = re.compile(r"""^\s*["']?([A-Za-z0-9_.-]+)["']?\s*=""")


def scan_ini(path: str, text: str, limit: float) -> list[Finding]:
    """Findings in an ini-style file (pytest.ini, tox.ini, setup.cfg)."""
    import configparser

    parser = configparser.ConfigParser(
        interpolation=None, inline_comment_prefixes=("#", ";"), strict=False
    )
    try:
        parser.read_string(text, source=path)
    except configparser.Error as error:
        errors = getattr(error, "errors", None)  # ParsingError: [(line number, line), ...]
        if errors:
            return [_unreadable(path, errors[0][0], f"unexpected line {errors[0][1].strip()!r}")]
        line = getattr(error, "lineno", None) or 1
        return [_unreadable(path, line, str(error).splitlines()[0])]
    lines = _Lines(path, text, _INI_KEY)
    findings: list[Finding] = []
    for section in parser.sections():
        if section not in INI_SECTIONS and not TOX_SECTION.match(section):
            continue
        for key, value in parser.items(section, raw=True):
            findings += _setting(lines, section, key, value, limit)
    return findings


def scan_toml(path: str, text: str, limit: float) -> list[Finding]:
    """Findings in ``pyproject.toml``'s pytest tables."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"line (\d+)", str(error))
        return [_unreadable(path, int(match.group(1)) if match else 1, str(error))]
    lines = _Lines(path, text, _TOML_KEY)
    findings: list[Finding] = []
    for table_path in TOML_TABLES:
        table: object = document
        for part in table_path:
            table = table.get(part, {}) if isinstance(table, dict) else {}
        if not isinstance(table, dict):
            continue
        section = ".".join(table_path)
        for key, value in table.items():
            setting = shlex.join(str(item) for item in value) if isinstance(value, list) else value
            if isinstance(setting, str | int | float) and not isinstance(setting, bool):
                findings += _setting(lines, section, key, setting, limit)
    return findings


def _unreadable(path: str, line: int, reason: str) -> Finding:
    return not_checked(Place(path, line, 1), NOT_PARSED, f"cannot parse this file ({reason})")


class _Lines:
    """Where each section and key of a config file is, for line numbers in findings."""

    def __init__(self, path: str, text: str, key_pattern: re.Pattern[str]) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.keys: dict[tuple[str, str], int] = {}
        self.sections: dict[str, int] = {}
        section = ""
        for number, line in enumerate(self.lines, 1):
            header = _HEADER.match(line)
            if header:
                section = header.group(1).strip("\"' ")
                self.sections.setdefault(section, number)
                continue
            key = key_pattern.match(line)
            if key:
                self.keys.setdefault((section, key.group(1).strip().lower()), number)

    def of_key(self, section: str, key: str) -> int:
        """The line of ``key`` in ``section``; failing that, the section's header, then 1."""
        return self.keys.get((section, key.lower())) or self.sections.get(section) or 1

    def containing(self, start: int, text: str) -> int:
        """The first line from ``start`` on that contains ``text`` (a continued value)."""
        for number in range(start, min(start + 200, len(self.lines)) + 1):
            if text in self.lines[number - 1]:
                return number
        return start

    def column(self, number: int, text: str) -> int:
        """The 1-based column of ``text`` on line ``number`` (1 if it is not there)."""
        line = self.lines[number - 1] if 0 < number <= len(self.lines) else ""
        return line.find(text) + 1 or 1

    def allowed(self, number: int, code: str) -> bool:
        return 0 < number <= len(self.lines) and is_allowed(self.lines[number - 1], code)


def _setting(
    lines: _Lines, section: str, key: str, value: str | int | float, limit: float
) -> list[Finding]:
    line = lines.of_key(section, key)
    settings: list[tuple[str, str | int | float, int, str, str]] = []
    if key in _COMMAND_LINES and isinstance(value, str):
        for name, option_value, token in command_line_timeouts(value):
            where = lines.containing(line, token)
            settings.append((name, option_value, where, token, f"[{section}] {key} {token}"))
    elif setting_unit(key) is not None:
        settings.append((key, value, line, key, f"[{section}] {key}"))
    findings = []
    for name, raw, number, token, what in settings:
        place = Place(lines.path, number, lines.column(number, token))
        finding = setting_finding(place, what, name, raw, limit)
        if finding is not None and not lines.allowed(number, finding.code):
            findings.append(finding)
    return findings


def setting_unit(name: str) -> float | None:
    """Seconds per unit of pytest setting ``name``; None if it is not a timeout."""
    if name in _PYTEST_SETTINGS:
        return 1.0
    unit = name_unit(name)
    return None if unit is None else unit[1]


def setting_finding(
    place: Place, what: str, name: str, raw: str | int | float, limit: float
) -> Finding | None:
    """The finding for pytest setting ``name`` set to ``raw`` (``"2h"``, ``9000``), if any."""
    try:
        seconds = parse_seconds(raw, source=what) or 0.0
    except ValueError:
        return None  # not a duration (timeout_method = thread); pytest reports bad ones
    seconds *= setting_unit(name) or 1.0
    if seconds == 0 and name in SWITCHED_OFF_BY_ZERO:
        return switched_off(place, what, str(raw), limit)
    if seconds > limit:
        return above(place, what, written(str(raw).strip(), seconds), seconds, limit)
    return None


def command_line_timeouts(command_line: str) -> Iterator[tuple[str, str, str]]:
    """``(setting, value, the text as written)`` for each timeout option on a command line."""
    try:
        words = shlex.split(command_line, comments=True)
    except ValueError:
        words = command_line.split()
    for index, word in enumerate(words):
        option, equals, value = word.partition("=")
        following = words[index + 1] if index + 1 < len(words) else ""
        if option in OPTIONS:
            yield OPTIONS[option], value if equals else following, option
        elif option in ("-o", "--override-ini"):
            name, _, override = (value if equals else following).partition("=")
            if setting_unit(name) is not None:
                yield name, override, name
