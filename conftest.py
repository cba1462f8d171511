"""Shared test setup: pytest's own ``pytester`` for plugin tests, and a fresh file per test."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import pytest

# Loaded before any test: pytester's in-process runs forget the modules first imported
# inside them, and hypothesis's pytest plugin imports all of hypothesis at the end of each
# run (about 3 s on a busy 2-CPU machine) unless it is loaded already. Optional, so the
# README's first command runs the examples without the test extra.
with contextlib.suppress(ImportError):
    import hypothesis  # noqa: F401

pytest_plugins = ["pytester"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fuzz-long",
        action="store_true",
        help="tests/test_fuzz.py: thousands of hostile files instead of a few hundred",
    )


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """``tasktiming ARGV...`` in-process through ``main``: (exit status, stdout, stderr)."""
    from pytest_tasktiming.cli import main

    def run_cli(*argv: str) -> tuple[int, str, str]:
        status = main(list(argv))
        out, err = capsys.readouterr()
        return status, out, err

    return run_cli


@pytest.fixture
def tsv_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A task-timing file in a fresh directory, also set as ``$TASK_TIMING_FILE``."""
    path = tmp_path / "task_timing.tsv"
    monkeypatch.setenv("TASK_TIMING_FILE", str(path))
    return path


@pytest.fixture(autouse=True)
def _no_step_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs inside a GitHub Actions job must not append their summaries to the job's page."""
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
