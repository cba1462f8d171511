"""What timing a task through ``tasktiming mcp`` costs an agent, next to the shell commands.

An agent without the MCP server would run ``tasktiming start NAME`` and ``tasktiming stop ID``
through its shell tool: two processes per task. With the server, the same two rows are two
tool calls over one stdio session, driven here by the MCP SDK's own client. Both are timed
per task (start plus stop), with an empty file and with a file that already holds a long
history (``stop`` finds its ``started`` row by reading the file, in both). Median of the
tasks; the server's start-up (spawn to initialized) is shown apart.

    pip install -e ".[test]"
    python benchmarks/mcp_calls.py --tasks 40 --shell-tasks 8 --history 100000
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pytest_tasktiming.writer import AsyncBufferedWriter


def fill(path: Path, rows: int) -> None:
    """``rows`` rows of finished tasks: the history a busy project's file has."""
    base = 1_790_000_000_000_000_000
    with AsyncBufferedWriter(path, buffer_size=1000) as writer:
        for n in range(rows // 2):
            start, end, task = base + n * 10**9, base + n * 10**9 + 5**9, f"task {n % 500}"
            writer.put((start, "code", f"h-{n}", start, None, None, task, "started"))
            writer.put((end, "code", f"h-{n}", start, end, end - start, task, "completed"))


def over_mcp(path: Path, tasks: int) -> tuple[float, list[float]]:
    """Seconds to a ready session, and seconds per task (start_task plus stop_task)."""
    import anyio
    from mcp import ClientSession, StdioServerParameters, stdio_client

    server = StdioServerParameters(
        command=sys.executable, args=["-m", "pytest_tasktiming", "mcp", "--file", str(path)]
    )
    timings: list[float] = []
    ready: list[float] = []

    async def session() -> None:
        begin = time.perf_counter()
        async with stdio_client(server) as (read, write), ClientSession(read, write) as client:
            await client.initialize()
            ready.append(time.perf_counter() - begin)
            for n in range(tasks):
                begin = time.perf_counter()
                started: Any = await client.call_tool("start_task", {"name": f"agent {n}"})
                task_id = started.structured_content["task_id"]
                stopped = await client.call_tool("stop_task", {"task_id": task_id})
                timings.append(time.perf_counter() - begin)
                assert not stopped.is_error, stopped.content

    anyio.run(session)
    return ready[0], timings


def over_shell(path: Path, tasks: int) -> list[float]:
    """Seconds per task: ``tasktiming start`` and ``tasktiming stop`` as processes."""
    script = shutil.which("tasktiming")
    if script is None:
        raise SystemExit("the tasktiming console script is not installed")
    timings = []
    for n in range(tasks):
        begin = time.perf_counter()
        task_id = subprocess.run(
            [script, "start", f"shell {n}", "--file", str(path)],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        subprocess.run(
            [script, "stop", task_id, "--file", str(path)], capture_output=True, check=True
        )
        timings.append(time.perf_counter() - begin)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=40)
    parser.add_argument("--shell-tasks", type=int, default=8)
    parser.add_argument("--history", type=int, default=100_000, help="rows already in the file")
    options = parser.parse_args()
    print(f"{'file':22} {'way':28} {'ms per task':>12} {'x MCP':>7}")
    with tempfile.TemporaryDirectory() as tmp:
        for rows in (0, options.history):
            path = Path(tmp) / f"history_{rows}.tsv"
            fill(path, rows)
            ready, mcp = over_mcp(path, options.tasks)
            shell = over_shell(path, options.shell_tasks)
            per_mcp, per_shell = statistics.median(mcp), statistics.median(shell)
            label = f"{rows:,} rows before"
            print(f"{label:22} {'MCP tool calls':28} {per_mcp * 1e3:12.1f} {1:7.1f}")
            print(f"{label:22} {'tasktiming start + stop':28} {per_shell * 1e3:12.1f} "
                  f"{per_shell / per_mcp:7.1f}")  # fmt: skip
            print(f"{label:22} {'(MCP server start-up)':28} {ready * 1e3:12.1f}")


if __name__ == "__main__":
    main()
