"""Fixtures for every test under tests/ (the root conftest.py also serves examples/)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_tasktiming.reports.dashboard import DashboardServer

INHERITED = ("TASK_TIMING", "TASK_TIMING_FILE", "TASK_TIMING_GRACE", "TASK_TIMING_EXIT_ON_STUCK")


@pytest.fixture(autouse=True)
def _no_inherited_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts from the defaults, whatever the shell running the suite has set.

    Not in the root conftest.py: there it would also run in ``pytest --task-timing examples/``
    and hide from the examples' timed code the file the plugin chose for the session.
    """
    for name in INHERITED:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def serving() -> Iterator[Callable[[DashboardServer], DashboardServer]]:
    """``serving(DashboardServer(...))`` serves it from a thread until the test's teardown."""
    running: list[tuple[DashboardServer, threading.Thread]] = []

    def serve(server: DashboardServer) -> DashboardServer:
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        running.append((server, thread))
        return server

    yield serve
    for server, thread in running:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
