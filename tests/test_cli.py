"""The command line in-process through ``main([...])``: every subcommand, format and exit code."""

from __future__ import annotations

import csv
import io
import json
import threading
from pathlib import Path

import filelock
import pytest
from history_files import BUILD, DEPLOY, KNOWN, Run, at, rows_of, write_history
from waiting import wait_until

from pytest_tasktiming import AsyncBufferedWriter, read_rows
from pytest_tasktiming._timing import clock
from pytest_tasktiming.cli import main
from pytest_tasktiming.companion import read_notes
from pytest_tasktiming.records import HEADER, format_row


@pytest.fixture
def known(tsv_path: Path) -> Path:
    return write_history(tsv_path, KNOWN)


def test_report_prints_the_table_computed_by_hand(run, known: Path) -> None:
    status, out, err = run("report")
    assert (status, err) == (0, "")
    assert out == (
        "runs   total    mean     p50     p95     min     max  last       streak  trend  flaky  "
        "task\n"
        "   4  16.0 s  4.00 s  2.50 s  8.95 s  1.00 s  10.0 s  failed          3  ▂▂▃█          "
        "build\n"
        "   2  12.0 s  6.00 s  6.00 s  6.90 s  5.00 s  7.00 s  recovered       0  ▆█            "
        "deploy\n"
    )


def test_report_as_json_gives_full_precision_numbers(run, known: Path) -> None:
    status, out, _ = run("report", str(known), "--format", "json")
    rows = json.loads(out)
    assert status == 0
    assert [row.pop("task") for row in rows] == ["build", "deploy"]
    assert rows == [pytest.approx(BUILD), pytest.approx(DEPLOY)]


def test_report_as_csv_has_a_header_and_six_decimals(run, known: Path) -> None:
    _, out, _ = run("report", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[0]["task"] == "build"
    assert rows[0]["p95"] == "8.950000"
    assert rows[1]["last_result"] == "recovered"


def test_report_as_markdown_pastes_into_a_job_summary(run, known: Path) -> None:
    _, out, _ = run("report", "--format", "markdown", "--top", "1")
    assert out.splitlines() == [
        "| task | runs | total | mean | p50 | p95 | min | max | last | streak | trend | flaky |",
        "|:---|---:|---:|---:|---:|---:|---:|---:|:---|---:|:---|:---|",
        "| build | 4 | 16.0 s | 4.00 s | 2.50 s | 8.95 s | 1.00 s | 10.0 s | failed | 3 "
        "| ▂▂▃█ |  |",
    ]


def test_markdown_and_table_keep_hostile_task_names_on_one_line(run, tsv_path: Path) -> None:
    write_history(tsv_path, [Run("a|b\tc\nd", 1.0, "completed", "x-1", at(0))])
    _, markdown, _ = run("report", "--format", "markdown")
    _, table, _ = run("report")
    assert markdown.splitlines()[-1].startswith("| a\\|b\\tc\\nd |")
    assert table.splitlines()[-1].endswith("a|b\\tc\\nd")


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        pytest.param(["--by", "mode"], ["ci", "shell"], id="by-mode"),
        pytest.param(["--by", "run"], ["aaaa", "bbbb"], id="by-run"),
        pytest.param(["--mode", "shell"], ["deploy"], id="mode"),
        pytest.param(["--result", "failed"], ["build"], id="result"),
        pytest.param(["--since", "2026-11-21"], ["deploy"], id="since"),
        pytest.param(["--until", "2026-11-21"], ["build"], id="until"),
        pytest.param(["--top", "1"], ["build"], id="top"),
    ],
)
def test_report_options_choose_the_lines(run, known: Path, options: list[str], expected) -> None:
    status, out, _ = run("report", "--format", "json", *options)
    assert status == 0
    assert [
        row[options[1] if options[0] == "--by" else "task"] for row in json.loads(out)
    ] == expected


def test_report_of_a_file_without_finished_tasks_says_so(run, tsv_path: Path) -> None:
    tsv_path.write_text(HEADER, encoding="utf-8")
    assert run("report") == (0, "no finished tasks\n", "")
    assert run("report", "--format", "json") == (0, "[]\n", "")


def test_report_warns_about_a_torn_last_line_and_still_reports(run, known: Path) -> None:
    with known.open("a", encoding="utf-8") as stream:
        stream.write("2026-11-20T10:00:00.0")
    status, out, err = run("report", "--format", "json")
    assert status == 0
    assert len(json.loads(out)) == 2
    assert (
        err
        == f"tasktiming: warning: {known}:15: skipped a torn last line (see tasktiming validate)\n"
    )


BAD_FILES = [
    pytest.param(None, "No such file or directory", id="missing"),
    pytest.param(b"", "file is empty: expected the header line", id="empty"),
    pytest.param("directory", "Is a directory", id="directory"),
    pytest.param(bytes(range(256)) * 4, "expected the header", id="binary-garbage"),
    pytest.param(
        HEADER.encode() + b"a\tb\n", ":2: expected 8 tab-separated fields, found 2", id="columns"
    ),
    pytest.param(
        HEADER.encode() + b"2026-11-20T10:00:00.000000+00:00\tci\tx-1\tnoon\t\t1.0\tt\tcompleted\n",
        ":2: start_time 'noon' is not an ISO 8601 UTC timestamp",
        id="timestamps",
    ),
    pytest.param("gzip", "compressed file is damaged", id="damaged-gzip"),
]


def make_bad_file(tmp_path: Path, content: bytes | str | None) -> Path:
    path = tmp_path / "bad.tsv"
    if content == "directory":
        path.mkdir()
    elif content == "gzip":
        path = tmp_path / "bad.tsv.gz"
        import gzip

        path.write_bytes(gzip.compress((HEADER + "x" * 5000).encode())[:-30])
    elif isinstance(content, bytes):
        path.write_bytes(content)
    return path


@pytest.mark.parametrize("command", ["report", "check"])
@pytest.mark.parametrize(("content", "message"), BAD_FILES)
def test_bad_input_is_one_clear_line_and_exit_status_2(
    run, tmp_path: Path, command: str, content: bytes | str | None, message: str
) -> None:
    path = make_bad_file(tmp_path, content)
    status, out, err = run(command, str(path))
    assert (status, out) == (2, "")
    assert err.startswith("tasktiming: error: ")
    assert message in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param([], id="no-command"),
        pytest.param(["frobnicate"], id="unknown-command"),
        pytest.param(["report", "--top", "0"], id="bad-top"),
        pytest.param(["report", "--format", "xml"], id="bad-format"),
        pytest.param(["check", "--max", "soon"], id="bad-max"),
        pytest.param(["report", "--since", "yesterday"], id="bad-since"),
        pytest.param(["merge", "a.tsv"], id="merge-without-output"),
        pytest.param(["stop", "x-1", "--result", "started"], id="bad-result"),
    ],
)
def test_usage_errors_are_one_line_and_exit_status_2(run, argv: list[str]) -> None:
    status, out, err = run(*argv)
    assert (status, out) == (2, "")
    assert err.startswith("tasktiming: error: ")
    assert err.count("\n") == 1


def test_help_exits_with_status_0(run) -> None:
    status, out, _ = run("--help")
    assert status == 0
    assert "report" in out and "scan" in out


# --- check ---------------------------------------------------------------------------------


def test_check_passes_when_nothing_timed_out_or_ran_long(run, tsv_path: Path) -> None:
    write_history(tsv_path, KNOWN[:-1])
    status, out, _ = run("check", "--max", "3600")
    assert (status, out) == (0, "0 tasks timed out or ran past the limit of 3600 s\n")


def test_check_fails_for_tasks_over_the_limit_and_interrupted_ones(run, known: Path) -> None:
    status, out, _ = run("check", "--max", "6.5", "--format", "json")
    assert status == 1
    found = [(row["task"], row["result"]) for row in json.loads(out)]
    assert found == [("deploy", "recovered"), ("build", "failed"), ("lint", "interrupted")]


def test_a_task_interrupted_long_ago_fails_the_check(run, known: Path) -> None:
    status, out, _ = run("check")
    assert status == 1
    assert "lint" in out and "interrupted" in out


def test_check_fails_for_a_timeout_whatever_the_limit(run, tsv_path: Path) -> None:
    write_history(tsv_path, [Run("slow", 2.0, "timeout", "t-1", at(0))])
    status, out, _ = run("check", "--max", "0")
    assert status == 1
    assert "slow" in out and "timeout" in out
    assert out.endswith("1 task timed out or ran past no limit\n")


def test_a_later_final_row_decides_whether_a_task_timed_out(run, tsv_path: Path) -> None:
    timed_out = Run("job", 9.0, "timeout", "j-1", at(0))
    write_history(tsv_path, [timed_out, timed_out._replace(duration=1.0, result="completed")])
    assert run("check", "--max", "60")[0] == 0


# --- validate ------------------------------------------------------------------------------


def test_validate_passes_a_good_file_and_lists_the_interrupted_task(run, known: Path) -> None:
    status, out, _ = run("validate", str(known))
    assert status == 0
    lines = out.splitlines()
    assert lines[0].startswith(f"{known}:14: interrupted: 'lint' (task_id bbbb-3) started ")
    assert lines[0].endswith(" ago, and never finished")
    assert lines[1] == f"{known}: 13 rows, 0 problems, 1 interrupted"


def test_validate_lists_every_problem_with_its_line(run, tsv_path: Path) -> None:
    good = Run("a", 2.0, "completed", "v-1", at(0))
    lines = [format_row(row) for row in _rows(good)]
    lines.append(lines[1])  # the same task ends twice
    start = at(1).isoformat(timespec="microseconds")
    end = at(1, day=0).isoformat(timespec="microseconds")
    lines.append(f"{end}\tci\tv-2\t{start}\t{end}\t30.000000\tb\tcompleted\n")  # 30 s in 0 s
    lines.append(f"{end}\tci\tv-3\t{start}\t\t\tc\tcompleted\n")  # final, no end
    lines.append("only\ttwo\n")
    lines.append(f"{end}\tci\tv-4\t{start}\t")  # torn
    tsv_path.write_text(HEADER + "".join(lines), encoding="utf-8")
    status, out, _ = run("validate")
    assert status == 1
    assert out.splitlines() == [
        f"{tsv_path}:4: task_id 'v-1' already ended on line 3",
        f"{tsv_path}:5: duration 30.000000 s disagrees with end_time - start_time = 0.000000 s",
        f"{tsv_path}:6: a final row needs both end_time and duration",
        f"{tsv_path}:7: expected 8 tab-separated fields, found 2",
        f"{tsv_path}:8: torn last line (a writer was killed mid-write); `--repair` removes it",
        f"{tsv_path}: 6 rows, 5 problems, 0 interrupted",
    ]


def _rows(one: Run):  # type: ignore[no-untyped-def]
    from history_files import rows_of

    return rows_of(one)


@pytest.mark.parametrize(("content", "message"), BAD_FILES[:4])
def test_validate_refuses_what_is_not_a_task_timing_file(
    run, tmp_path: Path, content: bytes | str | None, message: str
) -> None:
    status, _, err = run("validate", str(make_bad_file(tmp_path, content)))
    assert status == 2
    assert message in err


def test_repair_removes_the_torn_tail_and_nothing_else(run, known: Path) -> None:
    whole = known.read_bytes()
    known.write_bytes(whole + b"2026-11-20T10:00:00.000000+00:00\tci\tbroken")
    status, out, _ = run("validate", "--repair")
    assert status == 0
    assert out.splitlines()[0] == f"{known}: removed a torn last line (42 bytes)"
    assert known.read_bytes() == whole


def test_repair_waits_for_the_writers_lock(run, known: Path) -> None:
    known.write_bytes(known.read_bytes() + b"torn")
    lock = filelock.FileLock(str(known) + ".lock")
    finished = threading.Event()
    lock.acquire()
    try:
        worker = threading.Thread(target=lambda: (main(["validate", "--repair"]), finished.set()))
        worker.start()
        assert not finished.wait(0.3)  # blocked while a writer holds the lock
        assert known.read_bytes().endswith(b"torn")
    finally:
        lock.release()
    worker.join(10)
    assert finished.is_set()
    assert not known.read_bytes().endswith(b"torn")


def test_repair_of_a_compressed_file_is_refused(run, tmp_path: Path) -> None:
    path = tmp_path / "h.tsv.gz"
    path.write_bytes(b"")
    status, _, err = run("validate", str(path), "--repair")
    assert status == 2
    assert "cannot repair a compressed file" in err


# --- merge and compact ---------------------------------------------------------------------


def test_merge_keeps_each_row_once_in_time_order(run, tmp_path: Path) -> None:
    first = write_history(tmp_path / "a.tsv", KNOWN[:4])
    second = write_history(tmp_path / "b.tsv", KNOWN[2:])
    out = tmp_path / "merged.tsv"
    status, text, _ = run("merge", str(first), str(second), "-o", str(out))
    assert status == 0
    assert text == f"merged 2 files into {out}: 17 rows read, 13 written\n"
    rows = list(read_rows(out))
    assert len(rows) == len(set(rows)) == 13
    assert [row.timestamp for row in rows] == sorted(row.timestamp for row in rows)


def test_merge_can_write_a_compressed_history(run, tmp_path: Path, known: Path) -> None:
    out = tmp_path / "all.tsv.gz"
    assert run("merge", str(known), "-o", str(out))[0] == 0
    assert sorted(read_rows(out), key=str) == sorted(read_rows(known), key=str)


def test_compact_keeps_one_row_per_task(run, tmp_path: Path, known: Path) -> None:
    out = tmp_path / "compact.tsv"
    status, text, _ = run("compact", str(known), "-o", str(out))
    assert status == 0
    assert text == f"compacted {known} into {out}: 13 rows read, 7 tasks written\n"
    rows = list(read_rows(out))
    assert [(row.task_id, row.result) for row in rows] == [
        ("aaaa-1", "completed"), ("aaaa-2", "failed"), ("bbbb-1", "completed"),
        ("aaaa-3", "failed"), ("bbbb-2", "recovered"), ("aaaa-4", "failed"), ("bbbb-3", "started"),
    ]  # fmt: skip


def test_compact_in_place_replaces_the_file_atomically(run, known: Path) -> None:
    assert run("compact", str(known), "-o", str(known))[0] == 0
    assert len(list(read_rows(known))) == 7
    assert [p.name for p in known.parent.iterdir() if p.name.startswith(".tasktiming-")] == []


def test_compact_without_output_rewrites_the_default_file_in_place(run, known: Path) -> None:
    status, text, _ = run("compact")
    assert (status, text) == (
        0,
        f"compacted {known} in place: 13 rows read, 7 tasks written\n",
    )
    assert len(list(read_rows(known))) == 7


def test_compact_in_place_loses_no_row_appended_while_it_runs(run, known: Path) -> None:
    """It rewrites under the writers' lock: a row appended meanwhile lands before or after."""
    appended = [rows_of(Run("live", 1.0, "completed", f"live-{i}", at(i)))[1] for i in range(400)]
    writer = AsyncBufferedWriter(known, buffer_size=1, flush_interval=0.001)

    def append() -> None:
        for row in appended:
            writer.write(row)
            writer.flush()

    thread = threading.Thread(target=append)
    thread.start()
    compactions = 0
    while thread.is_alive() or not compactions:
        assert run("compact")[0] == 0
        compactions += 1
    thread.join()
    writer.close()
    ids = {row.task_id for row in read_rows(known)}
    assert {row.task_id for row in appended} <= ids
    assert len(ids) == 7 + len(appended)


def test_merge_of_a_bad_input_writes_nothing(run, tmp_path: Path, known: Path) -> None:
    bad = make_bad_file(tmp_path, HEADER.encode() + b"x\n")
    out = tmp_path / "out.tsv"
    assert run("merge", str(known), str(bad), "-o", str(out))[0] == 2
    assert not out.exists()


# --- start and stop ------------------------------------------------------------------------


def test_start_prints_the_task_id_and_stop_writes_the_duration(
    run, tsv_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clock, "wall_ns", lambda: 1_795_557_600_000_000_000)
    status, out, _ = run("start", "deploy", "--mode", "ci")
    task_id = out.strip()
    assert status == 0
    monkeypatch.setattr(clock, "wall_ns", lambda: 1_795_557_612_500_000_000)
    assert run("stop", task_id, "--result", "failed") == (0, "deploy: failed after 12.5 s\n", "")
    started, final = read_rows(tsv_path)
    assert (started.task_id, started.result, started.mode) == (task_id, "started", "ci")
    assert (final.task_id, final.result, final.duration) == (task_id, "failed", 12.5)
    assert final.end_time is not None
    assert (final.end_time - final.start_time).total_seconds() == 12.5


def test_stop_of_an_unknown_or_finished_task_is_an_error(run, known: Path) -> None:
    status, _, err = run("stop", "nope-1")
    assert status == 2
    assert err == f"tasktiming: error: unknown task id 'nope-1': no started row in {known}\n"
    status, _, err = run("stop", "aaaa-1")
    assert status == 2
    assert "already ended (completed)" in err


def test_stop_without_a_file_is_an_error(run, tsv_path: Path) -> None:
    status, _, err = run("stop", "x-1")
    assert status == 2
    assert "No such file or directory" in err


def test_start_with_a_timeout_records_timeout_when_the_task_is_not_stopped(
    run, tsv_path: Path
) -> None:
    task_id = run("start", "hangs", "--timeout", "0.3")[1].strip()
    _wait_for_rows(tsv_path, 2)
    assert [(row.task_id, row.result) for row in read_rows(tsv_path)] == [
        (task_id, "started"),
        (task_id, "timeout"),
    ]
    status, out, _ = run("stop", task_id)  # a late stop keeps the verdict
    assert status == 0
    assert out == "hangs: timeout after 300 ms\n"  # the timeout, however late the watcher
    assert len(list(read_rows(tsv_path))) == 2
    assert run("validate")[0] == 0
    # Its own limit is on file, so check names it rather than the 3600 s default.
    assert read_notes(tsv_path).of(task_id, "hangs", "shell").own_limit == 0.3
    status, out, _ = run("check", "--format", "json")
    assert status == 1
    assert [(o["task"], o["limit"]) for o in json.loads(out)] == [("hangs", 0.3)]


def test_a_task_stopped_in_time_is_left_alone_by_the_watcher(run, tsv_path: Path) -> None:
    from pytest_tasktiming.files.startstop import watch

    task_id = run("start", "quick")[1].strip()
    assert run("stop", task_id)[0] == 0
    watch(str(tsv_path), task_id, clock.wall_ns())  # its deadline comes after the stop
    assert [row.result for row in read_rows(tsv_path)] == ["started", "completed"]


def _wait_for_rows(path: Path, count: int) -> None:
    """Wait (at most 20 s) for the detached watcher to append its row."""
    wait_until(lambda: len(list(read_rows(path))) >= count, timeout=20)


def test_the_watcher_of_a_task_stopped_in_time_leaves_without_waiting_for_the_deadline(
    run, tsv_path: Path
) -> None:
    task_id = run("start", "quick", "--timeout", "1h")[1].strip()
    assert _watchers_of(task_id), "start --timeout leaves a watcher"
    assert run("stop", task_id)[0] == 0
    wait_until(lambda: not _watchers_of(task_id), timeout=20)  # it left before the deadline
    assert [row.result for row in read_rows(tsv_path)] == ["started", "completed"]


def _watchers_of(task_id: str) -> list[str]:
    """The command lines of running processes that watch ``task_id``."""
    found = []
    for status in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = status.read_bytes().split(b"\0")
        except OSError:
            continue
        if task_id.encode() in argv and any(b"startstop" in arg for arg in argv):
            found.append(b" ".join(argv).decode(errors="replace"))
    return found
