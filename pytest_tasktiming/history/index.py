"""Reading a history file of any size at session start: an incremental index beside it.

The file is append-only, so what was read once stays true while the file only grows. The
index (a small JSON file in a cache directory, e.g. pytest's ``.pytest_cache``) keeps each
task's recent durations, the offset read up to, and fingerprints of the file's first bytes
and of the bytes just before that offset. When both still match, only the bytes appended
since are read; when either differs (the file was compacted, merged, replaced or cut), the
index is rebuilt from the whole file. Without a cache directory the whole file is read.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from pytest_tasktiming.history.recent import History
from pytest_tasktiming.records import FinalRuns

FORMAT = 1
"""The index's format; an index of another format is rebuilt."""
FINGERPRINT = 4096
"""Bytes hashed at the head of the file and just before the offset read up to."""


@dataclass(frozen=True, slots=True)
class Loaded:
    """A history, and how it was read.

    :param how: ``"read"`` (no cache), ``"built"``, ``"rebuilt"`` (the file was rewritten),
        ``"extended"`` (appended bytes read) or ``"current"`` (nothing new).
    :param skipped: lines that are not rows, left out (``tasktiming validate`` lists them).
    """

    history: History
    how: str
    read_bytes: int
    skipped: int


def load(
    path: str | os.PathLike[str],
    cache_dir: Path | None = None,
    key: Callable[[str], str] = str,
) -> Loaded:
    """The history of ``path``, with its index in ``cache_dir`` read and kept up to date.

    :param key: the name a row's task is kept under (the plugin drops xdist's ``@group``).
    :raises OSError: when the file cannot be read (``FileNotFoundError`` when it is absent).
    :raises FormatError: when it does not start with the header.
    """
    path = os.path.abspath(os.fspath(path))
    size = os.stat(path).st_size
    index = _index_path(cache_dir, path) if cache_dir is not None else None
    cached = _read_index(index, path) if index is not None else None
    history, start, skipped = History(), 0, 0
    how = "read" if index is None else "built"
    if cached is not None:
        if not _still_valid(path, cached, size):
            how = "rebuilt"
        elif cached.end == size:
            return Loaded(History(cached.runs), "current", 0, cached.skipped)
        else:
            history, start, skipped = History(cached.runs), cached.end, cached.skipped
            how = "extended"
    finals = FinalRuns(path, start)
    history.extend(finals, key)
    skipped += finals.skipped
    end = finals.end if not path.endswith(".gz") else size
    if index is not None:
        _write_index(index, path, _Index(end, *_fingerprints(path, end), skipped, history.runs))
    return Loaded(history, how, end - start, skipped)


@dataclass(frozen=True, slots=True)
class _Index:
    end: int
    head: str
    tail: str
    skipped: int
    runs: dict[str, list[float]]


def _index_path(cache_dir: Path, path: str) -> Path:
    digest = hashlib.blake2b(path.encode(), digest_size=8).hexdigest()
    return cache_dir / f"{digest}.json"


def _read_index(index: Path, path: str) -> _Index | None:
    """The index, or None when there is none, or it is unreadable, of another format or file."""
    try:
        data = json.loads(index.read_bytes())
        if data["format"] != FORMAT or data["path"] != path:
            return None
        cached = _Index(data["end"], data["head"], data["tail"], data["skipped"], data["runs"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return cached if isinstance(cached.end, int) and isinstance(cached.runs, dict) else None


def _still_valid(path: str, cached: _Index, size: int) -> bool:
    """True when the file is the one indexed, at most grown: the same head, the same bytes
    before the offset read up to."""
    if not 0 < cached.end <= size:
        return False
    if path.endswith(".gz") and cached.end != size:
        return False  # a compressed file is never appended to: any change is a rewrite
    return (cached.head, cached.tail) == _fingerprints(path, cached.end)


def _fingerprints(path: str, end: int) -> tuple[str, str]:
    with open(path, "rb") as stream:
        head = stream.read(min(FINGERPRINT, end))
        stream.seek(max(0, end - FINGERPRINT))
        tail = stream.read(min(FINGERPRINT, end))
    return _digest(head), _digest(tail)


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _write_index(index: Path, path: str, cached: _Index) -> None:
    """Replace the index atomically; an index that cannot be written is only a slower next run."""
    data = {"format": FORMAT, "path": path, **asdict(cached)}
    partial = index.with_name(f"{index.name}.{os.getpid()}.part")
    try:
        index.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
        os.replace(partial, index)
    except OSError:
        partial.unlink(missing_ok=True)
