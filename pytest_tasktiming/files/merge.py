"""Rewrite histories: merge CI shards into one file, compact a file to one row per task.

Both read every row into memory (each line once, as text), validate it by parsing, and write
the result atomically: a temporary file next to the output, then ``os.replace``, all under the
output's writer lock so no appended row is lost when the output is also an input. An output
that is a symlink keeps being one: its target is what gets locked and replaced. The inputs'
companion files go along: the output's holds what they say of the tasks it keeps.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from pytest_tasktiming.companion import HEADER as COMPANION_HEADER
from pytest_tasktiming.companion import Notes, companion_path, read_notes
from pytest_tasktiming.locking import locked
from pytest_tasktiming.records import HEADER, TIMESTAMP, LineFormatter, TaskRow, fold, read_rows

Progress = Callable[[int], None] | None


@dataclass(slots=True)
class Rewrite:
    """What a merge or compaction did: rows read, rows written, inputs with a torn last line."""

    rows_in: int = 0
    rows_out: int = 0
    torn: list[str] = field(default_factory=list)


def merge(paths: Sequence[str], out: str, *, on_progress: Progress = None) -> Rewrite:
    """Write the rows of ``paths`` to ``out``: each distinct row once, in timestamp order.

    Rows with equal timestamps keep their input order (the sort is stable).

    :param on_progress: called now and then with the lines read so far, all files together.
    """
    formatter = LineFormatter()
    rewrite = Rewrite()
    seen: set[str] = set()
    entries: list[tuple[int, str]] = []
    task_ids: set[str] = set()
    with locked(out), locked(companion_path(out)):
        for path in paths:
            for row in _rows(path, rewrite, on_progress):
                raw = row.to_raw()
                line = formatter.line(raw)
                if line not in seen:
                    seen.add(line)
                    entries.append((raw[TIMESTAMP], line))
                    task_ids.add(row.task_id)
        entries.sort(key=lambda entry: entry[0])
        rewrite.rows_out = _write_atomically(out, (line for _, line in entries))
        _carry_notes(paths, out, task_ids)
    return rewrite


def compact(path: str, out: str, *, on_progress: Progress = None) -> Rewrite:
    """Write one row per task to ``out``: its final row, or ``started`` if it never ended.

    Tasks keep the order in which they first appear. ``out`` may be ``path``: the rewrite
    holds the writers' lock of the file, so no row appended meanwhile is lost.
    """
    formatter = LineFormatter()
    rewrite = Rewrite()
    with locked(out), locked(companion_path(out)):
        tasks = fold(_rows(path, rewrite, on_progress))
        lines = (formatter.line(row.to_raw()) for row in tasks.values())
        rewrite.rows_out = _write_atomically(out, lines)
        _carry_notes([path], out, set(tasks))
    return rewrite


def _rows(path: str, rewrite: Rewrite, on_progress: Progress) -> Iterable[TaskRow]:
    if on_progress is not None:  # lines of the files before this one, then of this one
        done, report = rewrite.rows_in, on_progress
        on_progress = lambda lines: report(done + lines)  # noqa: E731
    reader = read_rows(path, on_progress=on_progress)
    for row in reader:
        rewrite.rows_in += 1
        yield row
    if reader.torn_line is not None:
        rewrite.torn.append(f"{path}:{reader.torn_line}")


def _carry_notes(paths: Sequence[str], out: str, task_ids: set[str]) -> None:
    """Write the companion file of ``out``: what the inputs' say of the tasks kept, and of
    task names; nothing when no input has one and ``out`` had none."""
    notes = Notes()
    for path in paths:
        notes.update(read_notes(path))
    target = companion_path(out)
    if notes or os.path.exists(target):
        _write_atomically(target, notes.lines(task_ids), header=COMPANION_HEADER)


def _write_atomically(out: str, lines: Iterable[str], header: str = HEADER) -> int:
    """Write ``header`` and ``lines`` to a temporary file, then put it in place of ``out``."""
    import gzip
    import tempfile

    target = os.path.realpath(out)  # through a symlink: the link stays, its target changes
    directory = os.path.dirname(target)
    fd, temporary = tempfile.mkstemp(prefix=".tasktiming-", suffix=".tmp", dir=directory)
    count = 0
    try:
        with os.fdopen(fd, "wb") as raw:
            stream = gzip.GzipFile(fileobj=raw, mode="wb") if out.endswith(".gz") else raw
            stream.write(header.encode("utf-8"))
            for line in lines:
                stream.write(line.encode("utf-8"))
                count += 1
            if stream is not raw:
                stream.close()
            raw.flush()
            os.fsync(raw.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise
    return count
