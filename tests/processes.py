"""Running a program to its end in a process of its own, its output captured as text."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path


def run_captured(
    argv: Sequence[str], *, cwd: Path | None = None, timeout: float = 120, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` with this process's environment plus ``env``; a failure is the caller's to
    assert, with the captured output in its message."""
    return subprocess.run(
        argv,
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_python(code: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -c CODE ARGS``, the code dedented (written indented inside a test)."""
    argv = [sys.executable, "-c", textwrap.dedent(code), *args]
    return run_captured(argv, cwd=None, timeout=120, **env)


@contextlib.contextmanager
def ctrl_c_reaches_children() -> Iterator[None]:
    """Children started inside get SIGINT as from a terminal's Ctrl-C, even when this process
    was started with it ignored (``nohup``, a script's background job): a caught signal is
    reset to the default by ``exec``, an ignored one stays ignored, and Python keeps it so."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
