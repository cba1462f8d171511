"""``tasktiming status``: what is running now, for how long, against which limit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from history_files import KNOWN, Run, at, write_history

from pytest_tasktiming.cli import main
from pytest_tasktiming.companion import HEADER as COMPANION_HEADER
from pytest_tasktiming.companion import companion_path
from pytest_tasktiming.reports.status import running_tasks

NOW = at(2 + 90, day=2)  # 90 minutes after the lint task started


def ns(moment: object) -> int:
    return round(moment.timestamp() * 1e9)  # type: ignore[attr-defined]


def test_only_tasks_without_a_final_row_are_running_measured_against_the_limit(
    tsv_path: Path,
) -> None:
    write_history(tsv_path, KNOWN)
    (lint,) = running_tasks(str(tsv_path), timeout=3600.0, now_ns=ns(NOW))
    assert (lint.task, lint.mode, lint.task_id) == ("lint", "ci", "bbbb-3")
    assert lint.elapsed == pytest.approx(90 * 60)
    assert lint.over
    assert lint.as_record()["used"] == "150%"


def test_the_longest_running_comes_first_and_no_limit_means_no_share(tsv_path: Path) -> None:
    write_history(
        tsv_path,
        [Run("short", 0, None, "r-1", at(80)), Run("long", 0, None, "r-2", at(10))],
    )
    tasks = running_tasks(str(tsv_path), timeout=None, now_ns=ns(at(90)))
    assert [(t.task, round(t.elapsed)) for t in tasks] == [("long", 4800), ("short", 600)]
    assert not tasks[0].over
    assert tasks[0].as_record()["used"] == "-"


def test_a_task_with_its_own_limit_on_file_is_measured_against_it(tsv_path: Path) -> None:
    write_history(
        tsv_path,
        [
            Run("own 2 h", 0, None, "own-1", at(10)),
            Run("no timeout", 0, None, "own-2", at(10)),
            Run("default", 0, None, "own-3", at(10)),
        ],
    )
    lines = ['{"task_id":"own-1","limit":7200.0}\n', '{"task_id":"own-2","limit":0.0}\n']
    Path(companion_path(str(tsv_path))).write_text(COMPANION_HEADER + "".join(lines))
    tasks = running_tasks(str(tsv_path), timeout=3600.0, now_ns=ns(at(90)))
    assert {t.task: (t.limit, t.over) for t in tasks} == {
        "own 2 h": (7200.0, False),
        "no timeout": (None, False),
        "default": (3600.0, True),
    }


def test_status_prints_a_table_and_says_what_is_past_the_limit(
    tsv_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_history(tsv_path, KNOWN)
    assert main(["status"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == [
        "running",
        "for",
        "limit",
        "used",
        "mode",
        "started",
        "task_id",
        "task",
    ]
    assert out[1].split()[2:4] == ["1.00", "h"]  # the default limit: the file holds none
    assert out[1].split()[-2:] == ["bbbb-3", "lint"]
    assert out[-1] == (
        f"1 task running in {tsv_path}; 1 past the limit: still running, or ended "
        "without a final row (see tasktiming validate)"
    )


def test_status_of_a_file_where_everything_finished_says_so(
    tsv_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_history(tsv_path, KNOWN[:2])
    assert main(["status", str(tsv_path)]) == 0
    assert capsys.readouterr().out == f"nothing running in {tsv_path}\n"


def test_status_as_json_gives_seconds_and_the_limit_for_programs(
    tsv_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    task_id = _started(capsys, "deploy web")
    assert main(["status", "--timeout", "90m", "--format", "json"]) == 0
    (record,) = json.loads(capsys.readouterr().out)
    assert record["task"] == "deploy web"
    assert record["task_id"] == task_id
    assert record["limit"] == 5400.0
    assert 0 <= record["elapsed"] < 600  # generous: a busy machine


def test_a_stopped_task_is_no_longer_running(
    tsv_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    task_id = _started(capsys, "deploy web")
    assert main(["stop", task_id]) == 0
    capsys.readouterr()
    assert main(["status"]) == 0
    assert capsys.readouterr().out == f"nothing running in {tsv_path}\n"


def test_status_of_a_missing_file_is_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", str(tmp_path / "nope.tsv")]) == 2
    assert capsys.readouterr().err == (
        f"tasktiming: error: {tmp_path / 'nope.tsv'}: No such file or directory\n"
    )


def _started(capsys: pytest.CaptureFixture[str], task: str) -> str:
    assert main(["start", task]) == 0
    return capsys.readouterr().out.strip()
