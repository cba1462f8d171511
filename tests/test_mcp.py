"""``tasktiming mcp``: the tools' work (``TaskBoard``) directly, then the real server over stdio
driven by the MCP SDK's own client, as an agent's host would run it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TextIO

import pytest

from pytest_tasktiming import read_rows
from pytest_tasktiming._timing import clock
from pytest_tasktiming.cli import main
from pytest_tasktiming.files.startstop import UnknownTaskError, start, stop
from pytest_tasktiming.integrations.mcp import TaskBoard
from pytest_tasktiming.integrations.mcp_tools import (
    Streak,
    TodoItem,
    check,
    streaks,
    todo_items,
)
from pytest_tasktiming.records import fold
from pytest_tasktiming.reports.report import summarize


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The wall clock every row and elapsed time reads, in ns; tests move it by hand."""
    moment = [1_790_000_000_000_000_000]
    monkeypatch.setattr(clock, "wall_ns", lambda: moment[0])
    return moment


def seconds(count: float) -> int:
    return int(count * 1e9)


# --- the tools' work -----------------------------------------------------------------------


def test_a_started_task_is_a_started_row_and_is_listed_with_its_time_left(
    tsv_path: Path, now: list[int]
) -> None:
    board = TaskBoard(str(tsv_path))
    started = board.start("deploy", mode="agent", timeout="10m")
    now[0] += seconds(90)

    [running] = board.running()

    [row] = read_rows(tsv_path)
    assert (row.task, row.mode, row.task_id, row.result) == (
        "deploy",
        "agent",
        started.task_id,
        "started",
    )
    assert running.task_id == started.task_id
    assert (running.elapsed, running.timeout, running.remaining) == (90.0, 600.0, 510.0)
    assert not running.overdue
    assert running.timeout_known


def test_stopping_a_task_writes_its_final_row_and_answers_the_duration(
    tsv_path: Path, now: list[int]
) -> None:
    board = TaskBoard(str(tsv_path))
    task_id = board.start("build").task_id
    now[0] += seconds(12.5)

    stopped = board.stop(task_id, "failed")

    assert (stopped.result, stopped.duration, stopped.timed_out) == ("failed", 12.5, False)
    final = fold(read_rows(tsv_path))[task_id]
    assert (final.result, final.duration, final.task) == ("failed", 12.5, "build")
    assert board.running() == []


def test_a_task_past_its_timeout_is_listed_overdue_and_stopped_as_timeout(
    tsv_path: Path, now: list[int]
) -> None:
    board = TaskBoard(str(tsv_path))
    task_id = board.start("migrate", timeout=60).task_id
    now[0] += seconds(75)

    [running] = board.running()
    stopped = board.stop(task_id, "completed")

    assert running.overdue
    assert running.remaining == -15.0
    assert (stopped.result, stopped.timed_out) == ("timeout", True)
    assert fold(read_rows(tsv_path))[task_id].result == "timeout"


def test_a_task_without_a_timeout_is_never_overdue(tsv_path: Path, now: list[int]) -> None:
    board = TaskBoard(str(tsv_path))
    task_id = board.start("soak", timeout=0).task_id
    now[0] += seconds(86_400)

    [running] = board.running()

    assert (running.timeout, running.remaining, running.overdue) == (None, None, False)
    assert board.stop(task_id).result == "completed"


def test_a_restarted_server_knows_open_tasks_and_their_timeouts_from_the_file(
    tsv_path: Path, now: list[int]
) -> None:
    task_id = TaskBoard(str(tsv_path)).start("long job", timeout="8h").task_id
    shell_id = start(str(tsv_path), "from a script")  # no timeout of its own on file
    now[0] += seconds(7200)

    restarted = TaskBoard(str(tsv_path), default_timeout=3600)
    running = {task.task: task for task in restarted.running()}
    stopped = restarted.stop(task_id)

    job = running["long job"]
    assert (job.timeout, job.timeout_known, job.overdue) == (8 * 3600, True, False)
    assert stopped.result == "completed"  # 2 of its 8 hours: the companion file kept them
    script = running["from a script"]
    assert (script.timeout, script.timeout_known, script.overdue) == (3600, False, True)
    assert restarted.stop(shell_id).result == "timeout"


def test_tasks_started_and_stopped_from_the_shell_are_seen_too(
    tsv_path: Path, now: list[int]
) -> None:
    board = TaskBoard(str(tsv_path))
    ours = board.start("ours").task_id
    theirs = start(str(tsv_path), "from a script")

    listed = {task.task_id for task in board.running()}
    stop(str(tsv_path), ours)
    after = [task.task_id for task in board.running()]

    assert listed == {ours, theirs}
    assert after == [theirs]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(lambda b: b.start("  "), "invalid task name", id="empty-name"),
        pytest.param(lambda b: b.start("x", mode=""), "invalid mode", id="empty-mode"),
        pytest.param(
            lambda b: b.start("x", timeout="soon"), "invalid timeout 'soon'", id="timeout"
        ),
        pytest.param(lambda b: b.start("x", timeout=-1), "invalid timeout -1", id="negative"),
        pytest.param(lambda b: b.stop("nope"), "unknown task id 'nope'", id="unknown-id"),
        pytest.param(lambda b: b.report(by="colour"), "unknown grouping 'colour'", id="grouping"),
        pytest.param(lambda b: b.report(top=0), "invalid top 0", id="top"),
        pytest.param(lambda b: b.report(since="soon"), "invalid time 'soon'", id="since"),
    ],
)
def test_bad_arguments_raise_errors_that_name_them(
    tsv_path: Path, call: Callable[[TaskBoard], object], message: str
) -> None:
    board = TaskBoard(str(tsv_path))
    board.start("exists")  # so the file is there and only the argument is wrong

    with pytest.raises((ValueError, UnknownTaskError), match=message):
        call(board)


def test_a_bad_result_is_refused_and_the_task_stays_open(tsv_path: Path) -> None:
    board = TaskBoard(str(tsv_path))
    task_id = board.start("x").task_id

    with pytest.raises(ValueError, match="invalid result 'great'"):
        board.stop(task_id, "great")

    assert [task.task_id for task in board.running()] == [task_id]


def test_the_report_is_the_report_commands_statistics(tsv_path: Path, now: list[int]) -> None:
    board = TaskBoard(str(tsv_path))
    for name, length, result in [("a", 2, "completed"), ("a", 4, "failed"), ("b", 1, "completed")]:
        task_id = board.start(name).task_id
        now[0] += seconds(length)
        board.stop(task_id, result)

    rows = board.report()
    [only_a] = board.report(top=1)
    by_mode = board.report(by="mode")

    expected = summarize(str(tsv_path)).stats
    assert [(r.key, r.runs, r.total, r.p50, r.last_result, r.streak) for r in rows] == [
        (s.key, s.runs, s.total, s.p50, s.last_result, s.streak) for s in expected
    ]
    assert (only_a.key, only_a.total, only_a.streak) == ("a", 6.0, 1)
    assert [(r.key, r.runs) for r in by_mode] == [("mcp", 3)]


def test_with_no_file_yet_nothing_runs_and_the_report_is_empty(tmp_path: Path) -> None:
    board = TaskBoard(str(tmp_path / "none.tsv"))

    assert board.running() == []
    assert board.report() == []


# --- the real server over stdio --------------------------------------------------------------


def converse(tmp_path: Path, tsv_path: Path, talk: Callable[[Any], Awaitable[None]]) -> str:
    """Run ``python -m pytest_tasktiming mcp`` and ``talk`` to it through the SDK's client;
    return what the server wrote on stderr."""
    import anyio
    from mcp import ClientSession, StdioServerParameters, stdio_client

    server = StdioServerParameters(
        command=sys.executable,
        args=["-m", "pytest_tasktiming", "mcp", "--file", str(tsv_path), "--timeout", "1h"],
        cwd=str(tmp_path),
    )
    errlog = tmp_path / "server-stderr.txt"

    async def session(stderr: TextIO) -> None:
        async with (
            stdio_client(server, errlog=stderr) as (read, write),
            ClientSession(read, write) as client,
        ):
            await client.initialize()
            await talk(client)

    with errlog.open("w") as stderr:
        anyio.run(session, stderr)
    return errlog.read_text()


def test_an_agent_starts_lists_stops_and_reports_through_the_sdk_client(
    tmp_path: Path, tsv_path: Path
) -> None:
    answers: dict[str, Any] = {}

    async def talk(client: Any) -> None:
        answers["tools"] = sorted(tool.name for tool in (await client.list_tools()).tools)
        answers["start"] = await client.call_tool(
            "start_task", {"name": "write docs", "timeout": "10m"}
        )
        task_id = answers["start"].structured_content["task_id"]
        answers["running"] = await client.call_tool("list_running_tasks", {})
        answers["stop"] = await client.call_tool(
            "stop_task", {"task_id": task_id, "result": "completed"}
        )
        answers["after"] = await client.call_tool("list_running_tasks", {})
        answers["report"] = await client.call_tool("report", {"by": "task"})

    stderr = converse(tmp_path, tsv_path, talk)

    assert answers["tools"] == [
        "check",
        "failure_streaks",
        "list_running_tasks",
        "list_todo_items",
        "report",
        "start_task",
        "start_todo_item",
        "stop_task",
    ]
    started = answers["start"].structured_content
    assert (started["task"], started["mode"], started["timeout"]) == ("write docs", "mcp", 600.0)
    [running] = answers["running"].structured_content["result"]
    assert (running["task_id"], running["timeout"], running["overdue"]) == (
        started["task_id"],
        600.0,
        False,
    )
    stopped = answers["stop"].structured_content
    final = fold(read_rows(tsv_path))[started["task_id"]]
    assert (stopped["result"], final.result) == ("completed", "completed")
    assert stopped["duration"] == pytest.approx(final.duration, abs=1e-6)
    assert answers["after"].structured_content["result"] == []
    [reported] = answers["report"].structured_content["result"]
    assert (reported["key"], reported["runs"], reported["last_result"]) == (
        "write docs",
        1,
        "completed",
    )
    assert "Traceback" not in stderr


def test_bad_arguments_are_tool_errors_and_the_server_keeps_serving(
    tmp_path: Path, tsv_path: Path
) -> None:
    answers: dict[str, Any] = {}

    async def talk(client: Any) -> None:
        answers["unknown id"] = await client.call_tool("stop_task", {"task_id": "no-such-task"})
        answers["bad timeout"] = await client.call_tool(
            "start_task", {"name": "x", "timeout": "soon"}
        )
        answers["wrong type"] = await client.call_tool("start_task", {"name": ["not", "text"]})
        answers["bad result"] = await client.call_tool(
            "stop_task", {"task_id": "x", "result": "great"}
        )
        answers["long ago"] = await client.call_tool("report", {"since": "99999999999d"})
        answers["huge name"] = await client.call_tool("start_task", {"name": "x" * 2_000_000})
        answers["then"] = await client.call_tool("start_task", {"name": "still here"})

    stderr = converse(tmp_path, tsv_path, talk)

    for what in ("unknown id", "bad timeout", "wrong type", "bad result", "long ago", "huge name"):
        assert answers[what].is_error, what
    assert "unknown task id 'no-such-task'" in answers["unknown id"].content[0].text
    assert "invalid timeout 'soon'" in answers["bad timeout"].content[0].text
    assert "invalid result 'great'" in answers["bad result"].content[0].text
    assert (
        "'99999999999d': that long ago is before the year 1" in answers["long ago"].content[0].text
    )
    assert "2000000 characters, at most 1000" in answers["huge name"].content[0].text
    assert not answers["then"].is_error
    assert [row.task for row in read_rows(tsv_path)] == ["still here"]
    assert "Traceback" not in stderr


WIRE = [
    (b'{"jsonrpc": "2.0", "id": 1, "method": "ping"\n', -32700, "not valid JSON"),
    (b'{"jsonrpc": "2.0", "id": 2, "method": "\xff\xfe"}\n', -32700, "not valid UTF-8"),
    (b'[{"jsonrpc": "2.0", "id": 3, "method": "ping"}]\n', -32600, "no batches"),
    (b"42\n", -32600, "no batches"),
]
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 9,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "raw", "version": "1"},
    },
}


def test_lines_that_do_not_parse_get_json_rpc_errors_and_the_server_goes_on(
    tsv_path: Path,
) -> None:
    import json
    import queue
    import threading

    from pytest_tasktiming import __version__

    server = subprocess.Popen(
        [sys.executable, "-m", "pytest_tasktiming", "mcp", "--file", str(tsv_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert server.stdin is not None and server.stdout is not None
    answers: queue.Queue[bytes] = queue.Queue()
    threading.Thread(
        target=lambda: [answers.put(line) for line in server.stdout], daemon=True
    ).start()
    try:
        for line, code, message in WIRE:
            server.stdin.write(line)
            server.stdin.flush()
            answer = json.loads(answers.get(timeout=60))
            assert (answer["id"], answer["error"]["code"]) == (None, code)
            assert message in answer["error"]["message"]
        server.stdin.write(json.dumps(INITIALIZE).encode() + b"\n")
        server.stdin.flush()
        initialized = json.loads(answers.get(timeout=60))
        assert initialized["id"] == 9
        assert initialized["result"]["serverInfo"] == {"name": "tasktiming", "version": __version__}
    finally:
        server.stdin.close()
        assert server.wait(timeout=60) == 0
    assert server.stderr is not None
    with server.stderr, server.stdout:
        assert b"Traceback" not in server.stderr.read()


def test_without_the_sdk_the_command_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tsv_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "mcp.server.mcpserver", None)  # import raises, as if absent

    status = main(["mcp", "--file", str(tsv_path)])

    assert status == 2
    error = capsys.readouterr().err
    assert error.startswith("tasktiming: error: tasktiming mcp needs the MCP Python SDK")
    assert "pip install 'pytest-tasktiming[mcp]'" in error
    assert len(error.splitlines()) == 1


def test_the_command_line_and_these_modules_import_neither_the_sdks_nor_pytest() -> None:
    code = (
        "import sys\n"
        "import pytest_tasktiming.cli, pytest_tasktiming.integrations.mcp\n"
        "import pytest_tasktiming.integrations.mcp_tools\n"
        "import pytest_tasktiming.integrations.otel, pytest_tasktiming.integrations.todo\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'mcp', 'opentelemetry', 'pytest'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "[]"


# --- the CI gate, streaks and the TODO checklist -------------------------------------------

TODO = "# Release\n\n- [x] Write the changelog\n- [ ] Build the wheels\n- [ ] Tag it\n"


def test_check_streaks_and_todo_items_answer_what_the_commands_print(
    tsv_path: Path, tmp_path: Path, now: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    board = TaskBoard(str(tsv_path))
    for result in ("failed", "timeout", "completed", "failed", "error"):
        task_id = board.start("deploy", timeout=0).task_id
        now[0] += seconds(2)
        board.stop(task_id, result)
    slow = board.start("migrate", timeout=0).task_id
    now[0] += seconds(120)
    board.stop(slow)
    todo = tmp_path / "TODO.md"
    todo.write_text(TODO, encoding="utf-8")
    item = board.start_todo(2, str(todo))
    now[0] += seconds(30)
    board.stop(item.task_id)

    findings = check(str(tsv_path), "1m")
    assert [(f.task, f.result, f.duration) for f in findings] == [
        ("deploy", "timeout", 2.0),
        ("migrate", "completed", 120.0),
    ]
    assert main(["check", str(tsv_path), "--max", "1m", "--format", "json"]) == 1
    assert [f["task_id"] for f in json.loads(capsys.readouterr().out)] == [
        f.task_id for f in findings
    ]
    assert streaks(str(tsv_path)) == [Streak("deploy", 2, 5, "error")]
    assert streaks(str(tsv_path), min_failures=3) == []
    assert item.task == "Build the wheels" and item.mode == "todo"
    assert todo_items(str(tsv_path), str(todo)) == [
        TodoItem(1, "Write the changelog", True, 0, None, None),
        TodoItem(2, "Build the wheels", False, 1, 30.0, "completed"),
        TodoItem(3, "Tag it", False, 0, None, None),
    ]


def test_with_no_file_yet_the_gate_passes_and_nothing_streaks(tmp_path: Path) -> None:
    missing = str(tmp_path / "none.tsv")
    assert check(missing) == []
    assert streaks(missing) == []


def test_an_agent_checks_finds_streaks_and_times_a_todo_item_through_the_sdk_client(
    tmp_path: Path, tsv_path: Path
) -> None:
    (tmp_path / "TODO.md").write_text(TODO, encoding="utf-8")
    for result in ("failed", "failed"):
        stop(str(tsv_path), start(str(tsv_path), "flaky"), result=result)
    answers: dict[str, Any] = {}

    async def talk(client: Any) -> None:
        answers["check"] = await client.call_tool("check", {"limit": 0})
        answers["streaks"] = await client.call_tool("failure_streaks", {})
        answers["items"] = await client.call_tool("list_todo_items", {})
        answers["start"] = await client.call_tool("start_todo_item", {"number": 3})
        answers["no item"] = await client.call_tool("start_todo_item", {"number": 9})
        answers["bad limit"] = await client.call_tool("check", {"limit": "soon"})

    stderr = converse(tmp_path, tsv_path, talk)

    assert answers["check"].structured_content["result"] == []
    [streak] = answers["streaks"].structured_content["result"]
    assert streak == {"task": "flaky", "failures": 2, "runs": 2, "last_result": "failed"}
    items = answers["items"].structured_content["result"]
    assert [(i["number"], i["done"]) for i in items] == [(1, True), (2, False), (3, False)]
    started = answers["start"].structured_content
    assert (started["task"], started["mode"]) == ("Tag it", "todo")
    assert answers["no item"].is_error and answers["bad limit"].is_error
    assert "invalid timeout 'soon'" in answers["bad limit"].content[0].text
    assert "Traceback" not in stderr
