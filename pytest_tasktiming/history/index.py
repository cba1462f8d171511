"""Reading a history file of any size at session start: an incremental index beside it.

The file is append-only, so what was read once stays true while the file only grows. The
index (a small file in a cache directory, e.g. pytest's ``.pytest_cache``) keeps each
task's recent durations, the offset read up to, and fingerprints of the file's first bytes
and of the bytes just before that offset. When both still match, only the bytes appended
since are read; when either differs (the file was compacted, merged, replaced or cut), the
index is rebuilt from the whole file. Without a cache directory the whole file is read.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from array import array
from collections.abc import Callable
from dataclasses import dataclass
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
    return cache_dir / f"{digest}.index"


def _read_index(index: Path, path: str) -> _Index | None:
    """The index, or None when there is none, or it is unreadable, of another format or file.

    One line of JSON (the offsets, fingerprints and each task's name and number of runs),
    then every duration as one array of doubles: a million floats in JSON take longer to
    parse than the session start can spare.
    """
    try:
        data = index.read_bytes()
        head, _, packed = data.partition(b"\n")
        meta = json.loads(head)
        if (meta["format"], meta["path"], meta["byteorder"]) != (FORMAT, path, sys.byteorder):
            return None
        durations = array("d")
        durations.frombytes(packed)
        tasks: list[str] = meta["tasks"]
        counts: list[int] = meta["counts"]
        if len(tasks) != len(counts) or sum(counts) != len(durations):
            return None
        runs, at = {}, 0
        for task, count in zip(tasks, counts, strict=True):
            runs[task] = durations[at : at + count].tolist()
            at += count
        return _Index(meta["end"], meta["head"], meta["tail"], meta["skipped"], runs)
    except (OSError, ValueError, KeyError, TypeError):
        return None


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
    runs = cached.runs
    meta = {
        "format": FORMAT,
        "path": path,
        "byteorder": sys.byteorder,
        "end": cached.end,
        "head": cached.head,
        "tail": cached.tail,
        "skipped": cached.skipped,
        "tasks": list(runs),
        "counts": [len(durations) for durations in runs.values()],
    }
    durations = array("d", [duration for recent in runs.values() for duration in recent])
    partial = index.with_name(f"{index.name}.{os.getpid()}.part")
    try:
        index.parent.mkdir(parents=True, exist_ok=True)
        with partial.open("wb") as out:
            out.write(json.dumps(meta, separators=(",", ":")).encode() + b"\n")
            durations.tofile(out)
        os.replace(partial, index)
    except OSError:
        partial.unlink(missing_ok=True)
