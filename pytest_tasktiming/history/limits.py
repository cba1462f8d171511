"""A test's time limit from its history: ``--task-timing-timeout auto``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

CAP = 3600.0
"""The most any derived limit is, and the limit of a test with too little history."""
MIN_RUNS = 3
"""Recorded passing runs a test needs before its limit is derived from them."""
DEFAULT_FACTOR = 5.0
DEFAULT_FLOOR = 60.0


@dataclass(frozen=True, slots=True)
class Limit:
    """A limit in seconds, and how it was derived, in words for the failure message.

    :param derived: False when the test had too few runs for one (the limit is then CAP).
    """

    seconds: float
    reason: str
    derived: bool = True


def auto_limit(
    recent: Sequence[float], factor: float = DEFAULT_FACTOR, floor: float = DEFAULT_FLOOR
) -> Limit:
    """``factor`` x the longest of the ``recent`` passing runs, at least ``floor``, at most CAP.

    Fewer than ``MIN_RUNS`` runs give ``CAP``: a limit from one run would fail the test the
    first time a busy machine makes it slower.
    """
    runs = len(recent)
    if runs < MIN_RUNS:
        reason = f"{CAP:g}s, as it has {runs} recorded passing runs (auto needs {MIN_RUNS})"
        return Limit(CAP, reason, derived=False)
    longest = max(recent)
    derived = factor * longest
    base = f"{factor:g} x {longest:.3f}s, the longest of its last {runs} passing runs"
    if derived < floor:
        return Limit(floor, f"{floor:g}s, the floor ({base}, is {derived:.3g}s)")
    if derived > CAP:
        return Limit(CAP, f"{CAP:g}s, the cap ({base}, is {derived:.4g}s)")
    return Limit(derived, f"{derived:.4g}s = {base}")
