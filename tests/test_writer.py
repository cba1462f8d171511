"""AsyncBufferedWriter: every row reaches the file once, whatever threads, processes, disks do."""

from __future__ import annotations

import errno
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import warnings
from pathlib import Path

import filelock
import pytest
from processes import run_python
from waiting import wait_until

from pytest_tasktiming import (
    AsyncBufferedWriter,
    WriteFailedError,
    appending,
    read_rows,
    shared_writers,
)
from pytest_tasktiming._timing import clock
from pytest_tasktiming.records import HEADER, RawRow, new_task_id


def raw(task: str, result: str = "completed") -> RawRow:
    now = clock.wall_ns()
    return (now, "code", new_task_id(), now, now + 1000, 1000, task, result)


def tasks_in(path: Path) -> list[str]:
    return [row.task for row in read_rows(path)]


def test_flush_puts_every_row_in_the_file_under_one_header(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    with AsyncBufferedWriter(path) as writer:
        for index in range(25):
            writer.put(raw(f"t{index}"))
        writer.flush()
        assert tasks_in(path) == [f"t{index}" for index in range(25)]
    assert path.read_text().count("timestamp\tmode") == 1


def test_a_full_buffer_is_written_without_a_flush(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    with AsyncBufferedWriter(path, buffer_size=3, flush_interval=60) as writer:
        for index in range(3):
            writer.put(raw(f"t{index}"))
        wait_until(lambda: path.exists() and path.read_text().count("\n") == 4)


def test_every_full_buffer_wakes_the_writer_not_only_the_first(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    with AsyncBufferedWriter(path, buffer_size=3, flush_interval=60) as writer:
        for batch in range(3):
            for index in range(3):
                writer.put(raw(f"t{batch}.{index}"))
            lines = 1 + 3 * (batch + 1)
            wait_until(lambda: path.exists() and path.read_text().count("\n") == lines)  # noqa: B023


def test_a_lone_row_is_written_after_the_flush_interval(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    with AsyncBufferedWriter(path, buffer_size=1000, flush_interval=0.05) as writer:
        writer.put(raw("alone"))
        wait_until(lambda: path.exists() and "alone" in path.read_text())


def test_close_is_idempotent_and_later_rows_go_straight_to_disk(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    writer = AsyncBufferedWriter(path)
    writer.put(raw("before"))
    writer.close()
    writer.close()
    writer.put(raw("after"))
    assert tasks_in(path) == ["before", "after"]
    assert writer.overflow_writes == 0


def test_many_threads_flushing_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    barrier = threading.Barrier(8)
    with AsyncBufferedWriter(path) as writer:

        def produce(thread: int) -> None:
            barrier.wait()
            for index in range(500):
                writer.put(raw(f"{thread}-{index}"))
                if index % 100 == 0:
                    writer.flush()

        threads = [threading.Thread(target=produce, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    written = tasks_in(path)
    assert sorted(written) == sorted(f"{t}-{i}" for t in range(8) for i in range(500))


PRODUCER = """
import sys, threading
from pytest_tasktiming import AsyncBufferedWriter
from pytest_tasktiming._timing import clock
from pytest_tasktiming.records import new_task_id

path, proc, threads, rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
writer = AsyncBufferedWriter(path)
start = threading.Barrier(threads)

def produce(thread):
    start.wait()
    for index in range(rows):
        now = clock.wall_ns()
        task = f"{proc}/{thread}/{index}"
        writer.put((now, "code", new_task_id(), now, now, 0, task, "completed"))

workers = [threading.Thread(target=produce, args=(n,)) for n in range(threads)]
for worker in workers:
    worker.start()
for worker in workers:
    worker.join()
writer.close()
"""


def test_four_processes_of_four_threads_write_every_row_exactly_once(tmp_path: Path) -> None:
    path = tmp_path / "shared.tsv"
    procs = [
        subprocess.Popen([sys.executable, "-c", PRODUCER, str(path), str(p), "4", "5000"])
        for p in range(4)
    ]
    assert [proc.wait(timeout=120) for proc in procs] == [0, 0, 0, 0]
    text = path.read_text(encoding="utf-8")
    assert text.startswith(HEADER) and text.count(HEADER) == 1
    assert text.endswith("\n")
    reader = read_rows(path)
    tasks = [row.task for row in reader]  # strict: any torn or merged line raises
    assert reader.torn_line is None
    assert len(tasks) == 4 * 4 * 5000
    assert set(tasks) == {f"{p}/{t}/{i}" for p in range(4) for t in range(4) for i in range(5000)}


def test_sigkill_mid_stream_leaves_only_complete_readable_lines(tmp_path: Path) -> None:
    path = tmp_path / "killed.tsv"
    code = """
    import sys
    from pytest_tasktiming import AsyncBufferedWriter
    from pytest_tasktiming._timing import clock
    from pytest_tasktiming.records import new_task_id
    writer = AsyncBufferedWriter(sys.argv[1], buffer_size=50, flush_interval=0.001)
    print("go", flush=True)
    index = 0
    while True:
        now = clock.wall_ns()
        writer.put((now, "code", new_task_id(), now, now, 0, "x" * 200 + str(index), "completed"))
        index += 1
    """
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), str(path)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline() == "go\n"
    wait_until(lambda: path.exists() and path.stat().st_size > 2_000_000)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    proc.stdout.close()
    survivors = list(read_rows(path))
    assert len(survivors) > 1000
    assert all(row.task.startswith("x" * 200) for row in survivors)
    with AsyncBufferedWriter(path) as writer:
        writer.put(raw("after the crash"))
    assert tasks_in(path)[-1] == "after the crash"


def test_a_torn_tail_is_cut_before_new_rows_are_appended(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "t.tsv"
    with AsyncBufferedWriter(path) as writer:
        writer.put(raw("whole"))
    with path.open("a") as stream:
        stream.write("2026-11-24T21:02:56.1234")
    with caplog.at_level(logging.WARNING, "pytest_tasktiming"), AsyncBufferedWriter(path) as writer:
        writer.put(raw("next"))
    reader = read_rows(path)
    assert [row.task for row in reader] == ["whole", "next"]
    assert reader.torn_line is None
    assert "removed a torn partial line (24 bytes)" in caplog.text


def test_a_full_queue_with_a_slow_disk_blocks_the_caller_but_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    slow_disk = filelock.FileLock(str(path) + ".lock")
    slow_disk.acquire()
    writer = AsyncBufferedWriter(path, queue_size=100, buffer_size=10)
    producer = threading.Thread(target=lambda: [writer.put(raw(f"r{n}")) for n in range(1000)])
    try:
        producer.start()
        wait_until(lambda: writer.overflow_writes > 0)
        assert producer.is_alive()  # the caller waits for the disk instead of dropping rows
    finally:
        slow_disk.release()
    producer.join()
    writer.close()
    assert tasks_in(path) == [f"r{n}" for n in range(1000)]
    assert writer.dropped_rows == 0


def test_io_errors_are_reported_once_kept_and_retried(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "t.tsv"
    path.mkdir()  # a directory where the file should be: every write fails
    writer = AsyncBufferedWriter(path)
    with caplog.at_level(logging.ERROR, "pytest_tasktiming"):
        writer.put(raw("kept"))
        with pytest.raises(WriteFailedError, match="could not write 1 row"):
            writer.flush()
        writer.put(raw("also kept"))
        with pytest.raises(WriteFailedError, match="could not write 2 row"):
            writer.flush()
    assert caplog.text.count("cannot write to") == 1
    assert "Is a directory" in caplog.text
    path.rmdir()
    writer.close()
    assert tasks_in(path) == ["kept", "also kept"]


def test_a_partial_write_is_undone_and_retried_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.tsv"
    real_write_all = appending.write_all

    def disk_full_halfway(fd: int, data: bytes) -> None:
        real_write_all(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    writer = AsyncBufferedWriter(path)
    monkeypatch.setattr(appending, "write_all", disk_full_halfway)
    for index in range(10):
        writer.put(raw(f"r{index}"))
    with pytest.raises(WriteFailedError, match="No space left on device"):
        writer.flush()
    assert path.stat().st_size == 0
    monkeypatch.setattr(appending, "write_all", real_write_all)
    writer.close()
    assert tasks_in(path) == [f"r{index}" for index in range(10)]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_a_forked_child_writes_its_own_rows_and_never_the_parents(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    writer = AsyncBufferedWriter(path, buffer_size=10_000, flush_interval=60)
    writer.put(raw("parent-before-fork"))
    with warnings.catch_warnings():  # Python 3.12+ warns about forking with threads running
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: write, close, leave without running the parent's cleanup
        try:
            writer.put(raw("child"))
            writer.close()
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    writer.put(raw("parent-after-fork"))
    writer.close()
    assert sorted(tasks_in(path)) == ["child", "parent-after-fork", "parent-before-fork"]


def test_rows_are_flushed_at_interpreter_exit(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    result = run_python(
        """
        import sys
        from pytest_tasktiming import AsyncBufferedWriter
        from pytest_tasktiming._timing import clock
        writer = AsyncBufferedWriter(sys.argv[1], flush_interval=60, buffer_size=10_000)
        now = clock.wall_ns()
        writer.put((now, "code", "id-1", now, now, 0, "at-exit", "completed"))
        """,
        str(path),
    )
    assert result.returncode == 0, result.stderr
    assert tasks_in(path) == ["at-exit"]


def test_rows_of_a_forked_multiprocessing_child_are_flushed_at_its_exit(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    result = run_python(
        """
        import multiprocessing, sys
        from pytest_tasktiming.shared_writers import shared_writer
        from pytest_tasktiming._timing import clock

        def child(path):
            now = clock.wall_ns()
            shared_writer(path).put((now, "code", "id-c", now, now, 0, "in-child", "completed"))

        if __name__ == "__main__":
            process = multiprocessing.get_context("fork").Process(target=child, args=(sys.argv[1],))
            process.start()
            process.join()
            sys.exit(process.exitcode)
        """,
        str(path),
    )
    assert result.returncode == 0, result.stderr
    assert tasks_in(path) == ["in-child"]


def test_the_shared_writer_is_one_per_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    default = shared_writers.shared_writer()
    assert default is shared_writers.shared_writer("task_timing.tsv")
    assert default.path == str(tmp_path / "task_timing.tsv")
    monkeypatch.setenv("TASK_TIMING_FILE", str(tmp_path / "env.tsv"))
    assert shared_writers.shared_writer().path == str(tmp_path / "env.tsv")
    for writer in (default, shared_writers.shared_writer()):
        writer.close()


def test_invalid_settings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="buffer_size"):
        AsyncBufferedWriter(tmp_path / "t.tsv", buffer_size=0)


def test_the_core_never_imports_pytest() -> None:
    result = run_python(
        """
        import sys
        import pytest_tasktiming, pytest_tasktiming.writer, pytest_tasktiming.records
        assert "pytest" not in sys.modules and "_pytest" not in sys.modules, "pytest imported"
        """
    )
    assert result.returncode == 0, result.stderr
