"""What the scan reports: findings, their rule codes, messages and fixes, and the allow comment."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import NamedTuple

ABOVE_LIMIT = "TT001"
DEFAULT_ABOVE_LIMIT = "TT002"
SWITCHED_OFF = "TT003"
NOT_PARSED = "TT901"
NOT_READ = "TT902"

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule code with its short name and what it means, for ``--select`` and SARIF."""

    code: str
    name: str
    summary: str
    severity: str = ERROR


RULES = {
    rule.code: rule
    for rule in (
        Rule(ABOVE_LIMIT, "timeout-above-limit", "A timeout is set above the limit."),
        Rule(
            DEFAULT_ABOVE_LIMIT,
            "default-above-limit",
            "No timeout is set, and the default one is above the limit.",
        ),
        Rule(SWITCHED_OFF, "timeout-switched-off", "A timeout is switched off: no limit at all."),
        Rule(NOT_PARSED, "file-not-parsed", "A file could not be parsed or decoded.", WARNING),
        Rule(
            NOT_READ,
            "file-not-read",
            "A file was not read: not a regular file, or too large.",
            WARNING,
        ),
    )
}
"""Every rule, by code: ``TT0xx`` are timeouts to fix, ``TT9xx`` files the scan could not check."""

_ALLOW = re.compile(r"[#;]\s*tasktiming:\s*allow-timeout\b((?:[\s,]+TT\d{3})*)")


class Place(NamedTuple):
    """Where a finding is: the file, and the 1-based line and column."""

    path: str
    line: int
    col: int


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding; ``value`` is the timeout in seconds (None: switched off, or no number)."""

    path: str
    line: int
    col: int
    code: str
    message: str
    value: float | None = None
    fix: str = ""

    @property
    def severity(self) -> str:
        return RULES[self.code].severity

    @property
    def text(self) -> str:
        """The message, then the fix."""
        return f"{self.message}; fix: {self.fix}" if self.fix else self.message


def is_allowed(line: str, code: str) -> bool:
    """True when ``line`` has ``# tasktiming: allow-timeout`` (``;`` in ini files) for ``code``.

    A bare comment allows every code; ``# tasktiming: allow-timeout TT002`` only TT002.
    """
    if "allow-timeout" not in line:
        return False
    match = _ALLOW.search(line)
    if match is None:
        return False
    codes = re.findall(r"TT\d{3}", match.group(1))
    return not codes or code in codes


def seconds_text(seconds: float) -> str:
    """``7200 s (2h)``: exact seconds for machines, a rounded unit for people."""
    if math.isinf(seconds):
        return "unlimited"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{number(seconds)} s ({seconds / size:.3g}{unit})"
    return f"{number(seconds)} s"


def number(value: float) -> str:
    """``3600000``, ``3.05``: whole numbers in full, never ``3.6e+06``."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else f"{value:g}"


def as_written(value: float, unit: str, seconds: float) -> str:
    """``120 min = 7200 s (2h)``: the value in the file's own unit, then in seconds."""
    if unit == "s":
        return seconds_text(seconds)
    return f"{number(value)} {unit} = {seconds_text(seconds)}"


def written(text: str, seconds: float) -> str:
    """``1h 30m = 5400 s (1.5h)``: a value as the file writes it, then in seconds."""
    try:
        plain = float(text) == seconds
    except ValueError:
        plain = False
    return seconds_text(seconds) if plain else f"{text} = {seconds_text(seconds)}"


def above(
    place: Place,
    what: str,
    written: str,
    seconds: float,
    limit: float,
    *,
    unit: tuple[str, float] = ("s", 1.0),
) -> Finding:
    """A TT001 finding: ``what`` is set to ``written`` (its value), above ``limit``.

    :param unit: the file's unit and its seconds, in which the fix is given.
    """
    message = f"{what} is {written}, above the limit of {seconds_text(limit)}"
    name, scale = unit
    most = seconds_text(limit) if name == "s" else f"{number(limit / scale)} {name}"
    return Finding(*place, ABOVE_LIMIT, message, seconds, f"lower it to {most} or less")


def switched_off(place: Place, what: str, value: str, limit: float) -> Finding:
    """A TT003 finding: ``what`` is ``value``, which means no limit at all."""
    message = f"{what} is {value}, which switches the timeout off (no limit)"
    fix = f"set a timeout of {seconds_text(limit)} or less"
    return Finding(*place, SWITCHED_OFF, message, None, fix)


def not_checked(place: Place, code: str, reason: str) -> Finding:
    """A TT901 or TT902 warning: the file's timeouts were not checked."""
    return Finding(*place, code, f"{reason}; its timeouts were not checked")
