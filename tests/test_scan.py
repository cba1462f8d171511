"""The static timeout scan, on a corpus of positive and negative cases that is never run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_tasktiming.cli import main
from pytest_tasktiming.scan import scan_paths
from pytest_tasktiming.scan.python_code import timeout_unit
from pytest_tasktiming.scan.workflows import gitlab_duration, split_comment

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "scan_corpus"
EXPECT = re.compile(r"expect: (TT\d{3})(?: (\d+))?")


def expected_findings(directory: Path) -> set[tuple[str, int, str, float | None]]:
    """(file, line, code, value) for every `expect:` comment under ``directory``."""
    found = set()
    for path in sorted(directory.rglob("*")):
        if not path.is_file() or "skipped" in path.parts or path.name == "not-a-workflow.yml":
            continue
        text = path.read_bytes().decode("utf-8", "replace")
        for number, line in enumerate(text.splitlines(), 1):
            match = EXPECT.search(line)
            if match:
                value = float(match.group(2)) if match.group(2) else None
                found.add((os.path.relpath(path, ROOT), number, match.group(1), value))
    return found


@pytest.fixture(autouse=True)
def in_the_repository(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(ROOT)
    marker = tmp_path / "harmful-ran"
    monkeypatch.setenv("TASKTIMING_SCAN_MARKER", str(marker))
    return marker


def test_the_scan_finds_exactly_what_the_corpus_expects() -> None:
    findings = scan_paths([os.path.relpath(CORPUS, ROOT)], limit=3600)
    found = {(f.path, f.line, f.code, f.value) for f in findings}
    expected = expected_findings(CORPUS) | {
        (
            "tests/scan_corpus/broken/setup.cfg",
            1,
            "TT901",
            None,
        ),  # not UTF-8: no room for a comment
    }
    assert found == expected


def test_columns_point_at_the_value_in_characters() -> None:
    (finding,) = [
        f for f in scan_paths(["tests/scan_corpus/python/positives.py"], limit=3600) if f.line == 17
    ]
    assert (finding.col, finding.message) == (
        19,
        "assignment to 'DEFAULT_TIMEOUT' is 7200 s (2h), above the limit of 3600 s (1h)",
    )


def test_code_that_would_do_harm_is_read_but_never_run(in_the_repository: Path) -> None:
    result = subprocess.run(
        ["tasktiming", "scan", "tests/scan_corpus/python/harmful.py"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "harmful.py:10:11: TT101" in result.stdout
    assert not in_the_repository.exists()
    assert "harmful" not in " ".join(sys.modules)


def test_hidden_vendored_and_virtualenv_directories_are_skipped_unless_named() -> None:
    assert scan_paths(["tests/scan_corpus/skipped"], limit=3600) == []
    named = scan_paths(["tests/scan_corpus/skipped/venv/lib.py"], limit=3600)
    assert [(f.line, f.code) for f in named] == [(1, "TT101")]


def test_yaml_outside_a_ci_location_is_not_a_workflow() -> None:
    assert scan_paths(["tests/scan_corpus/ci/not-a-workflow.yml"], limit=3600) == []


def test_a_higher_limit_leaves_only_timeouts_that_are_switched_off_or_unlimited() -> None:
    findings = scan_paths(["tests/scan_corpus/python/positives.py"], limit=10**6)
    assert {f.code for f in findings} == {"TT101", "TT102"}
    assert all(f.value is None for f in findings)


# --- the command line ----------------------------------------------------------------------


def test_text_output_is_one_ruff_style_line_per_finding_and_a_summary(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["scan", "tests/scan_corpus/ci"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "tests/scan_corpus/ci/.github/workflows/ci.yml:7:22: TT301 timeout-minutes: 120 is "
        "7200 s (2h), above the limit of 3600 s (1h)"
    )
    assert all(re.match(r"^[^:]+:\d+:\d+: TT\d{3} ", line) for line in lines[:-1])
    assert lines[-1] == "Found 7 timeouts to fix."


def test_json_output_gives_file_line_col_and_seconds(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "tests/scan_corpus/config/setup.cfg", "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out) == [
        {
            "file": "tests/scan_corpus/config/setup.cfg",
            "line": 5,
            "col": 1,
            "value": 5000.0,
            "code": "TT201",
            "message": "[tool:pytest] timeout is 5000 s (1.39h), above the limit of 3600 s (1h)",
            "severity": "error",
        }
    ]


def test_github_output_is_only_workflow_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "tests/scan_corpus", "--format", "github"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines
    assert all(re.match(r"^::(error|warning) file=[^,]+,line=\d+,col=\d+,title=", x) for x in lines)
    assert any(line.startswith("::warning file=tests/scan_corpus/broken/") for line in lines)


def test_github_output_escapes_what_would_break_a_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    odd = tmp_path / "a,b:c"
    odd.mkdir()
    (odd / "x.py").write_text("timeout = 99999\n", encoding="utf-8")
    assert main(["scan", str(odd), "--format", "github"]) == 1
    assert "file=" + str(odd).replace(":", "%3A").replace(",", "%2C") + "/x.py," in (
        capsys.readouterr().out
    )


@pytest.mark.parametrize(
    ("paths", "status"),
    [
        pytest.param(["tests/scan_corpus/python/negatives.py"], 0, id="nothing-found"),
        pytest.param(["tests/scan_corpus/python/positives.py"], 1, id="findings"),
        pytest.param(["tests/scan_corpus/broken"], 0, id="warnings-only"),
        pytest.param(["tests/scan_corpus/no-such-file.py"], 2, id="missing-path"),
    ],
)
def test_exit_status_says_whether_anything_must_be_fixed(
    paths: list[str], status: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scan", *paths]) == status
    if status == 2:
        assert capsys.readouterr().err == (
            "tasktiming: error: tests/scan_corpus/no-such-file.py: No such file or directory\n"
        )


def test_max_takes_units_and_refuses_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "tests/scan_corpus/ci/.gitlab-ci.yml", "--max", "3.5h"]) == 1
    assert "172800 s" in capsys.readouterr().out
    assert main(["scan", "--max", "0"]) == 2


def test_a_new_file_with_an_allowed_timeout_passes(tmp_path: Path) -> None:
    (tmp_path / "jobs.py").write_text(
        "run(timeout=7200)  # tasktiming: allow-timeout\nrun(timeout=7200)\n", encoding="utf-8"
    )
    assert [f.line for f in scan_paths([str(tmp_path)], limit=3600)] == [2]


def test_the_pre_commit_hook_runs_the_scan_on_the_files_it_is_given() -> None:
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert "- id: tasktiming-scan" in hooks
    entry = re.search(r"^  entry: (.+)$", hooks, re.MULTILINE)
    files = re.search(r"^  files: (.+)$", hooks, re.MULTILINE)
    assert entry is not None and files is not None
    names = ["tests/scan_corpus/config/tox.ini", "tests/scan_corpus/ci/.gitlab-ci.yml", "a.md"]
    assert [n for n in names if re.search(files.group(1), n)] == names[:2]
    result = subprocess.run(
        [*entry.group(1).split(), *names[:2]], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert "tox.ini:6:" in result.stdout and ".gitlab-ci.yml:4:" in result.stdout


# --- the pieces ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "unit"),
    [
        ("timeout", 1.0),
        ("read_timeout", 1.0),
        ("TIMEOUT_MS", 0.001),
        ("timeoutMinutes", 60.0),
        ("job_timeout_hours", 3600.0),
        ("timeout_days", 86400.0),
        ("TIMEOUT_RETRIES", None),
        ("timeout_method", None),
        ("deadline", None),
    ],
)
def test_a_name_says_whether_it_holds_a_timeout_and_in_which_unit(
    name: str, unit: float | None
) -> None:
    assert timeout_unit(name) == unit


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("3h 30m", 12600.0),
        ("1 hour", 3600.0),
        ("2 hours 1 minute", 7260.0),
        ("1h, 2m and 3s", 3723.0),
        ("90", 90.0),
        ("1 week", 604800.0),
        ("soon", None),
        ("3 fortnights", None),
        ("", None),
    ],
)
def test_gitlab_durations_are_read_as_gitlab_reads_them(text: str, seconds: float | None) -> None:
    assert gitlab_duration(text) == seconds


@pytest.mark.parametrize(
    ("line", "content"),
    [
        ("timeout: 5 # note", "timeout: 5 "),
        ("run: echo 'a # b' # c", "run: echo 'a # b' "),
        ('run: echo "a \\" # b" # c', 'run: echo "a \\" # b" '),
        ("url: http://x/#anchor", "url: http://x/#anchor"),
        ("# only a comment", ""),
    ],
)
def test_a_yaml_comment_starts_only_outside_quotes(line: str, content: str) -> None:
    assert split_comment(line)[0] == content
