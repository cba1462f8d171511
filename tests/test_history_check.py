"""``tasktiming check --slower``: a task whose latest run took FACTOR x its median fails CI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from history_files import Run, at, write_history

from pytest_tasktiming.cli import main


def runs_of(task: str, durations: list[float], prefix: str, result: str = "passed") -> list[Run]:
    return [Run(task, d, result, f"{prefix}{n:010x}-1", at(n)) for n, d in enumerate(durations)]


@pytest.fixture
def history(tmp_path: Path) -> Path:
    return write_history(
        tmp_path / "history.tsv",
        [
            # 3.3 s after a median of 1.0: a regression.
            *runs_of("slowed", [1.0, 0.9, 1.1, 1.0, 1.2, 3.3], "aa"),
            # 0.3 s after 0.05: six times slower, but by less than the noise floor of 0.1 s.
            *runs_of("tiny", [0.05] * 5 + [0.14], "bb"),
            # Only four earlier runs: too few by default.
            *runs_of("young", [1.0] * 4 + [9.0], "cc"),
            # Failures do not count: its latest successful run is as fast as ever.
            *runs_of("steady", [2.0] * 6, "dd"),
            *runs_of("steady", [30.0], "ee", result="failed"),
        ],
    )


def test_the_regressed_task_is_named_with_both_figures(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(history), "--slower", "2"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "result",
        "duration",
        "median",
        "runs",
        "start_time",
        "task_id",
        "line",
        "task",
    ]
    assert lines[1].split()[:6] == ["slower", "3.30", "s", "1.00", "s", "5"]
    assert lines[1].split()[-1] == "slowed"
    assert (
        lines[-1]
        == "1 task took more than 2 times the median of its earlier runs in its latest run"
    )


def test_min_runs_lowers_the_bar_for_young_tasks(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["check", str(history), "--slower", "2", "--min-runs", "4", "--format", "json"]) == 1
    )
    found = json.loads(capsys.readouterr().out)
    assert [(f["task"], f["duration"], f["median"], f["runs"]) for f in found] == [
        ("slowed", 3.3, 1.0, 5),
        ("young", 9.0, 1.0, 4),
    ]


def test_no_regression_is_exit_0(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(history), "--slower", "4"]) == 0
    assert "0 tasks took more than 4 times" in capsys.readouterr().out


@pytest.mark.parametrize("factor", ["1", "0.5", "fast"])
def test_a_factor_must_be_above_one(
    history: Path, capsys: pytest.CaptureFixture[str], factor: str
) -> None:
    assert main(["check", str(history), "--slower", factor]) == 2
    assert "argument --slower: expected a factor above 1" in capsys.readouterr().err


def test_without_slower_check_is_unchanged(
    history: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(history)]) == 0
    assert capsys.readouterr().out == "0 tasks timed out or ran past the limit of 3600 s\n"
