"""``tasktiming mcp``: a stdio MCP server through which agents time their tasks.

``TaskBoard`` is what the tools do, without MCP: start and stop go through ``startstop``
(the same rows as ``tasktiming start``/``stop``), the report through ``report.summarize``.
A task's timeout lives in this server's memory only, so a server started again knows the
tasks still open in the file but gives them the default timeout. The server writes no row
at the deadline: ``list_running_tasks`` flags an overdue task, and stopping it records
``timeout``. The MCP SDK is imported only by ``build_server``: ``[mcp]`` is an extra.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from pytest_tasktiming._durations import parse_seconds
from pytest_tasktiming._timing import clock
from pytest_tasktiming.companion import read_notes
from pytest_tasktiming.files.startstop import RESULTS, UnknownTaskError, note_limit, start, stop
from pytest_tasktiming.integrations.todo import item_number, read_items
from pytest_tasktiming.paths import DEFAULT_TODO
from pytest_tasktiming.records import (
    MODE,
    START_TIME,
    TASK,
    TIMEOUT,
    parse_time,
    to_ns,
)
from pytest_tasktiming.reports.status import limit_of, open_rows

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

DEFAULT_MODE = "mcp"
DEFAULT_TOP = 20
MAX_NAME = 1000
"""Characters a task name or mode may have: a label for a report, not a place for a log."""

_INSTRUCTIONS = """\
Time your tasks: call start_task when you begin one and keep the task_id it returns, then
stop_task with that id and the result when it ends. list_running_tasks shows what is still
open, with the time left before each task's timeout; report summarizes past runs, check is
the CI gate, failure_streaks lists what keeps failing, and list_todo_items and
start_todo_item time the items of a Markdown checklist."""


# No slots on the answers: the SDK would take a slot descriptor for a field's default.
@dataclass(frozen=True)
class Started:
    """What ``start_task`` answers."""

    task_id: str
    task: str
    mode: str
    timeout: float | None


@dataclass(frozen=True)
class Stopped:
    """What ``stop_task`` answers; ``timed_out`` when the task ran past its timeout."""

    task_id: str
    task: str
    result: str
    duration: float
    timed_out: bool


@dataclass(frozen=True)
class Running:
    """One open task: seconds since it started, and until its timeout (negative: past it)."""

    task_id: str
    task: str
    mode: str
    start_time: str
    elapsed: float
    timeout: float | None
    remaining: float | None
    overdue: bool
    timeout_known: bool


@dataclass(frozen=True)
class ReportRow:
    """One group of the report: ``report.Stats`` with seconds to the microsecond, declared
    again for the tool's output schema (the SDK cannot read a slotted dataclass)."""

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
    trend: str = ""
    flaky: str = ""


class TaskBoard:
    """Starts, stops, lists and reports the tasks of one file; every method is thread-safe.

    :param default_timeout: seconds for tasks started without a timeout and for open tasks
        this server did not start (None: no timeout).
    """

    def __init__(self, path: str, *, default_timeout: float | None = 3600.0) -> None:
        self.path = path
        self.default_timeout = default_timeout
        self._known: dict[str, tuple[int, float | None]] = {}
        """Tasks this server started: their start (wall-clock ns) and timeout."""
        self._lock = threading.Lock()

    def start(
        self, name: str, mode: str = DEFAULT_MODE, timeout: float | str | None = None
    ) -> Started:
        """Write the ``started`` row of ``name`` and remember its timeout.

        :param timeout: seconds or text such as ``"30m"``; None gives the default, 0 none.
        """
        for what, text in (("task name", name), ("mode", mode)):
            if not text.strip():
                raise ValueError(f"invalid {what}: expected a non-empty string")
            if len(text) > MAX_NAME:
                raise ValueError(
                    f"invalid {what}: {len(text)} characters, at most {MAX_NAME}: "
                    "name the task, and keep its details elsewhere"
                )
        seconds = (
            self.default_timeout
            if timeout is None
            else parse_seconds(timeout, source="the timeout argument")
        )
        with self._lock:
            begun = clock.wall_ns()  # within microseconds of the row's start_time
            task_id = start(self.path, name, mode=mode)
            self._known[task_id] = (begun, seconds)
            note_limit(self.path, task_id, seconds)  # for whoever reads the file, not only us
        return Started(task_id=task_id, task=name, mode=mode, timeout=seconds)

    def stop(self, task_id: str, result: str = "completed") -> Stopped:
        """Write the final row of ``task_id``; past its timeout the result is ``timeout``.

        :raises UnknownTaskError: when the file has no open task ``task_id``.
        """
        if result not in RESULTS:
            raise ValueError(f"invalid result {result!r}: expected one of {', '.join(RESULTS)}")
        with self._lock:
            begun, timeout = self._known.get(task_id) or self._from_file(task_id)
            if timeout is not None and (clock.wall_ns() - begun) / 1e9 > timeout:
                result = TIMEOUT
            try:
                stopped = stop(self.path, task_id, result=result)
            except FileNotFoundError:
                raise UnknownTaskError(
                    f"unknown task id {task_id!r}: no task was started in {self.path} yet"
                ) from None
            self._known.pop(task_id, None)
        return Stopped(
            task_id=task_id,
            task=stopped.task,
            result=stopped.result,
            duration=round(stopped.duration, 6),
            timed_out=stopped.result == TIMEOUT,
        )

    def _from_file(self, task_id: str) -> tuple[int, float | None]:
        """The start and timeout (its own on file, else the default) of an open task this
        server did not start."""
        fields = _open_rows(self.path).get(task_id)
        if fields is None:
            return clock.wall_ns(), self.default_timeout
        limit = limit_of(read_notes(self.path), fields, self.default_timeout)
        return _wall_ns(fields[START_TIME]), limit

    def running(self) -> list[Running]:
        """Every task of the file with a ``started`` row and no final row, oldest first."""
        with self._lock:
            open_rows = _open_rows(self.path)
            for gone in self._known.keys() - open_rows.keys():  # stopped elsewhere
                del self._known[gone]
            known = dict(self._known)
        notes = read_notes(self.path) if open_rows.keys() - known.keys() else None
        now = clock.wall_ns()
        tasks = []
        for task_id, fields in open_rows.items():
            elapsed = (now - _wall_ns(fields[START_TIME])) / 1e9
            on_file = None if notes is None else limit_of(notes, fields, None)
            if task_id in known:
                timeout = known[task_id][1]
            else:
                timeout = self.default_timeout if on_file is None else on_file
            remaining = None if timeout is None else round(timeout - elapsed, 6)
            tasks.append(
                Running(
                    task_id=task_id,
                    task=fields[TASK],
                    mode=fields[MODE],
                    start_time=fields[START_TIME],
                    elapsed=round(elapsed, 6),
                    timeout=timeout,
                    remaining=remaining,
                    overdue=remaining is not None and remaining < 0,
                    timeout_known=task_id in known or on_file is not None,
                )
            )
        return sorted(tasks, key=lambda task: task.start_time)

    def start_todo(self, number: int, todo_file: str = DEFAULT_TODO) -> Started:
        """``tasktiming start --todo N``: time checklist item ``number`` under its text."""
        item = item_number(read_items(todo_file), number, todo_file)
        return self.start(item.text, mode="todo")

    def report(
        self,
        by: str = "task",
        top: int | None = DEFAULT_TOP,
        since: str | None = None,
        mode: str | None = None,
    ) -> list[ReportRow]:
        """The report's statistics per task (or mode, or run), largest total first."""
        from pytest_tasktiming.reports.report import Filters, parse_moment, summarize

        if top is not None and top < 1:
            raise ValueError(f"invalid top {top!r}: expected a whole number >= 1")
        filters = Filters(since=None if since is None else parse_moment(since), mode=mode)
        try:
            stats = summarize(self.path, by=by, filters=filters).stats[:top]
        except FileNotFoundError:
            return []
        return [ReportRow(**_to_the_microsecond(asdict(s))) for s in stats]


def _to_the_microsecond(values: dict[str, Any]) -> dict[str, Any]:
    return {key: round(v, 6) if isinstance(v, float) else v for key, v in values.items()}


def _open_rows(path: str) -> dict[str, list[str]]:
    """The fields of each ``started`` row without a final row, by task id, in file order."""
    try:
        found = open_rows(path, strict=False)
    except FileNotFoundError:
        return {}
    return {task_id: fields for task_id, (_, fields) in found.items()}


def _wall_ns(start_time: str) -> int:
    return to_ns(parse_time(start_time))


@contextlib.contextmanager
def _as_tool_errors() -> Iterator[None]:
    """Bad arguments and unknown ids become the tool's error answer, not a crash."""
    from mcp.server.mcpserver.exceptions import ToolError

    try:
        yield
    except (ValueError, UnknownTaskError, OSError) as error:
        raise ToolError(str(error)) from None


def build_server(board: TaskBoard) -> MCPServer:
    """The MCP server whose tools call ``board``."""
    from mcp.server.mcpserver import MCPServer
    from mcp.types import ToolAnnotations

    from pytest_tasktiming import __version__
    from pytest_tasktiming.integrations.mcp_tools import add_tools

    server: MCPServer = MCPServer(
        "tasktiming", version=__version__, instructions=_INSTRUCTIONS, log_level="WARNING"
    )
    reading = ToolAnnotations(read_only_hint=True)

    @server.tool()
    def start_task(
        name: str, mode: str = DEFAULT_MODE, timeout: float | str | None = None
    ) -> Started:
        """Start timing a task; returns its task_id, which stop_task needs.

        timeout: seconds (600) or with a unit ("30m", "1.5h"); omitted: the server's default;
        0: none. A task still running past it is listed as overdue and stopped as "timeout".
        """
        with _as_tool_errors():
            return board.start(name, mode, timeout)

    @server.tool()
    def stop_task(task_id: str, result: str = "completed") -> Stopped:
        """Stop timing a task; returns how long it took.

        result: completed, failed, timeout, recovered, or a pytest outcome (passed, failed,
        skipped, xfailed, xpassed, error). A task past its timeout is recorded as "timeout".
        """
        with _as_tool_errors():
            return board.stop(task_id, result)

    @server.tool(annotations=reading)
    def list_running_tasks() -> list[Running]:
        """Tasks started and not stopped, oldest first: elapsed and remaining seconds before
        the timeout (negative when past it, then overdue is true)."""
        with _as_tool_errors():
            return board.running()

    @server.tool(annotations=reading)
    def report(
        by: str = "task",
        top: int | None = DEFAULT_TOP,
        since: str | None = None,
        mode: str | None = None,
    ) -> list[ReportRow]:
        """Past runs per task (by="task"), per mode or per run: runs, total, mean, p50, p95,
        min, max seconds, last result and failure streak, largest total first.

        top: how many (null: all); since: ISO 8601 time or an age such as "7d", "36h";
        mode: only rows of this mode.
        """
        with _as_tool_errors():
            return board.report(by, top, since, mode)

    @server.tool()
    def start_todo_item(number: int, todo_file: str = DEFAULT_TODO) -> Started:
        """Start timing item number of a Markdown checklist (as list_todo_items numbers
        them) under its text; returns its task_id, which stop_task needs."""
        with _as_tool_errors():
            return board.start_todo(number, todo_file)

    add_tools(server, board.path, _as_tool_errors)
    return server


def serve(path: str, *, default_timeout: float | None) -> None:
    """Serve the tools on stdin and stdout until the client closes them."""
    import anyio

    from pytest_tasktiming.integrations.mcp_stdio import serve_stdio

    anyio.run(serve_stdio, build_server(TaskBoard(path, default_timeout=default_timeout)))
