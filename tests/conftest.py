"""Fixtures for every test under tests/ (the root conftest.py also serves examples/)."""

from __future__ import annotations

import pytest

INHERITED = ("TASK_TIMING", "TASK_TIMING_FILE", "TASK_TIMING_GRACE", "TASK_TIMING_EXIT_ON_STUCK")


@pytest.fixture(autouse=True)
def _no_inherited_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts from the defaults, whatever the shell running the suite has set.

    Not in the root conftest.py: there it would also run in ``pytest --task-timing examples/``
    and hide from the examples' timed code the file the plugin chose for the session.
    """
    for name in INHERITED:
        monkeypatch.delenv(name, raising=False)
