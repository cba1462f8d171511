"""Timeouts in CI workflows: GitHub Actions and GitLab CI.

GitHub: ``timeout-minutes`` of jobs and steps, and a job without one, which GitHub stops only
after 360 minutes (a job that calls a reusable workflow with ``uses:`` cannot set it).
GitLab: ``timeout:`` (``1h 30m``). Both: pytest's timeouts on the command lines of scripts
(``run:``, ``script:``) and in the environment (``PYTEST_TIMEOUT``, ``PYTEST_ADDOPTS``).
Values that are expressions (``${{ inputs.minutes }}``, ``$TIMEOUT``) cannot be known and
are left.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from .config_files import command_line_timeouts, setting_finding
from .findings import (
    DEFAULT_ABOVE_LIMIT,
    Finding,
    Place,
    above,
    as_written,
    is_allowed,
    seconds_text,
    written,
)
from .yaml_lines import Node, read, split_comment

GITHUB_DEFAULT_MINUTES = 360
"""What GitHub Actions allows a job that sets no ``timeout-minutes``."""

_GITLAB_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]*)")
_GITLAB_UNITS = {
    **dict.fromkeys(("", "s", "sec", "secs", "second", "seconds"), 1.0),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60.0),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600.0),
    **dict.fromkeys(("d", "day", "days"), 86400.0),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), 604800.0),
}
_SCRIPTS = frozenset(("run", "script", "before_script", "after_script"))
_SCRIPT_ITEMS = frozenset((name,) for name in _SCRIPTS)
_ENVIRONMENTS = frozenset(("env", "variables"))
_RUNS_PYTEST = re.compile(r"\b(?:py\.?test|tox|nox)\b")
_COMMAND_SEPARATOR = re.compile(r"&&|\|\||[;|]")
_ASSIGNED = re.compile(r"\b(PYTEST_TIMEOUT|PYTEST_ADDOPTS)=(\"[^\"]*\"|'[^']*'|\S+)")


def scan_github(path: str, text: str, limit: float) -> list[Finding]:
    """Findings in a GitHub Actions workflow."""
    nodes = read(text)
    findings = list(_common(path, nodes, limit, "timeout-minutes", _minutes))
    for job in (node for node in nodes if node.path == ("jobs",) and node.key):
        settings = {n.key for n in nodes if n.path == ("jobs", job.key)}
        default = GITHUB_DEFAULT_MINUTES * 60.0
        if not settings & {"timeout-minutes", "uses"} and default > limit:
            findings.append(_no_job_timeout(path, job, default, limit))
    return [f for f in findings if not _allowed(text, f)]


def scan_gitlab(path: str, text: str, limit: float) -> list[Finding]:
    """Findings in a GitLab CI file."""
    nodes = read(text)
    return [f for f in _common(path, nodes, limit, "timeout", _gitlab) if not _allowed(text, f)]


def gitlab_duration(value: str) -> float | None:
    """Seconds in a GitLab duration: ``3h 30m``, ``1 hour 5 minutes``, ``90`` (seconds)."""
    text = value.lower().replace(",", " ").replace(" and ", " ").strip()
    position = 0
    total = 0.0
    for match in _GITLAB_PART.finditer(text):
        if text[position : match.start()].strip() or match.group(2) not in _GITLAB_UNITS:
            return None
        total += float(match.group(1)) * _GITLAB_UNITS[match.group(2)]
        position = match.end()
    return total if position and not text[position:].strip() else None


def _minutes(value: str) -> tuple[float, str] | None:
    try:
        minutes = float(value)
    except ValueError:
        return None
    return minutes * 60, as_written(minutes, "min", minutes * 60)


def _gitlab(value: str) -> tuple[float, str] | None:
    seconds = gitlab_duration(value)
    return None if seconds is None else (seconds, written(value, seconds))


def _common(
    path: str,
    nodes: list[Node],
    limit: float,
    key: str,
    reader: Callable[[str], tuple[float, str] | None],
) -> Iterator[Finding]:
    """The CI's own timeout key, pytest in scripts and in the environment."""
    for node in nodes:
        if node.key == key and "$" not in node.value:
            read_value = reader(node.value)
            if read_value is not None and read_value[0] > limit:
                seconds, text = read_value
                unit = ("min", 60.0) if key == "timeout-minutes" else ("s", 1.0)
                place = Place(path, node.line, node.col)
                yield above(place, key, text, seconds, limit, unit=unit)
        elif node.key in _SCRIPTS or (node.key is None and node.path[-2:-1] in _SCRIPT_ITEMS):
            yield from _scripts(path, node, limit)
        elif node.path[-1:] and node.path[-1] in _ENVIRONMENTS and node.key:
            yield from _variable(Place(path, node.line, node.col), node.key, node.value, limit)


def _scripts(path: str, node: Node, limit: float) -> Iterator[Finding]:
    """pytest's timeouts in shell commands, a backslash-continued command read as one."""
    pending: list[tuple[int, int, str]] = []
    for line, col, text in node.lines():
        pending.append((line, col, text))
        if text.endswith("\\"):
            continue
        command = " ".join(part.rstrip("\\") for _, _, part in pending)
        for piece in _COMMAND_SEPARATOR.split(command):
            for match in _ASSIGNED.finditer(piece):
                place = Place(path, *_where(pending, match.group(0)))
                value = match.group(2).strip("\"'")
                yield from _variable(place, match.group(1), value, limit)
            if _RUNS_PYTEST.search(piece):
                for name, value, token in command_line_timeouts(piece):
                    place = Place(path, *_where(pending, token))
                    yield from _finding(place, f"pytest {token}", name, value, limit)
        pending = []


def _variable(place: Place, name: str, value: str, limit: float) -> Iterator[Finding]:
    if name == "PYTEST_TIMEOUT":
        yield from _finding(place, "PYTEST_TIMEOUT", "timeout", value, limit)
    elif name == "PYTEST_ADDOPTS":
        for setting, option_value, token in command_line_timeouts(value):
            yield from _finding(place, f"PYTEST_ADDOPTS {token}", setting, option_value, limit)


def _finding(place: Place, what: str, setting: str, value: str, limit: float) -> Iterator[Finding]:
    if "$" not in value:
        finding = setting_finding(place, what, setting, value, limit)
        if finding is not None:
            yield finding


def _where(lines: list[tuple[int, int, str]], token: str) -> tuple[int, int]:
    """The line and column where ``token`` is written in a (continued) command."""
    for line, col, text in lines:
        if token in text:
            return line, col + text.index(token)
    return lines[0][0], lines[0][1]


def _no_job_timeout(path: str, job: Node, default: float, limit: float) -> Finding:
    minutes = int(limit // 60)
    message = (
        f"job {job.key!r} has no timeout-minutes, so GitHub allows it "
        f"{as_written(GITHUB_DEFAULT_MINUTES, 'min', default)}, above the limit of "
        f"{seconds_text(limit)}"
    )
    fix = f"add `timeout-minutes: {minutes}` to the job"
    return Finding(path, job.line, job.indent + 1, DEFAULT_ABOVE_LIMIT, message, default, fix)


def _allowed(text: str, finding: Finding) -> bool:
    lines = text.splitlines()
    if finding.line > len(lines):
        return False
    return is_allowed(split_comment(lines[finding.line - 1])[1], finding.code)
