"""The MCP server's reading tools beyond timing: the CI gate, failure streaks, the TODO list.

Each tool calls the function the command line calls (``tasktiming check``, the report's
streak column, ``tasktiming todo``), so an agent gets the answers a person gets.
``add_tools`` registers them on the server ``mcp.build_server`` makes, which also times a
checklist item (``start_todo_item``).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pytest_tasktiming._durations import parse_seconds
from pytest_tasktiming.paths import DEFAULT_TODO

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer


# No slots on the answers: the SDK would take a slot descriptor for a field's default.
@dataclass(frozen=True)
class Finding:
    """A task the CI gate fails: ``timeout``, past the limit, or ``interrupted`` past it."""

    task: str
    result: str
    duration: float
    start_time: str
    task_id: str
    line: int


@dataclass(frozen=True)
class Streak:
    """A task whose latest runs all failed: how many, out of how many runs."""

    task: str
    failures: int
    runs: int
    last_result: str


@dataclass(frozen=True)
class TodoItem:
    """A checklist item with the time tracked against it (``total`` None: none yet)."""

    number: int
    item: str
    done: bool
    runs: int
    total: float | None
    last_result: str | None


def check(path: str, limit: float | str | None = 3600.0) -> list[Finding]:
    """``tasktiming check``: the tasks that timed out or ran past ``limit`` (0: timeouts
    only); an empty list is a pass. A file not written yet has none."""
    from pytest_tasktiming.reports.check import find_overruns

    seconds = parse_seconds(limit, source="the limit argument")
    try:
        overruns = find_overruns(path, limit=seconds)
    except FileNotFoundError:
        return []
    return [
        Finding(o.task, o.result, round(o.duration, 6), o.start_time, o.task_id, o.line)
        for o in overruns
    ]


def streaks(path: str, min_failures: int = 1) -> list[Streak]:
    """Tasks whose last ``min_failures`` or more runs failed (failed, error, timeout; skips
    neither extend nor end a streak), the longest streak first."""
    from pytest_tasktiming.reports.report import summarize

    if min_failures < 1:
        raise ValueError(f"invalid min_failures {min_failures!r}: expected a whole number >= 1")
    try:
        stats = summarize(path).stats
    except FileNotFoundError:
        return []
    found = [Streak(s.key, s.streak, s.runs, s.last_result) for s in stats]
    chosen = [streak for streak in found if streak.failures >= min_failures]
    return sorted(chosen, key=lambda streak: (-streak.failures, streak.task))


def todo_items(path: str, todo_file: str = DEFAULT_TODO) -> list[TodoItem]:
    """``tasktiming todo``: the checklist's items, numbered, with their tracked time."""
    from pytest_tasktiming.integrations.todo import read_items, track

    return [
        TodoItem(
            number=entry.item.number,
            item=entry.item.text,
            done=entry.item.done,
            runs=entry.runs,
            total=round(entry.total, 6) if entry.runs else None,
            last_result=entry.last_result,
        )
        for entry in track(read_items(todo_file), path)
    ]


def add_tools(
    server: MCPServer, path: str, guard: Callable[[], AbstractContextManager[None]]
) -> None:
    """Register the tools reading ``path`` on ``server``; ``guard`` turns bad input into the
    tool's error."""
    from mcp.types import ToolAnnotations

    reading = ToolAnnotations(read_only_hint=True)

    @server.tool(name="check", annotations=reading)
    def check_tool(limit: float | str = 3600.0) -> list[Finding]:
        """The CI gate: tasks that timed out, ran past limit seconds (or "90m", "2h"; 0:
        timeouts only), or started more than limit ago and never ended. Empty: a pass."""
        with guard():
            return check(path, limit)

    @server.tool(name="failure_streaks", annotations=reading)
    def streaks_tool(min_failures: int = 1) -> list[Streak]:
        """Tasks whose latest runs all failed (failed, error or timeout), with how many in
        a row, longest first: what to look at before retrying the same thing again."""
        with guard():
            return streaks(path, min_failures)

    @server.tool(name="list_todo_items", annotations=reading)
    def todo_tool(todo_file: str = DEFAULT_TODO) -> list[TodoItem]:
        """The Markdown checklist's items (- [ ] / - [x]), numbered as start_todo_item takes
        them, with the runs and seconds timed against each."""
        with guard():
            return todo_items(path, todo_file)
