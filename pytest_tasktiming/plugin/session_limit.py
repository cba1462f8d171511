"""The session's own timeout, ``--task-timing-session-timeout``: one end for every test.

It counts from ``pytest_configure``. A test's deadline is the earlier of its own limit and
the session's end, and its error says which; once the end has passed no test starts, and the
session stops as ``-x`` stops it. Under xdist every worker keeps the controller's end: a
local worker gets the controller's monotonic reading (the machine's one clock), a remote one
the seconds left when it was set up.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_tasktiming._timing import clock
from pytest_tasktiming.plugin.settings import Settings

END_KEY = "tasktiming_session_end"
"""``workerinput`` key: ``("at", monotonic seconds)`` or ``("in", seconds left)``."""


class SessionLimit:
    """When the session ends, on this process's ``clock.mono()``."""

    __slots__ = ("ends", "reason", "seconds")

    def __init__(self, seconds: float, ends: float) -> None:
        self.seconds = seconds
        self.ends = ends
        self.reason = (
            f"the session's {seconds:g}s limit (--task-timing-session-timeout) was reached"
        )
        """Why a test stopped by it stopped (``TaskTimeoutError.reason``), and the session."""

    @classmethod
    def of(cls, config: pytest.Config, settings: Settings) -> SessionLimit | None:
        """The session's limit, if it has one: from the settings, or in an xdist worker from
        the controller (``END_KEY``)."""
        seconds = settings.session_timeout
        if seconds is None:
            return None
        workerinput: dict[str, Any] = getattr(config, "workerinput", {})
        how, value = workerinput.get(END_KEY, ("in", seconds))
        return cls(seconds, value if how == "at" else clock.mono() + value)

    def left(self) -> float:
        """Seconds until the end (negative once it has passed)."""
        return self.ends - clock.mono()

    def tell(self, node: Any) -> None:
        """Give an xdist worker about to start the session's end (see ``END_KEY``)."""
        local = bool(getattr(getattr(node.gateway, "spec", None), "popen", False))
        node.workerinput[END_KEY] = ("at", self.ends) if local else ("in", self.left())
