"""Raw rows to lines: the writer's hot loop, and the one formatter of durations."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable

from pytest_tasktiming.records.fields import RawRow, escape
from pytest_tasktiming.records.times import UTC


class LineFormatter:
    """Formats raw rows into lines: the writer's hot loop.

    ``datetime.isoformat`` costs about a microsecond and padded integer formatting is slow
    too, so a time is cut from one ``str(ns)``: nearly every row of a batch falls in the same
    second, whose date-and-time prefix is built once. A row's timestamp is its start
    (``started``) or end (final row) time, so that text is reused. A final row usually
    follows its ``started`` row, and the two share their mode, task id and start time: that
    middle of the line is built once for both. Names (modes, tasks, results) are escaped once
    and remembered.
    """

    __slots__ = ("_escaped", "_from", "_prefix", "_until")

    def __init__(self) -> None:
        self._from = self._until = 0  # the cached second, [from, until) in nanoseconds
        self._prefix = ""
        self._escaped: dict[str, str] = {}

    def iso(self, ns: int) -> str:
        """ISO 8601 UTC with microseconds, e.g. ``2026-11-24T21:02:56.123456+00:00``."""
        if not self._from <= ns < self._until:
            second, rest = divmod(ns, 1_000_000_000)
            if second < 1:  # 1970's first second: too few digits to cut; never cached
                return f"{_second_prefix(second)}{rest // 1000:06d}+00:00"
            self._from, self._until = second * 1_000_000_000, (second + 1) * 1_000_000_000
            self._prefix = _second_prefix(second)
        return self._prefix + str(ns)[-9:-3] + "+00:00"

    def line(self, raw: RawRow) -> str:
        """One complete line, fields escaped, ending in ``\\n``."""
        return self.lines((raw,))[0]

    def lines(self, rows: Iterable[RawRow]) -> list[str]:
        """The lines of ``rows``; ``iso``'s fast path, ``escape`` and ``format_duration``
        are inlined."""
        out: list[str] = []
        append = out.append
        iso = self.iso
        names = self._escaped
        if len(names) > _MAX_REMEMBERED_NAMES:
            names.clear()
        low, high, prefix = self._from, self._until, self._prefix
        # The last row's task id, mode and start, and the text they make: "\tmode\tid\tstart\t".
        last_id, last_mode, last_start, started, middle = None, "", -1, "", ""
        for timestamp, mode, task_id, start, end, duration, task, result in rows:
            if task_id is not last_id or start != last_start or mode is not last_mode:
                if low <= start < high:
                    started = prefix + str(start)[-9:-3] + "+00:00"
                else:
                    started = iso(start)
                    low, high, prefix = self._from, self._until, self._prefix
                safe_mode = names.get(mode)
                if safe_mode is None:
                    safe_mode = names[mode] = escape(mode)
                if task_id.isprintable() and "\\" not in task_id:
                    safe_id = task_id
                else:
                    safe_id = escape(task_id)
                last_id, last_mode, last_start = task_id, mode, start
                middle = "\t" + safe_mode + "\t" + safe_id + "\t" + started + "\t"
            if end is None:
                ended = ""
                stamp = started if timestamp == start else iso(timestamp)
            else:
                if low <= end < high:
                    ended = prefix + str(end)[-9:-3] + "+00:00"
                else:
                    ended = iso(end)
                    low, high, prefix = self._from, self._until, self._prefix
                stamp = ended if timestamp == end else iso(timestamp)
            if duration is None:
                seconds = ""
            else:
                digits = str((duration + 500) // 1000)
                seconds = (
                    digits[:-6] + "." + digits[-6:]
                    if len(digits) > 6
                    else "0." + digits.rjust(6, "0")
                )
            safe_task = names.get(task)
            if safe_task is None:
                safe_task = names[task] = escape(task)
            safe_result = names.get(result)
            if safe_result is None:
                safe_result = names[result] = escape(result)
            append(f"{stamp}{middle}{ended}\t{seconds}\t{safe_task}\t{safe_result}\n")
        return out


_MAX_REMEMBERED_NAMES = 10_000
"""Escaped names a formatter keeps; past it they are forgotten, so memory stays bounded."""


def _second_prefix(second: int) -> str:
    return _dt.datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S.")


def format_duration(ns: int) -> str:
    """Seconds with exactly 6 fractional digits, rounded to the microsecond."""
    digits = str((ns + 500) // 1000)
    if len(digits) > 6:
        return digits[:-6] + "." + digits[-6:]
    return "0." + digits.rjust(6, "0")
