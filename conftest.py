"""Shared test setup: pytest's own ``pytester`` for plugin tests, and a fresh file per test."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]


@pytest.fixture
def tsv_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A task-timing file in a fresh directory, also set as ``$TASK_TIMING_FILE``."""
    path = tmp_path / "task_timing.tsv"
    monkeypatch.setenv("TASK_TIMING_FILE", str(path))
    return path
