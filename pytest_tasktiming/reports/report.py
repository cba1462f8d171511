"""Per-task statistics from a task-timing file, streamed in bounded memory.

Only final rows count (a ``started`` row is not a run). Exact percentiles need every duration,
so each group keeps its durations as 8-byte doubles in an ``array('d')``; once the file has
given ``SPILL_AT`` of them they go to a temporary file and the arrays start again, so memory
stays flat however long the file is, and each group's durations come back one group at a time
at the end. Memory is then bounded by the number of groups and the runs of the largest group.
"""

from __future__ import annotations

import datetime as _dt
import functools
import math
from array import array
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import IO

from pytest_tasktiming._durations import parse_seconds
from pytest_tasktiming._timing import clock
from pytest_tasktiming.exceptions import FormatError
from pytest_tasktiming.records import (
    DURATION,
    FAILING,
    MODE,
    RESULT,
    START_TIME,
    STARTED,
    SUCCEEDED,
    TASK,
    TASK_ID,
    UTC,
    RowReader,
    parse_duration,
    parse_named_time,
)
from pytest_tasktiming.reports.tabular import Column, Value
from pytest_tasktiming.reports.trends import TREND, is_flaky, sparkline
from pytest_tasktiming.streaks import streak_after

GROUPINGS = ("task", "mode", "run", "day", "week")
PERIODS = ("day", "week")
"""Groupings by when a task started (UTC, the file's zone), listed in time order."""

SPILL_AT = 1 << 20
"""Durations held in memory (8 MiB) before they are written to the temporary file."""


@dataclass(frozen=True, slots=True)
class Filters:
    """Which final rows count: ``since <= start_time < until``, and exact mode and result.

    ``since`` and ``until`` are canonical timestamps (see ``parse_moment``), compared as text.
    """

    since: str | None = None
    until: str | None = None
    mode: str | None = None
    result: str | None = None


@dataclass(frozen=True, slots=True)
class Stats:
    """One group's runs; durations in seconds, percentiles linearly interpolated (as pandas)."""

    key: str
    runs: int
    total: float
    mean: float
    p50: float
    p95: float
    min: float
    max: float
    last_result: str
    streak: int
    """Failing results (see ``FAILING``) at the end of the group's history."""
    trend: str = ""
    """A sparkline of the latest ``TREND`` durations (``reports.trends``)."""
    flaky: str = ""
    """``flaky`` when its latest runs went from pass to fail and back (``reports.trends``)."""


def columns(by: str) -> list[Column]:
    """The report's columns, the first named after the grouping; by task, the trend too."""
    trend = [Column("trend", "trend"), Column("flaky", "flaky")] if by == "task" else []
    return [
        Column(by, by),
        Column("runs", "runs", "int"),
        Column("total", "total", "seconds"),
        Column("mean", "mean", "seconds"),
        Column("p50", "p50", "seconds"),
        Column("p95", "p95", "seconds"),
        Column("min", "min", "seconds"),
        Column("max", "max", "seconds"),
        Column("last_result", "last", "text"),
        Column("streak", "streak", "int"),
        *trend,
    ]


def as_record(stats: Stats, by: str) -> dict[str, Value]:
    """``stats`` as a record for ``tabular.render``, its key under the grouping's name too."""
    record: dict[str, Value] = asdict(stats)
    record[by] = stats.key
    return record


def run_of(task_id: str) -> str:
    """The run a task belongs to: the writing process, i.e. the task id without its counter."""
    return task_id.rpartition("-")[0] or task_id


def parse_moment(text: str, *, now_ns: int | None = None) -> str:
    """A ``--since``/``--until`` value as a canonical timestamp comparable with the file's.

    Accepts ISO 8601 (``2026-11-24``, ``2026-11-24T10:00``, with an offset or ``Z``; without
    one it is UTC, the file's zone) or an age with a unit (``90m``, ``36h``, ``7d``: that long
    before now).
    """
    stripped = text.strip()
    if stripped[-1:].isalpha() and stripped[:1].isdigit() and stripped[-1:] not in "zZ":
        seconds = parse_seconds(stripped, source="--since/--until") or 0.0
        now = clock.wall_ns() if now_ns is None else now_ns
        try:
            moment = _dt.datetime.fromtimestamp(now / 1e9, UTC) - _dt.timedelta(seconds=seconds)
        except OverflowError:
            raise ValueError(
                f"invalid time {text!r}: that long ago is before the year 1; "
                "use a shorter age or a date"
            ) from None
    else:
        iso = stripped[:-1] + "+00:00" if stripped[-1:] in "zZ" else stripped
        try:
            moment = _dt.datetime.fromisoformat(iso)
        except ValueError:
            raise ValueError(
                f"invalid time {text!r}: expected ISO 8601 (2026-11-24, 2026-11-24T10:00Z) "
                "or an age such as 90m, 36h, 7d"
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    return _canonical(moment)


def _canonical(moment: _dt.datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class _Group:
    __slots__ = ("chunks", "durations", "last", "outcomes", "recent", "streak")

    def __init__(self) -> None:
        self.durations = array("d")
        self.chunks: list[tuple[int, int]] = []
        self.last = ""
        self.streak = 0
        self.recent: deque[float] = deque(maxlen=TREND)
        self.outcomes: deque[bool] = deque(maxlen=TREND)  # success or failure, for flaky


@dataclass(frozen=True, slots=True)
class Summary:
    """The report: statistics per group, and the line of a torn last line that was skipped."""

    stats: list[Stats]
    torn_line: int | None


def summarize(
    path: str,
    *,
    by: str = "task",
    filters: Filters = Filters(),
    on_progress: Callable[[int], None] | None = None,
) -> Summary:
    """Statistics per task (or mode, run, day or week), largest total first; days and
    weeks in time order.

    :param on_progress: called with the line number now and then (``RowReader``).
    :raises FormatError: for the first bad line, with its number.
    :raises OSError: when the file cannot be read.
    """
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}: expected one of {', '.join(GROUPINGS)}")
    reader = RowReader(path, on_progress=on_progress)
    rows = reader.iter_fields()
    groups: dict[str, _Group] = {}
    held = 0
    second = "-"  # the last start_time's date and second that parsed, with the dot
    since, until, mode, result = filters.since, filters.until, filters.mode, filters.result
    filtering = any(value is not None for value in (since, until, mode, result))
    by_run, by_day, by_week = by == "run", by == "day", by == "week"
    key_column = MODE if by == "mode" else TASK
    with _Spill() as spill:
        for lineno, fields in rows:
            outcome = fields[RESULT]
            if outcome == STARTED:
                continue
            start = fields[START_TIME]
            # Rows close in the file share their second: only a new second needs parsing, and
            # of the rest only the microseconds' six ASCII digits need checking.
            if (
                start[:20] != second
                or start[26:] != "+00:00"
                or not start.isascii()
                or not start[20:26].isdigit()
            ):
                start = _checked_time(path, lineno, start)
                second = start[:20]
            try:
                duration = parse_duration(fields[DURATION])
            except ValueError as error:
                raise FormatError(path, lineno, str(error)) from None
            if filtering and (
                (mode is not None and fields[MODE] != mode)
                or (result is not None and outcome != result)
                or (since is not None and start < since)
                or (until is not None and start >= until)
            ):
                continue
            if by_run:
                key = run_of(fields[TASK_ID])
            elif by_day:
                key = start[:10]
            elif by_week:
                key = iso_week(start[:10])
            else:
                key = fields[key_column]
            group = groups.get(key)
            if group is None:
                group = groups[key] = _Group()
            group.durations.append(duration)
            group.last = outcome
            group.streak = streak_after(group.streak, outcome)
            group.recent.append(duration)
            if outcome in SUCCEEDED or outcome in FAILING:
                group.outcomes.append(outcome in SUCCEEDED)
            held += 1
            if held >= SPILL_AT:
                spill.save(groups)
                held = 0
        stats = [_stats(key, group, spill) for key, group in groups.items()]
    stats.sort(key=(lambda s: s.key) if by in PERIODS else (lambda s: (-s.total, s.key)))
    return Summary(stats, reader.torn_line)


@functools.cache
def iso_week(day: str) -> str:
    """The ISO week of a date (``2026-11-24`` is in ``2026-W48``), as Timewarrior shows it."""
    year, week, _ = _dt.date.fromisoformat(day).isocalendar()
    return f"{year}-W{week:02d}"


def _checked_time(path: str, lineno: int, text: str) -> str:
    """``text`` as a canonical timestamp, or ``FormatError`` naming the line."""
    try:
        moment = parse_named_time(text, "start_time")
    except ValueError as error:
        raise FormatError(path, lineno, str(error)) from None
    if len(text) == 32 and text[10] == "T" and text[19] == ".":
        return text  # already canonical
    return _canonical(moment)


class _Spill:
    """Durations moved out of memory: a temporary file, created on first use."""

    __slots__ = ("_file",)

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None

    def __enter__(self) -> _Spill:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._file is not None:
            self._file.close()

    def save(self, groups: dict[str, _Group]) -> None:
        """Move every group's durations to the file, noting where each chunk went."""
        if self._file is None:
            import tempfile

            self._file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by __exit__)
        for group in groups.values():
            if group.durations:
                group.chunks.append((self._file.tell(), len(group.durations)))
                group.durations.tofile(self._file)
                del group.durations[:]

    def load(self, group: _Group) -> array[float]:
        """All of the group's durations: the chunks saved to the file and those in memory."""
        if not group.chunks or self._file is None:
            return group.durations
        durations = array("d")
        for offset, count in group.chunks:
            self._file.seek(offset)
            durations.fromfile(self._file, count)
        durations.extend(group.durations)
        return durations


def _stats(key: str, group: _Group, spill: _Spill) -> Stats:
    ordered = sorted(spill.load(group))
    total = math.fsum(ordered)
    return Stats(
        key=key,
        runs=len(ordered),
        total=total,
        mean=total / len(ordered),
        p50=percentile(ordered, 0.5),
        p95=percentile(ordered, 0.95),
        min=ordered[0],
        max=ordered[-1],
        last_result=group.last,
        streak=group.streak,
        trend=sparkline(group.recent),
        flaky="flaky" if is_flaky(group.outcomes) else "",
    )


def percentile(ordered: list[float], fraction: float) -> float:
    """The ``fraction`` quantile of sorted values, interpolated linearly between neighbours.

    The same definition as numpy's and pandas' default, so the median of an even count is the
    mean of the middle two.
    """
    position = (len(ordered) - 1) * fraction
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)
