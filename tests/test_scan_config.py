"""``[tool.tasktiming.scan]`` in pyproject.toml: limit, exclude, per-file ignores, more calls."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_tasktiming.cli import main


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "tests").mkdir()
    (tmp_path / "src" / "jobs.py").write_text(
        "import mylib\n"
        "mylib.run_job('nightly', 120)\n"
        "mylib.run_job('hourly', limit=30)\n"
        "BUILD_TIMEOUT = 5400\n",
        encoding="utf-8",
    )
    (tmp_path / "tests" / "test_jobs.py").write_text(
        "from pytest_tasktiming import timed_task\n\n"
        "@timed_task(timeout=None)\n"
        "def unlimited(): pass\n",
        encoding="utf-8",
    )
    return tmp_path


def configure(project: Path, table: str) -> None:
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "x"\n\n[tool.tasktiming.scan]\n{table}', encoding="utf-8"
    )


def scan(capsys: pytest.CaptureFixture[str], *args: str) -> list[tuple[str, int, str]]:
    assert main(["scan", *args, "--format", "json"]) in (0, 1)
    return [(f["file"], f["line"], f["code"]) for f in json.loads(capsys.readouterr().out)]


def test_without_a_table_the_defaults_apply(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert scan(capsys, ".") == [
        ("src/jobs.py", 4, "TT001"),
        ("tests/test_jobs.py", 3, "TT003"),
    ]


def test_the_table_sets_the_limit_and_the_command_line_overrides_it(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(project, 'max = "2h"\n')
    assert scan(capsys, ".") == [("tests/test_jobs.py", 3, "TT003")]
    assert ("src/jobs.py", 4, "TT001") in scan(capsys, ".", "--max", "1h")


def test_extra_calls_are_read_in_their_unit_by_position_or_keyword(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(
        project,
        '[tool.tasktiming.scan.calls]\n"mylib.run_job" = { unit = "min", position = 1, '
        'keyword = "limit" }\n',
    )
    assert main(["scan", "src"]) == 1
    assert capsys.readouterr().out.splitlines()[0] == (
        "src/jobs.py:2:26: TT001 argument 2 of mylib.run_job() is 120 min = 7200 s (2h), "
        "above the limit of 3600 s (1h); fix: lower it to 60 min or less"
    )


def test_per_file_ignores_drop_codes_in_matching_files_whatever_the_path_given(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(project, '[tool.tasktiming.scan.per-file-ignores]\n"tests/*" = ["TT003"]\n')
    assert scan(capsys, ".") == [("src/jobs.py", 4, "TT001")]
    assert scan(capsys, "tests/test_jobs.py") == []


def test_the_table_is_found_above_the_scanned_paths(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(project, 'exclude = ["tests"]\n')
    monkeypatch.chdir(project / "src")
    assert scan(capsys, "..") == [("../src/jobs.py", 4, "TT001")]


@pytest.mark.parametrize(
    ("table", "error"),
    [
        pytest.param(
            "exclued = []\n",
            "unknown key 'exclued' in [tool.tasktiming.scan] of {}: expected max, exclude, "
            "per-file-ignores, calls",
            id="unknown-key",
        ),
        pytest.param(
            'exclude = "tests"\n',
            "exclude in [tool.tasktiming.scan] of {} must be a list of strings",
            id="not-a-list",
        ),
        pytest.param(
            "max = 0\n", "max in [tool.tasktiming.scan] of {} must be above 0", id="max-zero"
        ),
        pytest.param(
            '[tool.tasktiming.scan.per-file-ignores]\n"tests/*" = ["TT3"]\n',
            "tests/*: unknown rule code 'TT3'; the codes are TT001, TT002, TT003, TT901, TT902",
            id="bad-code",
        ),
        pytest.param(
            '[tool.tasktiming.scan.calls]\n"mylib.run" = { unit = "fortnight", position = 0 }\n',
            "calls.'mylib.run' in [tool.tasktiming.scan] of {}: unknown unit 'fortnight'; "
            "expected ms, s, min or h",
            id="bad-unit",
        ),
        pytest.param(
            '[tool.tasktiming.scan.calls]\n"mylib.run" = { unit = "s" }\n',
            "calls.'mylib.run' in [tool.tasktiming.scan] of {} needs a position (0 for the "
            "first argument) or a keyword",
            id="no-argument",
        ),
    ],
)
def test_a_bad_table_is_one_error_line_and_exit_status_2(
    project: Path, capsys: pytest.CaptureFixture[str], table: str, error: str
) -> None:
    configure(project, table)
    assert main(["scan", "."]) == 2
    pyproject = project / "pyproject.toml"
    assert capsys.readouterr().err == f"tasktiming: error: {error.format(pyproject)}\n"
