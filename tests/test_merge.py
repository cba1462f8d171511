"""``merge`` and ``compact`` through symlinks: the lock and the replaced file are the real ones."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from history_files import KNOWN, write_history
from waiting import wait_until

from pytest_tasktiming import AsyncBufferedWriter, read_rows
from pytest_tasktiming._timing import clock
from pytest_tasktiming.cli import main
from pytest_tasktiming.files.merge import compact

APPENDER = """
import sys
from pytest_tasktiming import AsyncBufferedWriter
from pytest_tasktiming._timing import clock

writer = AsyncBufferedWriter(sys.argv[1], flush_interval=60, buffer_size=10_000)
for n in range(int(sys.argv[2])):
    now = clock.wall_ns()
    writer.put((now, "code", f"w-{n}", now, now + 1000, 1000, "appended", "completed"))
    if n % 50 == 49:
        writer.flush()
        if n == 49:  # the test starts compacting, then lets the rest come
            print("go", flush=True)
            sys.stdin.readline()
writer.close()
"""


def test_compacting_the_target_loses_no_row_appended_through_a_symlink(tmp_path: Path) -> None:
    real = write_history(tmp_path / "real.tsv", KNOWN)
    link = tmp_path / "link.tsv"
    link.symlink_to(real)
    rows = 12_000
    appender = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(APPENDER), str(link), str(rows)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert appender.stdin is not None and appender.stdout is not None
    assert appender.stdout.readline() == "go\n"
    compactions: list[int] = []
    done = threading.Event()

    def compacting() -> None:
        while not done.is_set():
            compactions.append(compact(str(real), str(real)).rows_out)
            done.wait(0.02)  # the workload: compactions among appends, not one long lock

    compactor = threading.Thread(target=compacting)
    compactor.start()
    wait_until(lambda: len(compactions) > 0)
    appender.stdin.write("go on\n")  # the other 11,950 rows arrive while compactions run
    appender.stdin.close()
    try:
        assert appender.wait(timeout=120) == 0
    finally:
        done.set()
        compactor.join()
        appender.stdout.close()
    ids = [row.task_id for row in read_rows(real) if row.task == "appended"]
    assert sorted(ids) == sorted(f"w-{n}" for n in range(rows))


def test_compact_onto_a_symlink_keeps_the_link_and_its_target_gets_the_rows(
    tmp_path: Path,
) -> None:
    real = write_history(tmp_path / "real.tsv", KNOWN)
    link = tmp_path / "link.tsv"
    link.symlink_to(real)
    assert main(["compact", str(link), "-o", str(link)]) == 0
    assert link.is_symlink() and link.resolve() == real
    assert len(list(read_rows(real))) == 7
    with AsyncBufferedWriter(link) as writer:
        now = clock.wall_ns()
        writer.put((now, "code", "after-1", now, now, 0, "after", "completed"))
    assert [row.task for row in read_rows(real)][-1] == "after"


def test_merge_onto_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    shard = write_history(tmp_path / "shard.tsv", KNOWN[:2])
    real = write_history(tmp_path / "real.tsv", KNOWN[2:])
    link = tmp_path / "link.tsv"
    link.symlink_to(real)
    assert main(["merge", str(shard), str(link), "-o", str(link)]) == 0
    assert link.is_symlink()
    assert len(list(read_rows(real))) == 13
