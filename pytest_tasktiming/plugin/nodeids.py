"""A test's name in the history: its node id, whichever way xdist distributed it."""

from __future__ import annotations


def stable_nodeid(nodeid: str) -> str:
    """``nodeid`` without the ``@group`` suffix ``--dist loadgroup`` appends.

    The suffix follows the test's own id, which for a parametrized test ends in ``]``; an ``@``
    inside the brackets is part of the parameters and stays.
    """
    if "@" not in nodeid:
        return nodeid
    head, at, group = nodeid.rpartition("@")
    if at and "]" not in group and "::" not in group and "/" not in group:
        return head
    return nodeid
