"""Which files the scan reads, and reading them with bounded work on any tree.

A directory in a git work tree is listed by ``git ls-files`` (tracked and untracked files,
``.gitignore`` honoured); elsewhere it is walked. Either way: hidden directories (but
``.github`` and ``.gitlab``), virtualenvs and vendored directories are skipped, the
configured ``exclude`` patterns are applied below the paths named on the command line, and
only regular files are opened: never a FIFO or a device, never a symbolic link that leads out
of the tree, never more than ``MAX_FILE_BYTES`` of a file.
"""

from __future__ import annotations

import fnmatch
import os
import stat
import subprocess
from collections.abc import Iterable, Iterator, Sequence

from .findings import NOT_READ, Finding, Place, not_checked

MAX_FILE_BYTES = 2 * 1024 * 1024
"""Files above this size are not read (a note says so): no source file is that large."""

SKIPPED_DIRECTORIES = frozenset(
    ("node_modules", "__pycache__", "site-packages", "build", "dist", "venv", "env")
)
"""Never descended into (nor any hidden directory but .github and .gitlab, nor a virtualenv)."""

_INI_FILES = frozenset(("pytest.ini", ".pytest.ini", "tox.ini", "setup.cfg"))


def kind(path: str) -> str | None:
    """Which scanner reads ``path`` (python, ini, toml, github, gitlab), from its name."""
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


class Exclusions:
    """``exclude`` patterns, relative to the directory of the configuration file.

    A pattern without ``/`` matches a file or directory name anywhere (``*.generated.py``);
    one with ``/`` matches the path from that directory (``tests/scan_corpus``). A matching
    directory excludes everything in it.
    """

    def __init__(self, base: str, patterns: Iterable[str]) -> None:
        self.base = os.path.abspath(base)
        self.patterns = [pattern.strip("/") for pattern in patterns]

    def covers(self, path: str) -> bool:
        """True when ``path`` or a directory it is in is excluded."""
        while path and path != os.path.dirname(path):
            if self.match(path):
                return True
            path = os.path.dirname(path)
        return False

    def match(self, path: str) -> bool:
        """True when ``path`` itself (not its parents) is excluded."""
        relative = os.path.relpath(os.path.abspath(path), self.base).replace(os.sep, "/")
        if relative.startswith("../"):
            return False
        name = relative.rsplit("/", 1)[-1]
        return any(
            fnmatch.fnmatchcase(relative if "/" in pattern else name, pattern)
            for pattern in self.patterns
        )


def files(
    paths: Sequence[str], exclusions: Exclusions, *, force_exclude: bool = False
) -> Iterator[tuple[str, str] | Finding]:
    """``(path, kind)`` of every file to scan under ``paths``, or a note for one not read.

    A file named on the command line is read whatever its name or the exclusions say, unless
    ``force_exclude`` (for pre-commit, which names every changed file).
    """
    for path in paths:
        if force_exclude and exclusions.covers(os.path.abspath(path)):
            continue
        if not os.path.isdir(path):
            yield from _named_file(os.path.normpath(path))
            continue
        root = os.path.realpath(path)
        listed = _listed(path)
        for candidate in _walked(path, exclusions) if listed is None else listed:
            if _skipped(path, candidate, exclusions):
                continue
            found = kind(candidate)
            if found is not None:
                yield from _in_tree(os.path.normpath(candidate), found, root)


def read(path: str) -> bytes | Finding:
    """The bytes of a regular file, or a note: never blocks on a FIFO, never reads a device."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        status = os.stat(path)
        if not stat.S_ISREG(status.st_mode):
            return _not_regular(path, status.st_mode)
        if status.st_size > MAX_FILE_BYTES:
            return _too_large(path)
        descriptor = os.open(path, flags)
    except OSError as error:
        return _note(path, f"cannot read this file: {error.strerror}")
    with os.fdopen(descriptor, "rb") as stream:
        status = os.fstat(stream.fileno())
        if not stat.S_ISREG(status.st_mode):  # replaced since the first look
            return _not_regular(path, status.st_mode)
        # One byte more than it had: a file that grows past the cap meanwhile is caught.
        data = stream.read(min(status.st_size, MAX_FILE_BYTES) + 1)
    return _too_large(path) if len(data) > MAX_FILE_BYTES else data


def _too_large(path: str) -> Finding:
    return _note(path, f"this file is larger than {MAX_FILE_BYTES // 1024 // 1024} MiB, not read")


def _named_file(path: str) -> Iterator[tuple[str, str] | Finding]:
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        raise FileNotFoundError(error.errno, error.strerror, path) from None
    found = kind(path)
    if found is None:
        return
    if not stat.S_ISREG(mode):
        yield _not_regular(path, mode)
    else:
        yield path, found


def _in_tree(path: str, found: str, root: str) -> Iterator[tuple[str, str] | Finding]:
    """A file found below ``root``: symbolic links only to regular files inside it."""
    try:
        mode = os.lstat(path).st_mode
        if stat.S_ISLNK(mode):
            target = os.path.realpath(path)
            if os.path.commonpath((target, root)) != root:
                reason = f"a symbolic link out of the tree (to {target}), not followed"
                yield _note(path, reason)
                return
            mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return  # gone since it was listed, or a loop of links
    if stat.S_ISREG(mode):
        yield path, found
    elif not stat.S_ISDIR(mode):
        yield _not_regular(path, mode)


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
)


def _not_regular(path: str, mode: int) -> Finding:
    what = next((name for test, name in _KINDS if test(mode)), "a special file")
    return _note(path, f"this is {what}, not a regular file, not opened")


def _note(path: str, reason: str) -> Finding:
    return not_checked(Place(path, 1, 1), NOT_READ, reason)


def _listed(directory: str) -> list[str] | None:
    """The files git knows of (tracked, or untracked and not ignored); None outside a work tree."""
    try:
        result = subprocess.run(
            ["git", "-C", directory, "ls-files", "-z", "-co", "--exclude-standard"],
            capture_output=True,
            check=False,
        )
    except OSError:  # no git
        return None
    if result.returncode != 0:
        return None
    names = os.fsdecode(result.stdout).split("\0")
    return [os.path.join(directory, name) for name in sorted(names) if name]


def _walked(directory: str, exclusions: Exclusions) -> Iterator[str]:
    """Every file below ``directory``, symbolic links to directories not followed."""
    for parent, subdirectories, names in os.walk(directory):
        subdirectories[:] = sorted(
            name
            for name in subdirectories
            if _descend(name)
            and not exclusions.match(os.path.join(parent, name))
            and not os.path.exists(os.path.join(parent, name, "pyvenv.cfg"))
        )
        for name in sorted(names):
            yield os.path.join(parent, name)


def _skipped(root: str, path: str, exclusions: Exclusions) -> bool:
    """True when a directory between ``root`` and ``path``, or ``path``, is left out."""
    parts = os.path.relpath(path, root).split(os.sep)
    if not all(_descend(part) for part in parts[:-1]):
        return True
    return bool(exclusions.patterns) and any(
        exclusions.match(os.path.join(root, *parts[: depth + 1])) for depth in range(len(parts))
    )


def _descend(name: str) -> bool:
    if name.startswith(".") and name not in (".github", ".gitlab", ".", ".."):
        return False
    return name not in SKIPPED_DIRECTORIES and not name.endswith(".egg-info")
