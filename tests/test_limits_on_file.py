"""Readers of the companion file: check, merge and compact judge and keep each task's own limit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from history_files import Run, at, write_history

from pytest_tasktiming import read_rows
from pytest_tasktiming.cli import main
from pytest_tasktiming.companion import HEADER, companion_path, read_notes

OWN_LIMITS = [
    Run("over its own", 12.0, "passed", "own-1", at(0)),  # ran past its 10 s, not stopped
    Run("within its own", 5.0, "passed", "own-2", at(1)),
    Run("no own limit", 40.0, "passed", "own-3", at(2)),
    Run("hung", 0.0, None, "own-4", at(3)),  # started, no final row, 1 s limit
    Run("decorated", 3.0, "completed", "own-5", at(4), mode="code"),  # its name's 2 s limit
]
NOTES = [
    {"task_id": "own-1", "limit": 10.0, "threshold": 0.8, "enforce": False},
    {"task_id": "own-2", "limit": 10.0, "threshold": 0.8},
    {"task_id": "own-4", "limit": 1.0, "threshold": 0.8},
    {"task": "decorated", "mode": "code", "limit": 2.0, "threshold": 0.5},
    {"task_id": "own-5", "worker": "gw1"},
    {"task_id": "gone-1", "message": "of a task no file keeps"},
]


def with_notes(path: Path, runs: list[Run], notes: list[dict[str, object]]) -> Path:
    write_history(path, runs)
    lines = "".join(json.dumps(note) + "\n" for note in notes)
    Path(companion_path(str(path))).write_text(HEADER + lines, encoding="utf-8")
    return path


def check(path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict]]:
    capsys.readouterr()  # what came before
    status = main(["check", str(path), "--format", "json", *args])
    return status, json.loads(capsys.readouterr().out)


def test_check_fails_a_task_that_ran_past_its_own_limit_though_not_stopped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = with_notes(tmp_path / "t.tsv", OWN_LIMITS, NOTES)
    status, found = check(path, capsys)
    assert status == 1
    assert [(row["task"], row["result"], row["limit"]) for row in found] == [
        ("over its own", "passed", 10.0),
        ("hung", "interrupted", 1.0),
        ("decorated", "completed", 2.0),
    ]
    assert main(["check", str(path)]) == 1
    assert capsys.readouterr().out.endswith(
        "3 tasks timed out or ran past the limit of 3600 s or their own\n"
    )


def test_without_the_companion_file_only_the_max_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_history(tmp_path / "t.tsv", [run for run in OWN_LIMITS if run.result])
    assert check(path, capsys) == (0, [])
    status, found = check(path, capsys, "--max", "30")
    assert (status, [row["task"] for row in found]) == (1, ["no own limit"])


def test_merge_and_compact_carry_the_notes_of_the_tasks_they_keep(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = with_notes(tmp_path / "a.tsv", OWN_LIMITS[:2], NOTES[:2])
    second = with_notes(tmp_path / "b.tsv", OWN_LIMITS[2:], NOTES[2:])
    merged = tmp_path / "merged.tsv"
    assert main(["merge", str(first), str(second), "-o", str(merged)]) == 0
    notes = read_notes(merged)
    assert set(notes.by_id) == {"own-1", "own-2", "own-4", "own-5"}  # not gone-1's
    assert notes.of("own-5", "decorated", "code").own_limit == 2.0
    assert notes.of("own-5", "decorated", "code").worker == "gw1"
    assert check(merged, capsys)[0] == 1
    compacted = tmp_path / "compacted.tsv"
    assert main(["compact", str(merged), "-o", str(compacted)]) == 0
    assert read_notes(compacted).by_id == notes.by_id
    assert len(list(read_rows(compacted))) == len(OWN_LIMITS)


def test_compacting_a_file_in_place_rewrites_its_companion_too(tmp_path: Path) -> None:
    path = with_notes(tmp_path / "t.tsv", OWN_LIMITS, NOTES)
    assert main(["compact", str(path), "-o", str(path)]) == 0
    assert "gone-1" not in read_notes(path).by_id
    assert read_notes(path).of("own-1", "over its own", "ci").own_limit == 10.0


def test_a_stale_companion_of_the_output_is_replaced_not_kept(tmp_path: Path) -> None:
    plain = write_history(tmp_path / "plain.tsv", OWN_LIMITS[:1])
    out = with_notes(tmp_path / "out.tsv", OWN_LIMITS, NOTES)
    assert main(["merge", str(plain), "-o", str(out)]) == 0
    assert not read_notes(out)
