"""Which files the scan reads, on any tree: bounded work, .gitignore, exclude, worker processes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_tasktiming.cli import main
from pytest_tasktiming.scan import Settings, scan_paths
from pytest_tasktiming.scan.walker import MAX_FILE_BYTES

LONG = "TIMEOUT = 7200\n"


def codes(paths: list[Path], **settings: object) -> list[tuple[str, str]]:
    """(file name, code) of each finding."""
    findings = scan_paths([str(p) for p in paths], Settings(**settings))  # type: ignore[arg-type]
    return [(os.path.basename(f.path), f.code) for f in findings]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_and_a_link_to_a_device_are_never_opened(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Opening either for reading would block forever or read without end.
    os.mkfifo(tmp_path / "conftest.py")
    (tmp_path / "zero.py").symlink_to("/dev/zero")
    (tmp_path / "jobs.py").write_text(LONG, encoding="utf-8")
    assert main(["scan", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "conftest.py:1:1: TT902 this is a FIFO, not a regular file, not opened" in out
    assert "zero.py:1:1: TT902 a symbolic link out of the tree (to /dev/zero), not followed" in out
    assert "jobs.py:1:11: TT001" in out
    assert out.endswith("Found 1 timeout to fix and 2 files not checked.\n")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_or_device_named_on_the_command_line_is_not_opened_either(
    tmp_path: Path,
) -> None:
    os.mkfifo(tmp_path / "conftest.py")
    (tmp_path / "zero.py").symlink_to("/dev/zero")
    named = [tmp_path / "conftest.py", tmp_path / "zero.py"]
    assert codes(named) == [("conftest.py", "TT902"), ("zero.py", "TT902")]
    assert "a device" in scan_paths([str(tmp_path / "zero.py")])[0].message


def test_links_are_followed_inside_the_tree_only(tmp_path: Path) -> None:
    tree, outside = tmp_path / "tree", tmp_path / "outside"
    tree.mkdir()
    outside.mkdir()
    (outside / "secret.py").write_text(LONG, encoding="utf-8")
    (tree / "real.py").write_text(LONG, encoding="utf-8")
    (tree / "inside.py").symlink_to(tree / "real.py")
    (tree / "escape.py").symlink_to(outside / "secret.py")
    (tree / "linked_dir").symlink_to(outside, target_is_directory=True)
    assert codes([tree]) == [("escape.py", "TT902"), ("inside.py", "TT001"), ("real.py", "TT001")]


def test_a_file_above_the_size_cap_is_noted_and_not_read(tmp_path: Path) -> None:
    with open(tmp_path / "generated.py", "wb") as stream:
        stream.write(LONG.encode())
        stream.truncate(MAX_FILE_BYTES + 1)  # sparse: no disk used
    (finding,) = scan_paths([str(tmp_path)])
    assert (finding.code, finding.severity) == ("TT902", "warning")
    assert finding.message == (
        "this file is larger than 2 MiB, not read; its timeouts were not checked"
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_gitignore_is_honoured_in_a_git_work_tree(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("generated/\n*.local.py\n", encoding="utf-8")
    for name in ("generated/out.py", "settings.local.py", "tracked.py", "new.py"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(LONG, encoding="utf-8")
    subprocess.run(["git", "-C", str(tmp_path), "add", "tracked.py"], check=True)
    assert codes([tmp_path]) == [("new.py", "TT001"), ("tracked.py", "TT001")]


def test_outside_a_git_work_tree_every_file_is_walked(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.py\n", encoding="utf-8")
    (tmp_path / "jobs.py").write_text(LONG, encoding="utf-8")
    assert codes([tmp_path]) == [("jobs.py", "TT001")]


def test_exclude_leaves_out_what_it_matches_below_the_named_paths(tmp_path: Path) -> None:
    for name in ("fixtures/long.py", "src/app_pb2.py", "src/app.py"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(LONG, encoding="utf-8")
    exclude = ("fixtures", "*_pb2.py")
    assert codes([tmp_path], base=str(tmp_path), exclude=exclude) == [("app.py", "TT001")]
    # A path named on the command line is read, unless forced, as pre-commit's hook does.
    named = [tmp_path / "fixtures", tmp_path / "src/app_pb2.py"]
    assert len(codes(named, base=str(tmp_path), exclude=exclude)) == 2
    assert codes(named, base=str(tmp_path), exclude=exclude, force_exclude=True) == []


def test_a_large_tree_gives_the_same_findings_from_worker_processes(tmp_path: Path) -> None:
    # The console script has one thread, so on Linux it forks a worker per CPU for this tree.
    for number in range(250):
        (tmp_path / f"job_{number:03}.py").write_text(
            f"JOB_TIMEOUT = {3600 + number}\n", encoding="utf-8"
        )
    result = subprocess.run(
        [sys.executable, "-m", "pytest_tasktiming", "scan", str(tmp_path), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    findings = json.loads(result.stdout)
    assert [f["value"] for f in findings] == [float(3600 + n) for n in range(1, 250)]
