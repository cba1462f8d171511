"""The static timeout scan, on a labelled corpus that is never run, and its command line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_tasktiming.cli import main
from pytest_tasktiming.scan import Settings, python_code, scan_paths
from pytest_tasktiming.scan.apis import APIS, name_unit
from pytest_tasktiming.scan.python_code import PythonScanner
from pytest_tasktiming.scan.workflows import gitlab_duration
from pytest_tasktiming.scan.yaml_lines import split_comment

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "scan_corpus"
CASES = CORPUS / "cases"
EXPECT = re.compile(r"expect: (TT\d{3})(?: (\d+(?:\.\d+)?))?")
NOT_LABELLED = ("skipped", "not-a-workflow.yml", "README.md")
"""Corpus files with tests of their own: skipped directories, YAML that is no workflow."""

Label = tuple[str, int, str, "float | None"]


def labels(directory: Path) -> set[Label]:
    """(file, line, code, value) for every `expect:` comment under ``directory``."""
    found = set()
    for path in sorted(directory.rglob("*")):
        if not path.is_file() or any(part in NOT_LABELLED for part in path.parts):
            continue
        text = path.read_bytes().decode("utf-8", "replace")
        for number, line in enumerate(text.splitlines(), 1):
            match = EXPECT.search(line)
            if match:
                value = float(match.group(2)) if match.group(2) else None
                found.add((os.path.relpath(path, ROOT), number, match.group(1), value))
    return found


def found(paths: list[str], **settings: object) -> set[Label]:
    return {(f.path, f.line, f.code, f.value) for f in scan_paths(paths, Settings(**settings))}  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def in_the_repository(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(ROOT)
    marker = tmp_path / "harmful-ran"
    monkeypatch.setenv("TASKTIMING_SCAN_MARKER", str(marker))
    return marker


# --- the corpus ----------------------------------------------------------------------------


def test_the_corpus_has_80_cases_or_more_about_half_of_them_traps() -> None:
    cases = [path for path in CASES.rglob("*") if path.is_file()]
    traps = [path for path in cases if "expect: nothing" in path.read_text(encoding="utf-8")]
    assert len(cases) >= 80
    assert 0.35 <= len(traps) / len(cases) <= 0.65


def test_every_case_says_what_the_scan_must_report() -> None:
    for path in CASES.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            header = text.splitlines()[0]
            assert header.startswith("# case: "), path
            assert ("expect: nothing" in header) != bool(EXPECT.search(text)), path


def test_precision_and_recall_on_the_corpus_are_both_one() -> None:
    expected = labels(CORPUS) | {
        ("tests/scan_corpus/broken/setup.cfg", 1, "TT901", None),  # not UTF-8: no comment
    }
    reported = found([os.path.relpath(CORPUS, ROOT)])
    true = reported & expected
    precision = len(true) / len(reported)
    recall = len(true) / len(expected)
    assert (precision, recall) == (1.0, 1.0), {
        "false positives": sorted(reported - expected),
        "missed": sorted(expected - reported),
    }


def test_the_pre_filter_loses_no_finding_of_the_corpus(monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = found([os.path.relpath(CORPUS, ROOT)])
    monkeypatch.setattr(
        PythonScanner,
        "candidate_lines",
        lambda self, source: list(range(1, source.count(b"\n") + 2)),
    )
    monkeypatch.setattr(python_code, "partial_tree", lambda source, lines: None)
    everything = found([os.path.relpath(CORPUS, ROOT)])
    assert {f for f in everything if f[2].startswith("TT0")} <= shipped


def test_columns_point_at_the_value_in_characters() -> None:
    (finding,) = [f for f in scan_paths(["tests/scan_corpus/python/positives.py"]) if f.line == 17]
    assert (finding.col, finding.message) == (
        19,
        "assignment to 'DEFAULT_TIMEOUT' is 2 * HOUR = 7200 s (2h), above the limit of 3600 s (1h)",
    )


@pytest.mark.parametrize(
    ("case", "message", "fix"),
    [
        pytest.param(
            "python/playwright_set_default_timeout.py",
            "argument 1 of page.set_default_timeout() is 7200000 ms = 7200 s (2h), above the "
            "limit of 3600 s (1h)",
            "lower it to 3600000 ms or less",
            id="milliseconds",
        ),
        pytest.param(
            "github/.github/workflows/step_timeout.yml",
            "timeout-minutes is 120 min = 7200 s (2h), above the limit of 3600 s (1h)",
            "lower it to 60 min or less",
            id="minutes",
        ),
        pytest.param(
            "github/.github/workflows/job_without_timeout.yml",
            "job 'Unit' has no timeout-minutes, so GitHub allows it 360 min = 21600 s (6h), "
            "above the limit of 3600 s (1h)",
            "add `timeout-minutes: 60` to the job",
            id="missing",
        ),
        pytest.param(
            "gitlab/.gitlab/timeout_hours_minutes.yml",
            "timeout is 1h 30m = 5400 s (1.5h), above the limit of 3600 s (1h)",
            "lower it to 3600 s (1h) or less",
            id="gitlab",
        ),
    ],
)
def test_a_finding_gives_the_value_in_the_files_unit_and_in_seconds_and_the_fix(
    case: str, message: str, fix: str
) -> None:
    (finding,) = scan_paths([str(CASES / case)])
    assert (finding.message, finding.fix) == (message, fix)


def test_code_that_would_do_harm_is_read_but_never_run(in_the_repository: Path) -> None:
    result = subprocess.run(
        ["tasktiming", "scan", "tests/scan_corpus/python/harmful.py"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "harmful.py:10:11: TT001" in result.stdout
    assert not in_the_repository.exists()
    assert "harmful" not in " ".join(sys.modules)


def test_hidden_vendored_and_virtualenv_directories_are_skipped_unless_named() -> None:
    assert scan_paths(["tests/scan_corpus/skipped"]) == []
    named = scan_paths(["tests/scan_corpus/skipped/venv/lib.py"])
    assert [(f.line, f.code) for f in named] == [(1, "TT001")]


def test_yaml_outside_a_ci_location_is_not_a_workflow() -> None:
    assert scan_paths(["tests/scan_corpus/ci/not-a-workflow.yml"]) == []


def test_a_higher_limit_leaves_only_timeouts_that_are_switched_off() -> None:
    findings = scan_paths(["tests/scan_corpus/python/positives.py"], Settings(limit=10**6))
    assert {f.code for f in findings} == {"TT003"}


def test_this_repository_passes_its_own_gate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "."]) == 0, capsys.readouterr().out
    assert capsys.readouterr().out == "No timeouts above the limit.\n"


def test_every_call_of_the_table_is_documented_with_its_unit() -> None:
    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    section = page[page.index("### Python: calls by their API") : page.index("### Settings")]
    for api in APIS:
        last = api.name.rsplit(".", 1)[-1]
        rows = [
            row for row in section.splitlines() if re.search(rf"`[\w.]*{re.escape(last)}`", row)
        ]
        unit = "\N{EN DASH}" if api.unit == "ttl" else api.unit
        assert any(f"| {unit} |" in row for row in rows), api.name


# --- the command line ----------------------------------------------------------------------


def test_text_output_is_one_ruff_style_line_per_finding_and_a_summary(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["scan", "tests/scan_corpus/ci"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "tests/scan_corpus/ci/.github/workflows/ci.yml:7:22: TT001 timeout-minutes is 120 min "
        "= 7200 s (2h), above the limit of 3600 s (1h); fix: lower it to 60 min or less"
    )
    assert all(re.match(r"^[^:]+:\d+:\d+: TT\d{3} .*; fix: ", line) for line in lines[:-1])
    assert lines[-1] == "Found 7 timeouts to fix."


def test_json_output_gives_file_line_col_seconds_and_fix(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["scan", "tests/scan_corpus/config/setup.cfg", "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out) == [
        {
            "file": "tests/scan_corpus/config/setup.cfg",
            "line": 5,
            "col": 1,
            "value": 5000.0,
            "code": "TT001",
            "message": "[tool:pytest] timeout is 5000 s (1.39h), above the limit of 3600 s (1h)",
            "fix": "lower it to 3600 s (1h) or less",
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
    assert capsys.readouterr().err == "tasktiming: error: --max must be above 0 for scan\n"


def test_select_and_ignore_choose_findings_by_code_or_prefix(
    capsys: pytest.CaptureFixture[str],
) -> None:
    corpus = "tests/scan_corpus/cases/github"
    assert main(["scan", corpus, "--select", "TT002", "--format", "json"]) == 1
    assert {f["code"] for f in json.loads(capsys.readouterr().out)} == {"TT002"}
    assert main(["scan", corpus, "--ignore", "TT0", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_an_unknown_code_is_a_usage_error(option: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", ".", option, "TT001,E501"]) == 2
    assert capsys.readouterr().err == (
        f"tasktiming: error: {option}: unknown rule code 'E501'; the codes are "
        "TT001, TT002, TT003, TT901, TT902\n"
    )


def test_an_allow_comment_accepts_all_codes_or_the_ones_it_names(tmp_path: Path) -> None:
    (tmp_path / "jobs.py").write_text(
        "run(timeout=7200)  # tasktiming: allow-timeout\n"
        "run(timeout=7200)\n"
        "run(timeout=7200)  # tasktiming: allow-timeout TT003\n"
        "run(timeout=7200)  # tasktiming: allow-timeout TT003,TT001\n",
        encoding="utf-8",
    )
    assert [f.line for f in scan_paths([str(tmp_path)])] == [2, 3]


def test_the_pre_commit_hook_scans_the_files_it_is_given_but_the_excluded(
    tmp_path: Path,
) -> None:
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    assert "- id: tasktiming-scan" in hooks
    entry = re.search(r"^  entry: (.+)$", hooks, re.MULTILINE)
    files = re.search(r"^  files: (.+)$", hooks, re.MULTILINE)
    assert entry is not None and files is not None
    names = ["jobs.py", "vendored/lib.py", ".gitlab-ci.yml", "tox.ini", "README.md"]
    assert [n for n in names if re.search(files.group(1), n)] == names[:4]
    (tmp_path / "vendored").mkdir()
    for name in names[:2]:
        (tmp_path / name).write_text("TIMEOUT = 7200\n", encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.tasktiming.scan]\nexclude = ["vendored"]\n', encoding="utf-8"
    )
    result = subprocess.run(
        [*entry.group(1).split(), *names[:2]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert [line.split(":")[0] for line in result.stdout.splitlines()[:-1]] == ["jobs.py"]


# --- the pieces ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "unit"),
    [
        ("timeout", ("s", 1.0)),
        ("read_timeout", ("s", 1.0)),
        ("TIMEOUT_MS", ("ms", 0.001)),
        ("timeoutMinutes", ("min", 60.0)),
        ("job_timeout_hours", ("h", 3600.0)),
        ("timeout_days", None),
        ("SESSION_TIMEOUT_DAYS", None),
        ("CACHE_TIMEOUT", None),
        ("idle_timeout", None),
        ("timeout_at", None),
        ("TIMEOUT_RETRIES", None),
        ("timeout_method", None),
        ("deadline", None),
    ],
)
def test_a_name_says_whether_it_holds_a_time_limit_and_in_which_unit(
    name: str, unit: tuple[str, float] | None
) -> None:
    assert name_unit(name) == unit


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
