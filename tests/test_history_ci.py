"""The CI examples of docs/history.md: the GitHub workflow is valid, and its matrix, run here
job by job with its own commands, runs every test exactly once and leaves the next history."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from pytest_tasktiming.records import fold, read_rows

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "docs" / "examples" / "ci"
WORKFLOW = EXAMPLES / "github-actions.yml"
SCRIPTS = Path(sys.executable).parent  # pytest, tasktiming and actionlint of this environment


def test_the_github_workflow_passes_actionlint() -> None:
    actionlint = shutil.which("actionlint", path=str(SCRIPTS)) or shutil.which("actionlint")
    if actionlint is None:
        message = "actionlint is not installed (the test extra installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    result = subprocess.run(
        [actionlint, "-no-color", str(WORKFLOW)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def workflow_commands() -> tuple[list[int], str, str]:
    """The matrix's shards, the shard job's pytest command and the merge job's command."""
    text = WORKFLOW.read_text(encoding="utf-8")
    shards = [int(n) for n in re.search(r"shard: \[([\d, ]+)\]", text).group(1).split(",")]  # type: ignore[union-attr]
    runs = re.findall(r"^\s+run: (.+)$", text, re.MULTILINE)
    pytest_run = next(run for run in runs if run.startswith("pytest "))
    merge = next(run for run in runs if run.startswith("tasktiming merge"))
    return shards, pytest_run, merge


SUITE = """
import time
import pytest

@pytest.mark.parametrize("n", range(12))
def test_work(n):
    time.sleep(0.002 * (n % 5))

class TestSlow:
    def test_a(self):
        time.sleep(0.05)

    def test_b(self):
        time.sleep(0.03)
"""


def run(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{SCRIPTS}{os.pathsep}{os.environ['PATH']}"}
    env.pop("TASK_TIMING_FILE", None)
    return subprocess.run(
        command, shell=True, cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def test_the_matrix_runs_every_test_once_and_merges_the_next_history(tmp_path: Path) -> None:
    shards, pytest_run, merge = workflow_commands()
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_suite.py").write_text(SUITE)
    assert run("pytest -q -p no:cacheprovider --task-timing", project).returncode == 0
    history = (project / "task_timing.tsv").read_bytes()  # what actions/cache restores
    before = set(fold(read_rows(project / "task_timing.tsv")))

    artifacts = tmp_path / "shards"
    for shard in shards:
        job = tmp_path / f"job{shard}"
        shutil.copytree(project, job)
        (job / "task_timing.tsv").write_bytes(history)
        command = pytest_run.replace("${{ matrix.shard }}", str(shard)).replace("-n auto", "-n 2")
        result = run(command + " -p no:cacheprovider", job)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"shard {shard}/{len(shards)}" in result.stdout
        (artifacts / f"task-timing-{shard}").mkdir(parents=True)
        shutil.copy(job / "task_timing.tsv", artifacts / f"task-timing-{shard}" / "task_timing.tsv")

    merged = run(merge, tmp_path)
    assert merged.returncode == 0, merged.stderr
    tasks = fold(read_rows(tmp_path / "task_timing.tsv"))
    new = Counter(row.task for task_id, row in tasks.items() if task_id not in before)
    assert len(new) == 14
    assert set(new.values()) == {1}  # every test ran in exactly one shard
    old = Counter(row.task for task_id, row in tasks.items() if task_id in before)
    assert set(old.values()) == {1}  # the restored history, kept once though every shard had it
