"""What the scan reports: findings, their codes and messages, and the comment that accepts one."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

ABOVE_LIMIT = "TT101"
"""A timeout in Python code above the limit."""
DISABLED = "TT102"
"""A timeout in Python code that is switched off (0, None or infinite): no limit at all."""
CONFIG_ABOVE_LIMIT = "TT201"
"""A pytest, tox or pyproject setting above the limit."""
CONFIG_DISABLED = "TT202"
"""A pytest, tox or pyproject setting that switches the timeout off."""
CI_ABOVE_LIMIT = "TT301"
"""A CI workflow job or step timeout above the limit."""
UNREADABLE = "TT901"
"""A file the scan could not parse or decode (a warning: the scan goes on)."""

ERROR = "error"
WARNING = "warning"

ALLOW_COMMENT = "tasktiming: allow-timeout"
_ALLOW = re.compile(r"[#;]\s*tasktiming:\s*allow-timeout\b")


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding; ``value`` is the timeout in seconds (None: switched off, unknown)."""

    path: str
    line: int
    col: int
    code: str
    message: str
    value: float | None = None
    severity: str = ERROR


def has_allow_comment(line: str) -> bool:
    """True when ``line`` carries ``# tasktiming: allow-timeout`` (or ``;`` in ini files)."""
    return "allow-timeout" in line and _ALLOW.search(line) is not None


def seconds_text(seconds: float) -> str:
    """``7200 s (2h)``: exact seconds for machines, a rounded unit for people."""
    if math.isinf(seconds):
        return "unlimited"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds:g} s ({seconds / size:.3g}{unit})"
    return f"{seconds:g} s"


def above(what: str, seconds: float, limit: float) -> str:
    """The message for a value above the limit."""
    if math.isinf(seconds):
        return f"{what} is unlimited; the limit is {seconds_text(limit)}"
    return f"{what} is {seconds_text(seconds)}, above the limit of {seconds_text(limit)}"


def switched_off(what: str, value: str) -> str:
    """The message for a timeout set to a value that disables it."""
    return f"{what} is {value}, which switches the timeout off (no limit)"
