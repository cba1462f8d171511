"""``tasktiming scan``: timeouts above a limit in code, test settings and CI workflows.

Static: Python is parsed with ``ast``, settings with ``configparser``/``tomllib``, workflows
line by line; nothing scanned is ever imported or run. A file that cannot be parsed is a
warning, not the end of the scan.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence

from .config_files import scan_ini, scan_toml
from .findings import UNREADABLE, WARNING, Finding
from .output import FORMATS, render
from .python_code import scan_python
from .workflows import scan_github, scan_gitlab

__all__ = ["FORMATS", "Finding", "render", "scan_paths"]

Scanner = Callable[[str, str, float], list[Finding]]

SKIPPED_DIRECTORIES = frozenset(
    ("node_modules", "__pycache__", "site-packages", "build", "dist", "venv", "env")
)
"""Never descended into (nor any hidden directory but .github and .gitlab, nor a virtualenv)."""

_INI_FILES = frozenset(("pytest.ini", ".pytest.ini", "tox.ini", "setup.cfg"))


def scan_paths(paths: Sequence[str], *, limit: float) -> list[Finding]:
    """Every finding under ``paths`` (files or directories), sorted by file, line and column.

    :raises FileNotFoundError: when a path does not exist (before anything is scanned).
    """
    for path in paths:
        if not os.path.exists(path):
            raise FileNotFoundError(2, "No such file or directory", path)
    findings: list[Finding] = []
    for path in _files(paths):
        findings += scan_file(path, limit=limit)
    findings.sort(key=lambda f: (f.path, f.line, f.col))
    return findings


def scan_file(path: str, *, limit: float) -> list[Finding]:
    """The findings in one file, chosen by its name; [] for a file the scan does not read."""
    kind = _kind(path)
    if kind is None:
        return []
    try:
        with open(path, "rb") as stream:
            data = stream.read()
    except OSError as error:
        return [_warning(path, f"cannot read this file: {error.strerror or error}")]
    if kind == "python":
        return scan_python(path, data, limit)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return [_warning(path, f"cannot decode this file as UTF-8 (byte {error.start})")]
    return _TEXT_SCANNERS[kind](path, text, limit)


_TEXT_SCANNERS: dict[str, Scanner] = {
    "ini": scan_ini,
    "toml": scan_toml,
    "github": scan_github,
    "gitlab": scan_gitlab,
}


def _kind(path: str) -> str | None:
    """Which scanner reads ``path``, from its name and where it is."""
    name = os.path.basename(path)
    if name.endswith(".py"):
        return "python"
    if name in _INI_FILES:
        return "ini"
    if name == "pyproject.toml":
        return "toml"
    if not name.endswith((".yml", ".yaml")):
        return None
    parts = os.path.normpath(os.path.abspath(path)).split(os.sep)
    if parts[-3:-1] == [".github", "workflows"]:
        return "github"
    if "gitlab-ci" in name or ".gitlab" in parts[:-1]:
        return "gitlab"
    return None


def _files(paths: Sequence[str]) -> Iterator[str]:
    """Files named on the command line as they are; directories walked, skipping the rest."""
    for path in paths:
        if not os.path.isdir(path):
            yield os.path.normpath(path)
            continue
        for directory, subdirectories, names in os.walk(path):
            subdirectories[:] = sorted(
                name for name in subdirectories if _descend(os.path.join(directory, name), name)
            )
            for name in sorted(names):
                candidate = os.path.normpath(os.path.join(directory, name))
                if _kind(candidate) is not None:
                    yield candidate


def _descend(path: str, name: str) -> bool:
    if name.startswith(".") and name not in (".github", ".gitlab"):
        return False
    if name in SKIPPED_DIRECTORIES or name.endswith(".egg-info"):
        return False
    return not os.path.exists(os.path.join(path, "pyvenv.cfg"))


def _warning(path: str, reason: str) -> Finding:
    return Finding(
        path, 1, 1, UNREADABLE, f"{reason}; its timeouts were not checked", None, WARNING
    )
