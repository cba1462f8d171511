"""``tasktiming start`` and ``stop`` at the edges: racing stops, the watcher, bad rows, bad
places to write, and the clock read before the work."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from pytest_tasktiming import read_rows
from pytest_tasktiming._timing import clock
from pytest_tasktiming.cli import main
from pytest_tasktiming.files.startstop import start, stop, watch
from pytest_tasktiming.records import HEADER, LineFormatter, fold

T = "2026-11-24T21:02:56.123456+00:00"
TASKTIMING = str(Path(sys.executable).with_name("tasktiming"))


def final_rows(path: Path, task_id: str) -> list[str]:
    rows = read_rows(path, strict=False)
    return [row.result for row in rows if row.task_id == task_id and row.is_final]


def test_two_concurrent_stops_leave_one_final_row(tsv_path: Path) -> None:
    for _ in range(8):
        task_id = start(str(tsv_path), "race")
        stops = [
            subprocess.Popen(
                [TASKTIMING, "stop", task_id, *extra, "--file", str(tsv_path)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for extra in ([], ["--result", "failed"])
        ]
        outcomes = sorted((proc.wait(timeout=60), proc.communicate()[1]) for proc in stops)
        assert len(final_rows(tsv_path, task_id)) == 1
        assert [status for status, _ in outcomes] == [0, 2]
        assert "already ended" in outcomes[1][1]
    assert main(["validate", str(tsv_path)]) == 0


def test_a_stop_racing_the_watcher_leaves_one_final_row(tsv_path: Path) -> None:
    path = str(tsv_path)

    def by_hand(task_id: str, barrier: threading.Barrier, stopped: list[str]) -> None:
        barrier.wait()
        stopped.append(stop(path, task_id).result)

    def by_watcher(task_id: str, barrier: threading.Barrier, _: list[str]) -> None:
        barrier.wait()
        watch(path, task_id, clock.wall_ns())  # the deadline has passed: it decides at once

    for round_ in range(20):
        task_id = start(path, f"race {round_}")
        barrier = threading.Barrier(2)
        stopped: list[str] = []
        threads = [
            threading.Thread(target=target, args=(task_id, barrier, stopped))
            for target in (by_hand, by_watcher)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        [final] = final_rows(tsv_path, task_id)
        assert stopped == [final]  # stop wrote it, or reported the watcher's timeout


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        pytest.param(
            [f"{T}\tshell\tx-1\tnoon\t\t\tjob\tstarted\n"],
            ":2: start_time 'noon' is not an ISO 8601 UTC timestamp",
            id="bad-start-time",
        ),
        pytest.param(
            [
                f"{T}\tshell\tx-1\t{T}\t\t\tjob\tstarted\n",
                f"{T}\tshell\tx-1\t{T}\t{T}\tlong\tjob\ttimeout\n",
            ],
            ":3: duration 'long' is not a number of seconds",
            id="bad-timeout-duration",
        ),
    ],
)
def test_a_malformed_row_of_the_task_is_one_line_naming_it(
    run, tsv_path: Path, rows: list[str], message: str
) -> None:
    tsv_path.write_text(HEADER + "".join(rows), encoding="utf-8")
    before = tsv_path.read_bytes()
    status, out, err = run("stop", "x-1")
    assert (status, out) == (2, "")
    assert err == f"tasktiming: error: {tsv_path}{message}\n"
    assert tsv_path.read_bytes() == before


def test_a_task_started_before_any_task_could_run_is_not_stopped(run, tsv_path: Path) -> None:
    long_ago = "0001-01-01T00:00:00.000000+00:00"
    tsv_path.write_text(HEADER + f"{T}\tshell\tx-1\t{long_ago}\t\t\tjob\tstarted\n", "utf-8")
    before = tsv_path.read_bytes()
    status, out, err = run("stop", "x-1")
    assert (status, out) == (2, "")
    assert err.startswith(
        f"tasktiming: error: {tsv_path}:2: start_time '0001-01-01T00:00:00+00:00'"
    )
    assert err.endswith("longer than any task runs (at most 1000000000 s): not stopped\n")
    assert tsv_path.read_bytes() == before


def test_a_bad_line_of_another_task_does_not_stop_this_one(run, tsv_path: Path) -> None:
    task_id = start(str(tsv_path), "fine")
    with tsv_path.open("a") as stream:
        stream.write(f"{T}\tshell\tother-1\tnoon\t\t\tjunk\tstarted\n")
    assert run("stop", task_id)[0] == 0
    assert final_rows(tsv_path, task_id) == ["completed"]


def test_a_file_that_is_not_a_timing_file_is_refused_and_left_whole(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"a\nimportant last line")
    status, out, err = run("start", "job", "--file", "notes.txt")
    assert (status, out) == (2, "")
    assert err == (
        "tasktiming: error: notes.txt:1: not a task-timing file "
        "(its first line is not the header): choose another file\n"
    )
    assert notes.read_bytes() == b"a\nimportant last line"
    status, out, err = run("validate", "notes.txt", "--repair")
    assert (status, out) == (2, "")
    assert notes.read_bytes() == b"a\nimportant last line"


def test_a_place_that_cannot_be_written_is_one_line_naming_it(run, tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    status, out, err = run("start", "x", "--file", str(tmp_path / "afile" / "t.tsv"))
    assert (status, out) == (2, "")
    assert err.startswith(f"tasktiming: error: {tmp_path / 'afile'}")
    assert err.count("\n") == 1


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare to mount read-only")
def test_a_read_only_file_system_is_one_line_naming_the_file(tmp_path: Path) -> None:
    mount = tmp_path / "ro"
    mount.mkdir()
    script = f'mount -t tmpfs -o ro tmpfs "$1" && cd "$1" && exec {TASKTIMING} start x'
    done = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script, "sh", str(mount)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "TASK_TIMING_FILE": ""},
    )
    if "mount" in done.stderr and done.returncode != 2:
        pytest.skip(f"cannot mount here: {done.stderr.strip()}")
    assert (done.returncode, done.stdout) == (2, "")
    assert (
        done.stderr == f"tasktiming: error: {mount}/task_timing.tsv.lock: Read-only file system\n"
    )


def test_stop_reads_the_clock_before_it_reads_the_file(run, tsv_path: Path) -> None:
    """The task ended when ``stop`` was called, not once a long file was read."""
    formatter = LineFormatter()
    now = clock.wall_ns()
    lines = [
        formatter.line((now, "ci", f"old-{n}", now, now + 1, 1, "old", "completed"))
        for n in range(200_000)
    ]
    tsv_path.write_text(HEADER + "".join(lines), encoding="utf-8")
    task_id = start(str(tsv_path), "step")
    called = clock.wall_ns()
    assert run("stop", task_id)[0] == 0
    returned = clock.wall_ns()
    final = fold(read_rows(tsv_path))[task_id]
    assert final.end_time is not None
    ended = final.end_time.timestamp() * 1e9
    assert called - 1000 <= ended < called + (returned - called) / 4  # reading took the rest


IMPORTS = """
import sys
from pytest_tasktiming.cli import main
status = main(sys.argv[1:])
print(sorted(
    name for name in sys.modules
    if name.split(".")[0] in {"filelock", "logging", "threading", "subprocess"}
    or name.startswith(("importlib.metadata", "pytest_tasktiming.reports",
                        "pytest_tasktiming.integrations", "pytest_tasktiming.scan",
                        "pytest_tasktiming.writer"))
), file=sys.stderr)
"""


@pytest.mark.parametrize("command", ["start", "stop"])
def test_start_and_stop_import_only_what_they_need(tsv_path: Path, command: str) -> None:
    """What keeps them fast (benchmarks/startstop.py measures it): no filelock, no writer
    thread, no logging, nothing of the other commands."""
    task_id = start(str(tsv_path), "step")
    argv = ["start", "next"] if command == "start" else ["stop", task_id]
    done = subprocess.run(
        [sys.executable, "-c", IMPORTS, *argv, "--file", str(tsv_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stderr.strip().splitlines()[-1] == "[]"
