"""The real ``tasktiming`` console script, in a subprocess: every subcommand, format and exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from history_files import KNOWN, write_history

from pytest_tasktiming import read_rows

CORPUS = Path(__file__).resolve().parent / "scan_corpus"


def tasktiming(
    *argv: str, cwd: Path, command: tuple[str, ...] = ("tasktiming",)
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TASK_TIMING_FILE": str(cwd / "task_timing.tsv")}
    return subprocess.run(
        [*command, *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    write_history(tmp_path / "task_timing.tsv", KNOWN)
    write_history(tmp_path / "shard.tsv", KNOWN[:2])
    (tmp_path / "torn.tsv").write_bytes((tmp_path / "shard.tsv").read_bytes() + b"2026-11-20T1")
    (tmp_path / "garbage.tsv").write_bytes(bytes(range(256)))
    return tmp_path


@pytest.mark.parametrize(
    ("argv", "status", "expected"),
    [
        pytest.param(["report"], 0, "   4  16.000  4.000  2.500  8.950", id="report-table"),
        pytest.param(["report", "--format", "json"], 0, '"p95": 8.95,', id="report-json"),
        pytest.param(["report", "--format", "csv"], 0, "build,4,16.000000,", id="report-csv"),
        pytest.param(["report", "--format", "markdown"], 0, "| build | 4 |", id="report-md"),
        pytest.param(["report", "missing.tsv"], 2, "missing.tsv: No such file", id="report-2"),
        pytest.param(["check", "shard.tsv"], 0, "0 tasks timed out", id="check-0"),
        pytest.param(["check", "--max", "5"], 1, "3 tasks timed out", id="check-1"),
        pytest.param(["check", "--format", "csv"], 1, "lint,interrupted,", id="check-csv"),
        pytest.param(["check", "garbage.tsv"], 2, "expected the header", id="check-2"),
        pytest.param(["validate", "shard.tsv"], 0, "4 rows, 0 problems", id="validate-0"),
        pytest.param(["validate", "torn.tsv"], 1, "torn last line", id="validate-1"),
        pytest.param(["validate", "garbage.tsv"], 2, "expected the header", id="validate-2"),
        pytest.param(["validate", "torn.tsv", "--repair"], 0, "removed a torn", id="repair"),
        pytest.param(
            ["merge", "shard.tsv", "task_timing.tsv", "-o", "m.tsv"], 0, "13 written", id="merge"
        ),
        pytest.param(["merge", "nope.tsv", "-o", "m.tsv"], 2, "nope.tsv: No such", id="merge-2"),
        pytest.param(["compact", "task_timing.tsv", "-o", "c.tsv"], 0, "7 tasks", id="compact"),
        pytest.param(["compact", "garbage.tsv", "-o", "c.tsv"], 2, "header", id="compact-2"),
        pytest.param(["stop", "nope-1"], 2, "unknown task id 'nope-1'", id="stop-2"),
        pytest.param(["scan", str(CORPUS / "python/negatives.py")], 0, "No timeouts", id="scan-0"),
        pytest.param(["scan", str(CORPUS / "config")], 1, "TT001", id="scan-text"),
        pytest.param(
            ["scan", str(CORPUS / "ci"), "--format", "json"], 1, '"value": 7200.0', id="scan-json"
        ),
        pytest.param(
            ["scan", str(CORPUS / "ci"), "--format", "github"], 1, "::error file=", id="scan-github"
        ),
        pytest.param(["scan", "missing-dir"], 2, "missing-dir: No such", id="scan-2"),
        pytest.param(["report", "--top", "x"], 2, "argument --top", id="usage-2"),
    ],
)
def test_the_console_script(workdir: Path, argv: list[str], status: int, expected: str) -> None:
    result = tasktiming(*argv, cwd=workdir)
    assert result.returncode == status, result.stderr
    if status == 2:
        assert result.stdout == ""
        assert result.stderr.startswith("tasktiming: error: ")
        assert result.stderr.count("\n") == 1
        assert expected in result.stderr
    else:
        assert expected in result.stdout
        assert "Traceback" not in result.stderr


def test_start_and_stop_time_a_shell_task(workdir: Path) -> None:
    started = tasktiming("start", "make release", "--mode", "shell", cwd=workdir)
    task_id = started.stdout.strip()
    stopped = tasktiming("stop", task_id, "--result", "failed", cwd=workdir)
    assert (started.returncode, stopped.returncode) == (0, 0)
    assert stopped.stdout.startswith("make release: failed after ")
    final = list(read_rows(workdir / "task_timing.tsv"))[-1]
    assert (final.task_id, final.task, final.result, final.mode) == (
        task_id, "make release", "failed", "shell",
    )  # fmt: skip
    assert final.duration is not None and 0 < final.duration < 60


def test_python_dash_m_runs_the_same_command_line(workdir: Path) -> None:
    direct = tasktiming("report", "--format", "csv", cwd=workdir)
    module = tasktiming(
        "report",
        "--format",
        "csv",
        cwd=workdir,
        command=(sys.executable, "-m", "pytest_tasktiming"),
    )
    assert (module.returncode, module.stdout) == (direct.returncode, direct.stdout)


def test_the_command_line_never_imports_pytest() -> None:
    program = "import pytest_tasktiming.cli, sys; assert 'pytest' not in sys.modules"
    subprocess.run([sys.executable, "-c", program], check=True)


def test_a_report_cut_short_by_head_ends_quietly(tmp_path: Path) -> None:
    from history_files import Run, at

    runs = [
        Run(f"tests/test_{i}.py::test_{'x' * 60}", 1.0, "passed", f"h-{i}", at(0))
        for i in range(3000)
    ]
    write_history(tmp_path / "task_timing.tsv", runs)
    result = tasktiming("-c", "tasktiming report | head -1", cwd=tmp_path, command=("bash",))
    assert result.stdout.startswith("runs ")
    assert result.stderr == ""
