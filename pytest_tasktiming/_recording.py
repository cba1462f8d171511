"""The process-wide switch: ``TASK_TIMING=0`` at start, ``set_recording()`` at run time."""

from __future__ import annotations

import os

_OFF_VALUES = frozenset({"0", "false", "no", "off"})


def env_says_off() -> bool:
    """True when ``$TASK_TIMING`` turns recording off (``0``, ``false``, ``no``, ``off``)."""
    return os.environ.get("TASK_TIMING", "").strip().lower() in _OFF_VALUES


recording = not env_says_off()
"""Read by every wrapper on every call; ``set_recording`` changes it."""


def set_recording(enabled: bool) -> bool:
    """Turn recording on or off for the whole process at run time; return the previous state.

    Off, a decorated call or ``timed`` block costs one flag test: no rows, no deadline, no
    streak counting. ``TASK_TIMING=0`` in the environment starts the process with it off, and
    decorators applied while it is set return the function unwrapped.
    """
    global recording
    previous, recording = recording, bool(enabled)
    return previous
