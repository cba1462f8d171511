"""Units of work as xdist keeps them, weighed by the history: tests, or whole scopes.

Under ``--dist loadscope``, ``loadfile`` and ``loadgroup`` xdist runs a scope (class or
module, file, ``xdist_group``) on one worker; shards and the slowest-first order then move
whole scopes too, so those fixtures are set up no more often than xdist would.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pytest_tasktiming.history.recent import History
from pytest_tasktiming.plugin.workers import stable_nodeid

SCOPED = ("loadscope", "loadfile", "loadgroup")


def scope_of(nodeid: str, dist: str) -> str:
    """The unit ``nodeid`` belongs to under ``--dist dist``, by xdist's own rules."""
    if dist == "loadscope":
        return nodeid.rsplit("::", 1)[0]
    if dist == "loadfile":
        return nodeid.split("::", 1)[0]
    if dist == "loadgroup":
        stable = stable_nodeid(nodeid)
        return "@" + nodeid[len(stable) + 1 :] if stable != nodeid else nodeid
    return nodeid


class Weights:
    """Each test's predicted duration: its recorded one, else the mean of those recorded.

    :param known: how many of the tests have a recorded duration.
    :param mean: the seconds a test without one counts for (1.0 when none has one, so that
        shards then split by count).
    """

    def __init__(self, nodeids: Sequence[str], history: History) -> None:
        recorded = [history.recorded(stable_nodeid(nodeid)) for nodeid in nodeids]
        found = [seconds for seconds in recorded if seconds is not None]
        self.known = len(found)
        self.mean = math.fsum(found) / len(found) if found else 1.0
        mean = self.mean
        self.seconds = [mean if seconds is None else seconds for seconds in recorded]

    def units(self, nodeids: Sequence[str], dist: str) -> dict[str, list[int]]:
        """The indices of ``nodeids`` by unit, units and indices in collection order."""
        units: dict[str, list[int]] = {}
        for index, nodeid in enumerate(nodeids):
            units.setdefault(scope_of(nodeid, dist), []).append(index)
        return units

    def total(self, indices: Sequence[int]) -> float:
        """The predicted time of the tests at ``indices``."""
        seconds = self.seconds
        return math.fsum(seconds[index] for index in indices)
