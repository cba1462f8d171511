"""Timeouts in CI workflows: GitHub Actions ``timeout-minutes:``, GitLab CI ``timeout:``.

No YAML library is allowed at run time, so this reads lines, carefully: comments are cut only
outside quotes, block scalars (``run: |`` scripts) are skipped whole so that a script that
prints ``timeout: 9h`` is not a finding, and anchors, tags and quotes around the value are
removed. Values that are expressions (``${{ inputs.minutes }}``) cannot be known and are left.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .findings import CI_ABOVE_LIMIT, Finding, above, has_allow_comment

_KEY_BLOCK = re.compile(r":\s+[|>][-+0-9]*\s*$")
_ITEM_BLOCK = re.compile(r"^(\s*(?:-\s+)*-)\s+[|>][-+0-9]*\s*$")
_ANCHOR_OR_TAG = re.compile(r"^(?:[&!][^\s]*\s+)+")
_GITLAB_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]*)")
_GITLAB_UNITS = {
    **dict.fromkeys(("", "s", "sec", "secs", "second", "seconds"), 1.0),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60.0),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600.0),
    **dict.fromkeys(("d", "day", "days"), 86400.0),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), 604800.0),
}


def scan_github(path: str, text: str, limit: float) -> list[Finding]:
    """``timeout-minutes`` of jobs and steps in a GitHub Actions workflow."""
    return _scan(path, text, limit, "timeout-minutes", _minutes)


def scan_gitlab(path: str, text: str, limit: float) -> list[Finding]:
    """``timeout`` of jobs in a GitLab CI file (``3h 30m``, ``2 hours``, ``7200``)."""
    return _scan(path, text, limit, "timeout", gitlab_duration)


def _minutes(value: str) -> float | None:
    try:
        return float(value) * 60
    except ValueError:
        return None


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


def _scan(
    path: str, text: str, limit: float, key: str, seconds_of: Callable[[str], float | None]
) -> list[Finding]:
    pattern = re.compile(rf"^(\s*(?:-\s+)*)([\"']?){re.escape(key)}\2\s*:(?:\s+|$)")
    findings = []
    block_indent: int | None = None
    for number, line in enumerate(text.splitlines(), 1):
        indent = len(line) - len(line.lstrip(" "))
        if block_indent is not None:
            if not line.strip() or indent > block_indent:
                continue  # inside a block scalar
            block_indent = None
        content, comment = split_comment(line)
        if not content.strip():
            continue
        # A block scalar's lines are indented deeper than the node that holds it: the key
        # (``- run: |``) or, for a bare ``- |`` item, the dash.
        item = _ITEM_BLOCK.match(content)
        if item:
            block_indent = len(item.group(1)) - 1
        elif _KEY_BLOCK.search(content):
            block_indent = len(content) - len(content.lstrip(" -"))
        match = pattern.match(content)
        if match is None or has_allow_comment(comment):
            continue
        raw = content[match.end() :].strip()
        value = _ANCHOR_OR_TAG.sub("", raw).strip().strip("\"'").strip()
        seconds = seconds_of(value) if value and "${{" not in value else None
        if seconds is not None and seconds > limit:
            message = above(f"{key}: {value}", seconds, limit)
            findings.append(
                Finding(path, number, match.end() + 1, CI_ABOVE_LIMIT, message, seconds)
            )
    return findings


def split_comment(line: str) -> tuple[str, str]:
    """``(content, comment)``: a ``#`` starts a comment at the line's start or after a space,
    never inside single or double quotes."""
    quote = ""
    index = 0
    while index < len(line):
        char = line[index]
        if quote:
            if char == "\\" and quote == '"':
                index += 1
            elif char == quote:
                quote = ""
        elif char in "\"'" and (index == 0 or line[index - 1] in " \t:-[{,"):
            quote = char
        elif char == "#" and (index == 0 or line[index - 1] in " \t"):
            return line[:index], line[index:]
        index += 1
    return line, ""
