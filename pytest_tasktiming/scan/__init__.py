"""``tasktiming scan``: what in a tree lets something run longer than the limit.

Static: Python is parsed with ``ast``, settings with ``configparser``/``tomllib``, workflows
line by line; nothing scanned is ever imported or run. A file that cannot be parsed or read
is a warning, not the end of the scan. On Linux a large tree is scanned by one process per
CPU, as ruff uses every core.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .apis import APIS
from .config_files import scan_ini, scan_toml
from .configuration import ConfigError, Settings, all_apis, settings_for
from .findings import NOT_PARSED, RULES, Finding, Place, not_checked
from .output import FORMATS, render
from .python_code import PythonScanner
from .walker import Exclusions, files, read
from .workflows import scan_github, scan_gitlab

if TYPE_CHECKING:
    import multiprocessing.pool

__all__ = [
    "FORMATS",
    "RULES",
    "ConfigError",
    "Finding",
    "Settings",
    "render",
    "scan_paths",
    "settings_for",
]

PARALLEL_FROM = 200
"""Trees with at least this many files are scanned by a process per CPU, where possible."""

_TEXT_SCANNERS: dict[str, Callable[[str, str, float], list[Finding]]] = {
    "ini": scan_ini,
    "toml": scan_toml,
    "github": scan_github,
    "gitlab": scan_gitlab,
}


def scan_paths(paths: Sequence[str], settings: Settings | None = None) -> list[Finding]:
    """Every finding under ``paths`` (files or directories), sorted by file, line and column.

    :raises FileNotFoundError: when a path does not exist (before anything is scanned).
    """
    settings = settings or Settings()
    for path in paths:
        if not os.path.lexists(path):
            raise FileNotFoundError(2, "No such file or directory", path)
    exclusions = Exclusions(settings.base, settings.exclude)
    found = list(files(paths, exclusions, force_exclude=settings.force_exclude))
    notes = [entry for entry in found if isinstance(entry, Finding)]
    todo = [entry for entry in found if not isinstance(entry, Finding)]
    scan = functools.partial(
        _scan_file, scanner=PythonScanner(all_apis(settings, APIS)), limit=settings.limit
    )
    findings = [finding for batch in _map(scan, todo) for finding in batch] + notes
    findings = [f for f in findings if settings.reports(f.code, f.path)]
    findings.sort(key=lambda f: (f.path, f.line, f.col, f.code))
    return findings


def _scan_file(entry: tuple[str, str], *, scanner: PythonScanner, limit: float) -> list[Finding]:
    path, kind = entry
    data = read(path)
    if isinstance(data, Finding):
        return [data]
    if kind == "python":
        return scanner.scan(path, data, limit)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        reason = f"cannot decode this file as UTF-8 (byte {error.start})"
        return [not_checked(Place(path, 1, 1), NOT_PARSED, reason)]
    return _TEXT_SCANNERS[kind](path, text, limit)


def _map(
    scan: Callable[[tuple[str, str]], list[Finding]], todo: list[tuple[str, str]]
) -> list[list[Finding]]:
    """``scan`` over ``todo``: in worker processes when that is safe and worth it."""
    pool = _pool(len(todo))
    if pool is None:
        return [scan(entry) for entry in todo]
    with pool:
        # Small chunks: the few files worth parsing are not spread evenly over the tree.
        return pool.map(scan, todo, chunksize=8)


def _pool(files: int) -> multiprocessing.pool.Pool | None:
    """A process per CPU, or None: for small trees, and wherever ``fork`` is not safe.

    Only with ``fork`` (Linux), in a process with no other thread, whose state a child
    inherits without surprise, and where semaphores work (not in a container without
    /dev/shm).
    """
    processes = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    if (
        files < PARALLEL_FROM
        or processes < 2
        or sys.platform != "linux"
        or threading.active_count() > 1
    ):
        return None
    import multiprocessing

    try:
        return multiprocessing.get_context("fork").Pool(processes)
    except OSError:
        return None
