"""Which file rows go to when nobody says: ``$TASK_TIMING_FILE``, else ``task_timing.tsv``;
and which checklist ``--todo`` reads.

Its own small module so that the plugin's settings and the command line can name the defaults
without importing the writer or the checklist reader.
"""

from __future__ import annotations

import os

DEFAULT_FILE = "task_timing.tsv"
ENV_FILE = "TASK_TIMING_FILE"
DEFAULT_TODO = "TODO.md"


def resolve_path(path: str | os.PathLike[str] | None = None) -> str:
    """The absolute file path: ``path``, else ``$TASK_TIMING_FILE``, else ``task_timing.tsv``."""
    chosen = path if path is not None else os.environ.get(ENV_FILE) or DEFAULT_FILE
    return os.path.abspath(os.fspath(chosen))
