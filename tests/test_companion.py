"""The companion file: every line once and whole, from threads, processes and killed writers."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from waiting import wait_until

from pytest_tasktiming import read_rows, timed, timed_task
from pytest_tasktiming.companion import (
    HEADER,
    CompanionWriter,
    TaskNotes,
    companion_path,
    end_line,
    read_notes,
)
from pytest_tasktiming.companion.lines import MESSAGE_CHARS, limit_fields, limit_line
from pytest_tasktiming.writer import flush_all


def records(tsv: Path) -> list[dict[str, object]]:
    """Every line of the companion file of ``tsv`` after its header, strictly parsed."""
    text = Path(companion_path(str(tsv))).read_text(encoding="utf-8")
    assert text.startswith(HEADER) and text.count(HEADER) == 1
    assert text.endswith("\n")
    return [json.loads(line) for line in text[len(HEADER) :].splitlines()]


def test_a_task_with_its_own_limit_is_on_file_once_and_each_failure_once(tsv_path: Path) -> None:
    @timed_task(name="flaky", timeout=10, warning_threshold=0.5, max_failures=0)
    def flaky(n: int) -> None:
        if n % 2:
            raise ValueError(f"odd {n}\nsecond line")

    for n in range(6):
        with contextlib.suppress(ValueError):
            flaky(n)
    flush_all()
    failed = [row.task_id for row in read_rows(tsv_path) if row.result == "failed"]
    assert records(tsv_path) == [
        {"task": "flaky", "mode": "code", "limit": 10.0, "threshold": 0.5},
        *(
            {"task_id": task_id, "message": f"ValueError: odd {n}"}
            for task_id, n in zip(failed, (1, 3, 5), strict=True)
        ),
    ]
    notes = read_notes(tsv_path)
    assert notes.of(failed[0], "flaky", "code").own_limit == 10.0
    assert notes.of(failed[0], "flaky", "code").message == "ValueError: odd 1"
    assert notes.of("some other id", "flaky", "code").threshold == 0.5


def test_default_settings_and_successes_write_nothing_beside_the_rows(tsv_path: Path) -> None:
    @timed_task
    def fine() -> None:
        pass

    fine()
    with timed("block"):
        pass
    flush_all()
    assert len(list(read_rows(tsv_path))) == 4
    assert not Path(companion_path(str(tsv_path))).exists()


@pytest.mark.filterwarnings("ignore::pytest_tasktiming.TaskTimeoutWarning")
def test_a_timeout_leaves_its_message_and_the_stack_where_it_was(tsv_path: Path) -> None:
    stop = threading.Event()

    @timed_task(name="spins", timeout=0.2, warning_threshold=1.0)
    def spins() -> None:
        while not stop.is_set():
            pass

    def run() -> None:
        with contextlib.suppress(TimeoutError):
            spins()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    flush_all()
    (row,) = [row for row in read_rows(tsv_path) if row.result == "timeout"]
    notes = read_notes(tsv_path).of(row.task_id, row.task, row.mode)
    assert notes.message is not None
    assert notes.message.startswith("TaskTimeoutError: task 'spins' timed out after ")
    assert notes.message.endswith("s (timeout 0.2s)")
    assert notes.stack is not None
    assert "in spins\n    while not stop.is_set():" in notes.stack
    assert "pytest_tasktiming" not in notes.stack  # our own frames left out, as pytest does


def test_lines_are_json_escaped_and_a_message_is_one_short_line() -> None:
    line = end_line("id-1", message='a\ttab "quote"\n' + "x" * 1000, stack="s\n", worker=None)
    assert line is not None and line.endswith("\n") and line.count("\n") == 1
    record = json.loads(line)
    assert record == {"task_id": "id-1", "message": 'a\ttab "quote"', "stack": "s\n"}
    long = json.loads(end_line("id-2", message="y" * 1000) or "")["message"]
    assert len(long) == MESSAGE_CHARS and long.endswith("…")
    assert end_line("id-3") is None


def test_readers_skip_lines_that_are_not_theirs(tmp_path: Path) -> None:
    tsv = tmp_path / "t.tsv"
    Path(companion_path(str(tsv))).write_text(
        HEADER
        + '{"task_id": "a", "limit": 5, "threshold": 0.5}\n'
        + "not json\n"
        + '["a", "list"]\n'
        + '{"task_id": "a", "limit": NaN, "enforce": "no", "message": 3, "worker": "gw1"}\n'
        + '{"no": "key"}\n'
        + '{"task_id": "b", "limit": 1',  # torn: its writer was killed
        encoding="utf-8",
    )
    notes = read_notes(tsv)
    assert notes.skipped == 3
    assert notes.of("a", "t", "m").own_limit == 5
    assert notes.of("a", "t", "m").worker == "gw1"
    assert notes.of("a", "t", "m").enforce is None
    assert notes.of("b", "t", "m") == TaskNotes()
    Path(companion_path(str(tsv))).write_text("a file of someone else's\n", encoding="utf-8")
    assert not read_notes(tsv)


def test_a_task_takes_its_own_limit_over_its_names_over_its_processs(tmp_path: Path) -> None:
    tsv = tmp_path / "t.tsv"
    Path(companion_path(str(tsv))).write_text(
        HEADER
        + '{"task_ids": "abc-", "mode": "pytest", "limit": 60, "threshold": 0.8}\n'
        + '{"task": "named", "mode": "pytest", "limit": 30}\n'
        + '{"task_id": "abc-3", "limit": 5, "message": "boom"}\n',
        encoding="utf-8",
    )
    notes = read_notes(tsv)
    assert (notes.of("abc-1", "plain", "pytest").own_limit, notes.of("abc-1", "p", "code")) == (
        60,
        TaskNotes(),
    )
    assert notes.of("abc-2", "named", "pytest") == TaskNotes(limit=30, threshold=0.8)
    assert notes.of("abc-3", "named", "pytest") == TaskNotes(5, 0.8, None, "boom")
    assert notes.of("xyz-1", "plain", "pytest") == TaskNotes()


PRODUCER = """
import sys, threading
from pytest_tasktiming.companion import CompanionWriter, limit_line
from pytest_tasktiming.companion.lines import limit_fields
path, proc, threads, lines = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
writer = CompanionWriter(path)
fields = limit_fields(30.0, 0.8, True)
start = threading.Barrier(threads)

def produce(thread):
    start.wait()
    for index in range(lines):
        writer.add(limit_line(f"{proc}-{thread}-{index}", fields))

workers = [threading.Thread(target=produce, args=(n,)) for n in range(threads)]
for worker in workers:
    worker.start()
for worker in workers:
    worker.join()
writer.close()
"""


def test_four_processes_of_four_threads_write_every_line_exactly_once(tmp_path: Path) -> None:
    tsv = tmp_path / "shared.tsv"
    path = companion_path(str(tsv))
    procs = [
        subprocess.Popen([sys.executable, "-c", PRODUCER, path, str(p), "4", "5000"])
        for p in range(4)
    ]
    assert [proc.wait(timeout=120) for proc in procs] == [0, 0, 0, 0]
    ids = [record["task_id"] for record in records(tsv)]
    assert len(ids) == 4 * 4 * 5000
    assert set(ids) == {f"{p}-{t}-{i}" for p in range(4) for t in range(4) for i in range(5000)}


def test_sigkill_mid_stream_leaves_only_whole_lines_and_the_next_writer_goes_on(
    tmp_path: Path,
) -> None:
    tsv = tmp_path / "killed.tsv"
    path = companion_path(str(tsv))
    code = """
    import sys
    from pytest_tasktiming.companion import CompanionWriter, end_line
    writer = CompanionWriter(sys.argv[1], buffer_size=50, flush_interval=0.001)
    print("go", flush=True)
    index = 0
    while True:
        writer.add(end_line(f"id-{index}", message="x" * 200))
        index += 1
    """
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), path], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline() == "go\n"
    wait_until(lambda: Path(path).exists() and Path(path).stat().st_size > 2_000_000)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    proc.stdout.close()
    with CompanionWriter(path) as writer:
        writer.add(limit_line("after-the-crash", limit_fields(1.0, 0.8, True)))
    survivors = records(tsv)  # strict: a torn line in the middle would not parse
    assert len(survivors) > 1000
    ids = [record["task_id"] for record in survivors]
    assert ids[:-1] == [f"id-{index}" for index in range(len(ids) - 1)]  # in order, none twice
    assert ids[-1] == "after-the-crash"


def test_threads_failing_at_once_give_one_line_each_and_announce_the_limit_once(
    tsv_path: Path,
) -> None:
    all_in = threading.Barrier(8)

    @timed_task(name="shared", timeout=20, max_failures=0)
    def fails(thread: int, call: int) -> None:
        raise RuntimeError(f"{thread}/{call}")

    def hammer(thread: int) -> None:
        all_in.wait()
        for call in range(200):
            with contextlib.suppress(RuntimeError):
                fails(thread, call)

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    flush_all()
    lines = records(tsv_path)
    assert [line for line in lines if "task" in line] == [
        {"task": "shared", "mode": "code", "limit": 20.0, "threshold": 0.8}
    ]
    messages = sorted(str(line["message"]) for line in lines if "task_id" in line)
    assert messages == sorted(f"RuntimeError: {t}/{c}" for t in range(8) for c in range(200))
    failed = {row.task_id for row in read_rows(tsv_path) if row.result == "failed"}
    assert {line["task_id"] for line in lines if "task_id" in line} == failed
