"""AsyncBufferedWriter: every row reaches the file once, whatever threads, processes, disks do."""

from __future__ import annotations

import json
import logging
import os
import pickle
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


FULL_DISK = """
import json, resource, signal, sys
from pytest_tasktiming import AsyncBufferedWriter, WriteFailedError, read_rows
from pytest_tasktiming._timing import clock

# RLIMIT_FSIZE fills the disk for this process alone: a write that crosses the limit is cut
# short there, the next one fails (EFBIG; the signal that would come with it is ignored).
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
path, room = sys.argv[1], int(sys.argv[2])
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (room, hard))
writer = AsyncBufferedWriter(path, buffer_size=10_000, flush_interval=60)
now = clock.wall_ns()
for n in range(400):
    writer.put((now, "code", f"id-{n}", now, now + 1000, 1000, f"{n:03d}" + "x" * 150, "completed"))
try:
    writer.flush()
except WriteFailedError as error:
    print("full:", error.pending, error.reason)
reader = read_rows(path)
print(json.dumps([row.task_id for row in reader]), reader.torn_line)
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))  # space comes back
writer.close()
"""


def test_a_full_disk_takes_the_whole_lines_that_fit_and_the_rest_later(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    room = 60_000  # 400 rows of ~250 bytes: about 100 KB
    result = run_python(FULL_DISK, str(path), str(room))
    assert result.returncode == 0, result.stderr
    full, while_full = result.stdout.splitlines()
    ids, torn_line = while_full.rsplit(" ", 1)
    written = json.loads(ids)
    assert 200 < len(written) < 400  # as many whole rows as fit in 60 KB
    assert torn_line == "None"  # and no torn line after them
    assert written == [f"id-{n}" for n in range(len(written))]
    assert full == f"full: {400 - len(written)} File too large"
    assert [row.task_id for row in read_rows(path)] == [f"id-{n}" for n in range(400)]


def test_a_file_that_is_not_a_timing_file_is_never_touched(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"a\nimportant last line")
    writer = AsyncBufferedWriter(path)
    writer.put(raw("lost?"))
    with (
        caplog.at_level(logging.ERROR, "pytest_tasktiming"),
        pytest.raises(WriteFailedError, match=r"notes\.txt:1: not a task-timing file"),
    ):
        writer.flush()
    assert path.read_bytes() == b"a\nimportant last line"
    assert "torn" not in caplog.text
    path.unlink()  # the user moves the file away: the kept row goes to a new file
    writer.close()
    assert tasks_in(path) == ["lost?"]


def writer_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "tasktiming-writer"]


def test_idle_writer_threads_end_and_the_next_row_starts_one_again(tmp_path: Path) -> None:
    from pytest_tasktiming import timed

    already = set(writer_threads())
    for index in range(20):
        with timed("rotating", path=str(tmp_path / f"p{index}.tsv")):
            pass
    ours = set(writer_threads()) - already  # one per file, while rows arrive
    wait_until(lambda: not any(thread.is_alive() for thread in ours), timeout=30)
    with timed("later", path=str(tmp_path / "p0.tsv")):
        pass  # no flush: the thread that starts again writes within flush_interval
    wait_until(lambda: tasks_in(tmp_path / "p0.tsv") == ["rotating", "rotating", "later", "later"])
    assert all(tasks_in(tmp_path / f"p{index}.tsv")[-1] for index in range(20))


def test_rows_racing_an_ending_thread_are_all_written_without_a_flush(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    writer = AsyncBufferedWriter(path, flush_interval=0.001)  # idle threads end after 10 ms
    pause = threading.Event()
    for index in range(300):
        writer.put(raw(f"r{index}"))
        wait_until(lambda: path.exists() and len(tasks_in(path)) > index)  # noqa: B023
        pause.wait(index % 15 / 1000)  # the next row comes before, at or after the idle end
    assert tasks_in(path) == [f"r{index}" for index in range(300)]
    writer.close()


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


def test_write_failed_errors_name_the_file_and_the_cause_and_pickle() -> None:
    error = WriteFailedError("/ro/t.tsv", 3, "Read-only file system")
    assert (error.filename, error.strerror) == (
        "/ro/t.tsv",
        "could not write 3 row(s): Read-only file system",
    )
    assert str(error) == "could not write 3 row(s) to /ro/t.tsv: Read-only file system"
    clone = pickle.loads(pickle.dumps(error))
    assert (type(clone), clone.path, clone.pending, clone.reason, str(clone)) == (
        WriteFailedError,
        error.path,
        error.pending,
        error.reason,
        str(error),
    )


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
